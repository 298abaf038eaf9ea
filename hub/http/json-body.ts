import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';

/**
 * What reading a request's JSON body came to: no body to parse (none sent, or not a JSON media type: the
 * stream is left unread for whoever serves the request), the parsed value, or a body refused as too large or
 * as not JSON. A charset or content coding that cannot be decoded is thrown.
 */
export type JsonBody =
  { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'too-large' } | { kind: 'not-json' };

/** `type/subtype` as media-typer checks it (the value is in lower case by then). */
const MEDIA_TYPE = /^ *([a-z0-9][a-z0-9!#$&^_-]{0,126})\/([a-z0-9][a-z0-9!#$&^_.+-]{0,126}) *$/;
const FIRST_NON_SPACE = /[^ \t\n\r]/;

/**
 * Reads and parses a request's body exactly as express's JSON body-parser did on these routes (types
 * `application/json` and `application/*+json`): a body is there when `Transfer-Encoding` or a numeric
 * `Content-Length` says so; charsets `utf-*` (utf-8 by default) decoded by iconv-lite; content codings gzip,
 * deflate, br and zstd; at most `limit` bytes after decoding; an empty body is `{}`; the value must be an
 * object or an array.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody> {
  const { headers } = req;
  if (headers['transfer-encoding'] === undefined && Number.isNaN(Number(headers['content-length'])))
    return { kind: 'none' };
  const type = headers['content-type'];
  if (!type || !isJsonMediaType(type)) return { kind: 'none' };
  const charset: string = charsetOf(type) ?? 'utf-8';
  if (charset.slice(0, 4) !== 'utf-') throw unsupportedCharset(charset);
  const coding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  const stream = coding === 'identity' ? req : decompressed(req, coding);
  if (coding === 'identity' && Number(headers['content-length']) > limit) return drained(req);
  if (!iconv.encodingExists(charset)) throw unsupportedCharset(charset);
  const bytes = await collected(stream, limit);
  if (stream !== req) {
    req.unpipe();
    stream.destroy();
  }
  if (!bytes) return drained(req);
  if (stream !== req) req.resume();
  return parsed(iconv.decode(bytes, charset));
}

/** The stream's bytes, or null past `limit` (it is left flowing into nothing). */
function collected(stream: Readable, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        settle();
        resolve(null);
      }
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onClose = () => onError(new Error('request aborted'));
    stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** body-parser's strict JSON: `{}` for nothing, else an object or an array. */
function parsed(text: string): JsonBody {
  if (text.length === 0) return { kind: 'json', value: {} };
  const first = FIRST_NON_SPACE.exec(text)?.[0];
  if (first !== '{' && first !== '[') return { kind: 'not-json' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'not-json' };
  }
}

/** Whether the Content-Type names `application/json` or `application/<anything>+json`. */
function isJsonMediaType(header: string): boolean {
  const end = header.indexOf(';');
  const match = MEDIA_TYPE.exec(trimOws(end === -1 ? header : header.slice(0, end)).toLowerCase());
  if (!match || match[1] !== 'application') return false;
  const subtype = match[2] ?? '';
  return subtype === 'json' || subtype.endsWith('+json');
}

/**
 * The Content-Type's first `charset` parameter in lower case, read as the `content-type` package reads
 * parameters: `;`-separated, optional white space, a value quoted (with `\` escapes) or up to the next `;`.
 */
function charsetOf(header: string): string | undefined {
  let index = header.indexOf(';');
  while (index !== -1) {
    const eq = header.indexOf('=', index + 1);
    const next = header.indexOf(';', index + 1);
    if (eq === -1) return undefined;
    if (next !== -1 && next < eq) {
      index = next;
      continue;
    }
    const key = trimOws(header.slice(index + 1, eq)).toLowerCase();
    let at = eq + 1;
    while (header[at] === ' ' || header[at] === '\t') at++;
    let value = '';
    if (header[at] === '"') {
      for (at++; at < header.length && header[at] !== '"'; at++) {
        if (header[at] === '\\' && at + 1 < header.length) at++;
        value += header[at];
      }
      // An unterminated quoted value is no parameter, and takes the rest of the header.
      if (at >= header.length) return undefined;
      index = header.indexOf(';', at);
    } else {
      index = header.indexOf(';', at);
      value = trimOws(header.slice(at, index === -1 ? header.length : index));
    }
    if (key === 'charset') return value.toLowerCase();
  }
  return undefined;
}

function unsupportedCharset(charset: string): Error {
  return new Error(`unsupported charset "${charset.toUpperCase()}"`);
}

function trimOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

const DECOMPRESSORS: Record<string, () => Readable & NodeJS.WritableStream> = {
  gzip: () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  zstd: () => zlib.createZstdDecompress(),
};

function decompressed(req: IncomingMessage, coding: string): Readable {
  const make = Object.hasOwn(DECOMPRESSORS, coding) ? DECOMPRESSORS[coding] : undefined;
  if (!make) throw new Error(`unsupported content encoding "${coding}"`);
  return req.pipe(make());
}

/** The rest of the request read off before answering, so that the client is not cut off mid-send. */
function drained(req: IncomingMessage): Promise<JsonBody> {
  return new Promise((resolve) => {
    const done = () => resolve({ kind: 'too-large' });
    if (req.complete || req.destroyed) return done();
    req.unpipe();
    req.once('end', done).once('close', done);
    req.resume();
  });
}
