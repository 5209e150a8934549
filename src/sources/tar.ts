import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import { LayerlabError, quote } from '../errors.js';
import { createHash, type Hash } from 'node:crypto';
import { VerifyingStream } from './hashing.js';
import { readStreamBounded } from './bounded.js';

/**
 * Why a tar entry name (or hard link target) is refused, or undefined when it stays inside the root.
 * A leading `/` is not refused: moby's Unpack cleans each name and joins it under the root, so
 * `/etc/x` lands at `etc/x` (pkg/archive/archive.go, `hdr.Name = filepath.Clean(hdr.Name)`).
 */
export function entryEscapes(name: string): string | undefined {
  let depth = 0;
  for (const part of name.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return 'escapes the archive root with ..';
  }
  return undefined;
}

type Where = { file?: string; path?: string };

function checkHeader(h: tar.Header, where: Where): void {
  const bad = entryEscapes(h.name);
  if (bad) throw new LayerlabError('EINPUT', `tar entry ${quote(h.name)} ${bad}`, where);
  if (h.type === 'link' && h.linkname) {
    const badLink = entryEscapes(h.linkname);
    if (badLink) throw new LayerlabError('EINPUT', `tar hard link ${quote(h.name)} -> ${quote(h.linkname)} ${badLink}`, where);
  }
}

function wrap(e: unknown, what: string, where: Where): LayerlabError {
  if (e instanceof LayerlabError) return e;
  const message = (e as Error)?.message ?? String(e);
  return new LayerlabError('EINPUT', `${what}: ${message.length > 200 ? message.slice(0, 200) + '…' : message}`, where);
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

/** Reads a stream fully into memory, refusing more than `limit` bytes (a metadata file). */
export async function readAll(body: Readable, limit: number, where: Where): Promise<Buffer> {
  return readStreamBounded(body, limit, 'metadata file', where);
}

// Moved to sniff.ts so that load.ts can tell sources apart without loading tar-stream and fzstd.
import { compressionOf, isTarHeader } from './sniff.js';
export { compressionOf, isTarHeader };

/**
 * zstd as a Transform, through fzstd (pure JS, streaming, block by block: memory is the frame's
 * window, not the layer). Windows above zstd's own default decoding limit are refused up front.
 */
export class ZstdDecompressStream extends Transform {
  private readonly z = new ZstdDecompress((d) => {
    if (d.length) this.push(Buffer.from(d.buffer, d.byteOffset, d.length));
  });
  private first = true;
  constructor(private readonly where: Where = {}) {
    super();
  }
  private feed(chunk: Uint8Array, final: boolean, cb: TransformCallback): void {
    try {
      if (this.first && chunk.length >= 6) {
        this.first = false;
        const window = zstdWindow(chunk);
        if (window > ZSTD_MAX_WINDOW) return cb(new LayerlabError('EINPUT', `zstd frame needs a ${window}-byte window, more than the ${ZSTD_MAX_WINDOW} bytes zstd itself decodes by default`, this.where));
      }
      this.z.push(chunk, final);
      cb();
    } catch (e) {
      cb(new LayerlabError('EINPUT', `corrupt zstd stream: ${(e as Error).message}`, this.where));
    }
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk, false, cb);
  }
  override _flush(cb: TransformCallback): void {
    this.feed(new Uint8Array(0), true, cb);
  }
}

/** zstd's ZSTD_WINDOWLOG_LIMIT_DEFAULT (2^27): `zstd -d` refuses larger windows without --memory. */
const ZSTD_MAX_WINDOW = 2 ** 27;

/** The window a zstd frame header declares (its content size for single-segment frames); 0 for anything else. */
function zstdWindow(h: Uint8Array): number {
  if (compressionOf(Buffer.from(h.buffer, h.byteOffset, Math.min(4, h.length))) !== 'zstd') return 0;
  const flags = h[4];
  if (((flags >> 5) & 1) === 0) {
    const exp = 10 + (h[5] >> 3);
    const base = 2 ** exp;
    return base + (base / 8) * (h[5] & 7);
  }
  const fcsBytes = [1, 2, 4, 8][flags >> 6];
  const dictBytes = [0, 1, 2, 4][flags & 3];
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + (h[5 + dictBytes + i] ?? 0);
  return fcsBytes === 2 ? size + 256 : size;
}

/** Output buffers of gunzip: zlib's default 16 KiB makes a stream call per 16 KiB; 256 KiB halves gunzip's time. */
const GUNZIP_CHUNK = 256 * 1024;
/** Decompressed buffers waiting for the consumer before the decompressor is paused. */
const QUEUE_LIMIT = 8;

/**
 * Decompresses gzip and zstd streams, told by their magic bytes; anything else passes through.
 * Decompressed buffers are handed on from a setImmediate, not from zlib's callback: zlib starts
 * inflating the next buffer on the libuv threadpool as soon as its callback returns, so inflating
 * overlaps with the hashing and parsing the consumer does on the main thread.
 */
class MaybeGunzip extends Transform {
  private inner: Transform | undefined;
  private pending: Buffer[] = [];
  private seen = 0;
  private decided = false;
  private readonly queue: Buffer[] = [];
  private scheduled = false;
  private innerEnded = false;
  private flushed: TransformCallback | undefined;
  compression: 'gzip' | 'zstd' | 'none' = 'none';
  constructor(private readonly where: Where) {
    super({ readableHighWaterMark: GUNZIP_CHUNK });
  }
  private decide(head: Buffer): void {
    this.decided = true;
    const c = compressionOf(head);
    if (c === 'none') return;
    this.compression = c;
    const inner = c === 'gzip' ? createGunzip({ chunkSize: GUNZIP_CHUNK }) : new ZstdDecompressStream(this.where);
    this.inner = inner;
    inner.on('data', (d: Buffer) => {
      this.queue.push(d);
      if (this.queue.length >= QUEUE_LIMIT) inner.pause();
      this.schedule();
    });
    inner.on('end', () => {
      this.innerEnded = true;
      this.schedule();
    });
    inner.on('error', (e) => this.destroy(e));
  }
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }
  private drain(): void {
    this.scheduled = false;
    if (this.destroyed) return;
    while (this.queue.length > 0) {
      if (!this.push(this.queue.shift())) break;
    }
    if (this.queue.length < QUEUE_LIMIT && this.inner?.isPaused()) this.inner.resume();
    if (this.queue.length === 0 && this.innerEnded && this.flushed) {
      const cb = this.flushed;
      this.flushed = undefined;
      cb();
    }
  }
  override _read(size: number): void {
    if (this.queue.length > 0) this.schedule();
    super._read(size);
  }
  private forward(chunk: Buffer, cb: TransformCallback): void {
    if (!this.inner) return cb(null, chunk);
    if (this.inner.write(chunk)) cb();
    else this.inner.once('drain', () => cb());
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.decided) return this.forward(chunk, cb);
    this.pending.push(chunk);
    this.seen += chunk.length;
    if (this.seen < 4) return cb();
    const all = Buffer.concat(this.pending);
    this.pending = [];
    this.decide(all);
    this.forward(all, cb);
  }
  override _flush(cb: TransformCallback): void {
    if (!this.decided && this.seen > 0) {
      const all = Buffer.concat(this.pending);
      this.decide(all);
      if (!this.inner) {
        this.push(all);
        return cb();
      }
      this.inner.write(all);
    }
    if (!this.inner) return cb();
    this.flushed = cb;
    this.inner.end();
    this.schedule();
  }
}

/** Bytes scanLayer itself passed to sha256 (blob and diffID), over the process: what tests and benches count. */
export const scanStats = { hashedBytes: 0 };

/**
 * Counts the bytes going through and hashes them unless `skip()` says another hash already covers
 * them: a blob the BlobProvider verifies as it streams, or a tar that was not compressed (its
 * diffID is its blob digest). Hashing each byte once is most of the scan's time.
 */
class CountingTap extends Transform {
  bytes = 0;
  private hash: Hash | undefined;
  private decided = false;
  constructor(private readonly skip: () => boolean) {
    super({ readableHighWaterMark: GUNZIP_CHUNK, writableHighWaterMark: GUNZIP_CHUNK });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.decided) {
      this.decided = true;
      if (!this.skip()) this.hash = createHash('sha256');
    }
    if (this.hash) {
      this.hash.update(chunk);
      scanStats.hashedBytes += chunk.length;
    }
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** `sha256:<hex>` of what went through, or undefined when it was skipped. */
  digest(): string | undefined {
    if (!this.decided && !this.skip()) this.hash = createHash('sha256');
    this.decided = true;
    const d = this.hash ? 'sha256:' + this.hash.digest('hex') : undefined;
    this.hash = undefined;
    return d;
  }
}

/** One entry of a layer as visitors see it. */
export interface LayerEntry {
  /** The entry's name, without a leading `./` or trailing `/`. */
  path: string;
  /** The same path with the symlinks seen earlier in the layer resolved (where the entry lands). */
  resolvedPath: string;
  type: tar.Header['type'];
  /** Body size in bytes (0 for links and directories). */
  size: number;
  linkname?: string;
  mode?: number;
  /** Owner from the tar header: a `chown` in a later layer changes these and nothing else. */
  uid?: number;
  gid?: number;
}

/** What a single read of a layer blob tells regardless of its entries. */
export interface LayerStreamFacts {
  /** sha256 of the bytes as stored (compressed or not). */
  blobDigest: string;
  blobSize: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  compression: 'gzip' | 'zstd' | 'none';
}

/**
 * Sees a layer's entries as one scan streams them: measuring, a file index and chunkers are each a
 * visitor, so they share one read (and one decompression) of the layer.
 */
export interface LayerVisitor {
  /** Called for each entry, in tar order, before its body. */
  entry?(e: LayerEntry): void;
  /** Called with each chunk of a regular file's body (only when some visitor has `data`). */
  data?(e: LayerEntry, chunk: Buffer): void;
  /** Called once the whole layer has been read and its digests are known. */
  end?(facts: LayerStreamFacts): void;
  /** Called with the uncompressed tar stream itself, headers included, as it flows (stream chunking). */
  tar?(chunk: Buffer): void;
  /** Awaited after `end`: work the visitor still has in flight (digests on the threadpool). */
  settle?(): Promise<void>;
}

const MAX_LINK_HOPS = 40;

function parts(p: string): string[] {
  return p.split('/').filter((x) => x !== '' && x !== '.');
}

/**
 * Where a layer path lands once the symlinks seen so far are followed in its parent directories:
 * the list of path parts, or a reason it leaves the layer root. Absolute targets start again at
 * the layer root (as the container sees them); `..` above the root is an escape: Docker's chroot
 * would clamp it, but an entry written through such a link is the link-write attack (issue 9).
 */
function resolveIn(links: ReadonlyMap<string, string>, queue: string[], out: string[] = []): string[] | string {
  let hops = 0;
  let via = '';
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '..') {
      if (out.length === 0) return via ? `climbs above the layer root through the symbolic link ${via}` : 'climbs above the layer root';
      out.pop();
      continue;
    }
    out.push(part);
    const target = links.size ? links.get(out.join('/')) : undefined;
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return `goes through more than ${MAX_LINK_HOPS} symbolic links`;
    via = `${quote(out.join('/'))} -> ${quote(target)}`;
    out.pop();
    if (target.startsWith('/')) out.length = 0;
    queue.unshift(...parts(target));
  }
  return out;
}

/** Tracks a layer's symlinks and refuses entries that escape the root through them. */
class LinkTracker {
  private readonly links = new Map<string, string>();
  constructor(private readonly where: Where) {}

  private fail(message: string): never {
    throw new LayerlabError('EINPUT', `${message}: refused, an entry may not land outside the layer`, this.where);
  }

  /** The entry's landing path; records symlinks; refuses escapes. */
  place(h: tar.Header): string {
    const name = parts(h.name);
    const last = name.pop();
    const dir = resolveIn(this.links, name);
    if (typeof dir === 'string') this.fail(`tar entry ${quote(h.name)} ${dir}`);
    if (last === '..') {
      if (dir.length === 0) this.fail(`tar entry ${quote(h.name)} climbs above the layer root`);
      dir.pop();
    }
    const resolved = last === undefined || last === '..' ? dir.join('/') : [...dir, last].join('/');
    if (h.type === 'symlink') {
      // A symlink's target is text: docker load creates it inside a chroot at "/", where `..`
      // stays at "/" (chrootarchive + createTarFile's Join(Dir(path), Linkname) check), so
      // `lib64/ld -> ../../lib/ld.so` loads. Only entries written through it are checked.
      this.links.set(resolved, h.linkname ?? '');
    } else {
      if (this.links.size) this.links.delete(resolved);
      if (h.type === 'link' && h.linkname) {
        const to = resolveIn(this.links, parts(h.linkname));
        if (typeof to === 'string') this.fail(`tar hard link ${quote(h.name)} -> ${quote(h.linkname)} ${to}`);
      }
    }
    return resolved;
  }
}

/**
 * Streams a layer blob once: digest of the stored bytes, gunzip when gzip, diffID of the tar, and
 * each entry (and, when a visitor wants them, each body chunk) handed to every visitor. Never holds
 * the layer in memory; refuses entries that escape the root, directly or through symlinks.
 * `where` names the archive (`file`) and the layer (`path`) in errors.
 */
export async function scanLayer(input: Readable, visitors: readonly LayerVisitor[], where: Where): Promise<LayerStreamFacts> {
  // A provider's VerifyingStream fails the pipeline before its end when the blob does not match
  // its digest, so that digest is the blob's once the read completes: not hashed a second time.
  const verified = input instanceof VerifyingStream ? input.want : undefined;
  const raw = new CountingTap(() => verified !== undefined);
  const gunzip = new MaybeGunzip(where);
  const plain = new CountingTap(() => gunzip.compression === 'none');
  const extract = tar.extract();
  const links = new LinkTracker(where);
  const wantsData = visitors.filter((v) => v.data);
  const wantsTar = visitors.filter((v) => v.tar);
  if (wantsTar.length) {
    plain.on('data', (c: Buffer) => {
      try {
        for (const v of wantsTar) v.tar!(c);
      } catch (e) {
        plain.destroy(e as Error);
      }
    });
  }
  const feeding = pipeline(input, raw, gunzip, plain, extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      checkHeader(h, where);
      const e: LayerEntry = {
        path: parts(h.name).join('/'),
        resolvedPath: links.place(h),
        type: h.type,
        size: h.size ?? 0,
        ...(h.linkname ? { linkname: h.linkname } : {}),
        ...(h.mode !== undefined ? { mode: h.mode } : {}),
        ...(h.uid !== undefined ? { uid: h.uid } : {}),
        ...(h.gid !== undefined ? { gid: h.gid } : {}),
      };
      for (const v of visitors) v.entry?.(e);
      if (wantsData.length && e.size > 0) {
        for await (const chunk of entry) for (const v of wantsData) v.data!(e, chunk as Buffer);
      } else entry.resume();
    }
    await feeding;
  } catch (e) {
    extract.destroy();
    feeding.catch(() => undefined);
    throw wrap(e, 'corrupt or truncated layer', where);
  }
  const blobDigest = verified ?? raw.digest()!;
  const facts: LayerStreamFacts = { blobDigest, blobSize: raw.bytes, diffId: plain.digest() ?? blobDigest, compression: gunzip.compression };
  for (const v of visitors) v.end?.(facts);
  try {
    for (const v of visitors) await v.settle?.();
  } catch (e) {
    throw wrap(e, 'layer content pass failed', where);
  }
  return facts;
}

/** The visitor behind {@link measureLayer}: the size Docker records, the sum of entry sizes (a hard link counts once). */
export function sizeVisitor(): LayerVisitor & { size: number } {
  const v = {
    size: 0,
    entry(e: LayerEntry) {
      v.size += e.size;
    },
  };
  return v;
}

/** What measuring a layer blob finds. */
export interface LayerMeasure extends LayerStreamFacts {
  /** Sum of the tar entries' sizes: what Docker records as the layer's size. */
  size: number;
}

/** {@link scanLayer} with the size visitor (and any others): the measurement readers record. */
export async function measureLayer(input: Readable, where: Where, visitors: readonly LayerVisitor[] = []): Promise<LayerMeasure> {
  const size = sizeVisitor();
  const facts = await scanLayer(input, [size, ...visitors], where);
  return { ...facts, size: size.size };
}

/** A readable of a buffer (for tests and in-memory blobs). */
export function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
