import type { Digest } from './digest.js';

/**
 * A digest column as raw sha256 bytes, so analyses over tens of millions of layers can compare
 * and count digests without making a string per layer (V8 also caps a Map at 2^24 keys).
 */
export interface DigestBytes {
  readonly length: number;
  /** The bytes {@link offsetOf} points into. */
  readonly raw: Uint8Array;
  /**
   * Where row r's digest sits in {@link raw} as 32 raw sha256 bytes; {@link ABSENT} when the row
   * has none, {@link NOT_SHA256} when its digest has another form (read it with {@link stringOf}).
   */
  offsetOf(r: number): number;
  /** Row r's digest as a string (undefined when absent); makes only that row's string. */
  stringOf(r: number): Digest | undefined;
}

/** {@link DigestBytes.offsetOf} of a row without a digest. */
export const ABSENT = -1;
/** {@link DigestBytes.offsetOf} of a row whose digest is not `sha256:<64 lower-case hex>`. */
export const NOT_SHA256 = -2;

/** murmur3's finaliser: spreads the bits of a 32-bit hash over the whole slot index (the digest hash tables share it). */
export function mixHash32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** The string of the 32 sha256 bytes at raw[at..at+32). */
export function sha256String(raw: Uint8Array, at: number): Digest {
  return ('sha256:' + Buffer.from(raw.buffer, raw.byteOffset + at, 32).toString('hex')) as Digest;
}

/** {@link DigestBytes} of digests already held as strings (one 32-byte copy per sha256 digest). */
export function digestBytesOfStrings(strings: readonly (Digest | undefined)[]): DigestBytes {
  const n = strings.length;
  const raw = new Uint8Array(n * 32);
  const offset = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const s = strings[r];
    if (s === undefined) offset[r] = ABSENT;
    else if (!SHA256.test(s)) offset[r] = NOT_SHA256;
    else {
      raw.set(Buffer.from(s.slice(7), 'hex'), r * 32);
      offset[r] = r * 32;
    }
  }
  return { length: n, raw, offsetOf: (r) => offset[r], stringOf: (r) => strings[r] };
}

/**
 * {@link DigestBytes} of 32-byte digests stored row after row in `raw` (row r at r*32), `has(r)`
 * false where a row has none: the layout of a columnar snapshot's digest columns.
 */
export function digestBytesOfRows(raw: Uint8Array, rows: number, has: (r: number) => boolean): DigestBytes {
  return {
    length: rows,
    raw,
    offsetOf: (r) => (has(r) ? r * 32 : ABSENT),
    stringOf: (r) => (has(r) ? sha256String(raw, r * 32) : undefined),
  };
}

/**
 * Orders row a of `da` and row b of `db` as their digest strings compare (absent first), comparing
 * bytes when both are sha256: lower-case hex keeps the order of the bytes.
 */
export function compareDigests(da: DigestBytes, a: number, db: DigestBytes, b: number): number {
  const oa = da.offsetOf(a);
  const ob = db.offsetOf(b);
  if (oa >= 0 && ob >= 0) {
    const ra = da.raw;
    const rb = db.raw;
    for (let k = 0; k < 32; k++) if (ra[oa + k] !== rb[ob + k]) return ra[oa + k] - rb[ob + k];
    return 0;
  }
  const sa = da.stringOf(a);
  const sb = db.stringOf(b);
  return sa === sb ? 0 : sa === undefined ? -1 : sb === undefined ? 1 : sa < sb ? -1 : 1;
}
