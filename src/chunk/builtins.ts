import type { ChunkerParams } from './params.js';
import { FASTCDC_MASKS, polDegree, rabinTables, RABIN_DEFAULT_POLYNOMIAL, roundedLog2, seededGear } from './tables.js';
import { CutList, type Chunker } from './types.js';
import { WasmChunker, type KernelSettings } from './wasm.js';

const KIB = 1024;
const MIB = 1024 * 1024;
const U64_MAX = (1n << 64n) - 1n;

/** Checks min ≤ avg ≤ max, which every content-defined chunker here assumes. */
function orderedSizes(p: ChunkerParams, min: number, avg: number, max: number): void {
  if (min > avg || avg > max) p.fail(`sizes must satisfy min <= avg <= max (got min=${min}, avg=${avg}, max=${max})`);
}

function tablesFor(seed: bigint, rabin?: { out: BigUint64Array; mod: BigUint64Array }): BigUint64Array {
  const { gear, gearLs } = seededGear(seed);
  const tables = new BigUint64Array(1024);
  tables.set(gear, 0);
  tables.set(gearLs, 256);
  if (rabin) {
    tables.set(rabin.out, 512);
    tables.set(rabin.mod, 768);
  }
  return tables;
}

/**
 * FastCDC as fastcdc-rs v4 (v2016 and v2020 modules): its size limits, its masks
 * (bits = round(log2 avg), mask_s = MASKS[bits + level], mask_l = MASKS[bits - level]), a
 * seed XORed into the gear table. Defaults: fastcdc-rs's `new` (level 1), min avg/4, max avg*4.
 */
function fastcdc(kernel: 'fastcdc2016' | 'fastcdc2020') {
  return (p: ChunkerParams): Chunker => {
    const avg = p.size('avg', 16 * KIB, 256, 4 * MIB);
    const min = p.size('min', Math.max(64, avg / 4), 64, MIB);
    const max = p.size('max', Math.min(16 * MIB, avg * 4), 1024, 16 * MIB);
    const level = p.int('level', 1, 0, 3);
    const seed = p.bigint('seed', 0n, 0n, U64_MAX);
    orderedSizes(p, min, avg, max);
    const bits = roundedLog2(avg);
    const settings: KernelSettings = {
      kernel,
      min,
      avg,
      max,
      maskS: FASTCDC_MASKS[bits + level],
      maskL: FASTCDC_MASKS[bits - level],
      window: 0,
      polShift: 0,
      tables: tablesFor(seed),
      initialHash: 0n,
      // fastcdc-rs returns hash 0 for a remainder of at most min bytes: it never hashed them.
      lastHash: (length, running) => (length <= min ? 0n : running),
    };
    return new WasmChunker(p.done(), settings);
  };
}

/** Plain Gear CDC (Ddelta's): every byte hashed, cut after a byte where the top log2(avg) bits are zero. */
function gear(p: ChunkerParams): Chunker {
  const avg = p.size('avg', 8 * KIB, 64, 64 * MIB);
  const min = p.size('min', avg / 4, 1, 64 * MIB);
  const max = p.size('max', avg * 4, 1, 256 * MIB);
  const seed = p.bigint('seed', 0n, 0n, U64_MAX);
  orderedSizes(p, min, avg, max);
  const bits = BigInt(roundedLog2(avg));
  const mask = ((1n << bits) - 1n) << (64n - bits);
  const settings: KernelSettings = { kernel: 'gearCdc', min, avg, max, maskS: mask, maskL: mask, window: 0, polShift: 0, tables: tablesFor(seed), initialHash: 0n, lastHash: (_l, running) => running };
  return new WasmChunker(p.done(), settings);
}

/**
 * Rabin fingerprints over a sliding window, following restic/chunker (the LBFS scheme): a
 * GF(2) polynomial of degree ≤ 53, cut where the low log2(avg) bits are zero. restic uses a
 * 64-byte window and 512 KiB / 1 MiB / 8 MiB; the defaults here are LBFS's 48 bytes and 8 KiB.
 */
function rabin(p: ChunkerParams): Chunker {
  const window = p.int('window', 48, 1, 64);
  const avg = p.size('avg', 8 * KIB, 64, 64 * MIB);
  const min = p.size('min', Math.max(window, avg / 4), 1, 64 * MIB);
  const max = p.size('max', avg * 4, 1, 256 * MIB);
  const pol = p.bigint('poly', RABIN_DEFAULT_POLYNOMIAL, 1n << 8n, (1n << 54n) - 1n);
  orderedSizes(p, min, avg, max);
  if (min < window) p.fail(`min must be at least the window (got min=${min}, window=${window})`);
  const degree = polDegree(pol);
  if (degree < 9) p.fail(`poly must have a degree from 9 to 53 (got ${degree})`);
  const bits = BigInt(roundedLog2(avg));
  const mask = (1n << bits) - 1n;
  const settings: KernelSettings = {
    kernel: 'rabin',
    min,
    avg,
    max,
    maskS: mask,
    maskL: mask,
    window,
    polShift: degree - 8,
    tables: tablesFor(0n, rabinTables(pol, window)),
    initialHash: 1n,
    lastHash: (_l, running) => running,
  };
  return new WasmChunker(p.done(), settings);
}

/** Fixed-size chunks; no fingerprint, no per-byte work. */
class FixedChunker implements Chunker {
  readonly cuts = new CutList();
  readonly fingerprints = false;
  private total = 0;
  private next: number;
  constructor(
    readonly spec: string,
    private readonly size: number,
  ) {
    this.next = size;
  }

  push(bytes: Uint8Array): number {
    this.cuts.clear();
    this.total += bytes.length;
    for (; this.next <= this.total; this.next += this.size) this.cuts.add(this.next, 0n);
    return this.cuts.length;
  }

  finish(): number {
    const end = this.total;
    const last = this.next - this.size;
    this.reset();
    if (end > last) this.cuts.add(end, 0n);
    return this.cuts.length;
  }

  reset(): void {
    this.cuts.clear();
    this.total = 0;
    this.next = this.size;
  }
}

function fixed(p: ChunkerParams): Chunker {
  const size = p.size('size', 64 * KIB, 1, 1024 * MIB);
  return new FixedChunker(p.done(), size);
}

/** The chunkers layerlab ships, by name, with a one-line summary for help. */
export const BUILTIN_CHUNKERS = {
  fastcdc2020: { factory: fastcdc('fastcdc2020'), summary: 'FastCDC 2020 (fastcdc-rs v2020): min,avg,max,level 0-3,seed' },
  fastcdc2016: { factory: fastcdc('fastcdc2016'), summary: 'FastCDC 2016 (fastcdc-rs v2016): min,avg,max,level 0-3,seed' },
  gear: { factory: gear, summary: 'plain Gear CDC, top-bit mask: avg,min,max,seed' },
  rabin: { factory: rabin, summary: 'Rabin fingerprint over a sliding window (restic/LBFS): window,avg,min,max,poly' },
  fixed: { factory: fixed, summary: 'fixed-size chunks: size' },
} as const;
