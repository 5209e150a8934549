// The event queue: a binary min-heap of event ids ordered by (integer time tick, kind, insertion
// number), so equal times resolve the same way on every run. Event fields live in typed arrays;
// ids of popped events are reused.

/** A deterministic priority queue of events (kind, a, b) at integer ticks. */
export class EventQueue {
  private time = new Float64Array(4096);
  private seq = new Float64Array(4096);
  private kind = new Uint8Array(4096);
  private a = new Uint32Array(4096);
  private b = new Uint32Array(4096);
  private used = 0;
  private heap = new Int32Array(4096);
  private size = 0;
  private free: number[] = [];
  private counter = 0;

  get length(): number {
    return this.size;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const g = <T extends Float64Array | Uint8Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const x = make(n);
      x.set(old);
      return x;
    };
    this.time = g(this.time, (k) => new Float64Array(k));
    this.seq = g(this.seq, (k) => new Float64Array(k));
    this.kind = g(this.kind, (k) => new Uint8Array(k));
    this.a = g(this.a, (k) => new Uint32Array(k));
    this.b = g(this.b, (k) => new Uint32Array(k));
  }

  /** Queues event `kind` with payload (a, b) at `tick`; kinds order events of one tick (lower first). */
  push(tick: number, kind: number, a: number, b = 0): void {
    let id: number;
    if (this.free.length) id = this.free.pop()!;
    else {
      if (this.used === this.time.length) this.grow();
      id = this.used++;
    }
    this.time[id] = tick;
    this.kind[id] = kind;
    this.a[id] = a;
    this.b[id] = b;
    this.seq[id] = this.counter++;
    if (this.size === this.heap.length) {
      const h = new Int32Array(this.heap.length * 2);
      h.set(this.heap);
      this.heap = h;
    }
    let i = this.size++;
    const heap = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(id, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = id;
  }

  private less(x: number, y: number): boolean {
    const t = this.time;
    if (t[x] !== t[y]) return t[x] < t[y];
    const k = this.kind;
    if (k[x] !== k[y]) return k[x] < k[y];
    return this.seq[x] < this.seq[y];
  }

  /** Tick of the next event (Infinity when empty). */
  peekTime(): number {
    return this.size ? this.time[this.heap[0]] : Infinity;
  }

  /** Removes the next event into `out` ([tick, kind, a, b]). */
  pop(out: number[]): void {
    const heap = this.heap;
    const id = heap[0];
    out[0] = this.time[id];
    out[1] = this.kind[id];
    out[2] = this.a[id];
    out[3] = this.b[id];
    const last = heap[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && this.less(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!this.less(heap[c], last)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    this.free.push(id);
  }
}
