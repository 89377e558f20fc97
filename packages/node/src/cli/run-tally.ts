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
  /** The part of `promptTokens` the provider served from its prompt cache. */
  cachedPromptTokens = 0;
  /** What tokens cost; without it there is no cost to show. */
  price: RunPrice | undefined;
  /** USD of the answered requests, as the library priced each (cached tokens, the Batch API's discount). */
  #pricedUsd = 0;
  /** Answered requests the library did not price (a run given no price): then the cost is worked out here. */
  #unpriced = 0;

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
    if (!this.price) return undefined;
    if (this.#unpriced === 0) return this.#pricedUsd;
    return costOf({ promptTokens: this.promptTokens, completionTokens: this.completionTokens, cachedPromptTokens: this.cachedPromptTokens }, this.price.price);
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
    this.cachedPromptTokens += event.usage?.cachedPromptTokens ?? 0;
    if (event.costUsd !== undefined) this.#pricedUsd += event.costUsd;
    else if (event.ok && event.usage) this.#unpriced++;
  }
}
