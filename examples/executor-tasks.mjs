#!/usr/bin/env node
// The task executor: tagged tasks, a chain that passes answers forward, and a
// multi-step chain over a list — all on one model whose maxConcurrency they share.
//
//   pnpm build && node examples/executor-tasks.mjs
//     against the bundled simulator (@mlpredict/testing), or an in-process fake
//     model when the simulator is not available;
//   OPENAI_BASE_URL=… OPENAI_API_KEY=… node examples/executor-tasks.mjs
//     against any OpenAI-compatible endpoint (OPENAI_MODEL for the model).
import { openAIModel, ModelCallError } from '@mlpredict/core';
import { runTasks, runSequence, mapChain } from '@mlpredict/core/executor';

const { model, where, stop } = await pickModel();
console.log(`executor example against ${where}\n`);

// 1. Tagged tasks: LLM calls and a function, concurrently; one failure isolates.
const tasks = await runTasks(
  model,
  {
    question: { prompt: 'Write a one-line quiz question about photosynthesis.', temperature: 0.9 },
    sentiment: { system: 'Answer with one word.', prompt: 'Sentiment of "I love this phone": positive, negative or neutral?', maxTokens: 5 },
    words: { prompt: 'Say hello.', parse: (text) => text.split(/\s+/).length },
    today: { run: () => new Date().toISOString().slice(0, 10) },
    strict: { prompt: 'Reply with JSON: {"ok": true}', parse: (text) => JSON.parse(text), retry: { maxRetries: 0 } },
  },
  {
    concurrency: 4,
    onTaskEnd: (e) => console.log(`  ${e.tag.padEnd(9)} ${e.ok ? 'ok    ' : 'failed'} ${e.attempts} attempt(s) ${e.durationMs} ms`),
  },
);
console.log('\nrunTasks:');
for (const [tag, r] of Object.entries(tasks)) console.log(`  ${tag}:`, r.ok ? r.value : `${r.error.code}: ${r.error.message}`);

// 2. A sequence: each step sees the conversation so far.
const steps = await runSequence(
  model,
  [
    { tag: 'draft', system: 'You write short quiz questions.', prompt: 'Write a question about volcanoes.' },
    { tag: 'improve', prompt: 'Make it harder, one line.' },
    { tag: 'answer', prompt: 'Answer it in one word.' },
  ],
  { passResult: true },
);
console.log('\nrunSequence:');
for (const r of steps) console.log(`  ${r.tag}:`, r.ok ? r.value : `${r.error.code}: ${r.error.message}`);

// 3. A pool over a list: clean → summarise (one call per item) → label (one shared, batched run).
const reviews = ['  Great battery, lasts two days ', 'Broke after a week.', 'It is blue.', '', 'Love the screen!', 'Awful support.'];
const pool = await mapChain(
  reviews,
  [
    {
      name: 'text',
      run: (review) => {
        if (!review.trim()) throw new Error('empty review');
        return review.trim();
      },
    },
    { name: 'summary', run: { prompt: (text) => `Summarise this review in five words or fewer: ${text}`, maxTokens: 20 } },
    { name: 'sentiment', input: (_review, out) => out.text, run: { batch: { options: { valueField: 'sentiment', batchSize: 10, batchTimeoutMs: 50 } } } },
  ],
  { model, maxFlows: 3 },
);
console.log('\nmapChain:');
for (const r of pool) {
  console.log(`  #${r.index} ${(r.ok ? 'completed' : 'failed').padEnd(9)}`, r.ok ? `${r.outputs.sentiment} — ${r.outputs.summary}` : `${r.failedStep}: ${r.error.message}`);
}

await stop();

/** A real endpoint, the bundled simulator, or a fake defined right here. */
async function pickModel() {
  if (process.env.OPENAI_BASE_URL || process.env.OPENAI_API_KEY) {
    const name = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
    return { model: openAIModel({ model: name, maxConcurrency: 4 }), where: `${process.env.OPENAI_BASE_URL ?? 'OpenAI'} (${name})`, stop: async () => {} };
  }
  const testing = await import('@mlpredict/testing').catch(() => ({}));
  if (typeof testing.startSimulator === 'function') {
    const sim = await testing.startSimulator({ latencyMs: 50 });
    return { model: openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'demo', maxConcurrency: 4 }), where: `the bundled simulator at ${sim.url}`, stop: () => sim.close() };
  }
  return { model: fakeModel(), where: 'an in-process fake model (the simulator is not available)', stop: async () => {} };
}

/** Answers batched prompts with a sentiment per input and anything else with a canned line. */
function fakeModel() {
  let calls = 0;
  return {
    name: 'example:fake',
    limits: { maxConcurrency: 4 },
    async complete({ messages }) {
      const call = ++calls;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const user = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
      const inputs = [...user.matchAll(/^Input (\d+): (.*)$/gm)];
      if (inputs.length > 0) {
        const sentiment = (text) => (/great|love/i.test(text) ? 'positive' : /broke|awful/i.test(text) ? 'negative' : 'neutral');
        return { text: JSON.stringify(inputs.map(([, index, json]) => ({ index: Number(index), sentiment: sentiment(JSON.parse(json)) }))) };
      }
      if (user.startsWith('Reply with JSON')) throw new ModelCallError('the fake refuses JSON', { kind: 'http', status: 400 });
      return { text: `(fake answer ${call} to: ${user.slice(0, 40)})` };
    },
  };
}
