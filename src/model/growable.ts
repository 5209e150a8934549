type Column = Uint32Array | Int32Array | Float64Array;

/** An append-only typed-array column that doubles its storage; `view()` returns the filled part. */
export class Growable<A extends Column> {
  private buf: A;
  length = 0;
  constructor(
    private readonly make: (length: number) => A,
    initial = 1024,
  ) {
    this.buf = make(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = this.make(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  /** Appends every value of `src` (one copy, not a push per value). */
  append(src: ArrayLike<number>): void {
    if (this.length + src.length > this.buf.length) {
      let cap = this.buf.length;
      while (cap < this.length + src.length) cap *= 2;
      const next = this.make(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(src, this.length);
    this.length += src.length;
  }
  view(): A {
    return this.buf.subarray(0, this.length) as A;
  }
}

/** An append-only Uint32 column. */
export class GrowableUint32 extends Growable<Uint32Array> {
  constructor(initial = 1024) {
    super((n) => new Uint32Array(n), initial);
  }
}

/** An append-only Float64 column. */
export class GrowableFloat64 extends Growable<Float64Array> {
  constructor(initial = 1024) {
    super((n) => new Float64Array(n), initial);
  }
}

/** An append-only Int32 column. */
export class GrowableInt32 extends Growable<Int32Array> {
  constructor(initial = 1024) {
    super((n) => new Int32Array(n), initial);
  }
}
