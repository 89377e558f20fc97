/**
 * `--resume`: where a run continues. The output's resume state must hold the same
 * settings; the output must still begin with the bytes the state vouches for
 * (anything after them — a torn last line, rows written after the last
 * checkpoint — is cut); and the input's first rows must be the ones those output
 * rows answer. Rows are matched by their number in the input, not by file line,
 * so CSV records that span lines resume like any other.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { rowDigest, type InputRow } from './input-row.js';
import { readState, settingsDifferences, stateFilePath } from './resume-state.js';
import type { Checkpoint, SinkStart } from './row-sink.js';
import { UsageError } from './usage-error.js';

/**
 * A file with nothing in it yet.
 *
 * @example
 * new RowSink(stream, { formatter, start: freshStart() });
 */
export function freshStart(): SinkStart {
  return { rows: 0, bytes: 0, inputHash: createHash('sha256'), outputHash: createHash('sha256') };
}

/**
 * The checkpoint of an empty output: nothing to keep.
 *
 * @example
 * await saver.save(emptyCheckpoint()); // a run killed before its first row leaves a state saying so
 */
export function emptyCheckpoint(): Checkpoint {
  const empty = createHash('sha256').digest('hex');
  return { rows: 0, bytes: 0, inputSha256: empty, outputSha256: empty };
}

/**
 * Checks that `output` can be continued with these settings and this input, and
 * reads past the input rows already done. Returns where to continue: the rows and
 * bytes to keep (the output is to be cut to `bytes`), or a fresh start when there
 * is nothing to continue. Refuses, with a `UsageError` that says why, otherwise.
 *
 * @example
 * const start = await resumePoint('out.jsonl', settings, reader.rows);
 * // → { rows: 1200, bytes: 183422, … }; reader.rows now yields row 1201 next
 */
export async function resumePoint(output: string, settings: Record<string, unknown>, rows: AsyncIterator<InputRow>): Promise<SinkStart> {
  const statePath = stateFilePath(output);
  const state = await readState(statePath);
  const size = await fileSize(output);
  const refuse = (why: string): never => {
    throw new UsageError(`cannot resume "${output}": ${why}`, { showHelp: false });
  };
  if (!state) {
    if (size > 0) refuse(`it has no resume state ("${statePath}"), so its rows cannot be matched to the input. Run without --resume to overwrite it, or write to another --output`);
    return freshStart();
  }
  const differences = settingsDifferences(state.settings, settings);
  if (differences.length > 0) {
    refuse(`it was made with other settings: ${differences.join(', ')}. Run without --resume to start over with the new ones, or write to another --output`);
  }
  const { rows: done, bytes, outputSha256, inputSha256 } = state.checkpoint;
  if (done === 0) return freshStart();
  if (size < bytes) refuse(`it is shorter (${size} bytes) than the ${bytes} bytes its resume state vouches for; it was changed after mlpredict wrote it`);
  const outputHash = await hashPrefix(output, bytes);
  if (outputHash.copy().digest('hex') !== outputSha256) refuse(`its first ${bytes} bytes are not what mlpredict wrote; it was changed after mlpredict wrote it`);

  const inputHash = createHash('sha256');
  for (let n = 0; n < done; n++) {
    const next = await rows.next();
    if (next.done) refuse(`the input has only ${n} rows, but the output already answers ${done}; is it the same input?`);
    inputHash.update(rowDigest(next.value as InputRow));
  }
  if (inputHash.copy().digest('hex') !== inputSha256) refuse(`the input is not the one its ${done} rows were made from (its first ${done} rows differ)`);
  return { rows: done, bytes, inputHash, outputHash };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function hashPrefix(path: string, bytes: number) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash;
}
