// The readable specification the wasm kernels are tested against: straight ports of
// fastcdc-rs (v2016::cut, v2020::cut) and restic/chunker (BaseChunker.NextSplitPoint) over one
// whole buffer, with BigInt for 64-bit words. Slow (BigInt allocates per byte); never used to
// chunk real data.
import { FASTCDC_MASKS, polDegree, rabinTables, RABIN_DEFAULT_POLYNOMIAL, roundedLog2, seededGear } from './tables.js';
import type { ChunkRecord } from './types.js';

const U64 = (1n << 64n) - 1n;

/** Settings of a reference run; sizes as the spec string would give them. */
export interface ReferenceOptions {
  min: number;
  avg: number;
  max: number;
  level?: number;
  seed?: bigint;
  window?: number;
  poly?: bigint;
}

type Cut = (src: Uint8Array, start: number, remaining: number) => [bigint, number];

function iterate(src: Uint8Array, cut: Cut): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  for (let offset = 0; offset < src.length; ) {
    const [hash, length] = cut(src, offset, src.length - offset);
    out.push({ offset, length, hash });
    offset += length;
  }
  return out;
}

function fastcdcMasks(o: ReferenceOptions): [bigint, bigint] {
  const bits = roundedLog2(o.avg);
  const level = o.level ?? 1;
  return [FASTCDC_MASKS[bits + level], FASTCDC_MASKS[bits - level]];
}

/** fastcdc-rs v2016::cut. */
export function referenceFastcdc2016(src: Uint8Array, o: ReferenceOptions): ChunkRecord[] {
  const [maskS, maskL] = fastcdcMasks(o);
  const { gear } = seededGear(o.seed ?? 0n);
  return iterate(src, (s, start, len) => {
    let remaining = len;
    if (remaining <= o.min) return [0n, remaining];
    let center = o.avg;
    if (remaining > o.max) remaining = o.max;
    else if (remaining < center) center = remaining;
    let index = o.min;
    let hash = 0n;
    for (; index < center; index++) {
      hash = ((hash << 1n) + gear[s[start + index]]) & U64;
      if ((hash & maskS) === 0n) return [hash, index];
    }
    for (; index < remaining; index++) {
      hash = ((hash << 1n) + gear[s[start + index]]) & U64;
      if ((hash & maskL) === 0n) return [hash, index];
    }
    return [hash, index];
  });
}

/** fastcdc-rs v2020::cut. */
export function referenceFastcdc2020(src: Uint8Array, o: ReferenceOptions): ChunkRecord[] {
  const [maskS, maskL] = fastcdcMasks(o);
  const { gear, gearLs } = seededGear(o.seed ?? 0n);
  const [maskSLs, maskLLs] = [(maskS << 1n) & U64, (maskL << 1n) & U64];
  return iterate(src, (s, start, len) => {
    let remaining = len;
    if (remaining <= o.min) return [0n, remaining];
    let center = o.avg;
    if (remaining > o.max) remaining = o.max;
    else if (remaining < center) center = remaining;
    let index = Math.floor(o.min / 2);
    let hash = 0n;
    const step = (mLs: bigint, m: bigint): number => {
      const a = index * 2;
      hash = ((hash << 2n) + gearLs[s[start + a]]) & U64;
      if ((hash & mLs) === 0n) return a;
      hash = (hash + gear[s[start + a + 1]]) & U64;
      if ((hash & m) === 0n) return a + 1;
      return -1;
    };
    for (; index < Math.floor(center / 2); index++) {
      const at = step(maskSLs, maskS);
      if (at >= 0) return [hash, at];
    }
    for (; index < Math.floor(remaining / 2); index++) {
      const at = step(maskLLs, maskL);
      if (at >= 0) return [hash, at];
    }
    return [hash, remaining];
  });
}

/** Plain Gear CDC as `gear:` defines it: hash every byte, cut after one whose top bits are zero. */
export function referenceGear(src: Uint8Array, o: ReferenceOptions): ChunkRecord[] {
  const bits = BigInt(roundedLog2(o.avg));
  const mask = ((1n << bits) - 1n) << (64n - bits);
  const { gear } = seededGear(o.seed ?? 0n);
  return iterate(src, (s, start, len) => {
    let hash = 0n;
    const end = Math.min(len, o.max);
    for (let i = 0; i < end; i++) {
      hash = ((hash << 1n) + gear[s[start + i]]) & U64;
      if (i + 1 >= o.min && (hash & mask) === 0n) return [hash, i + 1];
    }
    return [hash, end];
  });
}

/** restic/chunker's BaseChunker (reset, NextSplitPoint), window and polynomial as given. */
export function referenceRabin(src: Uint8Array, o: ReferenceOptions): ChunkRecord[] {
  const w = o.window ?? 48;
  const pol = o.poly ?? RABIN_DEFAULT_POLYNOMIAL;
  const { out, mod } = rabinTables(pol, w);
  const shift = BigInt(polDegree(pol) - 8);
  const splitmask = (1n << BigInt(roundedLog2(o.avg))) - 1n;
  const update = (d: bigint, b: number) => ((d << 8n) & U64 | BigInt(b)) ^ mod[Number(d >> shift)];
  const chunks: ChunkRecord[] = [];
  let offset = 0;
  while (offset < src.length) {
    // reset(): the window holds (0, ..., 0, 1), pre = min - window bytes are skipped.
    const win = new Uint8Array(w);
    win[0] = 1;
    let wpos = 1;
    let digest = update(out[0], 1);
    let add = o.min - w;
    let cut = -1;
    for (let i = offset + add; i < src.length; i++) {
      const b = src[i];
      digest ^= out[win[wpos % w]];
      win[wpos % w] = b;
      wpos++;
      digest = update(digest, b);
      add++;
      if ((digest & splitmask) === 0n || add >= o.max) {
        if (add < o.min) continue;
        cut = i + 1;
        break;
      }
    }
    const end = cut < 0 ? src.length : cut;
    chunks.push({ offset, length: end - offset, hash: digest });
    offset = end;
  }
  return chunks;
}

