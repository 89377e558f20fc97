/**
 * Peak memory of a run: note RSS and heap after a full collection, sample them every
 * few ms while the run goes, report the peak growth. RSS is what an operator's
 * container limit sees.
 *
 * RSS seldom shrinks once grown, so two runs in one process are compared against
 * the same baseline, taken before the first: the second run then shows at least the
 * first one's peak, and more only if it needs more.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

// `pnpm bench` starts plain `node`, so ask V8 for `gc` at run time instead of a flag:
// a settled baseline makes the numbers repeatable.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

export function collectGarbage() {
  gc();
  gc();
}

/** RSS and heap after a full collection. */
export function memoryBaseline() {
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

export function startMemoryMeter({ base = memoryBaseline(), everyMs = 10 } = {}) {
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let peakLive = base.heapUsed;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    const heap = v8.getHeapStatistics().used_heap_size;
    if (heap > peakHeap) peakHeap = heap;
  };
  const timer = setInterval(sample, everyMs);
  return {
    /** Call from hot paths too: the timer cannot fire while a synchronous loop runs. */
    sample,
    /**
     * What is really held at this moment: a full collection, then the heap. Costly
     * and it disturbs the peaks, so call it once a run; the peak heap above
     * includes garbage.
     */
    sampleLive() {
      sample();
      collectGarbage();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
    },
    stop() {
      clearInterval(timer);
      sample();
      return { rssGrowth: peakRss - base.rss, heapGrowth: peakHeap - base.heapUsed, liveGrowth: peakLive - base.heapUsed, baseRss: base.rss };
    },
  };
}
