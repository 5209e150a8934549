import { ABSENT, mixHash32, NOT_SHA256, type DigestBytes } from '../model/digest-bytes.js';

/** The distinct digests among some rows, and a per-row value summed once per digest. */
export interface DistinctDigests {
  count: number;
  /** Sum over distinct digests of the value of the last row holding it. */
  sum: number;
}

const EMPTY = -1;

/** Hash of the 32 bytes at raw[o..o+32): FNV-style over all of them, then murmur3's finaliser. */
function hash32(raw: Uint8Array, o: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < 32; k++) h = Math.imul(h ^ raw[o + k], 0x01000193);
  return mixHash32(h);
}

function sameBytes(raw: Uint8Array, a: number, b: number): boolean {
  for (let k = 0; k < 32; k++) if (raw[a + k] !== raw[b + k]) return false;
  return true;
}

/**
 * Counts the distinct digests of rows[0..n) (rows without a digest are skipped) and sums `value`
 * once per digest, taking the last row's value as a `Map.set` per row would. sha256 digests are
 * compared as bytes in an open-addressing table of typed arrays (12 bytes per row, no string and
 * no 2^24 cap as a Map has); digests of other forms, rare, go in a Map by string. Values are
 * summed in table order: exact for whole byte counts below 2^53, where order does not matter.
 */
export function distinctDigests(d: DigestBytes, rows: ArrayLike<number>, n: number, value: ArrayLike<number>): DistinctDigests {
  let cap = 16;
  while (cap * 0.7 < n) cap *= 2;
  // Per slot: the row stored (or EMPTY) and its digest's hash, side by side so that most probes
  // are decided without reading the digest bytes.
  const slots = new Int32Array(cap * 2).fill(EMPTY);
  const mask = cap - 1;
  const raw = d.raw;
  let other: Map<string, number> | undefined;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    const o = d.offsetOf(r);
    if (o === ABSENT) continue;
    if (o === NOT_SHA256) {
      (other ??= new Map()).set(d.stringOf(r)!, value[r]);
      continue;
    }
    const h = hash32(raw, o);
    let s = h & mask;
    for (; slots[2 * s] !== EMPTY; s = (s + 1) & mask) if (slots[2 * s + 1] === h && sameBytes(raw, d.offsetOf(slots[2 * s]), o)) break;
    if (slots[2 * s] === EMPTY) {
      count++;
      slots[2 * s + 1] = h;
    }
    slots[2 * s] = r;
  }
  let sum = 0;
  for (let s = 0; s < cap; s++) if (slots[2 * s] !== EMPTY) sum += value[slots[2 * s]];
  if (other) {
    count += other.size;
    for (const v of other.values()) sum += v;
  }
  return { count, sum };
}
