// The records of a snapshot as the reading thread (snapshot-worker.ts) hands them to the main
// thread (snapshot-pipeline.ts): each call the stream reader makes on its loader becomes an op in
// a batch of three typed arrays (ints, numbers, bytes), transferred, not copied. Scanned records go
// as their fields (digests as raw words, refs as layer indices); records in any other shape go as
// the value JSON.parse gave (v8 serialisation keeps -0, and own `__proto__` keys, as they were).
import { readFileSync } from 'node:fs';
import { serialize } from 'node:v8';
import type { SharedDigestTable } from './digest-table.js';
import type { FastRecords } from './snapshot-fast.js';

export const OP_LAYER = 1;
export const OP_IMAGE = 2;
/** A record in another shape: [op, section, i, line, trusted, length] + its value's bytes. */
export const OP_SLOW = 3;
export const OP_KIND = 4;
export const OP_VERSION = 5;
export const OP_META = 6;
export const OP_FLUSH = 7;
export const OP_IMAGES_DONE = 8;
/** [op, line, length] + a serialised {@link BatchError} (as OP_KIND, OP_VERSION and OP_META carry their values). */
export const OP_ERROR = 9;
export const OP_END = 10;
/** The reading thread waits for the loader's layer key table (sent back as {@link KeysReply}). */
export const OP_KEYS = 11;
/** [op, line, length] + the reading thread's {@link ReaderStats}, just before OP_END. */
export const OP_STATS = 12;

/** What the reading thread reports of itself (for benches). */
export interface ReaderStats {
  /** CPU ms (user + sys) the thread used, from /proc/thread-self/stat; NaN where that is not there. */
  cpuMs: number;
  /** Wall ms the thread waited for the main thread: for its queue to drain, and for the layer keys. */
  waitMs: number;
}

/** CPU ms (user + sys) of the calling thread so far: Linux's /proc/thread-self/stat (in clock ticks, 100 a second); NaN elsewhere. */
export function threadCpuMs(): number {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** What the main thread sends back for OP_KEYS: its layer keys as they are when the images section starts. */
export interface KeysReply {
  table: SharedDigestTable;
  entries: Uint32Array;
  layerCount: number;
}

export const SECTION_CODES = ['layers', 'images', 'containers'] as const;

/** An error the reading thread met: a LayerlabError's parts, or an internal failure. */
export interface BatchError {
  code?: string;
  message: string;
  place?: { file?: string; path?: string; line?: number };
}

/** One batch: ops in `ints`, sizes and times in `nums`, strings and values in `bytes`. */
export interface Batch {
  ints: Int32Array;
  nums: Float64Array;
  bytes: Uint8Array;
}

/** How large a batch's arrays are made (a record that needs more gets arrays of its own size). */
export interface BatchSizes {
  ints: number;
  nums: number;
  bytes: number;
}
/** About 1 MB of bytes and ints each: some 4,000 image records. */
export const BATCH_SIZES: BatchSizes = { ints: 1 << 18, nums: 1 << 15, bytes: 1 << 20 };
/** Most distinct media types and platforms remembered (the rest are sent in full every time). */
const INTERN_MAX = 1024;

/** Fills batches and hands each full one to `post` (with its buffers to transfer). */
export class BatchWriter {
  private ints: Int32Array;
  private nums: Float64Array;
  private bytes: Buffer;
  private ni = 0;
  private nn = 0;
  private nb = 0;
  private readonly interned = new Map<string, number>();

  constructor(
    private readonly post: (batch: Batch, transfer: ArrayBuffer[]) => void,
    private readonly sizes: BatchSizes = BATCH_SIZES,
  ) {
    this.ints = new Int32Array(sizes.ints);
    this.nums = new Float64Array(sizes.nums);
    this.bytes = Buffer.allocUnsafeSlow(sizes.bytes);
  }

  /** Makes room for one op; a batch that cannot take it is sent first. */
  private room(ints: number, nums: number, bytes: number): void {
    if (this.ni + ints <= this.ints.length && this.nn + nums <= this.nums.length && this.nb + bytes <= this.bytes.length) return;
    this.send();
    if (ints > this.ints.length) this.ints = new Int32Array(ints);
    if (nums > this.nums.length) this.nums = new Float64Array(nums);
    if (bytes > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(bytes);
  }

  /** Sends what is filled (if anything) and starts a new batch. */
  send(): void {
    if (this.ni === 0) return;
    const batch: Batch = {
      ints: new Int32Array(this.ints.buffer, 0, this.ni),
      nums: new Float64Array(this.nums.buffer, 0, this.nn),
      bytes: new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.nb),
    };
    this.post(batch, [this.ints.buffer as ArrayBuffer, this.nums.buffer as ArrayBuffer, this.bytes.buffer as ArrayBuffer]);
    // The sent arrays are detached now (length 0): new ones of the usual size.
    this.ints = new Int32Array(this.sizes.ints);
    this.nums = new Float64Array(this.sizes.nums);
    this.bytes = Buffer.allocUnsafeSlow(this.sizes.bytes);
    this.ni = this.nn = this.nb = 0;
  }

  op(code: number): void {
    this.room(1, 0, 0);
    this.ints[this.ni++] = code;
  }

  /** A value (kind, version, meta, an error) with its line (0: none). */
  value(code: number, line: number | undefined, v: unknown): void {
    const b = serialize(v);
    this.room(3, 0, b.length);
    this.ints[this.ni++] = code;
    this.ints[this.ni++] = line ?? 0;
    this.ints[this.ni++] = b.length;
    this.bytes.set(b, this.nb);
    this.nb += b.length;
  }

  slow(section: number, i: number, line: number | undefined, trusted: boolean, v: unknown): void {
    const b = serialize(v);
    this.room(6, 0, b.length);
    const ints = this.ints;
    let n = this.ni;
    ints[n++] = OP_SLOW;
    ints[n++] = section;
    ints[n++] = i;
    ints[n++] = line ?? 0;
    ints[n++] = trusted ? 1 : 0;
    ints[n++] = b.length;
    this.ni = n;
    this.bytes.set(b, this.nb);
    this.nb += b.length;
  }

  layer(f: FastRecords, i: number, line: number | undefined): void {
    const media = f.mediaType;
    this.room(21, 2, media === undefined ? 0 : media.length * 3);
    const ints = this.ints;
    let n = this.ni;
    ints[n++] = OP_LAYER;
    ints[n++] = i;
    ints[n++] = line ?? 0;
    ints[n++] = (f.hasDiffId ? 1 : 0) | (f.hasDigest ? 2 : 0);
    const w = f.rawWords;
    if (f.hasDiffId) for (let k = 0; k < 8; k++) ints[n++] = w[k];
    if (f.hasDigest) for (let k = 8; k < 16; k++) ints[n++] = w[k];
    this.ni = n;
    this.internedString(media);
    this.nums[this.nn++] = f.size;
    this.nums[this.nn++] = f.compressedSize;
  }

  /** An image record scanned with `spansOnly` (its repo tags and digests as byte spans of `buf`). */
  image(f: FastRecords, buf: Buffer, i: number, line: number | undefined): void {
    const refs = f.refs();
    const spans = f.spans;
    let bytes = 71 + (f.platform?.length ?? 0) * 3;
    for (let k = 0; k < f.spanCount; k++) bytes += spans[3 * k + 1] - spans[3 * k];
    this.room(17 + refs.length + f.spanCount, 1, bytes);
    const ints = this.ints;
    let n = this.ni;
    ints[n++] = OP_IMAGE;
    ints[n++] = i;
    ints[n++] = line ?? 0;
    const w = f.rawWords;
    for (let k = 0; k < 8; k++) ints[n++] = w[k];
    ints[n++] = refs.length;
    ints.set(refs, n);
    n += refs.length;
    this.ni = n;
    this.spanStrings(buf, spans, 0, f.tagSpans);
    this.spanStrings(buf, spans, f.tagSpans, f.spanCount);
    this.internedString(f.platform);
    if (f.parentAt >= 0) {
      this.ints[this.ni++] = 1;
      buf.copy(this.bytes, this.nb, f.parentAt, f.parentAt + 71);
      this.nb += 71;
    } else this.ints[this.ni++] = 0;
    this.nums[this.nn++] = f.created;
  }

  /** Strings as their bytes: a count, then per string its length * 2 plus 1 when not ASCII. */
  private spanStrings(buf: Buffer, spans: Int32Array, from: number, to: number): void {
    const ints = this.ints;
    const bytes = this.bytes;
    ints[this.ni++] = to - from;
    for (let k = from; k < to; k++) {
      const start = spans[3 * k];
      const len = spans[3 * k + 1] - start;
      // A tag is some 20 bytes: a loop beats Buffer.copy's argument checks.
      for (let j = 0, nb = this.nb; j < len; j++) bytes[nb + j] = buf[start + j];
      this.nb += len;
      ints[this.ni++] = len * 2 + spans[3 * k + 2];
    }
  }

  /** -1: undefined; <= -2: string number -(code + 2) sent before; else length * 2, plus 1 when not to be remembered. */
  private internedString(s: string | undefined): void {
    if (s === undefined) {
      this.ints[this.ni++] = -1;
      return;
    }
    const id = this.interned.get(s);
    if (id !== undefined) {
      this.ints[this.ni++] = -(id + 2);
      return;
    }
    const len = this.bytes.write(s, this.nb, 'utf8');
    this.nb += len;
    const keep = this.interned.size < INTERN_MAX;
    if (keep) this.interned.set(s, this.interned.size);
    this.ints[this.ni++] = len * 2 + (keep ? 0 : 1);
  }
}
