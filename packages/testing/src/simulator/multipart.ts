/**
 * Reads a `multipart/form-data` upload (what the openai SDK sends to
 * `POST /v1/files`) with the multipart parser built into Node's fetch
 * (`Response.formData()`), so no parser of our own.
 */
import type { IncomingMessage } from 'node:http';

/** A parsed form: its text fields and its file fields. */
export interface UploadForm {
  fields: Map<string, string>;
  files: Map<string, { filename: string; content: Buffer }>;
}

/** Why an upload could not be read. */
export type UploadProblem = { kind: 'tooLarge'; limit: number } | { kind: 'notMultipart' } | { kind: 'malformed' } | { kind: 'clientGone' };

/**
 * Reads and parses the request's multipart body; refuses one over `maxBytes`
 * without holding more of it (the rest is read and dropped, so the client gets
 * the answer rather than a broken pipe).
 *
 * @example
 * const form = await readUploadForm(req, 512 * 1024 * 1024);
 * if ('kind' in form) …; else form.fields.get('purpose'); // → 'batch'
 */
export async function readUploadForm(req: IncomingMessage, maxBytes: number): Promise<UploadForm | UploadProblem> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(contentType)) return { kind: 'notMultipart' };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    }
  } catch {
    return { kind: 'clientGone' };
  }
  if (size > maxBytes) return { kind: 'tooLarge', limit: maxBytes };
  let data: FormData;
  try {
    data = await new Response(Buffer.concat(chunks), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return { kind: 'malformed' };
  }
  const form: UploadForm = { fields: new Map(), files: new Map() };
  for (const [name, value] of data) {
    if (typeof value === 'string') form.fields.set(name, value);
    else form.files.set(name, { filename: value.name, content: Buffer.from(await value.arrayBuffer()) });
  }
  return form;
}
