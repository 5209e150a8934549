// AssemblyScript, compiled to dist/chunk/chunk-kernels.wasm by `npm run build:wasm`.
// Native u64 is why this is WebAssembly: the same loops in JavaScript need BigInt or split
// 32-bit words and run several times slower (see reports/dedup.md).
//
// One instance serves every chunker of a process (JavaScript is single-threaded and each call
// is synchronous): the JavaScript side loads the tables and settings of the chunker that calls,
// copies its bytes to INPUT and calls one kernel. Chunk state travels in globals: a call gets
// `start`, `end` (addresses) and `pos` (index, inside the current chunk, of the byte at
// `start`); it leaves the chunk start and the next byte to scan relative to `start`, so the
// caller can keep the unscanned bytes (at most one, for FastCDC 2020's byte pairs).
// Cut positions are exclusive end addresses minus `start`, written with their fingerprints.

// Memory layout, fixed: the module has no allocator and needs none.
const GEAR: u32 = 65536; // 256 x u64 gear table (seed applied)
const GEAR_LS: u32 = GEAR + 2048; // the same values shifted left once (FastCDC 2020)
const RABIN_OUT: u32 = GEAR + 4096; // Rabin: fingerprint of (byte, 0 x (window-1))
const RABIN_MOD: u32 = GEAR + 6144; // Rabin: reduction of the 8 bits above the degree
const CUT_POS: u32 = GEAR + 8192; // i32 x CUT_CAP
const CUT_HASH: u32 = CUT_POS + 4 * 8192; // u64 x CUT_CAP
const CUT_CAP: i32 = 8192;
const INPUT: u32 = 262144; // 64 bytes of history (Rabin's window) precede the block

export function inputAddress(): u32 {
  return INPUT;
}
export function gearAddress(): u32 {
  return GEAR;
}
export function cutCapacity(): i32 {
  return CUT_CAP;
}
export function cutPosAddress(): u32 {
  return CUT_POS;
}
export function cutHashAddress(): u32 {
  return CUT_HASH;
}

// Settings of the calling chunker.
let minSize: i32 = 0;
let avgSize: i32 = 0;
let maxSize: i32 = 0;
let maskS: u64 = 0;
let maskL: u64 = 0;
let windowSize: i32 = 0;
let polShift: u64 = 0;

export function configure(min: i32, avg: i32, max: i32, s: u64, l: u64, win: i32, shift: i32): void {
  minSize = min;
  avgSize = avg;
  maxSize = max;
  maskS = s;
  maskL = l;
  windowSize = win;
  polShift = <u64>shift;
}

// Chunk state in and out.
let hash: u64 = 0;
let chunkStart: i32 = 0; // out: chunk start minus `start` (may be negative)
let next: i32 = 0; // out: next byte to scan minus `start` (may pass `end`: skipped bytes)

export function getHash(): u64 {
  return hash;
}
export function setHash(h: u64): void {
  hash = h;
}
export function getChunkStart(): i32 {
  return chunkStart;
}
export function getNext(): i32 {
  return next;
}

@inline function gear(b: u32): u64 {
  return load<u64>(GEAR + (b << 3));
}
@inline function gearLs(b: u32): u64 {
  return load<u64>(GEAR_LS + (b << 3));
}
@inline function emit(n: i32, at: i32, h: u64): i32 {
  store<i32>(CUT_POS + (<u32>n << 2), at);
  store<u64>(CUT_HASH + (<u32>n << 3), h);
  return n + 1;
}
@inline function finishCall(start: i32, cs: i32, p: i32, h: u64): void {
  chunkStart = cs - start;
  next = p - start;
  hash = h;
}

/** FastCDC 2016 (fastcdc-rs v2016::cut): skip `min`, mask_s until `avg`, mask_l until `max`; exclusive cut. */
export function fastcdc2016(start: i32, end: i32, pos: i32): i32 {
  let cs = start - pos;
  let p = start;
  let h = hash;
  let n = 0;
  const ms = maskS;
  const ml = maskL;
  while (n < CUT_CAP) {
    if (p - cs < minSize) p = cs + minSize;
    const centerEnd = cs + avgSize;
    const maxEnd = cs + maxSize;
    let lim = min(centerEnd, end);
    let cut = false;
    while (p < lim) {
      h = (h << 1) + gear(load<u8>(p));
      if ((h & ms) == 0) {
        cut = true;
        break;
      }
      p++;
    }
    if (!cut) {
      if (p < centerEnd) break;
      lim = min(maxEnd, end);
      while (p < lim) {
        h = (h << 1) + gear(load<u8>(p));
        if ((h & ml) == 0) {
          cut = true;
          break;
        }
        p++;
      }
      // Skipping may have moved p past the data: a max-size cut needs its last byte.
      if (!cut && (p < maxEnd || end < maxEnd)) break;
    }
    n = emit(n, p - start, h);
    cs = p;
    h = 0;
  }
  finishCall(start, cs, p, h);
  return n;
}

/** FastCDC 2020 (fastcdc-rs v2020::cut): as 2016, two bytes per step with the shifted table; scanning starts at min/2*2. */
export function fastcdc2020(start: i32, end: i32, pos: i32): i32 {
  let cs = start - pos;
  let p = start;
  let h = hash;
  let n = 0;
  const ms = maskS;
  const ml = maskL;
  const msLs = maskS << 1;
  const mlLs = maskL << 1;
  const skip = (minSize >> 1) << 1;
  const center = (avgSize >> 1) << 1;
  const pairEnd = (maxSize >> 1) << 1;
  const last = end - 1; // a pair needs its second byte
  while (n < CUT_CAP) {
    if (p - cs < skip) p = cs + skip;
    let lim = min(cs + center, last);
    let at = -1;
    while (p < lim) {
      h = (h << 2) + gearLs(load<u8>(p));
      if ((h & msLs) == 0) {
        at = p;
        break;
      }
      h = h + gear(load<u8>(p + 1));
      if ((h & ms) == 0) {
        at = p + 1;
        break;
      }
      p += 2;
    }
    if (at < 0) {
      if (p < cs + center) break;
      lim = min(cs + pairEnd, last);
      while (p < lim) {
        h = (h << 2) + gearLs(load<u8>(p));
        if ((h & mlLs) == 0) {
          at = p;
          break;
        }
        h = h + gear(load<u8>(p + 1));
        if ((h & ml) == 0) {
          at = p + 1;
          break;
        }
        p += 2;
      }
      // No cut before max: the chunk is `max` long once its last byte has arrived.
      if (at < 0) {
        if (p < cs + pairEnd || end < cs + maxSize) break;
        at = cs + maxSize;
      }
    }
    n = emit(n, at - start, h);
    cs = at;
    p = at;
    h = 0;
  }
  finishCall(start, cs, p, h);
  return n;
}

/** Plain Gear CDC: hash every byte of a chunk; inclusive cut where the top bits (mask_s) are zero, at least min, at most max. */
export function gearCdc(start: i32, end: i32, pos: i32): i32 {
  let cs = start - pos;
  let p = start;
  let h = hash;
  let n = 0;
  const mask = maskS;
  while (n < CUT_CAP) {
    const minEnd = cs + minSize - 1; // index min-1 is the first that may end a chunk
    let lim = min(minEnd, end);
    while (p < lim) {
      h = (h << 1) + gear(load<u8>(p));
      p++;
    }
    if (p < minEnd) break;
    const maxEnd = cs + maxSize;
    lim = min(maxEnd, end);
    let cut = false;
    while (p < lim) {
      h = (h << 1) + gear(load<u8>(p));
      p++;
      if ((h & mask) == 0) {
        cut = true;
        break;
      }
    }
    if (!cut && p < maxEnd) break;
    n = emit(n, p - start, h);
    cs = p;
    h = 0;
  }
  finishCall(start, cs, p, h);
  return n;
}

@inline function rabinStep(d: u64, b: u32): u64 {
  const index = <u32>(d >> polShift);
  return ((d << 8) | <u64>b) ^ load<u64>(RABIN_MOD + (index << 3));
}
@inline function rabinOut(b: u32): u64 {
  return load<u64>(RABIN_OUT + (b << 3));
}

/**
 * Rabin fingerprint over a sliding window, as restic/chunker's BaseChunker: bytes before
 * min-window are skipped, the digest starts as if the window held (0..., 1); inclusive cut
 * where digest & mask_s == 0, at least min, at most max. Reads `window` bytes of history
 * before `start`.
 */
export function rabin(start: i32, end: i32, pos: i32): i32 {
  let cs = start - pos;
  let p = start;
  let d = hash;
  let n = 0;
  const mask = maskS;
  const w = windowSize;
  while (n < CUT_CAP) {
    const hs = cs + minSize - w; // first hashed byte
    if (p < hs) p = hs;
    // Warm-up: the virtual window slides out zeros, which change nothing.
    const warm = hs + w - 1;
    let lim = min(warm, end);
    while (p < lim) {
      d = rabinStep(d, load<u8>(p));
      p++;
    }
    if (p >= end) break;
    let cut = false;
    if (p == warm) {
      d = rabinStep(d ^ rabinOut(1), load<u8>(p));
      p++;
      cut = (d & mask) == 0 || minSize >= maxSize;
    }
    if (!cut) {
      const maxEnd = cs + maxSize;
      lim = min(maxEnd, end);
      while (p < lim) {
        d = rabinStep(d ^ rabinOut(load<u8>(p - w)), load<u8>(p));
        p++;
        if ((d & mask) == 0) {
          cut = true;
          break;
        }
      }
      if (!cut && p < maxEnd) break;
    }
    n = emit(n, p - start, d);
    cs = p;
    d = 1;
  }
  finishCall(start, cs, p, d);
  return n;
}
