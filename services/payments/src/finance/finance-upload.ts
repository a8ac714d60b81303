import busboy from 'busboy';
import type { Request } from 'express';
import type { StatementUploads } from '../statements/statement-upload.js';
import type { UploadShown } from './finance-pages.js';

/** The page's status for each outcome of an upload. */
export const UPLOAD_STATUS: Record<UploadShown['outcome'], number> = {
  accepted: 200,
  rejected: 422,
  conflict: 409,
  too_large: 413,
  empty: 400,
  not_form: 400,
  csrf: 403,
};

/**
 * The statement file of the console's upload form (multipart/form-data), streamed to the import as
 * it arrives: the form's CSRF field comes before the file (the page puts it first), so it is
 * checked before a byte of the file is read; without it the file is read and dropped. One file,
 * field `statement`; other parts are dropped. Whatever the import leaves unread is drained, so the
 * answer reaches the browser.
 */
export function receiveStatement(req: Request, { uploads, maxBytes, csrfMatches, actor }: { uploads: StatementUploads; maxBytes: number; csrfMatches: (given: unknown) => boolean; actor: string }): Promise<UploadShown> {
  if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    return Promise.resolve({ outcome: 'not_form' });
  }
  return new Promise<UploadShown>((resolve, reject) => {
    let csrf: string | undefined;
    let work: Promise<UploadShown> | undefined;
    let parser: busboy.Busboy;
    try {
      // One more byte than is taken: the import sees it and says the file is too large.
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12, fileSize: maxBytes + 1 } });
    } catch {
      req.resume();
      return resolve({ outcome: 'not_form' });
    }
    parser.on('field', (name, value) => {
      if (name === 'csrf') csrf = value;
    });
    parser.on('file', (name, stream) => {
      if (name !== 'statement' || work) return void stream.resume();
      if (!csrfMatches(csrf)) {
        work = Promise.resolve({ outcome: 'csrf' });
        return void stream.resume();
      }
      work = uploads.upload(stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>, actor).finally(() => stream.resume());
    });
    parser.on('close', () => resolve(work ?? (csrfMatches(csrf) ? { outcome: 'empty' } : { outcome: 'csrf' })));
    parser.on('error', () => {
      req.unpipe(parser);
      req.resume();
      resolve(work ?? { outcome: 'not_form' });
    });
    req.on('error', reject);
    req.pipe(parser);
  });
}
