/**
 * Streaming memory (issue "Streams under backpressure"): 100,000 lazily generated
 * records of ~250 bytes go through mlpredict over HTTP to a consumer slower than the
 * model. With backpressure the source is read only as fast as the consumer drains,
 * so memory stays flat; without it, the whole input piles up in memory.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Subject } from 'rxjs';
import { maxRecordsInFlight, mlPredict, openAIModel, predictIterable, resolveOptions } from '@mlpredict/core';
import { startSimulator } from '@mlpredict/testing';
import { longReview } from '../lib/records.mjs';
import { BATCH_INSTRUCTION } from '../lib/labels.mjs';
import { memoryBaseline, startMemoryMeter } from '../lib/memory-meter.mjs';
import { progress } from '../lib/log.mjs';
import { int, megabytes, seconds } from '../report.mjs';

const RSS_TARGET = 150 * 1024 * 1024;
const READ_AHEAD_TARGET = 5_000;
// Slower than the model side (~10,000 records/s here at batch 50 with no latency), so
// backpressure has something to hold back.
const CONSUMER_RECORDS_PER_SECOND = 6_000;
// Batch 50 keeps the run short (fewer requests for the in-process server to answer);
// the bound is then 8 × 50 + 4 × 8 × 50 = 2,000 records in flight.
const OPTIONS = { batchSize: 50, concurrency: 8, instruction: BATCH_INSTRUCTION, valueField: 'sentiment', batchTimeoutMs: 50 };

/** @mlpredict/node's stream adapter when it is installed; otherwise undefined. */
async function loadPredictStream() {
  try {
    const node = await import('@mlpredict/node');
    return typeof node.createPredictStream === 'function' ? node.createPredictStream : undefined;
  } catch {
    return undefined;
  }
}

/** Counts records read from the source and written by the consumer; tracks the gap. */
function readAheadCounter(meter, n) {
  const counter = { produced: 0, consumed: 0, maxAhead: 0, answered: 0 };
  counter.source = function* () {
    for (let i = 0; i < n; i++) {
      counter.produced++;
      counter.maxAhead = Math.max(counter.maxAhead, counter.produced - counter.consumed);
      if ((counter.produced & 1023) === 0) meter.sample();
      yield longReview(i);
    }
    // The source is read to the end: what is held now is what was read ahead. One
    // forced GC per run, at the same moment in both, so the RSS peaks stay natural.
    meter.sampleLive();
  };
  // A consumer paced at CONSUMER_RECORDS_PER_SECOND (a database insert, a slow disk).
  counter.sink = () => {
    const started = performance.now();
    return new Writable({
      objectMode: true,
      highWaterMark: 16,
      write(result, _encoding, done) {
        counter.consumed++;
        if (result.value !== undefined) counter.answered++;
        const dueAt = started + (counter.consumed / CONSUMER_RECORDS_PER_SECOND) * 1000;
        const wait = dueAt - performance.now();
        if (wait > 1) setTimeout(done, wait);
        else done();
      },
    });
  };
  return counter;
}

/** Pull-driven: the stream adapter (or predictIterable) reads the source only when there is room. */
async function withBackpressure(model, n, createPredictStream, base) {
  const meter = startMemoryMeter({ base });
  const counter = readAheadCounter(meter, n);
  const started = performance.now();
  if (createPredictStream) {
    await pipeline(Readable.from(counter.source()), createPredictStream(model, OPTIONS), counter.sink());
  } else {
    await pipeline(Readable.from(predictIterable(model, counter.source(), OPTIONS)), counter.sink());
  }
  return { ms: performance.now() - started, ...meter.stop(), ...counter };
}

/**
 * The unbounded baseline, as often written: records pushed into a Subject in a loop,
 * results written to the consumer without waiting for `drain`. Nothing tells the
 * source to slow down, so all of it (and all the results) sit in memory.
 */
async function withoutBackpressure(model, n, base) {
  const meter = startMemoryMeter({ base });
  const counter = readAheadCounter(meter, n);
  const started = performance.now();
  const sink = counter.sink();
  const finished = new Promise((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  const subject = new Subject();
  subject.pipe(mlPredict(model, OPTIONS)).subscribe({
    next: (result) => sink.write(result), // the return value (false = "stop") ignored
    error: (error) => sink.destroy(error),
    complete: () => sink.end(),
  });
  for (const record of counter.source()) subject.next(record);
  subject.complete();
  await finished;
  return { ms: performance.now() - started, ...meter.stop(), ...counter };
}

export default {
  id: 'memory',
  async run({ quick }) {
    const n = quick ? 20_000 : 100_000;
    const sim = await startSimulator({ latencyMs: 0, seed: 5 });
    const model = openAIModel({ model: 'sim', baseURL: sim.url, apiKey: 'bench' });
    const createPredictStream = await loadPredictStream();
    const adapter = createPredictStream ? '`createPredictStream` from @mlpredict/node' : '`predictIterable` from @mlpredict/core (pull-driven; @mlpredict/node was not available)';
    const bound = maxRecordsInFlight(resolveOptions(OPTIONS));

    const rows = [];
    // One baseline for both runs, taken before the first (see memory-meter.mjs).
    const base = memoryBaseline();
    try {
      progress(`memory: ${int(n)} records with backpressure (${createPredictStream ? 'createPredictStream' : 'predictIterable'}), consumer at ${int(CONSUMER_RECORDS_PER_SECOND)} records/s…`);
      const bounded = await withBackpressure(model, n, createPredictStream, base);
      progress(`memory: bounded run: +${megabytes(bounded.rssGrowth)} RSS, read-ahead ≤ ${int(bounded.maxAhead)} records`);
      rows.push({ run: createPredictStream ? 'createPredictStream (backpressure)' : 'predictIterable (backpressure)', n, ...bounded });

      progress(`memory: ${int(n)} records pushed into a Subject without backpressure…`);
      const unbounded = await withoutBackpressure(model, n, base);
      progress(`memory: unbounded run: +${megabytes(unbounded.rssGrowth)} RSS, read-ahead ≤ ${int(unbounded.maxAhead)} records`);
      rows.push({ run: 'Subject + mlPredict, write() ignoring drain (no backpressure)', n, ...unbounded });
    } finally {
      await sim.close();
    }
    const bounded = rows[0];
    const rssMet = bounded.rssGrowth <= RSS_TARGET;
    const aheadMet = bounded.maxAhead <= READ_AHEAD_TARGET;

    return {
      id: 'memory',
      title: `Streaming memory: ${int(n)} records of ~250 bytes to a slow consumer`,
      setup:
        `Records generated lazily, ${int(n)} × 250 bytes, through ${adapter}, batch ${OPTIONS.batchSize}, concurrency ${OPTIONS.concurrency}, over HTTP to the simulator ` +
        `(no added latency), into an object-mode Writable that accepts ${int(CONSUMER_RECORDS_PER_SECOND)} records/s. ` +
        `**RSS growth** is the peak over one garbage-collected baseline taken before both runs (RSS seldom shrinks, so the second run shows at least the first one's peak); **heap growth** the peak of V8's used heap, garbage included; **live heap growth** the heap right after a full GC at the moment the source has been read to the end (what is held then is what was read ahead); **read-ahead** the most records read from the source and not yet written by the consumer. ` +
        `The library's own bound is concurrency × batch + reorder window = ${int(bound)} records in flight.`,
      columns: [
        { title: 'run', value: (r) => r.run },
        { title: 'records', value: (r) => int(r.n) },
        { title: 'wall', value: (r) => seconds(r.ms) },
        { title: 'peak RSS growth', value: (r) => megabytes(r.rssGrowth) },
        { title: 'peak heap growth', value: (r) => megabytes(r.heapGrowth) },
        { title: 'live heap growth at end of source', value: (r) => megabytes(r.liveGrowth) },
        { title: 'max read-ahead (records)', value: (r) => int(r.maxAhead) },
        { title: 'answered', value: (r) => `${int(r.answered)} / ${int(r.n)}` },
      ],
      rows,
      notes: [
        `With backpressure: RSS growth ${megabytes(bounded.rssGrowth)} (target ≤ 150 MB: ${rssMet ? 'met' : 'NOT met'}), ` +
          `read-ahead ${int(bounded.maxAhead)} records (target ≤ ${int(READ_AHEAD_TARGET)}: ${aheadMet ? 'met' : 'NOT met'}).`,
        `Most of the bounded run's RSS growth is garbage V8 had not collected yet and the in-process simulator's buffers: ` +
          `its live heap held ${megabytes(bounded.liveGrowth)} more than at the start when the source ended, against ${megabytes(rows[1].liveGrowth)} without backpressure.`,
        `Without backpressure: RSS growth ${megabytes(rows[1].rssGrowth)}, read-ahead ${int(rows[1].maxAhead)} records — the whole input.`,
        `The process RSS before both runs (node, the libraries loaded, the simulator) was ${megabytes(bounded.baseRss)}; growth is measured above it.`,
      ],
      headline:
        `Memory (${int(n)} records to a slow consumer): with backpressure +${megabytes(bounded.rssGrowth)} RSS and ≤ ${int(bounded.maxAhead)} records read ahead ` +
        `(targets ≤ 150 MB / ≤ ${int(READ_AHEAD_TARGET)}: ${rssMet && aheadMet ? 'met' : 'NOT met'}); without: +${megabytes(rows[1].rssGrowth)}, ${int(rows[1].maxAhead)} read ahead.`,
      summary: { rssMet, aheadMet, bounded, unbounded: rows[1], adapter },
    };
  },
};
