// Dedup over layer contents: the same images under layer, file and chunk granularity, with the
// metrics DedupBench reports (measure-dedup: bytes without and with dedup, savings =
// (total - unique) / total; measure-variance: chunk count, mean size, a size histogram) plus the
// ratio logical / stored, the standard deviation, index bytes and per-chunk compressed sizes.
// Pure: the tallies are filled by visitors in sources/dedup-visitors.ts.
import type { Caveat } from '../model/caveat.js';

/** Granularity of a dedup row. */
export type DedupLevel = 'layer' | 'file' | 'chunk';

/** What a chunk row chunks: each regular file on its own, or the uncompressed layer tar as one stream. */
export type ChunkMode = 'per-file' | 'stream';

/** Log2 size classes: bucket b holds sizes in [2^b, 2^(b+1)). */
export const HISTOGRAM_BUCKETS = 48;

/** Count, bytes, sum of squares and log2 histogram of units (layers, files, chunks), weighted. */
export class UnitTally {
  units = 0;
  bytes = 0;
  sumSq = 0;
  readonly hist = new Float64Array(HISTOGRAM_BUCKETS);

  add(size: number, weight = 1): void {
    this.units += weight;
    this.bytes += size * weight;
    this.sumSq += size * size * weight;
    this.hist[bucketOf(size)] += weight;
  }

  /** Adds another tally `weight` times (a layer's tally, once per image that references it). */
  merge(o: UnitTally, weight: number): void {
    this.units += o.units * weight;
    this.bytes += o.bytes * weight;
    this.sumSq += o.sumSq * weight;
    for (let b = 0; b < HISTOGRAM_BUCKETS; b++) this.hist[b] += o.hist[b] * weight;
  }
}

function bucketOf(size: number): number {
  return size < 1 ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(Math.log2(size)));
}

/** What was stored once: bytes, distinct units, and the unique units compressed one by one. */
export interface StoredTally {
  bytes: number;
  units: number;
  /** Bytes of the index that found the duplicates (the chunk index's own accounting). */
  indexBytes: number;
  gzipBytes?: number;
  zstdBytes?: number;
}

/** One histogram bucket. */
export interface HistogramBucket {
  fromBytes: number;
  toBytes: number;
  count: number;
}

/** One row of the dedup ladder. JSON field names are the stable schema. */
export interface DedupRow {
  level: DedupLevel;
  /** `blob` (compressed layer blob digest), `diffID` (uncompressed tar digest), `file` (content sha256), or the chunker's canonical spec. */
  key: string;
  mode?: ChunkMode;
  /** What `logicalBytes` counts: compressed blob bytes, uncompressed tar bytes, regular-file content bytes, or Docker's layer size (layers not read). */
  basis: 'blob' | 'tar' | 'file-content' | 'layer-size';
  /** Bytes over every image's layers, nothing shared (DedupBench: total bytes without dedup). */
  logicalBytes: number;
  /** Bytes stored once (DedupBench: total bytes with dedup). */
  storedBytes: number;
  /** logical / stored (1 when nothing is stored). */
  ratio: number;
  /** (logical - stored) / logical × 100 (DedupBench's "dedup ratio %"). */
  savingsPercent: number;
  /** Units (layers, files, chunks) over every image's layers. */
  units: number;
  distinctUnits: number;
  meanSize: number;
  /** Population standard deviation of unit sizes, over every unit. */
  stdDevSize: number;
  histogram: HistogramBucket[];
  /** Bytes of the index of distinct units (20 per slot: 16 bytes of sha256 + a 4-byte length). */
  indexBytes: number;
  /** The unique units each compressed on their own (gzip level 6, zstd level 3); absent when not measured. */
  storedGzipBytes?: number;
  storedZstdBytes?: number;
  /** Seconds this row's work took inside the shared pass, and logical MB (10^6) per second of it. */
  seconds?: number;
  mbPerSecond?: number;
}

/** The dedup ladder of an image set. */
export interface ContentDedup {
  images: number;
  layerReferences: number;
  distinctLayers: number;
  /** Distinct layers whose bytes were read. */
  layersRead: number;
  /** Wall seconds of the pass that read every layer once. */
  scanSeconds: number;
  rows: DedupRow[];
  caveats: Caveat[];
}

/** A ladder row from a logical tally and what was stored. */
export function dedupRow(head: Pick<DedupRow, 'level' | 'key' | 'basis'> & { mode?: ChunkMode }, logical: UnitTally, stored: StoredTally, seconds?: number): DedupRow {
  const mean = logical.units > 0 ? logical.bytes / logical.units : 0;
  const variance = logical.units > 0 ? Math.max(0, logical.sumSq / logical.units - mean * mean) : 0;
  const histogram: HistogramBucket[] = [];
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
    if (logical.hist[b] > 0) histogram.push({ fromBytes: b === 0 ? 0 : 2 ** b, toBytes: 2 ** (b + 1) - 1, count: logical.hist[b] });
  }
  return {
    level: head.level,
    key: head.key,
    ...(head.mode ? { mode: head.mode } : {}),
    basis: head.basis,
    logicalBytes: logical.bytes,
    storedBytes: stored.bytes,
    ratio: stored.bytes > 0 ? logical.bytes / stored.bytes : 1,
    savingsPercent: logical.bytes > 0 ? ((logical.bytes - stored.bytes) / logical.bytes) * 100 : 0,
    units: logical.units,
    distinctUnits: stored.units,
    meanSize: mean,
    stdDevSize: Math.sqrt(variance),
    histogram,
    indexBytes: stored.indexBytes,
    ...(stored.gzipBytes !== undefined ? { storedGzipBytes: stored.gzipBytes } : {}),
    ...(stored.zstdBytes !== undefined ? { storedZstdBytes: stored.zstdBytes } : {}),
    ...(seconds !== undefined ? { seconds, mbPerSecond: seconds > 0 ? logical.bytes / 1e6 / seconds : 0 } : {}),
  };
}

const KIB = 1024;
/** The ladder of issue 13 §5: fixed 4k/64k/1M and FastCDC 2020 at 8k/64k/512k averages. */
export const DEFAULT_CHUNK_ALGOS: readonly string[] = [
  `fixed:size=${4 * KIB}`,
  `fixed:size=${64 * KIB}`,
  `fixed:size=${1024 * KIB}`,
  `fastcdc2020:avg=${8 * KIB}`,
  `fastcdc2020:avg=${64 * KIB}`,
  `fastcdc2020:avg=${512 * KIB}`,
];
