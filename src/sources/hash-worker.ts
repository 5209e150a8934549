// sha256 on a second thread, fed through a SharedArrayBuffer ring: the content pass is bound by
// the main thread (parse, chunk, hash) while inflate alone uses the threadpool, so the hashing of
// chunks and of the diffID moves to a worker. Records are copied into the ring (a memcpy, ~10x
// cheaper than hashing them) and their digests come back in a shared table; no message per record,
// only Atomics counters. postMessage per buffer (tried before) and crypto.subtle.digest (measured:
// issuing a job costs the main thread more than hashing 64 KiB itself) did not pay.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Bytes of the data ring; a record never wraps, so at most a quarter of it goes in one record. */
const RING = 4 * 1024 * 1024;
/** Records in flight (and digest slots). */
const SLOTS = 8192;
/** The largest record: bigger payloads are split (streams) or hashed by the caller (chunks). */
export const MAX_RECORD = RING / 4;
const WRITTEN = 0;
const DONE = 1;
/** Set while the worker (resp. the main thread) sleeps in Atomics.wait: a notify costs a futex call, made only then. */
const WORKER_SLEEPS = 2;
const MAIN_SLEEPS = 3;
const KIND_CHUNK = 1;
const KIND_UPDATE = 2;
const KIND_FINAL = 3;

// The worker: hashes records in order; a chunk's digest and a stream's final digest go to the record's slot.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { control, records, digests, data, SLOTS } = workerData;
const c = new Int32Array(control), r = new Int32Array(records), d = new Uint8Array(digests), bytes = new Uint8Array(data);
const streams = new Map();
let done = 0;
for (;;) {
  let w = Atomics.load(c, 0);
  while (w === done) {
    Atomics.store(c, 2, 1);
    w = Atomics.load(c, 0);
    if (w === done) Atomics.wait(c, 0, w);
    Atomics.store(c, 2, 0);
    w = Atomics.load(c, 0);
  }
  for (; done !== w; done = (done + 1) | 0) {
    const slot = (done >>> 0) % SLOTS, p = slot * 4;
    const body = bytes.subarray(r[p], r[p] + r[p + 1]);
    const kind = r[p + 2], id = r[p + 3];
    if (kind === 1) d.set(createHash('sha256').update(body).digest(), slot * 32);
    else {
      let h = streams.get(id);
      if (!h) streams.set(id, (h = createHash('sha256')));
      h.update(body);
      if (kind === 3) { streams.delete(id); d.set(h.digest(), slot * 32); }
    }
    Atomics.store(c, 1, (done + 1) | 0);
    if (Atomics.load(c, 3) === 1) Atomics.notify(c, 1);
  }
}`;

/** The process's hashing thread and its ring. */
class HashWorker {
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private readonly records = new Int32Array(new SharedArrayBuffer(SLOTS * 16));
  private readonly digests = new Uint8Array(new SharedArrayBuffer(SLOTS * 32));
  private readonly data = new Uint8Array(new SharedArrayBuffer(RING));
  private readonly callbacks: (((digest: Uint8Array) => void) | undefined)[] = new Array(SLOTS);
  /** Absolute end (bytes since start, padding included) of each slot's record. */
  private readonly ends = new Float64Array(SLOTS);
  private written = 0;
  private collected = 0;
  private writeAt = 0;
  private nextStream = 1;
  failure: Error | undefined;
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer, records: this.records.buffer, digests: this.digests.buffer, data: this.data.buffer, SLOTS },
    });
    this.worker.unref();
    this.worker.on('error', (e) => (this.failure ??= e));
    this.worker.on('exit', (code) => (this.failure ??= new Error(`the hashing thread exited (code ${code})`)));
  }

  /** Records the worker has finished. */
  private done(): number {
    return Atomics.load(this.control, DONE) >>> 0;
  }

  /** Hands every finished record's digest to its callback (in record order). */
  collect(): void {
    const done = this.done();
    while (this.collected !== done) {
      const slot = this.collected % SLOTS;
      const fn = this.callbacks[slot];
      this.callbacks[slot] = undefined;
      this.collected = (this.collected + 1) >>> 0;
      if (fn) fn(this.digests.slice(slot * 32, slot * 32 + 32));
    }
  }

  /** Whether the record and its bytes fit now. */
  private fits(start: number, length: number): boolean {
    this.collect();
    const done = this.done();
    // Everything before the end of the last finished record is free; one slot stays spare, so that end is never overwritten.
    const freedTo = done === this.written ? this.writeAt : done === 0 ? 0 : this.ends[(done - 1) % SLOTS];
    return ((this.written - this.collected) >>> 0) < SLOTS - 1 && start + length - freedTo <= RING;
  }

  /** Blocks until the worker finishes a record (or 100 ms pass). */
  private sleep(): void {
    const done = Atomics.load(this.control, DONE);
    Atomics.store(this.control, MAIN_SLEEPS, 1);
    if (Atomics.load(this.control, DONE) === done) Atomics.wait(this.control, DONE, done, 100);
    Atomics.store(this.control, MAIN_SLEEPS, 0);
  }

  /** Queues a record; false when the ring is full and `wait` is off (the caller hashes it itself). */
  private submit(kind: number, id: number, parts: readonly Uint8Array[], length: number, fn: ((digest: Uint8Array) => void) | undefined, wait: boolean): boolean {
    if (this.failure) throw this.failure;
    let start = this.writeAt;
    if ((start % RING) + length > RING) start += RING - (start % RING);
    while (!this.fits(start, length)) {
      if (!wait) return false;
      if (this.failure) throw this.failure;
      this.sleep();
    }
    let at = start % RING;
    for (const p of parts) {
      this.data.set(p, at);
      at += p.length;
    }
    const slot = this.written % SLOTS;
    const r = slot * 4;
    this.records[r] = start % RING;
    this.records[r + 1] = length;
    this.records[r + 2] = kind;
    this.records[r + 3] = id;
    this.callbacks[slot] = fn;
    this.writeAt = start + length;
    this.ends[slot] = this.writeAt;
    this.written = (this.written + 1) >>> 0;
    Atomics.store(this.control, WRITTEN, this.written | 0);
    if (Atomics.load(this.control, WORKER_SLEEPS) === 1) Atomics.notify(this.control, WRITTEN);
    return true;
  }

  /**
   * sha256 of a chunk (at most {@link MAX_RECORD} bytes), handed to `fn` by a later {@link collect};
   * false when the worker is too far behind to take it: the caller hashes it itself, which beats
   * waiting when the worker's core is busy with other work.
   */
  chunk(parts: readonly Uint8Array[], length: number, fn: (digest: Uint8Array) => void): boolean {
    return this.submit(KIND_CHUNK, 0, parts, length, fn, false);
  }

  /** An incremental sha256 computed on the worker. */
  stream(): { update(bytes: Uint8Array): void; digest(): Promise<Uint8Array> } {
    const id = this.nextStream++;
    return {
      update: (bytes) => {
        for (let i = 0; i < bytes.length; i += MAX_RECORD) {
          const part = bytes.subarray(i, Math.min(bytes.length, i + MAX_RECORD));
          this.submit(KIND_UPDATE, id, [part], part.length, undefined, true);
        }
      },
      digest: async () => {
        let out: Uint8Array | undefined;
        this.submit(KIND_FINAL, id, [], 0, (d) => (out = d), true);
        await this.settle();
        return out!;
      },
    };
  }

  /** Resolves once the worker has finished every record submitted so far (and their callbacks ran). */
  async settle(): Promise<void> {
    const target = this.written;
    for (;;) {
      this.collect();
      if (((this.collected - target) | 0) >= 0) return;
      if (this.failure) throw this.failure;
      const done = this.done();
      Atomics.store(this.control, MAIN_SLEEPS, 1);
      const w = (Atomics.load(this.control, DONE) >>> 0) === done ? waitAsync(this.control, DONE, done | 0, 100) : { async: false };
      if (!w.async) {
        Atomics.store(this.control, MAIN_SLEEPS, 0);
        continue;
      }
      // A pending waitAsync does not keep the event loop alive (nor does the unref'd worker): a timer does.
      const alive = setTimeout(() => undefined, 1000);
      await (w as { value: Promise<string> }).value;
      clearTimeout(alive);
      Atomics.store(this.control, MAIN_SLEEPS, 0);
    }
  }
}

// Node 20's Atomics has waitAsync; the ES2022 lib does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

let shared: HashWorker | undefined;

/** The hashing thread, started on first use (a thread costs some 30 ms to boot: only heavy passes ask for it). */
export function hashWorker(): HashWorker {
  shared ??= new HashWorker();
  return shared;
}

/** Whether the hashing thread has been started (scanLayer sends the diffID there only then). */
export function hashWorkerStarted(): boolean {
  return shared !== undefined && shared.failure === undefined;
}

export type { HashWorker };

/** sha256 of parts here, on this thread. */
export function sha256Here(parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
