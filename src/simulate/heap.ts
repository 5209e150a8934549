// The event queue: a binary min-heap of event ids ordered by (integer time tick, priority, id),
// so equal times resolve the same way on every run. Event fields live in typed arrays.
import { GrowableFloat64, GrowableUint32 } from '../model/growable.js';

/** A deterministic priority queue of events (kind, a, b) at integer ticks. */
export class EventQueue {
  private readonly time = new GrowableFloat64(1 << 12);
  private readonly kind = new GrowableUint32(1 << 12);
  private readonly a = new GrowableUint32(1 << 12);
  private readonly b = new GrowableUint32(1 << 12);
  /** Insertion number: FIFO among events of one tick and kind, whatever id an event reuses. */
  private readonly seq = new GrowableFloat64(1 << 12);
  private counter = 0;
  private heap = new Int32Array(1 << 12);
  private size = 0;
  /** Ids of popped events, reused so a long run does not grow the columns without bound. */
  private free: number[] = [];

  get length(): number {
    return this.size;
  }

  /** Queues event `kind` with payload (a, b) at `tick`; kinds order events of one tick (lower first). */
  push(tick: number, kind: number, a: number, b = 0): void {
    let id: number;
    if (this.free.length) {
      id = this.free.pop()!;
      this.time.view()[id] = tick;
      this.kind.view()[id] = kind;
      this.a.view()[id] = a;
      this.b.view()[id] = b;
      this.seq.view()[id] = this.counter++;
    } else {
      id = this.time.length;
      this.time.push(tick);
      this.kind.push(kind);
      this.a.push(a);
      this.b.push(b);
      this.seq.push(this.counter++);
    }
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
    const t = this.time.view();
    if (t[x] !== t[y]) return t[x] < t[y];
    const k = this.kind.view();
    if (k[x] !== k[y]) return k[x] < k[y];
    const s = this.seq.view();
    return s[x] < s[y];
  }

  /** Tick of the next event (Infinity when empty). */
  peekTime(): number {
    return this.size ? this.time.view()[this.heap[0]] : Infinity;
  }

  /** Kind of the next event. */
  peekKind(): number {
    return this.kind.view()[this.heap[0]];
  }

  /** Removes the next event into `out` ([tick, kind, a, b]). */
  pop(out: number[]): void {
    const heap = this.heap;
    const id = heap[0];
    out[0] = this.time.view()[id];
    out[1] = this.kind.view()[id];
    out[2] = this.a.view()[id];
    out[3] = this.b.view()[id];
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
