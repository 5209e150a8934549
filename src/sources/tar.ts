import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { LayerlabError } from '../errors.js';

/** Why a tar entry name (or link target) is refused, or undefined when it stays inside the root. */
export function entryEscapes(name: string): string | undefined {
  if (name.startsWith('/')) return 'is an absolute path';
  let depth = 0;
  for (const part of name.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return 'escapes the archive root with ..';
  }
  return undefined;
}

function checkHeader(h: tar.Header, where: { file?: string }): void {
  const bad = entryEscapes(h.name);
  if (bad) throw new LayerlabError('EINPUT', `tar entry ${JSON.stringify(h.name)} ${bad}`, where);
  if (h.type === 'link' && h.linkname) {
    const badLink = entryEscapes(h.linkname);
    if (badLink) throw new LayerlabError('EINPUT', `tar hard link ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)} ${badLink}`, where);
  }
}

function wrap(e: unknown, what: string, where: { file?: string }): LayerlabError {
  if (e instanceof LayerlabError) return e;
  return new LayerlabError('EINPUT', `${what}: ${(e as Error).message ?? String(e)}`, where);
}

/** Calls `fn` for each entry of a tar stream, in order; entries it does not consume are skipped. */
export async function forEachTarEntry(input: Readable, file: string, fn: (header: tar.Header, body: Readable) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(input, extract).catch((e: unknown) => {
    throw wrap(e, 'corrupt or truncated tar archive', { file });
  });
  try {
    for await (const entry of extract) {
      checkHeader(entry.header, { file });
      await fn(entry.header, entry as unknown as Readable);
      entry.resume();
    }
  } catch (e) {
    extract.destroy();
    feeding.catch(() => undefined);
    throw wrap(e, 'corrupt or truncated tar archive', { file });
  }
  await feeding;
}

/** Reads a stream fully into memory, refusing more than `limit` bytes. */
export async function readAll(body: Readable, limit: number, where: { file?: string; path?: string }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) throw new LayerlabError('EINPUT', `larger than ${limit} bytes, more than a metadata file can be`, where);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What measuring a layer blob finds. */
export interface LayerMeasure {
  /** sha256 of the bytes as stored (compressed or not). */
  blobDigest: string;
  blobSize: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Sum of the tar entries' sizes: what Docker records as the layer's size. */
  size: number;
  compression: 'gzip' | 'none';
}

class Tap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Decompresses when the stream starts with the gzip magic; refuses zstd with a clear message. */
class MaybeGunzip extends Transform {
  private inner: Transform | undefined;
  private decided = false;
  compression: 'gzip' | 'none' = 'none';
  constructor(private readonly where: { file?: string; path?: string }) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.decided) {
      this.decided = true;
      if (chunk[0] === 0x28 && chunk[1] === 0xb5 && chunk[2] === 0x2f && chunk[3] === 0xfd) {
        cb(new LayerlabError('EINPUT', 'zstd-compressed layers are not supported yet', this.where));
        return;
      }
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        this.compression = 'gzip';
        this.inner = createGunzip();
        this.inner.on('data', (d: Buffer) => this.push(d));
        this.inner.on('error', (e) => this.destroy(e));
      }
    }
    if (this.inner) {
      if (this.inner.write(chunk)) cb();
      else this.inner.once('drain', () => cb());
    } else cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (!this.inner) return cb();
    this.inner.once('end', () => cb());
    this.inner.end();
  }
}

/**
 * Streams a layer blob once: digest of the stored bytes, gunzip when gzip, diffID of the tar,
 * and the size Docker records (sum of entry sizes, so a hard link counts once). Never holds the
 * layer in memory; refuses entries that escape the root.
 */
export async function measureLayer(input: Readable, where: { file?: string; path?: string }): Promise<LayerMeasure> {
  const raw = new Tap();
  const gunzip = new MaybeGunzip(where);
  const plain = new Tap();
  const extract = tar.extract();
  let size = 0;
  const feeding = pipeline(input, raw, gunzip, plain, extract);
  try {
    for await (const entry of extract) {
      checkHeader(entry.header, where);
      size += entry.header.size ?? 0;
      entry.resume();
    }
    await feeding;
  } catch (e) {
    feeding.catch(() => undefined);
    throw wrap(e, 'corrupt or truncated layer', where);
  }
  return {
    blobDigest: 'sha256:' + raw.hash.digest('hex'),
    blobSize: raw.bytes,
    diffId: 'sha256:' + plain.hash.digest('hex'),
    size,
    compression: gunzip.compression,
  };
}

/** A readable of a buffer (for tests and in-memory blobs). */
export function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
