/**
 * Shared test helpers: seeding the fake, reading outputs back by their source, and
 * a watcher that checks every commit against what was produced at that moment.
 */
import type { PipelineConsumer } from '../kafka-client.js';
import { FakeKafka, headerText, type FakeConsumer, type FakeRecord } from '../testing/index.js';
import { SOURCE_HEADERS } from '../message-codec.js';
import { ModelCallError, type Model } from '@mlpredict/core';
import { ruleModel } from '@mlpredict/testing';

/** Appends `count` JSON messages `{ id, text }` with keys `k<id>`, spread by key over the partitions. */
export function seed(kafka: FakeKafka, topic: string, count: number, text: (id: number) => string = (id) => (id % 3 === 0 ? `bad item ${id}` : `good item ${id}`)): FakeRecord[] {
  return kafka.append(
    topic,
    Array.from({ length: count }, (_, id) => ({ key: `k${id}`, value: JSON.stringify({ id, text: text(id) }) })),
  );
}

/** `partition/offset` of the input a result message came from. */
export function sourceOf(record: FakeRecord): string {
  return `${headerText(record, SOURCE_HEADERS.partition)}/${headerText(record, SOURCE_HEADERS.offset)}`;
}

/** Every input, as `partition/offset`. */
export function inputIds(kafka: FakeKafka, topic: string): string[] {
  return kafka.messages(topic).map((r) => `${r.partition}/${r.offset}`);
}

/** How many result messages each input has, across `topics`. */
export function outputCounts(kafka: FakeKafka, topics: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const topic of topics) for (const r of kafka.messages(topic)) counts.set(sourceOf(r), (counts.get(sourceOf(r)) ?? 0) + 1);
  return counts;
}

/**
 * Watches commits as they happen and records any that covers an input without a
 * result in `outputTopics` at that moment: the at-least-once rule, checked live.
 */
export function watchCommits(kafka: FakeKafka, inputTopic: string, outputTopics: string[]) {
  const violations: string[] = [];
  let commits = 0;
  const stop = kafka.onEvent((event) => {
    if (event.type !== 'commit' || event.topic !== inputTopic) return;
    commits++;
    const produced = new Set(outputTopics.flatMap((t) => kafka.messages(t).map(sourceOf)));
    for (const input of kafka.messages(inputTopic)) {
      if (input.partition !== event.partition || BigInt(input.offset) >= BigInt(event.offset)) continue;
      const id = `${input.partition}/${input.offset}`;
      if (!produced.has(id)) violations.push(`commit ${event.partition}@${event.offset} by ${event.memberId} covers ${id}, which has no result`);
    }
  });
  return {
    violations,
    get commits() {
      return commits;
    },
    stop,
  };
}

/** Result messages grouped by output partition, in offset order, as their sources. */
export function perOutputPartition(kafka: FakeKafka, topic: string): FakeRecord[][] {
  const parts: FakeRecord[][] = [];
  for (const r of kafka.messages(topic)) (parts[r.partition] ??= []).push(r);
  return parts;
}

/** True when, within each output partition, results of one input partition appear in rising input offset order. */
export function inInputOrder(kafka: FakeKafka, topic: string): boolean {
  for (const records of perOutputPartition(kafka, topic)) {
    const last = new Map<string, bigint>();
    for (const r of records ?? []) {
      const p = headerText(r, SOURCE_HEADERS.partition)!;
      const o = BigInt(headerText(r, SOURCE_HEADERS.offset)!);
      if (last.has(p) && o <= last.get(p)!) return false;
      last.set(p, o);
    }
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a model so each call first waits `delayMs()` (abortable like a real
 * request): random latencies make batches finish out of order, a huge one hangs.
 */
export function withLatency(model: Model, delayMs: () => number): Model {
  return {
    name: model.name,
    async complete(request) {
      const wait = delayMs();
      if (wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, wait);
          request.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(new ModelCallError('aborted', { kind: 'aborted' }));
            },
            { once: true },
          );
        });
      }
      return model.complete(request);
    },
  };
}

/**
 * A `ruleModel` whose answers leave out the inputs `label` gives no value for,
 * the way a real model sometimes skips records: those end in error after repair.
 */
export function omittingModel(label: (text: string) => string | undefined): Model {
  const rules = ruleModel((text) => label(text) ?? null);
  return {
    name: 'test:omitting',
    async complete(request) {
      const answer = await rules.complete(request);
      const items = JSON.parse(answer.text) as { index: number; [field: string]: unknown }[];
      return { ...answer, text: JSON.stringify(items.filter((item) => Object.values(item).every((v) => v !== null))) };
    },
  };
}

/**
 * A consumer that behaves like `consumer` and lets the test report a crash
 * kafkajs gives up on (`restart: false`); the fake itself always restarts.
 */
export function withFinalCrash(consumer: FakeConsumer): { consumer: PipelineConsumer; crash(error: Error): void } {
  const listeners: ((event: { type: string; payload: unknown }) => void)[] = [];
  const wrapped = {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    subscribe: (s: Parameters<FakeConsumer['subscribe']>[0]) => consumer.subscribe(s),
    run: (c: Parameters<FakeConsumer['run']>[0]) => consumer.run(c),
    commitOffsets: (o: Parameters<FakeConsumer['commitOffsets']>[0]) => consumer.commitOffsets(o),
    seek: (o: Parameters<FakeConsumer['seek']>[0]) => consumer.seek(o),
    pause: (t: Parameters<FakeConsumer['pause']>[0]) => consumer.pause(t),
    resume: (t: Parameters<FakeConsumer['resume']>[0]) => consumer.resume(t),
    paused: () => consumer.paused(),
    on: (name: string, listener: (event: { type: string; payload: unknown }) => void) => {
      if (name === 'consumer.crash') listeners.push(listener);
      return consumer.on(name, listener);
    },
  } as PipelineConsumer;
  return {
    consumer: wrapped,
    crash: (error) => {
      for (const listener of listeners) listener({ type: 'consumer.crash', payload: { error, restart: false } });
    },
  };
}
