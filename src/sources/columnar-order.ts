// Rows of a table read from several files put in the order the graph needs, checked rather than
// trusted: keyed tables by key (each key 0..n-1 once), image_layers by (image_key, position).
// Used by the Parquet reader, whose files (buckets, other writers) may hold rows in any order.
import { tableError } from './columnar-graph.js';
import type { ColumnSpec } from './columnar-schema.js';
import { DIGEST_BYTES, type StringColumn, type TableName } from './columnar-tables.js';

/** A column gathered in file order: values plus, where some row has none, a null flag per row. */
export interface Gathered {
  spec: ColumnSpec;
  rows: number;
  values: Int32Array | Float64Array | Uint8Array | StringColumn;
  /** 1 where the row is null; allocated at the first null. */
  nulls?: Uint8Array;
  /** Length + 1 of each digest that is not 32 bytes (0 elsewhere); allocated at the first. */
  badLength?: Int32Array;
}

/**
 * Where each key's row is (perm[k] = file row), or undefined when the file is in key order. Keys
 * must be 0..n-1, each once; the error names the row an ORDER BY of the keys would show first.
 */
export function keyOrder(exportPath: string, name: TableName, c: Gathered): Int32Array | undefined {
  const keys = c.values as Int32Array;
  const n = keys.length;
  if (c.nulls) {
    let nulls = 0;
    for (let i = 0; i < n; i++) nulls += c.nulls[i];
    tableError(exportPath, name, n - nulls, c.spec.name, 'is null, which this column does not allow');
  }
  const pos = new Int32Array(n).fill(-1);
  let inOrder = true;
  let negative = false;
  let repeated = n;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k < 0) negative = true;
    else if (k >= n) continue;
    else if (pos[k] >= 0) repeated = Math.min(repeated, k);
    else {
      pos[k] = i;
      if (k !== i) inOrder = false;
    }
  }
  let bad = negative ? 0 : -1;
  for (let k = 0; bad < 0 && k < n; k++) {
    if (pos[k] < 0) bad = k;
    else if (k === repeated) bad = k + 1;
  }
  if (bad >= 0) tableError(exportPath, name, bad, c.spec.name, `expected ${bad}: keys run 0, 1, 2, ... without gaps or repeats`);
  return inOrder ? undefined : pos;
}

/**
 * The order of image_layers rows by (image_key, position), nulls last and ties in file order, or
 * undefined when the files are in that order already. A counting sort by image when the keys
 * span a sane range (they are checked against the images table later), else a comparison sort.
 */
export function stackOrder(image: Gathered, position: Gathered, starts: readonly number[]): Int32Array | undefined {
  const img = image.values as Int32Array;
  const pos = position.values as Int32Array;
  const n = img.length;
  if (!image.nulls && !position.nulls) return stackOrderNoNulls(img, pos, starts);
  const isNull = (a: Gathered, r: number): boolean => a.nulls !== undefined && a.nulls[r] === 1;
  const before = (a: number, b: number): boolean => {
    const na = isNull(image, a);
    const nb = isNull(image, b);
    if (na !== nb) return nb;
    if (!na && img[a] !== img[b]) return img[a] < img[b];
    const pa = isNull(position, a);
    const pb = isNull(position, b);
    if (pa !== pb) return pb;
    return !pa && pos[a] < pos[b];
  };
  let sorted = true;
  for (let r = 1; r < n && sorted; r++) if (before(r, r - 1)) sorted = false;
  if (sorted) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < n; r++) {
    if (isNull(image, r)) continue;
    lo = Math.min(lo, img[r]);
    hi = Math.max(hi, img[r]);
  }
  if (lo > hi) [lo, hi] = [0, -1];
  let perm: Int32Array;
  if (hi - lo <= 4 * n + 1024) {
    const start = new Int32Array(hi - lo + 3);
    for (let r = 0; r < n; r++) start[isNull(image, r) ? hi - lo + 2 : img[r] - lo + 1]++;
    for (let k = 1; k < start.length; k++) start[k] += start[k - 1];
    perm = new Int32Array(n);
    for (let r = 0; r < n; r++) perm[start[isNull(image, r) ? hi - lo + 1 : img[r] - lo]++] = r;
  } else perm = Int32Array.from(Array.from({ length: n }, (_, r) => r).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : a - b)));
  // Within one image, rows by position: each run of one image key sorted on its own if it is not already.
  const cmp = (a: number, b: number): number => (before(a, b) ? -1 : before(b, a) ? 1 : a - b);
  for (let a = 0; a < n; ) {
    let b = a + 1;
    let inOrder = true;
    while (b < n && isNull(image, perm[b]) === isNull(image, perm[a]) && img[perm[b]] === img[perm[a]]) {
      if (before(perm[b], perm[b - 1])) inOrder = false;
      b++;
    }
    if (!inOrder) perm.subarray(a, b).sort(cmp);
    a = b;
  }
  return perm;
}

/**
 * The order of stack rows when each file's rows are sorted and no image's rows span two files
 * (an export's buckets: image_key % B): a merge of the files one image at a time, reading each
 * sequentially. undefined: already in order; false: not that case (the general sort decides).
 */
function mergeSortedFiles(img: Int32Array, pos: Int32Array, starts: readonly number[]): Int32Array | undefined | false {
  const n = img.length;
  const k = starts.length;
  // One scan of the file heads per image: for many files the general sort is cheaper.
  if (k > 16) return false;
  const head = Int32Array.from(starts);
  const end = Int32Array.from(starts, (_, f) => (f + 1 < k ? starts[f + 1] : n));
  for (let f = 0; f < k; f++) {
    for (let r = head[f] + 1; r < end[f]; r++) if (img[r] < img[r - 1] || (img[r] === img[r - 1] && pos[r] <= pos[r - 1])) return false;
  }
  if (k <= 1) return undefined;
  const perm = new Int32Array(n);
  let o = 0;
  let last = -1;
  let identity = true;
  while (o < n) {
    let best = -1;
    for (let f = 0; f < k; f++) if (head[f] < end[f] && (best < 0 || img[head[f]] < img[head[best]])) best = f;
    const key = img[head[best]];
    if (o > 0 && key === last) return false; // an image in two files: positions could interleave
    for (let r = head[best], e = end[best]; r < e && img[r] === key; r++) {
      if (r !== o) identity = false;
      perm[o++] = r;
      head[best] = r + 1;
    }
    last = key;
  }
  return identity ? undefined : perm;
}

/** {@link stackOrder} when neither column has a null (every export): plain comparisons, no closures. */
function stackOrderNoNulls(img: Int32Array, pos: Int32Array, starts: readonly number[]): Int32Array | undefined {
  const n = img.length;
  const merged = mergeSortedFiles(img, pos, starts);
  if (merged !== false) return merged;
  let sorted = true;
  let lo = n > 0 ? img[0] : 0;
  let hi = lo;
  for (let r = 1; r < n; r++) {
    const a = img[r - 1];
    const b = img[r];
    if (b < a || (b === a && pos[r] < pos[r - 1])) sorted = false;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  if (sorted) return undefined;
  const cmp = (a: number, b: number): number => img[a] - img[b] || pos[a] - pos[b] || a - b;
  let perm: Int32Array;
  if (hi - lo <= 4 * n + 1024) {
    const start = new Int32Array(hi - lo + 2);
    for (let r = 0; r < n; r++) start[img[r] - lo + 1]++;
    for (let k = 1; k < start.length; k++) start[k] += start[k - 1];
    perm = new Int32Array(n);
    for (let r = 0; r < n; r++) perm[start[img[r] - lo]++] = r;
  } else perm = Int32Array.from(Array.from({ length: n }, (_, r) => r).sort(cmp));
  for (let a = 0; a < n; ) {
    let b = a + 1;
    let inOrder = true;
    const i = img[perm[a]];
    while (b < n && img[perm[b]] === i) {
      if (pos[perm[b]] < pos[perm[b - 1]]) inOrder = false;
      b++;
    }
    if (!inOrder) perm.subarray(a, b).sort(cmp);
    a = b;
  }
  return perm;
}

/** Reorders a gathered column so that row r is file row perm[r] (one loop per array type: each stays monomorphic). */
export function permute(c: Gathered, perm: Int32Array): void {
  if (c.nulls) c.nulls = gatherBytes(c.nulls, perm);
  if (c.badLength) c.badLength = gatherInt32(c.badLength, perm);
  if (c.spec.type === 'digest') c.values = gatherDigests(c.values as Uint8Array, perm);
  else if (c.spec.type === 'string') c.values = gatherStrings(c.values as StringColumn, perm);
  else if (c.spec.type === 'int64') c.values = gatherFloat64(c.values as Float64Array, perm);
  else c.values = gatherInt32(c.values as Int32Array, perm);
}

function gatherInt32(src: Int32Array, perm: Int32Array): Int32Array {
  const out = new Int32Array(perm.length);
  for (let r = 0; r < perm.length; r++) out[r] = src[perm[r]];
  return out;
}

function gatherFloat64(src: Float64Array, perm: Int32Array): Float64Array {
  const out = new Float64Array(perm.length);
  for (let r = 0; r < perm.length; r++) out[r] = src[perm[r]];
  return out;
}

function gatherBytes(src: Uint8Array, perm: Int32Array): Uint8Array {
  const out = new Uint8Array(perm.length);
  for (let r = 0; r < perm.length; r++) out[r] = src[perm[r]];
  return out;
}

function gatherStrings(src: StringColumn, perm: Int32Array): StringColumn {
  const out: StringColumn = new Array(perm.length);
  for (let r = 0; r < perm.length; r++) out[r] = src[perm[r]];
  return out;
}

/** Eight 32-bit words per digest. */
function gatherDigests(src: Uint8Array, perm: Int32Array): Uint8Array {
  const w = new Int32Array(src.buffer, src.byteOffset, perm.length * 8);
  const out = new Uint8Array(perm.length * DIGEST_BYTES);
  const o = new Int32Array(out.buffer);
  for (let r = 0; r < perm.length; r++) {
    const a = perm[r] * 8;
    const b = r * 8;
    for (let k = 0; k < 8; k++) o[b + k] = w[a + k];
  }
  return out;
}
