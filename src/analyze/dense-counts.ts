// The per-id counters of a host that holds most of its universe (a removal host over one graph:
// every chain and image is its own), as one typed array indexed by id: what SparseCounts answers,
// without a hash probe per id or a table sized twice the ids. Absent ids read 0.

/** Non-negative integer id → integer count, dense (the interface of SparseCounts). */
export class DenseCounts {
  private vals: Int32Array;
  private n = 0;

  /** Counts taken over from `vals` (not copied). */
  constructor(vals: Int32Array) {
    this.vals = vals;
    for (let k = 0; k < vals.length; k++) if (vals[k] !== 0) this.n++;
  }

  /** Ids with a non-zero count. */
  get size(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.vals.byteLength;
  }

  get(k: number): number {
    return k < this.vals.length ? this.vals[k] : 0;
  }

  set(k: number, v: number): void {
    if (k >= this.vals.length) {
      if (v === 0) return;
      const grown = new Int32Array(Math.max(k + 1, this.vals.length * 2));
      grown.set(this.vals);
      this.vals = grown;
    }
    const was = this.vals[k];
    this.vals[k] = v;
    this.n += (v !== 0 ? 1 : 0) - (was !== 0 ? 1 : 0);
  }

  /** Adds `d` to the count of `k`; returns the new count. */
  add(k: number, d: number): number {
    const v = this.get(k) + d;
    this.set(k, v);
    return v;
  }

  /** [id, count] pairs in ascending id order. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const vals = this.vals;
    for (let k = 0; k < vals.length; k++) if (vals[k] !== 0) out.push([k, vals[k]]);
    return out;
  }
}
