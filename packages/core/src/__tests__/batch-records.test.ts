import { TestScheduler } from 'rxjs/testing';
import { batchRecords } from '@mlpredict/core/internals';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('batchRecords', () => {
  it('emits full batches at once and flushes the rest on complete', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcde|');
      expectObservable(source.pipe(batchRecords({ size: 2, timeoutMs: 1000 }))).toBe('-x-y-(z|)', { x: ['a', 'b'], y: ['c', 'd'], z: ['e'] });
    });
  });

  it('flushes a partial batch timeoutMs after its first record, not after the last', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 5ms b 20ms c 100ms |');
      // a at 0, b at 6: the timer started at a (0) fires at 10. c at 27 starts a new timer → 37.
      expectObservable(source.pipe(batchRecords({ size: 10, timeoutMs: 10 }))).toBe('10ms x 26ms y 90ms |', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('never emits empty batches on an idle stream', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('------|').pipe(batchRecords({ size: 3, timeoutMs: 2 }))).toBe('------|');
    });
  });

  it('starts a new batch rather than exceed maxTokens', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc|', { a: 'aaaa', b: 'bbbb', c: 'cc' });
      expectObservable(source.pipe(batchRecords({ size: 10, timeoutMs: 50, maxTokens: 6 }, (s) => s.length))).toBe('-x-(y|)', {
        x: ['aaaa'],
        y: ['bbbb', 'cc'],
      });
    });
  });

  it('cancels its timer on unsubscribe', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a----|').pipe(batchRecords({ size: 5, timeoutMs: 3 })), '^-!').toBe('---');
    });
  });
});
