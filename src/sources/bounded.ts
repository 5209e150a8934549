// Every read that is not streamed goes through here, so no input (a device, a fifo that never
// ends, a 20 GB "manifest") can make layerlab read without bound.
import { closeSync, constants as fsc, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { LayerlabError } from '../errors.js';

/** Largest manifest, index, config, oci-layout or manifest.json read: 16 MiB (real ones are a few KB). */
export const METADATA_LIMIT = 16 * 1024 * 1024;
/** Largest snapshot read: 512 MiB, or the longest string this JavaScript engine can hold if smaller. */
export const SNAPSHOT_LIMIT = Math.min(512 * 1024 * 1024, bufferConstants.MAX_STRING_LENGTH);

function mib(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n} bytes`;
}

function tooLarge(what: string, limit: number, file: string, path?: string, size?: number): LayerlabError {
  const got = size === undefined ? 'more' : `${size} bytes`;
  return new LayerlabError('EINPUT', `${what} is ${got}, larger than the ${mib(limit)} layerlab reads for one (a ${what} this large is not one)`, { file, ...(path ? { path } : {}) });
}

/** What kind of non-regular file this is, for messages. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function ioError(e: unknown, file: string): LayerlabError {
  const code = (e as NodeJS.ErrnoException).code;
  // Node's message repeats the path (`ENAMETOOLONG: name too long, stat '…'`): the error names the file once
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message.replace(/, \w+ '[^]*'$/, '');
  return new LayerlabError('EIO', `cannot read: ${why}`, { file });
}

/** stat() with a LayerlabError (naming the file) instead of an errno exception. */
export function statOrFail(file: string): Stats {
  try {
    return statSync(file);
  } catch (e) {
    throw ioError(e, file);
  }
}

/**
 * Reads a regular file whole, refusing one larger than `limit` (checked before and while reading,
 * so a file that grows is caught too) and anything that is not a regular file.
 * `what` names the document in messages ("manifest", "config"); `label`/`path` place the error.
 */
export function readBoundedSync(file: string, limit: number, what: string, place: { label?: string; path?: string } = {}): Buffer {
  const label = place.label ?? file;
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    throw ioError(e, label);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LayerlabError('EINPUT', `${what} is ${fileKind(st)}, not a regular file`, { file: label, ...(place.path ? { path: place.path } : {}) });
    if (st.size > limit) throw tooLarge(what, limit, label, place.path, st.size);
    const buf = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(st.size + 1, 64 * 1024)));
    let n = 0;
    let out = buf;
    for (;;) {
      if (n === out.length) {
        if (n > limit) throw tooLarge(what, limit, label, place.path);
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, out.length * 2));
        out.copy(bigger, 0, 0, n);
        out = bigger;
      }
      const got = readSync(fd, out, n, out.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > limit) throw tooLarge(what, limit, label, place.path);
    }
    return out.subarray(0, n);
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    throw ioError(e, label);
  } finally {
    closeSync(fd);
  }
}

/** Reads a stream whole, refusing more than `limit` bytes. */
export async function readStreamBounded(body: Readable, limit: number, what: string, place: { file?: string; path?: string }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) {
      body.destroy();
      throw tooLarge(what, limit, place.file ?? '-', place.path);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, n);
}

/**
 * Reads a file, a pipe or fifo (`<(cat f)`), or standard input (`-`) whole, bounded by `limit`.
 * Devices, sockets and directories are refused with what they are.
 */
export async function readBounded(file: string, limit: number, what: string, stdin: Readable = process.stdin): Promise<Buffer> {
  if (file === '-') return readStreamBounded(stdin, limit, what, { file: '-' });
  const st = statOrFail(file);
  if (st.isFile()) return readBoundedSync(file, limit, what);
  if (st.isFIFO()) {
    let stream: Readable;
    try {
      stream = createReadStream(file);
    } catch (e) {
      throw ioError(e, file);
    }
    try {
      return await readStreamBounded(stream, limit, what, { file });
    } catch (e) {
      if (e instanceof LayerlabError) throw e;
      throw ioError(e, file);
    }
  }
  throw new LayerlabError('EINPUT', `is ${fileKind(st)}: a ${what} is read from a regular file, a pipe, or - (standard input)`, { file });
}
