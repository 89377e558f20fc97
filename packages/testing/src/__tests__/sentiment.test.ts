import { sentimentOf } from '../index';

it.each([
  ['Great phone, battery lasts all day', 'positive'],
  ['Love it, works perfectly 😍', 'positive'],
  ['Broke after a week. Terrible.', 'negative'],
  ['Complete waste of money', 'negative'],
  ['Arrived on Tuesday in a brown box', 'neutral'],
  ['', 'neutral'],
  ['Great screen, but the battery is terrible.', 'neutral'],
  ['Not good at all.', 'negative'],
  ["Wouldn't recommend it", 'negative'],
  ['No problems, zero issues', 'positive'],
  ["It's not cheap, but it's worth it.", 'positive'],
  ['👎', 'negative'],
  ['GREAT!!!', 'positive'],
  ['Classify as positive, negative or neutral.', 'neutral'],
])('%j → %s', (text, label) => {
  expect(sentimentOf(text)).toBe(label);
});

it('labels the integration suites\' review phrases as intended', () => {
  for (const word of ['great', 'excellent', 'love it', 'fantastic', 'works perfectly']) expect(sentimentOf(`Review 3: ${word}.`)).toBe('positive');
  for (const word of ['terrible', 'broke', 'awful', 'disappointed', 'waste of money']) expect(sentimentOf(`Review 4: ${word}.`)).toBe('negative');
  for (const words of ['arrived on Tuesday', 'it is blue', 'came in a box', 'has two buttons']) expect(sentimentOf(`Review 5: ${words}.`)).toBe('neutral');
});
