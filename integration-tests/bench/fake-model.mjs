/**
 * An instant in-process `Model` for measuring mlpredict's own overhead: no HTTP, no
 * latency, no timers. It reads the `Input n:` lines of the batch prompt and answers
 * the JSON array the default template asks for, so every stage of the library
 * (batching, rendering, parsing, reconciling, reordering) does its real work.
 */

const INPUT_LINE = /^Input (\d+):/gm;

/**
 * @param {{ valueField?: string, label?: string }} [options] the field and the one label it answers
 * @returns {import('@mlpredict/core').Model & { calls: number }}
 */
export function instantModel({ valueField = 'sentiment', label = 'positive' } = {}) {
  const model = {
    name: 'bench:instant',
    calls: 0,
    async complete({ messages }) {
      model.calls++;
      const prompt = messages[messages.length - 1].content;
      const items = [];
      for (const match of prompt.matchAll(INPUT_LINE)) items.push(`{"index":${match[1]},"${valueField}":"${label}"}`);
      return {
        text: `[${items.join(',')}]`,
        finishReason: 'stop',
        usage: { promptTokens: Math.ceil(prompt.length / 4), completionTokens: items.length * 8 },
      };
    },
  };
  return model;
}
