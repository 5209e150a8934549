import { createHash } from 'node:crypto';

const U64 = (1n << 64n) - 1n;

/**
 * The gear table of FastCDC (and of fastcdc-rs): entry i is the first 8 bytes, big-endian, of
 * MD5 over 64 bytes all equal to i. Computed, not copied, and checked against the crate's
 * table in test/chunk-fastcdc.test.ts.
 */
export const GEAR: BigUint64Array = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('md5').update(Buffer.alloc(64, i)).digest().readBigUInt64BE(0);
  return table;
})();

/**
 * fastcdc-rs's MASKS, indexed by bit count: values for 64 B to 128 KiB from the C reference
 * (destor), the rest from restic-FastCDC, spread so that mask bits are spaced out. Index 5 and
 * 25 exist only for normalisation level 3.
 */
export const FASTCDC_MASKS: readonly bigint[] = [
  0n, 0n, 0n, 0n, 0n,
  0x0000000001804110n, 0x0000000001803110n, 0x0000000018035100n, 0x0000001800035300n,
  0x0000019000353000n, 0x0000590003530000n, 0x0000d90003530000n, 0x0000d90103530000n,
  0x0000d90303530000n, 0x0000d90313530000n, 0x0000d90f03530000n, 0x0000d90303537000n,
  0x0000d90703537000n, 0x0000d90707537000n, 0x0000d91707537000n, 0x0000d91747537000n,
  0x0000d91767537000n, 0x0000d93767537000n, 0x0000d93777537000n, 0x0000d93777577000n,
  0x0000db3777577000n,
];

/** fastcdc-rs's logarithm2: log2 rounded to nearest, so a mask picks the closest bucket. */
export function roundedLog2(value: number): number {
  return Math.round(Math.log2(value));
}

/** The gear table and its left-shifted copy with a seed XORed in, as fastcdc-rs get_gear_with_seed. */
export function seededGear(seed: bigint): { gear: BigUint64Array; gearLs: BigUint64Array } {
  const gear = new BigUint64Array(256);
  const gearLs = new BigUint64Array(256);
  const seedLs = (seed << 1n) & U64;
  for (let i = 0; i < 256; i++) {
    gear[i] = GEAR[i] ^ seed;
    gearLs[i] = ((GEAR[i] << 1n) & U64) ^ seedLs;
  }
  return { gear, gearLs };
}

/** Degree of a GF(2) polynomial (-1 for 0). */
export function polDegree(p: bigint): number {
  return p === 0n ? -1 : p.toString(2).length - 1;
}

/** x mod p over GF(2). */
export function polMod(x: bigint, p: bigint): bigint {
  const dp = polDegree(p);
  for (let d = polDegree(x); d >= dp; d = polDegree(x)) x ^= p << BigInt(d - dp);
  return x;
}

/** The default Rabin polynomial: restic/chunker's test polynomial, irreducible, degree 53. */
export const RABIN_DEFAULT_POLYNOMIAL = 0x3da3358b4dc173n;

/**
 * restic/chunker's tables for a polynomial and window: `out[b]` = fingerprint of b followed by
 * window-1 zero bytes (XOR it to slide b out), `mod[b]` = (b·x^k mod p) | b·x^k (one XOR reduces
 * the 8 bits that overflow the degree k).
 */
export function rabinTables(pol: bigint, window: number): { out: BigUint64Array; mod: BigUint64Array } {
  const out = new BigUint64Array(256);
  const mod = new BigUint64Array(256);
  const k = BigInt(polDegree(pol));
  for (let b = 0; b < 256; b++) {
    let h = polMod(BigInt(b), pol);
    for (let i = 0; i < window - 1; i++) h = polMod(h << 8n, pol);
    out[b] = h;
    mod[b] = polMod(BigInt(b) << k, pol) | (BigInt(b) << k);
  }
  return { out, mod };
}
