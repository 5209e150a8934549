// The chunk index of a dedup run: which chunks were already stored. One slot is five u32 words
// (the first 16 bytes of the chunk's sha256 and its length) in one typed array, probed linearly,
// so a distinct chunk costs 20 bytes divided by the load factor and nothing else on the heap.

const WORDS = 5;
const SLOT_BYTES = WORDS * 4;
const MAX_LOAD = 0.75;
/** Growth keeps the load between MAX_LOAD / GROWTH and MAX_LOAD: 20 / 0.5 = 40 bytes per chunk at worst. */
const GROWTH = 1.5;
const INITIAL_SLOTS = 64;

/**
 * An open-addressing set of chunks keyed by the first 16 bytes of their sha256 plus their length.
 * Once it holds more than its initial slots' worth, it uses at most 40 bytes per distinct chunk
 * (`bytes / size`), well under the 48 the issue sets. A 16-byte digest prefix collides with
 * probability about n² / 2^129: none in any image set this will see.
 */
export class ChunkIndex {
  private slots: Uint32Array;
  private capacity: number;
  private count = 0;

  constructor(expected = 0) {
    this.capacity = Math.max(INITIAL_SLOTS, Math.ceil(expected / MAX_LOAD) + 1);
    this.slots = new Uint32Array(this.capacity * WORDS);
  }

  /** Distinct chunks held. */
  get size(): number {
    return this.count;
  }

  /** Bytes the index holds (its one typed array). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Bytes per distinct chunk (the whole table over the chunks in it). */
  get bytesPerChunk(): number {
    return this.count === 0 ? 0 : this.bytes / this.count;
  }

  /**
   * Adds a chunk by its sha256 (32 bytes; only the first 16 are kept) and length; true when it
   * was not there yet (the chunk must be stored), false for a duplicate.
   */
  add(digest: Uint8Array, length: number): boolean {
    const view = digest;
    const w0 = (view[0] | (view[1] << 8) | (view[2] << 16) | (view[3] << 24)) >>> 0;
    const w1 = (view[4] | (view[5] << 8) | (view[6] << 16) | (view[7] << 24)) >>> 0;
    const w2 = (view[8] | (view[9] << 8) | (view[10] << 16) | (view[11] << 24)) >>> 0;
    const w3 = (view[12] | (view[13] << 8) | (view[14] << 16) | (view[15] << 24)) >>> 0;
    // The empty slot has length 0; chunks are never empty, so a stored key always has a length.
    if (!(length >= 1 && length <= 0xffffffff)) throw new RangeError(`chunk length ${length}: expected 1 to 2^32-1`);
    const len = length >>> 0;
    if (this.insert(w0, w1, w2, w3, len)) {
      if (++this.count > this.capacity * MAX_LOAD) this.grow();
      return true;
    }
    return false;
  }

  /** True when the chunk is in the index. */
  has(digest: Uint8Array, length: number): boolean {
    const w = [0, 4, 8, 12].map((o) => (digest[o] | (digest[o + 1] << 8) | (digest[o + 2] << 16) | (digest[o + 3] << 24)) >>> 0);
    const s = this.slots;
    for (let i = this.home(w[0], w[1]); ; i = i + 1 === this.capacity ? 0 : i + 1) {
      const p = i * WORDS;
      if (s[p + 4] === 0) return false;
      if (s[p] === w[0] && s[p + 1] === w[1] && s[p + 2] === w[2] && s[p + 3] === w[3] && s[p + 4] === length >>> 0) return true;
    }
  }

  private home(w0: number, w1: number): number {
    // The digest is uniform: scale 53 of its bits onto [0, capacity) (capacity need not be a power of two).
    return Math.floor(((w0 * 2097152 + (w1 >>> 11)) / 9007199254740992) * this.capacity);
  }

  private insert(w0: number, w1: number, w2: number, w3: number, len: number): boolean {
    const s = this.slots;
    const cap = this.capacity;
    for (let i = this.home(w0, w1); ; i = i + 1 === cap ? 0 : i + 1) {
      const p = i * WORDS;
      if (s[p + 4] === 0) {
        s[p] = w0;
        s[p + 1] = w1;
        s[p + 2] = w2;
        s[p + 3] = w3;
        s[p + 4] = len;
        return true;
      }
      if (s[p] === w0 && s[p + 1] === w1 && s[p + 2] === w2 && s[p + 3] === w3 && s[p + 4] === len) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    const oldCap = this.capacity;
    this.capacity = Math.ceil(oldCap * GROWTH);
    this.slots = new Uint32Array(this.capacity * WORDS);
    for (let i = 0; i < oldCap; i++) {
      const p = i * WORDS;
      if (old[p + 4] === 0) continue;
      this.insert(old[p], old[p + 1], old[p + 2], old[p + 3], old[p + 4]);
    }
  }
}
