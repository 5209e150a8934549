// The tables of an export made a slice of rows at a time, straight from the graph's columns, so
// that writing them holds one batch beside the loaded graph instead of every table at once (ten
// million images: the tables as one object were about 3x the graph itself).
import { hash } from 'node:crypto';
import { LayerlabError } from '../errors.js';
import { ABSENT, type DigestBytes } from '../model/digest-bytes.js';
import type { ImageGraph } from '../model/graph.js';
import { emptyTable, type ColumnData, type ContentTables, type FlatTable } from './columnar-schema.js';
import { DIGEST_BYTES, TABLE_NAMES, type DigestColumn, type StringColumn, type TableName } from './columnar-tables.js';

/** A table made a slice at a time: its row count and the flat columns of rows [from, to). */
export interface TableSource {
  rows: number;
  slice(from: number, to: number): FlatTable;
}
/** Every table of an export as {@link TableSource}s. */
export type TableSources = Record<TableName, TableSource>;

/** Rows per written batch: a layers batch of this size is about 100 MB in flight. */
export const DEFAULT_BATCH_ROWS = 1 << 20;

/** The row ranges [from, to) of a table in batches of at most `batchRows` (one empty batch for an empty table). */
export function* batchRanges(rows: number, batchRows: number): Generator<[number, number]> {
  if (!(batchRows >= 1)) throw new RangeError(`batch rows must be >= 1, got ${batchRows}`);
  if (rows === 0) yield [0, 0];
  for (let from = 0; from < rows; from += batchRows) yield [from, Math.min(rows, from + batchRows)];
}

/** A table already in memory (the content tables) as a source: slices are views, not copies. */
export function flatSource(t: FlatTable): TableSource {
  const sliceColumn = (v: ColumnData, from: number, to: number): ColumnData => {
    if (v instanceof Int32Array || v instanceof Float64Array) return v.subarray(from, to);
    if (Array.isArray(v)) return v.slice(from, to);
    const d = v as DigestColumn;
    const bytes = d.bytes.subarray(from * DIGEST_BYTES, to * DIGEST_BYTES);
    return d.valid ? { bytes, valid: d.valid.subarray(from, to) } : { bytes };
  };
  return {
    rows: t.rows,
    slice: (from, to) => ({ rows: to - from, columns: Object.fromEntries(Object.entries(t.columns).map(([k, v]) => [k, sliceColumn(v, from, to)])) }),
  };
}

/** Every table of an in-memory flat form as sources. */
export function flatSources(tables: Record<TableName, FlatTable>): TableSources {
  return Object.fromEntries(TABLE_NAMES.map((n) => [n, flatSource(tables[n])])) as TableSources;
}

const refused = (what: string, v: string): never => {
  throw new LayerlabError('EINPUT', `${what} is ${JSON.stringify(v.slice(0, 80))}: the columnar formats store sha256 digests (32 bytes) only; export to a snapshot instead`);
};

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Refuses a graph holding a digest the 32-byte columns cannot store, before anything is written,
 * naming the first one in the order the tables are written (layers' diffIDs, their blob digests,
 * image IDs, container IDs).
 */
export function checkDigests(graph: ImageGraph): void {
  for (const which of ['diffId', 'digest'] as const) {
    const d = graph.layerDigestBytes(which);
    for (let l = 0; l < d.length; l++) if (d.offsetOf(l) < ABSENT) refused(`layer ${l}: ${which}`, d.stringOf(l)!);
  }
  const other = graph.imageColumns.idOther;
  if (other.size > 0) {
    const first = Math.min(...other.keys());
    refused(`image ${first}: id`, other.get(first)!);
  }
  graph.containers.forEach((c, k) => {
    if (!SHA256_HEX.test(c.id)) refused(`container ${k}: id`, c.id);
  });
}

const keysFrom = (from: number, to: number): Int32Array => {
  const out = new Int32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
};

/** Rows [from, to) of a digest column held as {@link DigestBytes} (checked by {@link checkDigests}). */
function digestSlice(d: DigestBytes, from: number, to: number): DigestColumn {
  const n = to - from;
  const bytes = new Uint8Array(n * DIGEST_BYTES);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const at = d.offsetOf(from + i);
    if (at >= 0) bytes.set(d.raw.subarray(at, at + DIGEST_BYTES), i * DIGEST_BYTES);
    else {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    }
  }
  return valid ? { bytes, valid } : { bytes };
}

/** The last index i < count with startAt(i) <= row (startAt non-decreasing, startAt(0) <= row). */
function ownerOf(startAt: (i: number) => number, count: number, row: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (startAt(mid) <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const orNull = (v: string | undefined): string | null => v ?? null;

/** The tables of a graph as sources; `content` fills files and chunks (empty without it). */
export function graphTableSources(graph: ImageGraph, content?: ContentTables): TableSources {
  const files = content?.files ?? emptyTable('files');
  const chunks = content?.chunks ?? emptyTable('chunks');
  return {
    layers: layersSource(graph),
    images: imagesSource(graph),
    image_refs: refsSource(graph),
    image_layers: stacksSource(graph),
    chains: chainsSource(graph),
    containers: containersSource(graph),
    files: flatSource(files),
    chunks: flatSource(chunks),
  };
}

function layersSource(graph: ImageGraph): TableSource {
  const diff = graph.layerDigestBytes('diffId');
  const blob = graph.layerDigestBytes('digest');
  return {
    rows: graph.layerCount,
    slice: (from, to) => ({
      rows: to - from,
      columns: {
        layer_key: keysFrom(from, to),
        diff_id: digestSlice(diff, from, to),
        digest: digestSlice(blob, from, to),
        size: graph.layerSize.subarray(from, to),
        compressed_size: graph.layerCompressed.subarray(from, to),
        media_type: graph.layerMediaType.slice(from, to).map(orNull),
      },
    }),
  };
}

function imagesSource(graph: ImageGraph): TableSource {
  const c = graph.imageColumns;
  return {
    rows: c.count,
    slice: (from, to) => {
      const platform: StringColumn = new Array(to - from);
      for (let i = from; i < to; i++) platform[i - from] = orNull(graph.platformOf(i));
      return {
        rows: to - from,
        columns: {
          image_key: keysFrom(from, to),
          id: { bytes: c.idBytes.slice(from * DIGEST_BYTES, to * DIGEST_BYTES) },
          parent_key: c.parent.subarray(from, to),
          created: c.created.subarray(from, to),
          platform,
        },
      };
    },
  };
}

/** One row per tag then per digest reference of each image, in image order. */
function refsSource(graph: ImageGraph): TableSource {
  const c = graph.imageColumns;
  const n = c.count;
  // The first row of image i: the tags and digests of the images before it.
  const startAt = (i: number): number => c.tagStart[i] - c.tagStart[0] + c.digestStart[i] - c.digestStart[0];
  return {
    rows: n === 0 ? 0 : startAt(n),
    slice: (from, to) => {
      const image = new Int32Array(to - from);
      const kind: StringColumn = new Array(to - from);
      const ref: StringColumn = new Array(to - from);
      let r = from;
      for (let i = to > from ? ownerOf(startAt, n, from) : n; i < n && r < to; i++) {
        const base = startAt(i);
        const tags = graph.tagsOf(i);
        const digests = graph.digestsOf(i);
        for (let k = r - base; k < tags.length + digests.length && r < to; k++, r++) {
          image[r - from] = i;
          kind[r - from] = k < tags.length ? 'tag' : 'digest';
          ref[r - from] = k < tags.length ? tags[k] : digests[k - tags.length];
        }
      }
      return { rows: to - from, columns: { ref_key: keysFrom(from, to), image_key: image, kind, ref } };
    },
  };
}

function stacksSource(graph: ImageGraph): TableSource {
  const n = graph.imageCount;
  return {
    rows: graph.referenceCount,
    slice: (from, to) => {
      const image = new Int32Array(to - from);
      const position = new Int32Array(to - from);
      if (to > from) {
        for (let i = ownerOf((k) => graph.stackStart[k], n, from), p = from; p < to; i++) {
          const s = graph.stackStart[i];
          for (const e = Math.min(to, graph.stackStart[i + 1]); p < e; p++) {
            image[p - from] = i;
            position[p - from] = p - s;
          }
        }
      }
      return {
        rows: to - from,
        columns: { image_key: image, position, layer_key: new Int32Array(graph.stackLayer.subarray(from, to)), chain_key: new Int32Array(graph.stackNode.subarray(from, to)) },
      };
    },
  };
}

/**
 * The chain trie with each prefix's chainID (the OCI chainID over diffIDs, null when a diffID at or
 * below it is unknown). The IDs are made once, as bytes (32 per chain), when the table is first
 * read: a child's ID hashes its parent's, which may sit in any earlier batch.
 */
function chainsSource(graph: ImageGraph): TableSource {
  const count = graph.chain.count;
  let ids: DigestColumn | undefined;
  return {
    rows: count,
    slice: (from, to) => {
      ids ??= chainIds(graph);
      const bytes = ids.bytes.subarray(from * DIGEST_BYTES, to * DIGEST_BYTES);
      return {
        rows: to - from,
        columns: {
          chain_key: keysFrom(from, to),
          parent_chain_key: new Int32Array(graph.chain.nodeParent.subarray(from, to)),
          layer_key: new Int32Array(graph.chain.nodeLayer.subarray(from, to)),
          chain_id: ids.valid ? { bytes, valid: ids.valid.subarray(from, to) } : { bytes },
        },
      };
    },
  };
}

const HEX_PAIRS: Uint16Array = (() => {
  const t = new Uint16Array(256);
  const h = '0123456789abcdef';
  // Two ASCII hex digits as one little-endian 16-bit write.
  for (let b = 0; b < 256; b++) t[b] = h.charCodeAt(b >> 4) | (h.charCodeAt(b & 15) << 8);
  return t;
})();

/** chainID(parent) + ' ' + diffID, as the ASCII the OCI formula hashes, into a reused buffer. */
function chainIds(graph: ImageGraph): DigestColumn {
  const n = graph.chain.count;
  const parent = graph.chain.nodeParent;
  const layer = graph.chain.nodeLayer;
  const diff = graph.layerDigestBytes('diffId');
  const bytes = new Uint8Array(n * DIGEST_BYTES);
  const valid = new Uint8Array(n);
  const text = Buffer.from('sha256:' + '0'.repeat(64) + ' sha256:' + '0'.repeat(64), 'latin1');
  const putHex = (src: Uint8Array, at: number, into: number): void => {
    for (let k = 0; k < DIGEST_BYTES; k++) {
      const pair = HEX_PAIRS[src[at + k]];
      text[into + 2 * k] = pair & 0xff;
      text[into + 2 * k + 1] = pair >> 8;
    }
  };
  let missing = false;
  for (let k = 0; k < n; k++) {
    const at = diff.offsetOf(layer[k]);
    const p = parent[k];
    if (at < 0 || (p >= 0 && valid[p] === 0)) {
      missing = true;
      continue;
    }
    valid[k] = 1;
    if (p < 0) bytes.set(diff.raw.subarray(at, at + DIGEST_BYTES), k * DIGEST_BYTES);
    else {
      putHex(bytes, p * DIGEST_BYTES, 7);
      putHex(diff.raw, at, 7 + 64 + 8);
      bytes.set(hash('sha256', text, 'buffer'), k * DIGEST_BYTES);
    }
  }
  return missing ? { bytes, valid } : { bytes };
}

function containersSource(graph: ImageGraph): TableSource {
  const cs = graph.containers;
  return {
    rows: cs.length,
    slice: (from, to) => {
      const part = cs.slice(from, to);
      const id = new Uint8Array(part.length * DIGEST_BYTES);
      part.forEach((c, i) => id.set(Buffer.from(c.id, 'hex'), i * DIGEST_BYTES));
      return {
        rows: to - from,
        columns: {
          container_key: keysFrom(from, to),
          container_id: { bytes: id },
          name: part.map((c) => orNull(c.name)),
          image_key: graph.containerImage.subarray(from, to),
          image_ref: part.map((c) => orNull(c.imageRef)),
          state: part.map((c) => c.state),
          status: part.map((c) => orNull(c.status)),
          size_rw: Float64Array.from(part, (c) => c.sizeRw ?? NaN),
          created: Float64Array.from(part, (c) => c.created ?? NaN),
          command: part.map((c) => orNull(c.command)),
        },
      };
    },
  };
}

/** Numbers into int64s (NaN left 0, a null), as BigInt(x) stores them but without a BigInt per row. */
export function int64Words(a: Float64Array, out: BigInt64Array): void {
  const words = new Int32Array(out.buffer, out.byteOffset, 2 * a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (Number.isNaN(x)) continue;
    if (Number.isSafeInteger(x)) {
      const hi = Math.floor(x / 4294967296);
      words[2 * i] = x - hi * 4294967296;
      words[2 * i + 1] = hi;
    } else out[i] = BigInt(x); // exact beyond 2^53; throws for a fraction, as it always did
  }
}
