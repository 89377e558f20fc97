/**
 * The simulator's `/v1/files`: uploaded files and the Batch API's output and
 * error files, kept in memory for the simulator's life.
 */

/** The purposes a client may upload with (OpenAI's `FilePurpose`). */
export const UPLOAD_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;

/** Every purpose a stored file may have: the uploadable ones and what the server writes. */
export type FilePurpose = (typeof UPLOAD_PURPOSES)[number] | 'batch_output';

/** One stored file. */
export interface StoredFile {
  id: string;
  filename: string;
  purpose: FilePurpose;
  content: Buffer;
  /** Unix seconds. */
  createdAt: number;
}

/** OpenAI batch input files (and batch outputs) expire after 30 days. */
const BATCH_FILE_LIFE_S = 30 * 24 * 60 * 60;

export class FileStore {
  readonly #files = new Map<string, StoredFile>();
  #count = 0;

  /**
   * Stores a file and returns it with its new id.
   *
   * @example
   * const file = new FileStore().add(Buffer.from('{}\n'), 'requests.jsonl', 'batch');
   * file.id; // → 'file-sim000001'
   */
  add(content: Buffer, filename: string, purpose: FilePurpose): StoredFile {
    const file: StoredFile = { id: `file-sim${(++this.#count).toString(16).padStart(6, '0')}`, filename, purpose, content, createdAt: Math.floor(Date.now() / 1000) };
    this.#files.set(file.id, file);
    return file;
  }

  get(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }

  /** Every file, oldest first. */
  all(): StoredFile[] {
    return [...this.#files.values()];
  }
}

/**
 * A file as the API shows it (OpenAI's `FileObject`).
 *
 * @example
 * fileObject(file); // → { id: 'file-sim000001', object: 'file', bytes: 3, created_at: …, filename: 'requests.jsonl', purpose: 'batch', status: 'processed', … }
 */
export function fileObject(file: StoredFile) {
  const expires = file.purpose === 'batch' || file.purpose === 'batch_output';
  return {
    id: file.id,
    object: 'file' as const,
    bytes: file.content.length,
    created_at: file.createdAt,
    expires_at: expires ? file.createdAt + BATCH_FILE_LIFE_S : null,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed' as const,
    status_details: null,
  };
}
