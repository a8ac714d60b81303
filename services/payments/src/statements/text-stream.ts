import { TextDecoder } from 'node:util';
import { StatementFormatError } from './statement-model.js';

/** What a parser reads: the file's bytes (or text) as they arrive, a request body or a file stream. */
export type StatementSource = AsyncIterable<Uint8Array | string>;

/** The labels a statement may name its encoding with, as TextDecoder knows them. */
function decoderFor(label: string): TextDecoder {
  try {
    return new TextDecoder(label.trim().toLowerCase());
  } catch {
    throw new StatementFormatError(`the file's encoding "${label}" is not one this service reads (UTF-8, UTF-16, ISO-8859-1, Windows-1252...)`, { line: 1 });
  }
}

/**
 * The text of a byte stream, decoded chunk by chunk (a character split between two chunks is
 * joined): `charset` names the encoding (UTF-8 when omitted); a byte-order mark is dropped.
 */
export async function* decodeText(source: StatementSource, charset = 'utf-8'): AsyncGenerator<string> {
  const decoder = decoderFor(charset);
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * An XML document's text: its encoding from a byte-order mark (UTF-16) or the XML declaration's
 * `encoding` (read from the first bytes), UTF-8 otherwise.
 */
export async function* decodeXml(source: StatementSource): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  let charset = 'utf-8';
  if (typeof head !== 'string') {
    if (head[0] === 0xff && head[1] === 0xfe) charset = 'utf-16le';
    else if (head[0] === 0xfe && head[1] === 0xff) charset = 'utf-16be';
    else {
      const declaration = /^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(Buffer.from(head.subarray(0, 200)).toString('latin1'));
      if (declaration) charset = declaration[1]!;
    }
  }
  const rest: AsyncIterable<Uint8Array | string> = {
    [Symbol.asyncIterator]: () => {
      let sentFirst = false;
      return {
        next: async () => {
          if (!sentFirst) {
            sentFirst = true;
            return { done: false, value: head };
          }
          return iterator.next();
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  yield* decodeText(rest, charset);
}

/** A source made of one string or buffer (tests, small files). */
export async function* sourceOf(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array | string> {
  for (const part of parts) yield part;
}
