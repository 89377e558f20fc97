/**
 * Where `'auto'` starts and what bounds it. The numbers and why:
 *
 * - **`maxBatchSize` 50.** Batch prompting keeps accuracy on short classification
 *   and extraction records well past a handful per prompt (Cheng et al. 2023;
 *   BatchPrompt, ICLR 2024, holds it at 32 and beyond with votes), and fewer,
 *   larger requests cost less: at 50 a record pays ~16% of the prompt tokens of
 *   one request per record. Harder tasks lose accuracy sooner (DocETL warns
 *   past 5 for long documents), which is what `tuneBatchSize` measures for a
 *   task: set `maxBatchSize` to what it recommends.
 * - **Concurrency starts at 8**, a load any hosted endpoint takes and a local
 *   one queues rather than drops, and grows to at most 64 while it pays.
 */

/** The quality cap when `maxBatchSize` is not given. */
export const DEFAULT_MAX_BATCH_SIZE = 50;

/** Where `concurrency: 'auto'` starts. */
export const AUTO_START_CONCURRENCY = 8;

/** The most batches `concurrency: 'auto'` keeps in flight (the model's `maxConcurrency` may bound it lower). */
export const AUTO_MAX_CONCURRENCY = 64;
