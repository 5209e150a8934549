// Reads a snapshot of any size, one record at a time: the top-level object is walked byte by byte,
// each element of `layers`, `images` and `containers` is parsed on its own (layerlab's own record
// shape by snapshot-fast.ts, anything else by JSON.parse with the duplicate-key check) and checked
// by the same SnapshotLoader as a whole-document read. Memory is the graph plus one read window;
// one record may be at most RECORD_LIMIT bytes, and every error keeps its line number.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { LayerlabError, quote } from '../errors.js';
import { fileKind, statOrFail } from './bounded.js';
import { countJsonKeys, countParsedKeys, findDuplicateKey } from './json-strict.js';
import { FastRecords, type RawBuffer } from './snapshot-fast.js';
import { SnapshotLoader, TOP_KEYS, type Json } from './snapshot-loader.js';
import type { Snapshot } from './snapshot.js';

/** Largest single record (one layer, image or container, or the `meta` object) a streamed read accepts: 64 MiB. */
export const RECORD_LIMIT = 64 * 1024 * 1024;
const READ_SIZE = 4 * 1024 * 1024;
/**
 * Regular files at least this large are read on two threads (snapshot-pipeline.ts): below it,
 * starting the reading thread costs more than it saves (measured: about 50 ms of CPU to start it,
 * against some 1.5 ms saved per MB on an idle machine, so the break-even is near 32 MB). LAYERLAB_SNAPSHOT_THREADS=1 reads every
 * file on one thread, =2 every regular file on two (for measurements); -1: never.
 */
export const PIPELINE_MIN_BYTES = { '1': -1, '2': 0 }[process.env.LAYERLAB_SNAPSHOT_THREADS ?? ''] ?? 32 * 1024 * 1024;
/** Bytes kept ahead of a record before the byte-level reader tries it (a written record is < 1 KB). */
const LOOKAHEAD = 1024 * 1024;

type Section = 'layers' | 'images' | 'containers';
const SECTIONS: readonly Section[] = ['layers', 'images', 'containers'];

export interface ByteInput {
  read(into: Buffer, offset: number, max: number): number | Promise<number>;
  close(): void;
  /** The size of a regular file (the loader sizes its tables from it); undefined for a stream. */
  size?: number;
}

function fileInput(fd: number, size: number): ByteInput {
  return { read: (into, offset, max) => readSync(fd, into, offset, max, null), close: () => closeSync(fd), size };
}

function streamInput(stream: Readable, destroy: boolean): ByteInput {
  const it = stream[Symbol.asyncIterator]();
  let rest: Buffer | undefined;
  return {
    async read(into, offset, max) {
      if (!rest) {
        const r = await it.next();
        if (r.done) return 0;
        rest = typeof r.value === 'string' ? Buffer.from(r.value) : (r.value as Buffer);
      }
      const n = Math.min(max, rest.length);
      rest.copy(into, offset, 0, n);
      rest = n < rest.length ? rest.subarray(n) : undefined;
      return n;
    },
    close: () => {
      if (destroy) stream.destroy();
    },
  };
}

export function openInput(file: string, stdin?: Readable): ByteInput {
  if (file === '-') return streamInput(stdin ?? process.stdin, false);
  const st = statOrFail(file);
  try {
    if (st.isFile()) return fileInput(openSync(file, 'r'), st.size);
    if (st.isFIFO()) return streamInput(createReadStream(file), true);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  throw new LayerlabError('EINPUT', `is ${fileKind(st)}: a snapshot is read from a regular file, a pipe, or - (standard input)`, { file });
}

function mib(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n} bytes`;
}

function member(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]{0,79}$/.test(key) ? `${path}.${key}` : `${path}[${quote(key, 40)}]`;
}

/**
 * Reads and validates a snapshot from a file, a pipe or fifo, or `-` (standard input), streamed:
 * no limit on the whole, {@link RECORD_LIMIT} bytes per record.
 */
export async function readSnapshotStream(file: string, stdin: Readable = process.stdin, recordLimit = RECORD_LIMIT): Promise<Snapshot> {
  // One core: a second thread would only add its own work.
  if (file !== '-' && PIPELINE_MIN_BYTES >= 0 && availableParallelism() > 1) {
    const st = statOrFail(file);
    if (st.isFile() && st.size >= PIPELINE_MIN_BYTES) return (await import('./snapshot-pipeline.js')).readSnapshotPipelined(file, recordLimit);
  }
  return readSnapshotOneThread(file, stdin, recordLimit);
}

/** {@link readSnapshotStream} on this thread only, whatever the input's size. */
export async function readSnapshotOneThread(file: string, stdin: Readable = process.stdin, recordLimit = RECORD_LIMIT): Promise<Snapshot> {
  const input = openInput(file, stdin);
  try {
    return await new StreamReader<Snapshot>(input, file, recordLimit).run();
  } finally {
    input.close();
  }
}

/**
 * What the reader hands its records to: the SnapshotLoader, or (on the snapshot reading thread,
 * snapshot-worker.ts) a recorder that passes the same calls, in the same order, to the loader on
 * the main thread.
 */
export type RecordSink<R> = Pick<SnapshotLoader, 'c' | 'layerKeys' | 'layerCount' | 'layerKeyEntries' | 'kind' | 'version' | 'setMeta' | 'layer' | 'image' | 'container' | 'imagesDone' | 'flushKeys'> & {
  layerFast(f: FastRecords, i: number): void;
  imageFast(f: FastRecords, buf: Buffer, i: number): void;
  finish(): R;
  /** Whether the byte-level reader keeps repo tags and digests as byte spans (FastRecords.spansOnly). */
  readonly spansOnly?: boolean;
};

/** Walks a snapshot's bytes and hands each record to a sink (see {@link RecordSink}). */
export class StreamReader<R = Snapshot> {
  private buf = Buffer.allocUnsafe(READ_SIZE + LOOKAHEAD);
  private pos = 0;
  private end = 0;
  private eof = false;
  private total = 0;
  /** Line number of the byte at linePos. */
  private line = 1;
  private linePos = 0;
  private readonly loader: RecordSink<R>;
  private readonly fast: FastRecords;
  private kindSeen = false;
  private versionSeen = false;
  private readonly closed = { layers: false, images: false, containers: false };
  private imagesChecked = false;
  private readonly pending: Record<Section, { raw: Json; i: number; line: number; trusted: boolean }[]> = { layers: [], images: [], containers: [] };

  constructor(
    private readonly input: ByteInput,
    private readonly file: string,
    private readonly recordLimit: number,
    loader?: RecordSink<R>,
  ) {
    this.loader = loader ?? (new SnapshotLoader(file, false, input.size) as unknown as RecordSink<R>);
    this.fast = new FastRecords(this.loader.layerKeys);
    this.fast.spansOnly = this.loader.spansOnly === true;
  }

  private fail(message: string, path?: string, at = this.pos): never {
    // A duplicate key in an earlier record, not yet checked, is the first error.
    this.loader.flushKeys();
    throw new LayerlabError('EINPUT', message, { file: this.file, line: this.lineAt(at), ...(path ? { path } : {}) });
  }

  /** The line of byte p (p >= every position asked before, since the last refill). */
  private lineAt(p: number): number {
    if (p < this.linePos) return this.line;
    const buf = this.buf;
    let line = this.line;
    for (let k = this.linePos; k < p; k++) if (buf[k] === 0x0a) line++;
    this.line = line;
    this.linePos = p;
    return line;
  }

  private tooLarge(): never {
    this.fail(`a record is larger than ${mib(this.recordLimit)}, the most a streamed snapshot read takes for one record (layer, image, container or meta)`);
  }

  /** Moves the unread bytes (from pos) to the front and reads more; false at the end of input. */
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    this.lineAt(this.pos);
    const keep = this.end - this.pos;
    let target = this.buf;
    if (keep + READ_SIZE > this.buf.length) target = Buffer.allocUnsafe(Math.max(this.buf.length * 2, keep + READ_SIZE));
    this.buf.copy(target, 0, this.pos, this.end);
    this.buf = target;
    this.linePos -= this.pos;
    this.end = keep;
    this.pos = 0;
    let got: number;
    try {
      got = await this.input.read(this.buf, this.end, Math.min(READ_SIZE, this.buf.length - this.end));
    } catch (e) {
      throw new LayerlabError('EIO', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: this.file });
    }
    if (got === 0) this.eof = true;
    this.end += got;
    this.total += got;
    return got > 0;
  }

  /** The byte at pos after whitespace (counting the lines it passes), or -2 when the read window ends first. */
  private peekHere(): number {
    const buf = this.buf;
    while (this.pos < this.end) {
      const c = buf[this.pos];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
      if (c === 0x0a && this.pos >= this.linePos) {
        this.line++;
        this.linePos = this.pos + 1;
      }
      this.pos++;
    }
    return -2;
  }

  /** The byte at pos after whitespace, or -1 at the end of input. */
  private async peek(): Promise<number> {
    for (;;) {
      const c = this.peekHere();
      if (c !== -2) return c;
      if (!(await this.fill())) return -1;
    }
  }

  /** Index just past the JSON value that starts at pos (reading more as needed); the value is not checked here. */
  private async valueEnd(): Promise<number> {
    let k = this.pos;
    let depth = 0;
    let inString = false;
    const first = this.buf[k];
    const scalar = first !== 0x7b && first !== 0x5b && first !== 0x22;
    for (;;) {
      if (k >= this.end) {
        if (k - this.pos > this.recordLimit) this.tooLarge();
        const at = this.pos;
        if (!(await this.fill())) {
          if (scalar) return k - at;
          this.fail('not valid JSON: the input ends inside a value');
        }
        k -= at;
        continue;
      }
      const c = this.buf[k];
      if (scalar) {
        if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return k;
      } else if (inString) {
        if (c === 0x5c) k++;
        else if (c === 0x22) {
          inString = false;
          if (depth === 0) return k + 1;
        }
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) return k + 1;
      }
      k++;
    }
  }

  /** Parses the JSON value at pos (strictly: duplicate keys refused) and moves past it. */
  private async value(path: string): Promise<Json> {
    const e = await this.valueEnd();
    if (e - this.pos > this.recordLimit) this.tooLarge();
    const text = (this.buf as RawBuffer).utf8Slice(this.pos, e);
    let v: Json;
    try {
      v = JSON.parse(text) as Json;
    } catch (err) {
      this.loader.flushKeys();
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      const line = this.lineAt(this.pos) + (at ? text.slice(0, Number(at[1])).split('\n').length - 1 : 0);
      throw new LayerlabError('EINPUT', `not valid JSON: ${message.length > 200 ? message.slice(0, 200) + '…' : message}`, { file: this.file, line, path });
    }
    if (typeof v === 'object' && v !== null && countJsonKeys(text) !== countParsedKeys(v)) {
      const dup = findDuplicateKey(text);
      if (dup) this.fail(`duplicate key ${quote(dup.key)}: a snapshot is read strictly, and JSON with a key twice means one value would be dropped silently`, path + dup.path.slice(1));
    }
    this.pos = e;
    return v;
  }

  async run(): Promise<R> {
    let c = await this.peek();
    if (c < 0) {
      if (this.total === 0) throw new LayerlabError('EINPUT', 'empty file: expected a layerlab snapshot (JSON), a docker save / OCI archive, a folder or docker://', { file: this.file });
      this.fail('not valid JSON: the input has only whitespace');
    }
    if (c !== 0x7b) {
      this.loader.c.line = this.lineAt(this.pos);
      this.loader.c.object(await this.value('$'), '$', TOP_KEYS);
    }
    this.pos++;
    const seen = new Set<string>();
    for (;;) {
      c = await this.peek();
      if (c === 0x7d && seen.size === 0) break;
      if (c !== 0x22) this.fail(c < 0 ? 'not valid JSON: the input ends inside the snapshot object' : 'not valid JSON: expected a field name (a string)');
      const keyAt = this.pos;
      const key = (await this.value('$')) as string;
      if (seen.has(key)) this.fail(`duplicate key ${quote(key)}: a snapshot is read strictly, and JSON with a key twice means one value would be dropped silently`, member('$', key), keyAt);
      seen.add(key);
      if (!(TOP_KEYS as readonly string[]).includes(key)) this.fail(`unknown field (expected one of: ${TOP_KEYS.join(', ')})`, member('$', key), keyAt);
      if ((await this.peek()) !== 0x3a) this.fail(`not valid JSON: expected ":" after ${quote(key)}`);
      this.pos++;
      c = await this.peek();
      if ((SECTIONS as readonly string[]).includes(key) && c === 0x5b) await this.section(key as Section);
      else {
        const line = this.lineAt(this.pos);
        this.top(key, await this.value(member('$', key)), line);
      }
      c = await this.peek();
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) break;
      this.fail(c < 0 ? 'not valid JSON: the input ends inside the snapshot object' : `not valid JSON: expected "," or "}" after ${member('$', key)}`);
    }
    this.pos++;
    if ((await this.peek()) >= 0) this.fail('not valid JSON: something follows the end of the snapshot object');
    this.loader.c.line = undefined;
    if (!this.kindSeen) this.loader.kind(undefined);
    if (!this.versionSeen) this.loader.version(undefined);
    for (const s of SECTIONS) this.closed[s] = true;
    this.drain();
    return this.loader.finish();
  }

  private top(key: string, v: Json, line: number): void {
    const loader = this.loader;
    loader.c.line = line;
    if (key === 'kind') {
      loader.kind(v);
      this.kindSeen = true;
    } else if (key === 'version') {
      loader.version(v);
      this.versionSeen = true;
    } else if (key === 'meta') loader.setMeta(v);
    else {
      // `"images": null` reads as no images, as in a whole-document read.
      const items = v === null ? [] : loader.c.array(v, `$.${key}`);
      items.forEach((raw, i) => this.record(key as Section, raw, i, line, false));
      this.closed[key as Section] = true;
    }
    this.drain();
  }

  private async section(key: Section): Promise<void> {
    this.pos++;
    if (key === 'images') this.fast.keyEntry = this.loader.layerKeyEntries();
    let c = await this.peek();
    // Whether scanned records go straight to the loader: nothing in this loop changes it (records
    // held back stay held back until the section ends), so it is asked once, not per record.
    const direct = this.ready(key) && this.pending[key].length === 0;
    for (let i = 0; c !== 0x5d; i++) {
      if (c < 0) this.fail(`not valid JSON: the input ends inside $.${key}`);
      if (this.end - this.pos < LOOKAHEAD && !this.eof) await this.fill();
      const line = this.lineAt(this.pos);
      const fast = this.fast;
      let scanned = false;
      if (this.buf[this.pos] === 0x7b && key !== 'containers') {
        scanned = key === 'layers' ? fast.layerRecord(this.buf, this.pos, this.end) : fast.imageRecord(this.buf, this.pos, this.end, this.loader.layerCount);
        if (scanned && fast.end - this.pos > this.recordLimit) this.tooLarge();
      }
      if (scanned && direct) {
        const c = this.loader.c;
        c.line = line;
        if (key === 'layers') this.loader.layerFast(fast, i);
        else this.loader.imageFast(fast, this.buf, i);
        this.pos = this.linePos = fast.end;
      } else if (scanned) {
        this.record(key, fast.toObject(key as 'layers' | 'images', this.buf), i, line, true);
        this.pos = this.linePos = fast.end;
      } else this.record(key, await this.value(`$.${key}[${i}]`), i, line, false);
      // Awaited only at the end of the read window: an await per record costs more than the record.
      c = this.peekHere();
      if (c === -2) c = await this.peek();
      if (c === 0x2c) {
        this.pos++;
        c = this.peekHere();
        if (c === -2) c = await this.peek();
        if (c === 0x5d) this.fail(`not valid JSON: a "," before the "]" that ends $.${key}`);
      } else if (c !== 0x5d) this.fail(c < 0 ? `not valid JSON: the input ends inside $.${key}` : `not valid JSON: expected "," or "]" after $.${key}[${i}]`);
    }
    this.pos++;
    this.loader.flushKeys();
    this.closed[key] = true;
    this.drain();
  }

  private ready(s: Section): boolean {
    if (!this.kindSeen || !this.versionSeen) return false;
    if (s === 'layers') return true;
    if (s === 'images') return this.closed.layers && this.pending.layers.length === 0;
    return this.imagesChecked;
  }

  private record(s: Section, raw: Json, i: number, line: number, trusted: boolean): void {
    if (!this.ready(s) || this.pending[s].length) {
      this.pending[s].push({ raw, i, line, trusted });
      return;
    }
    const c = this.loader.c;
    c.line = line;
    c.trustedDigests = trusted;
    if (s === 'layers') this.loader.layer(raw, i);
    else if (s === 'images') this.loader.image(raw, i);
    else this.loader.container(raw, i);
    c.trustedDigests = false;
  }

  /** Takes the records held back until the sections before theirs were complete. */
  private drain(): void {
    for (const s of SECTIONS) {
      if (!this.ready(s)) return;
      const held = this.pending[s];
      this.pending[s] = [];
      for (const r of held) this.record(s, r.raw, r.i, r.line, r.trusted);
      if (s === 'images' && this.closed.images && !this.imagesChecked) {
        this.loader.imagesDone();
        this.imagesChecked = true;
      }
    }
  }
}

