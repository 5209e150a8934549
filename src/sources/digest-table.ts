// Digest → index lookups for loading huge snapshots. A `Map<string, number>` needs a string per
// lookup; a snapshot line names each layer by a 71-character digest, and making (and collecting)
// 80 million such strings was most of the cost of loading. This table is keyed by the digest's
// characters wherever they are: a JS string, or bytes in the read buffer.

const EMPTY = -1;

/** murmur3's finaliser: spreads the few bits that differ between hex digits over the whole slot index. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Open-addressing hash table from digest strings to non-negative indices. */
export class DigestTable {
  private keys: string[] = [];
  private values: number[] = [];
  private slots: Int32Array;
  private mask: number;

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The value stored for `key`, or -1. */
  get(key: string): number {
    const len = key.length;
    let h = len;
    for (let k = len > 12 ? len - 12 : 0; k < len; k++) h = Math.imul(h ^ key.charCodeAt(k), 0x01000193);
    for (let s = mix(h) & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s];
      if (e === EMPTY) return -1;
      if (this.keys[e] === key) return this.values[e];
    }
  }

  /** The value stored for the latin-1 bytes `buf[start, end)`, or -1; no string is made. */
  getBytes(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let h = len;
    for (let k = len > 12 ? end - 12 : start; k < end; k++) h = Math.imul(h ^ buf[k], 0x01000193);
    for (let s = mix(h) & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s];
      if (e === EMPTY) return -1;
      const key = this.keys[e];
      if (key.length !== len) continue;
      let k = len - 1;
      // Digests differ at the end (random hex) far more often than at the `sha256:` start.
      while (k >= 0 && key.charCodeAt(k) === buf[start + k]) k--;
      if (k < 0) return this.values[e];
    }
  }

  /** Stores `value` for `key` (which must not be in the table yet). */
  add(key: string, value: number): void {
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    this.keys.push(key);
    this.values.push(value);
    this.place(this.keys.length - 1);
  }

  /** Changes the value of a key already in the table. */
  set(key: string, value: number): void {
    const len = key.length;
    let h = len;
    for (let k = len > 12 ? len - 12 : 0; k < len; k++) h = Math.imul(h ^ key.charCodeAt(k), 0x01000193);
    for (let s = mix(h) & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s];
      if (e === EMPTY) return this.add(key, value);
      if (this.keys[e] === key) {
        this.values[e] = value;
        return;
      }
    }
  }

  private place(e: number): void {
    const key = this.keys[e];
    const len = key.length;
    let h = len;
    for (let k = len > 12 ? len - 12 : 0; k < len; k++) h = Math.imul(h ^ key.charCodeAt(k), 0x01000193);
    let s = mix(h) & this.mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
    this.slots[s] = e;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    this.mask = this.slots.length - 1;
    for (let e = 0; e < this.keys.length; e++) this.place(e);
  }
}
