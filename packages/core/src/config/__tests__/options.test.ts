import { resolveOptions } from '@mlpredict/core/internals';

describe('resolveOptions', () => {
  it('fills defaults: batch size and concurrency are tuned, from the cap of 50 and 8 in flight', () => {
    const o = resolveOptions({});
    expect(o.batching).toMatchObject({ size: 50, auto: true, timeoutMs: 1000 });
    expect(o.parse.read).toMatchObject({ responsePath: '$[*]', indexField: 'index', valueField: 'answer' });
    expect(o.call).toMatchObject({ maxRetries: 3, requestTimeoutMs: 30_000 });
    expect(o.flow).toMatchObject({ ordered: true, concurrency: 8, autoConcurrency: true, reorderWindow: 50 * 8 * 4 });
  });

  it('keeps explicit numbers exactly, and maxBatchSize is the cap of auto', () => {
    const fixed = resolveOptions({ batchSize: 20, concurrency: 4 });
    expect(fixed.batching).toMatchObject({ size: 20, auto: false });
    expect(fixed.flow).toMatchObject({ concurrency: 4, autoConcurrency: false, reorderWindow: 20 * 4 * 4 });
    expect(resolveOptions({ maxBatchSize: 10 }).batching).toMatchObject({ size: 10, auto: true });
    expect(resolveOptions({ 'batch.size': 'auto', concurrency: 'auto' }).batching.auto).toBe(true);
    expect(resolveOptions({ batchSize: 5, maxBatchSize: 10 }).batching).toMatchObject({ size: 5, auto: false });
    expect(() => resolveOptions({ batchSize: 30, maxBatchSize: 10 })).toThrow(/"batchSize" \(batch\.size\) is 30, over "maxBatchSize" \(10\)/);
  });

  it('works out the prompt defaults once, from the format', () => {
    const o = resolveOptions({ valueField: 'sentiment' });
    expect(o.prompt.template).toContain('{{#records}}');
    expect(o.prompt.systemPrompt).toMatch(/JSON only/);
    expect(o.prompt.shared).toMatchObject({ instruction: 'For each input below, give its sentiment.', valueField: 'sentiment' });
    const own = resolveOptions({ promptTemplate: '{{#records}}{{index}}: {{text}}{{/records}}' });
    expect(own.parse.read.valueField).toBeUndefined(); // a user template without valueField: the whole item is the value
    expect(resolveOptions({ responseFormat: 'delimited', delimiter: '::' }).prompt.shared).toMatchObject({ delimiter: '::' });
  });

  it('accepts the proposal dotted keys with string values', () => {
    const o = resolveOptions({ 'batch.size': '50', 'response.value.field': 'entities', 'request.timeout.ms': 500 });
    expect(o.batching.size).toBe(50);
    expect(o.parse.read.valueField).toBe('entities');
    expect(o.call.requestTimeoutMs).toBe(500);
  });

  it('lets call options override model defaults', () => {
    const model = { defaults: { 'batch.size': 20, valueField: 'sentiment', concurrency: 2 } };
    const o = resolveOptions({ batchSize: 5 }, model);
    expect(o.batching.size).toBe(5);
    expect(o.parse.read.valueField).toBe('sentiment');
    expect(o.flow.concurrency).toBe(2);
  });

  it('names the bad option, its dotted key and what was expected', () => {
    expect(() => resolveOptions({ batchSize: 0 })).toThrow(/"batchSize" \(batch\.size\): expected a value >= 1, got 0/);
    expect(() => resolveOptions({ 'batch.size': 'lots' })).toThrow(/"batchSize" \(batch\.size\): expected "auto" or a number, got "lots"/);
    expect(() => resolveOptions({ concurrency: 2.5 })).toThrow(/"concurrency": expected "auto" or an integer, got 2.5/);
    expect(() => resolveOptions({ maxBatchSize: 0 })).toThrow(/"maxBatchSize": expected a value >= 1, got 0/);
    expect(() => resolveOptions({ responseFormat: 'yaml' as never })).toThrow(/"responseFormat" \(response\.format\): expected one of "json"/);
  });

  it('rejects unknown options with a suggestion', () => {
    expect(() => resolveOptions({ batchsize: 3 } as never)).toThrow(/unknown option "batchsize" \(did you mean "batchSize"\?\)/);
    expect(() => resolveOptions({ retry: { strategy: 'fixed', tries: 3 } } as never)).toThrow(/unknown option "tries" in "retry"/);
  });

  it('refuses one option given twice', () => {
    expect(() => resolveOptions({ batchSize: 3, 'batch.size': 4 })).toThrow(/given twice/);
  });
});
