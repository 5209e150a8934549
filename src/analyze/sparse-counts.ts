// A host holds a few hundred of a universe's hundred thousand chains: its per-id counters live in
// an open-addressing table sized by what it holds (two Int32Arrays, linear probing, deletion by
// backward shift), so a fleet node costs kilobytes. Absent ids read 0; a count reaching 0 is
// removed, so two tables with the same counts hold the same entries.

const EMPTY = -1;
const MIN_SLOTS = 8;

/** Non-negative integer id → non-zero integer count. */
export class SparseCounts {
  private keys: Int32Array;
  private vals: Int32Array;
  private shift: number;
  private n = 0;

  constructor(slots = MIN_SLOTS) {
    let s = MIN_SLOTS;
    while (s < slots) s *= 2;
    this.keys = new Int32Array(s).fill(EMPTY);
    this.vals = new Int32Array(s);
    this.shift = 32 - Math.log2(s);
  }

  /** Ids with a non-zero count. */
  get size(): number {
    return this.n;
  }

  /** Bytes of the table. */
  get byteLength(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }

  private home(k: number): number {
    return Math.imul(k, -1640531535) >>> this.shift; // Fibonacci hashing
  }

  private slot(k: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = this.home(k);
    for (;;) {
      const x = keys[i];
      if (x === k || x === EMPTY) return i;
      i = (i + 1) & mask;
    }
  }

  get(k: number): number {
    const i = this.slot(k);
    return this.keys[i] === k ? this.vals[i] : 0;
  }

  /** Sets the count of `k` (0 removes it). */
  set(k: number, v: number): void {
    const i = this.slot(k);
    if (this.keys[i] === k) {
      if (v !== 0) this.vals[i] = v;
      else this.removeAt(i);
      return;
    }
    if (v === 0) return;
    this.keys[i] = k;
    this.vals[i] = v;
    if (++this.n * 4 > this.keys.length * 3) this.resize(this.keys.length * 2);
  }

  /** Adds `d` to the count of `k`; returns the new count. */
  add(k: number, d: number): number {
    const i = this.slot(k);
    if (this.keys[i] === k) {
      const v = this.vals[i] + d;
      if (v !== 0) this.vals[i] = v;
      else this.removeAt(i);
      return v;
    }
    if (d !== 0) this.set(k, d);
    return d;
  }

  /** Calls `fn` for every id with a non-zero count (table order). */
  forEach(fn: (k: number, v: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) fn(keys[i], this.vals[i]);
  }

  /** [id, count] pairs in ascending id order. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.forEach((k, v) => out.push([k, v]));
    return out.sort((a, b) => a[0] - b[0]);
  }

  private removeAt(slot: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    let i = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === EMPTY) break;
      // the entry at j may fill the hole at i when i lies on its probe path (home .. j)
      if (((j - this.home(k)) & mask) >= ((j - i) & mask)) {
        keys[i] = k;
        vals[i] = vals[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    vals[i] = 0;
    if (--this.n * 8 < keys.length && keys.length > MIN_SLOTS) this.resize(keys.length / 2);
  }

  private resize(slots: number): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Int32Array(slots).fill(EMPTY);
    this.vals = new Int32Array(slots);
    this.shift = 32 - Math.log2(slots);
    const mask = slots - 1;
    for (let s = 0; s < keys.length; s++) {
      const k = keys[s];
      if (k === EMPTY) continue;
      let i = this.home(k);
      while (this.keys[i] !== EMPTY) i = (i + 1) & mask;
      this.keys[i] = k;
      this.vals[i] = vals[s];
    }
  }
}

/** Non-negative integer id → a number (a time): a {@link SparseCounts} of slots into a packed Float64Array. */
export class SparseTimes {
  private readonly index = new SparseCounts();
  private vals = new Float64Array(4);
  private free: number[] = [];
  private used = 0;

  get size(): number {
    return this.index.size;
  }
  get byteLength(): number {
    return this.index.byteLength + this.vals.byteLength;
  }
  has(k: number): boolean {
    return this.index.get(k) !== 0;
  }
  /** The value of `k`, undefined when absent. */
  get(k: number): number | undefined {
    const i = this.index.get(k);
    return i === 0 ? undefined : this.vals[i - 1];
  }
  set(k: number, v: number): void {
    let i = this.index.get(k);
    if (i === 0) {
      i = (this.free.pop() ?? this.used++) + 1;
      if (i > this.vals.length) {
        const grown = new Float64Array(this.vals.length * 2);
        grown.set(this.vals);
        this.vals = grown;
      }
      this.index.set(k, i);
    }
    this.vals[i - 1] = v;
  }
  delete(k: number): void {
    const i = this.index.get(k);
    if (i === 0) return;
    this.index.set(k, 0);
    if (this.index.size === 0) {
      // empty again: give the space back
      this.free = [];
      this.used = 0;
      if (this.vals.length > 4) this.vals = new Float64Array(4);
    } else this.free.push(i - 1);
  }
  /** [id, value] pairs in ascending id order. */
  entries(): Array<[number, number]> {
    return this.index.entries().map(([k, i]) => [k, this.vals[i - 1]]);
  }
}
