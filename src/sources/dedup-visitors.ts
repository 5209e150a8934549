// Layer visitors that fill the dedup tallies of analyze/dedup-content.ts in the one scan of each
// layer: sha256 of every regular file, and for each chunker the chunks of each file (per-file) or
// of the uncompressed tar stream (stream), each chunk hashed and looked up in a ChunkIndex.
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { ChunkIndex } from '../chunk/index-table.js';
import { createChunker } from '../chunk/registry.js';
import type { Chunker } from '../chunk/types.js';
import { dedupRow, UnitTally, type ChunkMode, type DedupRow, type StoredTally } from '../analyze/dedup-content.js';
import type { LayerEntry, LayerVisitor } from './tar.js';
import { DigestSequencer } from './hashing.js';

let zstdReady: Promise<void> | undefined;
/** Loads the zstd WebAssembly module once; call before compressing with zstd. */
export function loadZstd(): Promise<void> {
  zstdReady ??= zstdInit();
  return zstdReady;
}

/** What is stored once over a whole run, for one row. */
class StoreSide {
  bytes = 0;
  units = 0;
  gzip = 0;
  zstd = 0;
  constructor(
    readonly index: ChunkIndex,
    readonly compress: boolean,
  ) {}

  /** Records a unit; compresses it when it is new and compression is on. */
  add(digest: Uint8Array, length: number, bytes: () => Uint8Array): void {
    // Files of 4 GiB and more do not fit the index's 32-bit length: a few, kept by name.
    const fresh = length > 0xffffffff ? this.addHuge(digest, length) : this.index.add(digest, length);
    if (!fresh) return;
    this.bytes += length;
    this.units++;
    if (this.compress) {
      const b = bytes();
      this.gzip += gzipSync(b, { level: 6 }).length;
      this.zstd += zstdCompress(b, 3).length;
    }
  }

  private huge: Set<string> | undefined;
  private addHuge(digest: Uint8Array, length: number): boolean {
    this.huge ??= new Set();
    const key = Buffer.from(digest).toString('hex') + ':' + length;
    if (this.huge.has(key)) return false;
    this.huge.add(key);
    return true;
  }

  tally(): StoredTally {
    return { bytes: this.bytes, units: this.units, indexBytes: this.index.bytes, ...(this.compress ? { gzipBytes: this.gzip, zstdBytes: this.zstd } : {}) };
  }
}

/**
 * Feeds a chunker and turns its cut points into hashed chunks. Bytes wait in a queue (references
 * to the pushed buffers, never copies) until the cut that ends them is known, since a chunker may
 * report a cut inside bytes of an earlier push; the queue never holds more than one chunk plus one
 * buffer. Callers must not overwrite a buffer after pushing it.
 */
export class ChunkFeeder {
  private queue: Uint8Array[] = [];
  private queueHead = 0;
  /** Stream offset of the first queued byte. */
  private queuedFrom = 0;
  private pushed = 0;
  /** Bytes this feeder passed to sha256 (chunks that took a digest from elsewhere are not). */
  hashedBytes = 0;

  constructor(
    readonly chunker: Chunker,
    private readonly onChunk: (digest: Uint8Array, length: number, bytes: () => Uint8Array) => void,
    private readonly keepBytes: boolean,
    /** The sha256 of the whole stream when someone else already hashed it (a file's digest): a one-chunk stream is not hashed twice. */
    private readonly wholeDigest?: () => Uint8Array | undefined,
    /** Where chunks are hashed and `onChunk` is called, in cut order (by default at once, on this thread). */
    private readonly seq: DigestSequencer = DigestSequencer.synchronous(),
  ) {}

  private finishing = false;

  push(buf: Uint8Array): void {
    if (buf.length === 0) return;
    this.queue.push(buf);
    this.pushed += buf.length;
    this.take(this.chunker.push(buf));
  }

  /** Ends the current stream (a file, or a layer) and starts the next at offset 0. */
  finish(): void {
    this.finishing = true;
    try {
      this.take(this.chunker.finish());
    } finally {
      this.finishing = false;
    }
    // The Chunker contract: reset() starts the next stream at offset 0 (a registered chunker's finish() may not).
    this.chunker.reset();
    this.queue = [];
    this.queueHead = 0;
    this.queuedFrom = 0;
    this.pushed = 0;
  }

  private take(n: number): void {
    const ends = this.chunker.cuts.ends;
    for (let i = 0; i < n; i++) this.cut(ends[i]);
  }

  private cut(end: number): void {
    const length = end - this.queuedFrom;
    const whole = this.finishing && this.queuedFrom === 0 && end === this.pushed ? this.wholeDigest : undefined;
    const parts: Uint8Array[] = [];
    let need = length;
    while (need > 0) {
      const b = this.queue[this.queueHead];
      if (b.length <= need) {
        parts.push(b);
        need -= b.length;
        this.queue[this.queueHead++] = undefined as unknown as Uint8Array;
      } else {
        parts.push(b.subarray(0, need));
        this.queue[this.queueHead] = b.subarray(need);
        need = 0;
      }
    }
    if (this.queueHead > 64) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.queuedFrom = end;
    const bytes = this.keepBytes ? () => (parts.length === 1 ? parts[0] : Buffer.concat(parts)) : () => new Uint8Array(0);
    if (whole) {
      // The other digest is only known once the continuations before this one have run.
      return this.seq.then(() => {
        const digest = whole();
        if (digest) return this.onChunk(digest, length, bytes);
        this.hashedBytes += length;
        this.seq.hash(parts, length, (d) => this.onChunk(d, length, bytes));
      });
    }
    this.hashedBytes += length;
    this.seq.hash(parts, length, (d) => this.onChunk(d, length, bytes));
  }
}

const isRegular = (e: LayerEntry) => e.type === 'file' || e.type === 'contiguous-file';

/** Logical tallies of one layer, folded into the run's totals with the layer's reference count. */
interface PerLayer {
  logical: UnitTally;
}

/** One row of the ladder as it is filled: its store, its logical tally, its time. */
abstract class RowState {
  readonly logical = new UnitTally();
  seconds = 0;
  protected layer: PerLayer = { logical: new UnitTally() };

  /** The visitor for one layer, whose logical counts weigh `weight` (images referencing it). */
  abstract visitor(weight: number): LayerVisitor;
  abstract row(): DedupRow;

  protected endLayer(weight: number): void {
    this.logical.merge(this.layer.logical, weight);
    this.layer = { logical: new UnitTally() };
  }
}

/**
 * The identity of each regular file, computed once for the file row and every per-file chunk row.
 * Without a per-file chunk row it is the file's sha256. With one, the first such row (the lead)
 * supplies it from the chunks it hashes anyway, so no file byte is hashed twice: a file of one
 * chunk has that chunk's digest, its sha256; a file of several has the sha256 of its chunk
 * digests (a Merkle identity, as casync and Nydus name files: equal contents give equal recipes
 * under a deterministic chunker, and different recipes mean different contents). A one-chunk file's
 * sha256 is handed to the other per-file rows, which then need not hash it either. This visitor
 * must come before the rows': a file's identity is closed when the next entry (or the layer's end) arrives.
 */
export class FileDigests {
  constructor(
    /** Orders the lead's chunk digests and what reads them (shared with the rows). */
    readonly seq: DigestSequencer = DigestSequencer.synchronous(),
  ) {}

  seconds = 0;
  /** Bytes passed to sha256 for file digests (not for chunks). */
  hashedBytes = 0;
  /** The sha256 of the file the lead closed last, when it was one chunk (so its digest is the file's sha256). */
  last: { digest: Uint8Array; size: number } | undefined;
  private readonly listeners: ((digest: Uint8Array, size: number) => void)[] = [];
  private lead = false;
  private recipe: Uint8Array[] = [];
  private recipeBytes = 0;

  onFile(fn: (digest: Uint8Array, size: number) => void): void {
    this.listeners.push(fn);
  }

  /** Called by the lead per-file chunk row: from now on file identities come from its chunks. */
  ledByChunks(): void {
    this.lead = true;
  }

  /** A chunk of the current file, from the lead. */
  chunk(digest: Uint8Array, length: number): void {
    this.recipe.push(digest);
    this.recipeBytes += length;
  }

  /** The lead finished the current file: close its identity. */
  fileDone(): void {
    const parts = this.recipe;
    const size = this.recipeBytes;
    this.recipe = [];
    this.recipeBytes = 0;
    if (parts.length === 0) return;
    if (parts.length === 1) return this.close(parts[0], size, true);
    const t = performance.now();
    const h = createHash('sha256');
    for (const d of parts) h.update(d);
    const digest = h.digest();
    this.seconds += (performance.now() - t) / 1000;
    this.close(digest, size, false);
  }

  private close(digest: Uint8Array, size: number, isSha256: boolean): void {
    this.last = isSha256 ? { digest, size } : undefined;
    for (const fn of this.listeners) fn(digest, size);
  }

  visitor(): LayerVisitor {
    if (this.lead) return { entry: () => this.seq.then(() => void (this.last = undefined)) };
    let hash: Hash | undefined;
    let size = 0;
    const close = () => {
      this.last = undefined;
      if (!hash) return;
      const t = performance.now();
      const digest = hash.digest();
      hash = undefined;
      this.seconds += (performance.now() - t) / 1000;
      this.close(digest, size, true);
    };
    return {
      entry: (e) => {
        close();
        if (isRegular(e) && e.size > 0) {
          hash = createHash('sha256');
          size = e.size;
        }
      },
      data: (_e, chunk) => {
        if (!hash) return;
        const t = performance.now();
        hash.update(chunk);
        this.hashedBytes += chunk.length;
        this.seconds += (performance.now() - t) / 1000;
      },
      end: () => close(),
    };
  }
}

/** Whole-file dedup: the sha256 of each regular file (a hard link adds no bytes). */
export class FileRow extends RowState {
  private readonly store: StoreSide;
  constructor(private readonly digests: FileDigests) {
    super();
    this.store = new StoreSide(new ChunkIndex(), false);
    digests.onFile((digest, size) => {
      this.layer.logical.add(size, 1);
      this.store.add(digest, size, () => new Uint8Array(0));
    });
  }

  visitor(weight: number): LayerVisitor {
    return { end: () => this.digests.seq.then(() => this.endLayer(weight)) };
  }

  row(): DedupRow {
    return dedupRow({ level: 'file', key: 'file', basis: 'file-content' }, this.logical, this.store.tally(), this.seconds + this.digests.seconds);
  }
}

/** Chunk dedup with one chunker, per file or over the tar stream. */
export class ChunkRow extends RowState {
  private readonly store: StoreSide;
  private readonly feeder: ChunkFeeder;
  readonly spec: string;

  constructor(
    algo: string,
    readonly mode: ChunkMode,
    compress: boolean,
    digests?: FileDigests,
    /** This row supplies the file identities from its chunks (the first per-file row). */
    lead = false,
    private readonly seq: DigestSequencer = digests?.seq ?? DigestSequencer.synchronous(),
  ) {
    super();
    const chunker = createChunker(algo);
    this.spec = chunker.spec;
    this.store = new StoreSide(new ChunkIndex(), compress);
    this.lead = lead && mode === 'per-file' && digests ? digests : undefined;
    const recipe = this.lead;
    this.feeder = new ChunkFeeder(
      chunker,
      (digest, length, bytes) => {
        this.layer.logical.add(length, 1);
        this.store.add(digest, length, bytes);
        recipe?.chunk(digest, length);
      },
      compress,
      mode === 'per-file' && digests && !recipe ? () => digests.last?.digest : undefined,
      seq,
    );
  }

  /** The file identities' source, when this row leads them (see {@link FileDigests}). */
  private readonly lead: FileDigests | undefined;

  /** Ends the current file; the lead closes its identity for the others. */
  private endFile(): void {
    this.feeder.finish();
    const lead = this.lead;
    if (lead) this.seq.then(() => lead.fileDone());
  }

  /** True when this row supplies the file identities. */
  get leads(): boolean {
    return this.lead !== undefined;
  }

  /** Bytes this row passed to sha256. */
  get hashedBytes(): number {
    return this.feeder.hashedBytes;
  }

  visitor(weight: number): LayerVisitor {
    const timed = (fn: () => void) => {
      const t = performance.now();
      fn();
      this.seconds += (performance.now() - t) / 1000;
    };
    const done = () => {
      timed(() => (this.mode === 'stream' ? this.feeder.finish() : this.endFile()));
      this.seq.then(() => this.endLayer(weight));
    };
    if (this.mode === 'stream') return { tar: (c) => timed(() => this.feeder.push(c)), end: done };
    let open = false;
    return {
      entry: (e) => {
        if (open) timed(() => this.endFile());
        open = isRegular(e) && e.size > 0;
      },
      data: (_e, chunk) => {
        if (open) timed(() => this.feeder.push(chunk));
      },
      end: done,
    };
  }

  /** The index's bytes per distinct chunk (for the memory bound). */
  get indexBytesPerChunk(): number {
    return this.store.index.bytesPerChunk;
  }

  row(): DedupRow {
    return dedupRow({ level: 'chunk', key: this.spec, mode: this.mode, basis: this.mode === 'stream' ? 'tar' : 'file-content' }, this.logical, this.store.tally(), this.seconds);
  }
}

/** Counts the uncompressed tar bytes of a layer (the diffID row's unit size). */
export function tarSizeVisitor(): LayerVisitor & { bytes: number } {
  const v = {
    bytes: 0,
    tar(c: Buffer) {
      v.bytes += c.length;
    },
  };
  return v;
}

/** The rows of one run, built together so the per-file rows share one file hash. */
export class DedupRows {
  /** Chunk digests of every row go through one sequencer, so the rows see them in scan order. */
  readonly seq: DigestSequencer;
  readonly digests: FileDigests;
  readonly file: FileRow | undefined;
  readonly chunks: ChunkRow[];

  /**
   * `offload: true` hashes chunks of 16 KiB and more on a second thread (hash-worker.ts). Off by
   * default: measured on the shared 2-core machine it took the main thread no faster and cost
   * 25-35% more CPU in all (reports/dedup.md, "End-to-end dedup pass"); kept to be measured on idle machines.
   */
  constructor(opts: { file: boolean; algos: readonly string[]; modes: readonly ChunkMode[]; compress: boolean; offload?: boolean }) {
    this.seq = opts.offload === true && opts.algos.length > 0 ? new DigestSequencer() : DigestSequencer.synchronous();
    this.digests = new FileDigests(this.seq);
    const perFile = opts.modes.includes('per-file') && opts.algos.length > 0;
    if (perFile) this.digests.ledByChunks();
    this.file = opts.file ? new FileRow(this.digests) : undefined;
    // The lead per-file row is listed first among the chunk rows' visitors, so it closes a file before the others do.
    this.chunks = opts.algos.flatMap((a, i) => opts.modes.map((m) => new ChunkRow(a, m, opts.compress, this.digests, perFile && i === 0 && m === 'per-file')));
  }

  /** Bytes the visitors passed to sha256 (file digests and chunk digests), here or on the hashing thread. */
  get hashedBytes(): number {
    return this.digests.hashedBytes + this.chunks.reduce((s, c) => s + c.hashedBytes, 0);
  }

  /** The visitors for one layer, in the order the sharing needs (file digests first). */
  visitors(weight: number): LayerVisitor[] {
    const needsDigests = this.file !== undefined || this.chunks.some((c) => c.mode === 'per-file');
    const lead = this.chunks.filter((c) => c.leads);
    const rest = this.chunks.filter((c) => !c.leads);
    const settle: LayerVisitor = { settle: () => this.seq.settle() };
    return [...(needsDigests ? [this.digests.visitor()] : []), ...[...lead, ...rest].map((c) => c.visitor(weight)), ...(this.file ? [this.file.visitor(weight)] : []), settle];
  }

  rows(): DedupRow[] {
    return [...(this.file ? [this.file.row()] : []), ...this.chunks.map((c) => c.row())];
  }
}
