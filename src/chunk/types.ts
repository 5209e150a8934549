/**
 * Cut points found by one `push` or `finish`: `ends[i]` is the exclusive end offset of a chunk,
 * counted from the first byte ever pushed, and `hashes[i]` its 64-bit fingerprint at the cut
 * (0 for chunkers without one). Reused between calls, so reading it allocates nothing.
 */
export class CutList {
  ends = new Float64Array(64);
  hashes = new BigUint64Array(64);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  /** Room for `extra` more cuts. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.ends.length) return;
    let size = this.ends.length * 2;
    while (size < need) size *= 2;
    const ends = new Float64Array(size);
    ends.set(this.ends.subarray(0, this.length));
    const hashes = new BigUint64Array(size);
    hashes.set(this.hashes.subarray(0, this.length));
    this.ends = ends;
    this.hashes = hashes;
  }

  add(end: number, hash: bigint): void {
    this.reserve(1);
    this.ends[this.length] = end;
    this.hashes[this.length] = hash;
    this.length++;
  }
}

/**
 * A streaming chunker: bytes in, cut points out, state carried across buffer boundaries.
 * `push` and `finish` return how many cuts they found, readable in `cuts` until the next call.
 */
export interface Chunker {
  /** The canonical spec, every parameter spelt out: `fastcdc2020:min=4096,avg=16384,...`. */
  readonly spec: string;
  /** Whether `hashes` carries a rolling-hash fingerprint (gear, FastCDC, Rabin) or zeros (fixed). */
  readonly fingerprints: boolean;
  readonly cuts: CutList;
  /** Feeds the next bytes of the stream. The chunker does not keep `bytes` after it returns. */
  push(bytes: Uint8Array): number;
  /** Ends the stream: cuts the last chunk, if any bytes are left. */
  finish(): number;
  /** Starts a new stream at offset 0 with the same settings. */
  reset(): void;
}

/** One chunk of a stream, as `chunkBytes` and the CLI report it. */
export interface ChunkRecord {
  offset: number;
  length: number;
  /** The fingerprint at the cut; null for chunkers without one. */
  hash: bigint | null;
}
