import { resolveOptions } from '@mlpredict/core';

describe('resolveOptions', () => {
  it('fills defaults', () => {
    const o = resolveOptions({});
    expect(o.batchSize).toBe(20);
    expect(o.batchTimeoutMs).toBe(1000);
    expect(o.responsePath).toBe('$[*]');
    expect(o.indexField).toBe('index');
    expect(o.maxRetries).toBe(3);
    expect(o.requestTimeoutMs).toBe(30_000);
    expect(o.ordered).toBe(true);
    expect(o.reorderWindow).toBe(20 * 4 * 4);
  });

  it('accepts the proposal dotted keys with string values', () => {
    const o = resolveOptions({ 'batch.size': '50', 'response.value.field': 'entities', 'request.timeout.ms': 500 });
    expect(o.batchSize).toBe(50);
    expect(o.valueField).toBe('entities');
    expect(o.requestTimeoutMs).toBe(500);
  });

  it('lets call options override model defaults', () => {
    const model = { defaults: { 'batch.size': 20, valueField: 'sentiment', concurrency: 2 } };
    const o = resolveOptions({ batchSize: 5 }, model);
    expect(o.batchSize).toBe(5);
    expect(o.valueField).toBe('sentiment');
    expect(o.concurrency).toBe(2);
  });

  it('names the bad option, its dotted key and what was expected', () => {
    expect(() => resolveOptions({ batchSize: 0 })).toThrow(/"batchSize" \(batch\.size\): expected a value >= 1, got 0/);
    expect(() => resolveOptions({ 'batch.size': 'lots' })).toThrow(/"batchSize" \(batch\.size\): expected a number, got "lots"/);
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
