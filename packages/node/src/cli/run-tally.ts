/**
 * What a CLI run has done so far — rows, errors by code, requests, tokens — read
 * by the progress display and the closing summary.
 */
import type { RequestEvent } from '@mlpredict/core';
import type { OutputRow } from './predict-rows.js';

export class RunTally {
  readonly startedAt = Date.now();
  /** Records in the input, when known before the run (a file, counted first). */
  total: number | undefined;
  rows = 0;
  readonly errorsByCode = new Map<string, number>();
  requests = 0;
  failedRequests = 0;
  promptTokens = 0;
  completionTokens = 0;

  get errors(): number {
    let sum = 0;
    for (const n of this.errorsByCode.values()) sum += n;
    return sum;
  }

  get tokens(): number {
    return this.promptTokens + this.completionTokens;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Rows per second since the start. */
  get rate(): number {
    const seconds = this.elapsedMs / 1000;
    return seconds > 0 ? this.rows / seconds : 0;
  }

  addRow(row: OutputRow): void {
    this.rows++;
    if ('error' in row) this.errorsByCode.set(row.error.code, (this.errorsByCode.get(row.error.code) ?? 0) + 1);
  }

  /** For the `onRequest` option: one HTTP request finished. */
  addRequest(event: RequestEvent): void {
    this.requests++;
    if (!event.ok) this.failedRequests++;
    this.promptTokens += event.usage?.promptTokens ?? 0;
    this.completionTokens += event.usage?.completionTokens ?? 0;
  }
}
