/**
 * What a CLI run has done so far — rows, errors by code, requests, tokens, cost —
 * read by the progress display and the closing summary.
 */
import { costOf, type RequestEvent } from '@mlpredict/core';
import type { OutputRow } from './predict-rows.js';
import type { RunPrice } from './run-price.js';

export class RunTally {
  readonly startedAt = Date.now();
  /** Rows in the input, when known before the run (a file, counted first). */
  total: number | undefined;
  /** Rows an earlier run already wrote (`--resume`). */
  resumed = 0;
  /** Rows written by this run. */
  rows = 0;
  readonly errorsByCode = new Map<string, number>();
  requests = 0;
  failedRequests = 0;
  promptTokens = 0;
  completionTokens = 0;
  /** What tokens cost; without it there is no cost to show. */
  price: RunPrice | undefined;

  /** Rows in the output: earlier runs' and this one's. */
  get done(): number {
    return this.resumed + this.rows;
  }

  get errors(): number {
    let sum = 0;
    for (const n of this.errorsByCode.values()) sum += n;
    return sum;
  }

  get tokens(): number {
    return this.promptTokens + this.completionTokens;
  }

  /** USD spent on this run's tokens, when a price is known. */
  get cost(): number | undefined {
    return this.price && costOf({ promptTokens: this.promptTokens, completionTokens: this.completionTokens }, this.price.price);
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Rows per second written by this run. */
  get rate(): number {
    const seconds = this.elapsedMs / 1000;
    return seconds > 0 ? this.rows / seconds : 0;
  }

  /** Milliseconds left at the current rate, when the total is known and rows are moving. */
  get etaMs(): number | undefined {
    if (this.total === undefined || this.rate === 0) return undefined;
    return (Math.max(0, this.total - this.done) / this.rate) * 1000;
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
