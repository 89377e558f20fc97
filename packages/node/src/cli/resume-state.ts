/**
 * The file `--resume` continues from, next to the output (`out.jsonl` →
 * `out.jsonl.mlpredict-resume.json`): the settings that decide what a row says,
 * and the last checkpoint — rows and bytes written, a hash of those bytes and of
 * the input rows they answer. It is replaced whole (write, then rename), so a
 * crash leaves the old state or the new, never half of one.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Checkpoint } from './row-sink.js';
import { UsageError } from './usage-error.js';

export interface ResumeState {
  kind: 'mlpredict-resume-state';
  version: 1;
  /** Flag → value, for the settings that change what a row says (see `resumeSettings`). */
  settings: Record<string, unknown>;
  checkpoint: Checkpoint;
  /** The run read its whole input. */
  complete: boolean;
}

/**
 * @example
 * stateFilePath('out/sentiments.csv') // → 'out/sentiments.csv.mlpredict-resume.json'
 */
export function stateFilePath(output: string): string {
  return `${output}.mlpredict-resume.json`;
}

/**
 * The state at `path`, or `undefined` when there is none; a file that is not one is a usage error.
 *
 * @example
 * (await readState(stateFilePath('out.jsonl')))?.checkpoint.rows // → 1200
 */
export async function readState(path: string): Promise<ResumeState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`--resume: cannot read "${path}": ${(error as Error).message}`);
  }
  let state: Partial<ResumeState>;
  try {
    state = JSON.parse(text) as Partial<ResumeState>;
  } catch {
    state = {};
  }
  const cp = state.checkpoint;
  const valid =
    state.kind === 'mlpredict-resume-state' && state.version === 1 && typeof state.settings === 'object' && state.settings !== null &&
    cp !== undefined && Number.isInteger(cp.rows) && Number.isInteger(cp.bytes) && typeof cp.inputSha256 === 'string' && typeof cp.outputSha256 === 'string';
  if (!valid) throw new UsageError(`--resume: "${path}" is not a resume state this version of mlpredict wrote; run without --resume to start over`);
  return state as ResumeState;
}

/**
 * The settings that differ between two runs, each named by its flag, with the
 * values when they are short enough to show.
 *
 * @example
 * settingsDifferences({ '--model': 'gpt-4o' }, { '--model': 'gpt-4o-mini' }) // → ['--model (was "gpt-4o", now "gpt-4o-mini")']
 */
export function settingsDifferences(then: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const names = [...new Set([...Object.keys(now), ...Object.keys(then)])];
  return names
    .filter((name) => !isDeepStrictEqual(then[name] ?? null, now[name] ?? null))
    .map((name) => {
      const [was, is] = [JSON.stringify(then[name] ?? null), JSON.stringify(now[name] ?? null)];
      return was.length + is.length <= 80 ? `${name} (was ${was}, now ${is})` : name;
    });
}

/**
 * Saves checkpoints as they come, one write at a time, always the newest; `close`
 * waits for the writes in progress and saves the final state.
 *
 * @example
 * const saver = new StateSaver(stateFilePath('out.jsonl'), settings);
 * sink = new RowSink(stream, { …, onCheckpoint: (cp) => saver.offer(cp) });
 * await saver.close(await sink.finish(), true);
 */
export class StateSaver {
  readonly #path: string;
  readonly #settings: Record<string, unknown>;
  #pending: Checkpoint | undefined;
  #writing: Promise<void> | undefined;

  constructor(path: string, settings: Record<string, unknown>) {
    this.#path = path;
    this.#settings = settings;
  }

  /** Saves `checkpoint` soon (a newer one offered meanwhile replaces it). */
  offer(checkpoint: Checkpoint): void {
    this.#pending = checkpoint;
    this.#writing ??= this.#drain();
  }

  /** Saves `checkpoint` now, as an unfinished run's; throws if that fails. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await this.#writing;
    await this.#save(checkpoint, false);
  }

  /** Resolves once no save is in progress (the last offered one is on disk, or failed). */
  async idle(): Promise<void> {
    await this.#writing;
  }

  /** Saves the final state; throws if that save fails. */
  async close(checkpoint: Checkpoint, complete: boolean): Promise<void> {
    this.#pending = undefined;
    await this.#writing;
    await this.#save(checkpoint, complete);
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const checkpoint = this.#pending;
      this.#pending = undefined;
      // A checkpoint that cannot be saved only costs rows redone; the final save reports the problem.
      await this.#save(checkpoint, false).catch(() => undefined);
    }
    this.#writing = undefined;
  }

  async #save(checkpoint: Checkpoint, complete: boolean): Promise<void> {
    const state: ResumeState = { kind: 'mlpredict-resume-state', version: 1, settings: this.#settings, checkpoint, complete };
    const temporary = `${this.#path}.tmp`;
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temporary, this.#path);
  }
}
