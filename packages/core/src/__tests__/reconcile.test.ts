import { reconcile } from '../predict/reconcile';

const answers = (pairs: Array<[number, unknown]>) => pairs.map(([index, value]) => ({ index, value }));

describe('reconcile', () => {
  it('maps shuffled answers by index, never by position', () => {
    const r = reconcile(answers([[3, 'c'], [1, 'a'], [2, 'b']]), 3, 1);
    expect([...r.values.entries()].sort()).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    expect(r.missing).toEqual([]);
  });

  it('reports missing indices', () => {
    const r = reconcile(answers([[1, 'a'], [3, 'c']]), 3, 1);
    expect(r.missing).toEqual([1]);
  });

  it('distrusts the whole answer when an index is outside the batch', () => {
    const r = reconcile(answers([[1, 'a'], [2, 'b'], [99, 'z']]), 2, 1);
    expect(r).toMatchObject({ untrusted: true, missing: [0, 1] });
    expect(r.values.size).toBe(0);
    expect(r.warnings.join()).toMatch(/index 99 is outside the batch \(1\.\.2\)/);
  });

  it('distrusts the whole answer when an index has two different values; agreeing duplicates are harmless', () => {
    const r = reconcile(answers([[1, 'a'], [1, 'x'], [2, 'b']]), 2, 1);
    expect(r).toMatchObject({ untrusted: true, missing: [0, 1] });
    expect(r.values.size).toBe(0);
    const agreeing = reconcile(answers([[1, 'a'], [2, 'b'], [2, 'b']]), 2, 1);
    expect(agreeing).toMatchObject({ untrusted: false, missing: [] });
    expect([...agreeing.values.entries()]).toEqual([[0, 'a'], [1, 'b']]);
  });

  it('shifts a complete 0-based answer to a 1-based prompt', () => {
    const r = reconcile(answers([[0, 'a'], [1, 'b'], [2, 'c']]), 3, 1);
    expect([...r.values.entries()].sort()).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
  });

  it('shifts a complete 1-based answer to a 0-based prompt', () => {
    const r = reconcile(answers([[1, 'a'], [2, 'b']]), 2, 0);
    expect(r.values.get(0)).toBe('a');
    expect(r.values.get(1)).toBe('b');
  });

  it('refuses to guess when the index base is ambiguous', () => {
    // 1..2 of 3: a 1-based answer missing 3, or a 0-based one missing 0. No mapping is safe.
    const r = reconcile(answers([[1, 'a'], [2, 'b']]), 3, 1);
    expect(r.values.size).toBe(0);
    expect(r.missing).toEqual([0, 1, 2]);
    // An incomplete 0-based answer (0 present) is ambiguous too.
    expect(reconcile(answers([[0, 'a'], [2, 'c']]), 3, 1).values.size).toBe(0);
  });

  it('distrusts a truncated answer without its first index: a numbering one too high, cut off', () => {
    // 2..3 of 4: the answers for records 1..2 numbered 2..3, cut off before 5 would give them away.
    const r = reconcile(answers([[2, 'a'], [3, 'b']]), 4, 1, true);
    expect(r).toMatchObject({ untrusted: true, missing: [0, 1, 2, 3] });
    expect(r.values.size).toBe(0);
  });

  it('takes nothing from a complete 1-based answer without its first index, and says the first is in doubt', () => {
    // 2..4 of 4: record 1 left out, or the answers for 1..3 numbered 2..4 with the last one lost.
    const r = reconcile(answers([[2, 'a'], [3, 'b'], [4, 'c']]), 4, 1);
    expect(r).toMatchObject({ untrusted: true, firstInDoubt: true, missing: [0, 1, 2, 3] });
    expect(r.values.size).toBe(0);
    // An index outside the batch is plain distrust, whatever else is missing.
    expect(reconcile(answers([[2, 'a'], [5, 'c']]), 4, 1).firstInDoubt).toBeUndefined();
    // Counting from 0, index 0 is already required.
    expect(reconcile(answers([[1, 'a'], [2, 'b']]), 3, 0).firstInDoubt).toBeUndefined();
  });

  it('trusts a truncated 1-based answer without its last index', () => {
    const r = reconcile(answers([[1, 'a'], [2, 'b']]), 4, 1, true);
    expect(r.values.get(0)).toBe('a');
    expect(r.missing).toEqual([2, 3]);
  });
});
