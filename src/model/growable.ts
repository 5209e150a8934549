/** An append-only Uint32 column that doubles its storage; `view()` returns the filled part. */
export class GrowableUint32 {
  private buf: Uint32Array;
  length = 0;
  constructor(initial = 1024) {
    this.buf = new Uint32Array(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Uint32Array {
    return this.buf.subarray(0, this.length);
  }
}

/** An append-only Float64 column. */
export class GrowableFloat64 {
  private buf: Float64Array;
  length = 0;
  constructor(initial = 1024) {
    this.buf = new Float64Array(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}
