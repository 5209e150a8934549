// The columnar form of an image graph: the tables `layerlab export` writes (Arrow IPC or
// Parquet) and every command reads back. Digests stay 32-byte binaries in flat Uint8Arrays;
// keys are dense integers, so a table is a handful of typed arrays, not an object per row.
import { LayerlabError } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { sha256Of } from './hashing.js';

/** The columnar format's version, written in the marker file and checked on load. */
export const COLUMNAR_VERSION = 2;
/**
 * Versions this layerlab reads. Version 1 always wrote files and chunks empty, chunks without
 * algo/mode/path: its graph tables read as version 2's, its content tables as empty.
 */
export const READABLE_COLUMNAR_VERSIONS: readonly number[] = [1, 2];
// The marker file name lives in sniff.ts so that load.ts can claim an export folder without loading the columnar modules.
export { COLUMNAR_MARKER } from './sniff.js';
import { COLUMNAR_MARKER } from './sniff.js';
/** Digests are sha256 only: 32 bytes, stored as fixed-size binary. */
export const DIGEST_BYTES = 32;

/** A column of optional 32-byte digests: row i is bytes[32i .. 32i+32) when valid[i]. */
export interface DigestColumn {
  bytes: Uint8Array;
  /** 1 where the row has a value; undefined when every row has one. */
  valid?: Uint8Array;
}

/** A nullable string column. */
export type StringColumn = (string | null)[];

/** Every table of an export, row i of a keyed table having key i. */
export interface ColumnarTables {
  layers: {
    diffId: DigestColumn;
    digest: DigestColumn;
    /** Bytes, NaN when unknown. */
    size: Float64Array;
    compressedSize: Float64Array;
    mediaType: StringColumn;
  };
  images: {
    id: DigestColumn;
    /** Image key of the parent, -1 when none. */
    parent: Int32Array;
    /** Unix seconds, NaN when unknown. */
    created: Float64Array;
    platform: StringColumn;
  };
  /** Tags and digest references, one row each. */
  imageRefs: { image: Int32Array; kind: StringColumn; ref: StringColumn };
  /** The stacks, sorted by image then position; chain is the chains key of the stack prefix. */
  imageLayers: { image: Int32Array; position: Int32Array; layer: Int32Array; chain: Int32Array };
  /** The chain trie: one row per distinct stack prefix (what Docker stores once). */
  chains: { parent: Int32Array; layer: Int32Array; chainId: DigestColumn };
  containers: {
    id: DigestColumn;
    name: StringColumn;
    image: Int32Array;
    imageRef: StringColumn;
    state: StringColumn;
    status: StringColumn;
    sizeRw: Float64Array;
    created: Float64Array;
    command: StringColumn;
  };
}

/** The table names, in the order an export writes them. */
export const TABLE_NAMES = ['layers', 'images', 'image_refs', 'image_layers', 'chains', 'containers', 'files', 'chunks'] as const;
/** One of {@link TABLE_NAMES}. */
export type TableName = (typeof TABLE_NAMES)[number];

/** The tables of layer contents (not part of the graph). */
export const CONTENT_TABLES: readonly TableName[] = ['files', 'chunks'];

/** What `export --contents` read, recorded in the marker. */
export interface ContentsNote {
  /** Canonical chunker specs of the chunks table (empty: no chunk rows). */
  algos: string[];
  /** Distinct layers (diffIDs) whose files and chunks are in the tables. */
  layersRead: number;
  /** Distinct stacked layers whose bytes the sources did not hold (no rows). */
  layersNotRead: number;
}

/** What the marker file says. */
export interface ColumnarMarker {
  kind: 'layerlab-columnar';
  version: number;
  format: 'arrow' | 'parquet';
  /** Row count of each table. */
  rows: Record<TableName, number>;
  /** Present when the export was written with `--contents`. */
  contents?: ContentsNote;
}

const HEX_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;

/** True when row i of a digest column has a value. */
export function hasDigest(c: DigestColumn, i: number): boolean {
  return c.valid === undefined || c.valid[i] === 1;
}

/**
 * `sha256:<hex>` strings of a whole digest column (undefined where null), made only when the
 * graph needs strings: the column is hex-encoded natively in slices of a million rows (a V8
 * string holds at most 2^29 characters), then each row is a flat copy of its 71 characters.
 */
export function digestStrings(c: DigestColumn, rows: number): (string | undefined)[] {
  const out = new Array<string | undefined>(rows);
  const per = 1 << 20;
  for (let from = 0; from < rows; from += per) {
    const to = Math.min(rows, from + per);
    const hex = Buffer.from(c.bytes.buffer, c.bytes.byteOffset + from * DIGEST_BYTES, (to - from) * DIGEST_BYTES).toString('hex');
    for (let i = from; i < to; i++) {
      const o = (i - from) * 2 * DIGEST_BYTES;
      out[i] = hasDigest(c, i) ? flat('sha256:' + hex.slice(o, o + 2 * DIGEST_BYTES)) : undefined;
    }
  }
  return out;
}

// Concatenation leaves a two-part rope that pins the column's whole hex string; a number
// conversion forces V8 to flatten it into one sequential string of its own.
function flat(s: string): string {
  void Number(s);
  return s;
}

/** Writes the 32 bytes of `sha256:<64 hex>` into `out` at row i; false when the string is not that. */
function putDigest(out: Uint8Array, i: number, d: string | undefined): boolean {
  if (d === undefined || d.length !== 71 || !d.startsWith('sha256:')) return false;
  for (let k = 0; k < DIGEST_BYTES; k++) {
    const hi = HEX_VALUE[d.charCodeAt(7 + 2 * k)] ?? -1;
    const lo = HEX_VALUE[d.charCodeAt(8 + 2 * k)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[i * DIGEST_BYTES + k] = (hi << 4) | lo;
  }
  return true;
}

/** A digest column from strings; anything but sha256 cannot be stored in 32 bytes and is refused. */
function digestColumn(values: readonly (string | undefined)[], what: (i: number) => string, hexOnly = false): DigestColumn {
  const n = values.length;
  const bytes = new Uint8Array(n * DIGEST_BYTES);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
      continue;
    }
    if (!putDigest(bytes, i, hexOnly ? 'sha256:' + v : v)) {
      throw new LayerlabError('EINPUT', `${what(i)} is ${JSON.stringify(v.slice(0, 80))}: the columnar formats store sha256 digests (32 bytes) only; export to a snapshot instead`);
    }
  }
  return valid ? { bytes, valid } : { bytes };
}

const orNull = (v: string | undefined): string | null => v ?? null;

/** The tables of a graph (the stack prefixes numbered as the graph's chain trie numbers them). */
export function tablesFromGraph(graph: ImageGraph): ColumnarTables {
  const nL = graph.layerCount;
  const nI = graph.imageCount;
  const refs = graph.referenceCount;
  const imageOf = new Int32Array(refs);
  const position = new Int32Array(refs);
  for (let i = 0; i < nI; i++) {
    for (let p = graph.stackStart[i], e = graph.stackStart[i + 1]; p < e; p++) {
      imageOf[p] = i;
      position[p] = p - graph.stackStart[i];
    }
  }
  const refImage: number[] = [];
  const refKind: string[] = [];
  const refText: string[] = [];
  graph.images.forEach((m, i) => {
    for (const t of m.repoTags ?? []) refImage.push(i), refKind.push('tag'), refText.push(t);
    for (const d of m.repoDigests ?? []) refImage.push(i), refKind.push('digest'), refText.push(d);
  });
  const cs = graph.containers;
  return {
    layers: {
      diffId: digestColumn(graph.layerDiffId, (l) => `layer ${l}: diffId`),
      digest: digestColumn(graph.layerDigest, (l) => `layer ${l}: digest`),
      size: graph.layerSize.slice(),
      compressedSize: graph.layerCompressed.slice(),
      mediaType: graph.layerMediaType.map(orNull),
    },
    images: {
      id: digestColumn(graph.images.map((m) => m.id), (i) => `image ${i}: id`),
      parent: graph.imageParent.slice(),
      created: Float64Array.from(graph.images, (m) => m.created ?? NaN),
      platform: graph.images.map((m) => orNull(m.platform)),
    },
    imageRefs: { image: Int32Array.from(refImage), kind: refKind, ref: refText },
    imageLayers: { image: imageOf, position, layer: Int32Array.from(graph.stackLayer), chain: Int32Array.from(graph.stackNode) },
    chains: chainTable(graph),
    containers: {
      id: digestColumn(cs.map((c) => c.id), (k) => `container ${k}: id`, true),
      name: cs.map((c) => orNull(c.name)),
      image: Int32Array.from(graph.containerImage),
      imageRef: cs.map((c) => orNull(c.imageRef)),
      state: cs.map((c) => c.state),
      status: cs.map((c) => orNull(c.status)),
      sizeRw: Float64Array.from(cs, (c) => c.sizeRw ?? NaN),
      created: Float64Array.from(cs, (c) => c.created ?? NaN),
      command: cs.map((c) => orNull(c.command)),
    },
  };
}

/**
 * The chain trie as a table, with each prefix's chainID: the OCI chainID over diffIDs, null when
 * a diffID at or below it is unknown. Hashed with node:crypto (the model's hashing is for browsers).
 */
function chainTable(graph: ImageGraph): ColumnarTables['chains'] {
  const n = graph.chain.count;
  const parent = Int32Array.from(graph.chain.nodeParent.subarray(0, n));
  const layer = Int32Array.from(graph.chain.nodeLayer.subarray(0, n));
  const ids = new Array<string | undefined>(n);
  for (let k = 0; k < n; k++) {
    const diff = graph.layerDiffId[layer[k]];
    const below = parent[k] < 0 ? null : ids[parent[k]];
    if (diff === undefined || below === undefined) ids[k] = undefined;
    else ids[k] = below === null ? diff : sha256Of(below + ' ' + diff);
  }
  return { parent, layer, chainId: digestColumn(ids, (k) => `chain ${k}: chainId`) };
}
