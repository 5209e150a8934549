// A snapshot file read on two threads: the reading thread (snapshot-worker.ts) reads and scans the
// bytes, this thread replays its loader calls on the SnapshotLoader (interning, duplicate checks,
// field checks, graph build). The main thread takes batches synchronously (receiveMessageOnPort)
// and waits with Atomics.waitAsync only when none is ready, so no await per batch is needed.
import { statSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { MessageChannel, receiveMessageOnPort, Worker, type WorkerOptions } from 'node:worker_threads';
import { LayerlabError, type ErrorCode } from '../errors.js';
import { OP_END, OP_ERROR, OP_FLUSH, OP_IMAGE, OP_IMAGES_DONE, OP_KEYS, OP_KIND, OP_STATS, OP_LAYER, OP_META, OP_SLOW, OP_VERSION, type Batch, type BatchError, type BatchSizes, type KeysReply, type ReaderStats, BATCH_SIZES } from './snapshot-batch.js';
import type { RawBuffer } from './snapshot-fast.js';
import { SnapshotLoader, type Json, type ScannedImage, type ScannedLayer } from './snapshot-loader.js';
import type { SnapshotWorkerData } from './snapshot-worker.js';
import type { Snapshot } from './snapshot.js';

/** Batches the reading thread may run ahead of this one (about 1 MB each). */
const AHEAD = 32;

/** For tests: small batches and a short queue (to cross batch boundaries often), the reading thread once started. */
export interface PipelineHooks {
  batchSizes?: BatchSizes;
  ahead?: number;
  started?(worker: Worker): void;
  /** For benches: what the reading thread reports of itself at the end. */
  stats?(s: ReaderStats): void;
}

/**
 * Starts the worker's module: next to this one (tsc's dist/sources), or the bundle's entry in
 * dist/cli. From the TypeScript sources (tests, benches under tsx) the worker registers tsx first:
 * a worker thread does not take over the main thread's module hooks.
 */
function startWorker(options: WorkerOptions): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./snapshot-worker.js', here), options);
  const url = new URL('./snapshot-worker.ts', here).href;
  // `import (` with a space: scripts/bundle-cli.mjs refuses a bundled program with `import(` in it
  // (a function restored from the code cache cannot import); this string is only run under tsx.
  const boot = `import ('tsx/esm/api').then((tsx) => { tsx.register(); return import (${JSON.stringify(url)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * A reading thread that finished its last read cleanly, kept for the next: a thread starting cold
 * (its own isolate, modules, and the scanner interpreted until the JIT compiles it) costs tens of
 * milliseconds of a read. It is unref'd, so it never keeps the process alive.
 */
let idle: Worker | undefined;

function takeWorker(): Worker {
  const kept = idle;
  idle = undefined;
  if (kept) return kept;
  const worker = startWorker({ workerData: { snapshotWorker: true } });
  worker.unref();
  // An idle thread that fails or ends is not taken again (a read in progress has its own listeners).
  const forget = () => {
    if (idle === worker) idle = undefined;
  };
  worker.on('error', forget);
  worker.on('exit', forget);
  return worker;
}

/** Reads and validates a snapshot from a regular file on two threads; the result and errors are those of a single-thread read. */
export async function readSnapshotPipelined(file: string, recordLimit: number, hooks: PipelineHooks = {}): Promise<Snapshot> {
  let inputBytes = 0;
  try {
    inputBytes = statSync(file).size;
  } catch {
    // The reading thread opens the file and reports why it cannot.
  }
  const control = new Int32Array(new SharedArrayBuffer(12));
  const { port1, port2 } = new MessageChannel();
  const data: SnapshotWorkerData = { file, recordLimit, port: port2, control: control.buffer as SharedArrayBuffer, ahead: hooks.ahead ?? AHEAD, batchSizes: hooks.batchSizes ?? BATCH_SIZES };
  // Made before the thread is taken: nothing may throw between taking it and the try below.
  const loader = new SnapshotLoader(file, true, inputBytes);
  const worker = takeWorker();
  let failure: string | undefined;
  const onError = (e: Error) => (failure ??= e.message);
  const onExit = (code: number) => (failure ??= `exited with code ${code}`);
  worker.on('error', onError);
  worker.on('exit', onExit);
  worker.postMessage({ snapshotJob: data }, [port2]);
  /** Whether the reading thread came to the end of the input (it then waits for the next read). */
  let ended = false;
  hooks.started?.(worker);
  const replay = new Replay(loader, file, hooks, () => {
    // Every record before the images section is in: the table the reading thread looks refs up in from now on.
    loader.flushKeys();
    const reply: KeysReply = { table: loader.layerKeys.share(), entries: loader.layerKeyEntries(), layerCount: loader.layerCount };
    port1.postMessage(reply);
    Atomics.add(control, 2, 1);
    Atomics.notify(control, 2);
  });
  try {
    for (;;) {
      const posted = Atomics.load(control, 0);
      const m = receiveMessageOnPort(port1);
      if (m) {
        const done = replay.batch(m.message as Batch);
        Atomics.add(control, 1, 1);
        Atomics.notify(control, 1);
        if (done) {
          ended = true;
          return replay.loader.finish();
        }
        continue;
      }
      if (failure !== undefined) throw new LayerlabError('EIO', `cannot read: the snapshot reading thread stopped before the end (${failure})`, { file });
      const w = waitAsync(control, 0, posted, 200);
      if (w.async) {
        // A pending waitAsync does not keep the event loop alive (nor does the unref'd worker): a timer does.
        const alive = setTimeout(() => undefined, 1000);
        await w.value;
        clearTimeout(alive);
      }
    }
  } finally {
    port1.close();
    worker.off('error', onError);
    worker.off('exit', onExit);
    // A read that stopped early leaves its thread mid-way (maybe waiting on a full queue): it goes.
    if (ended && failure === undefined && idle === undefined) idle = worker;
    else void worker.terminate();
  }
}

// Node 20's Atomics has waitAsync; the ES2022 lib does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/** A scanned record's fields as the loader reads them (see ScannedLayer, ScannedImage). */
class Fields implements ScannedLayer, ScannedImage {
  hasDiffId = false;
  hasDigest = false;
  readonly raw = new Uint8Array(64);
  readonly rawWords = new Int32Array(this.raw.buffer);
  size = -1;
  compressedSize = -1;
  mediaType: string | undefined = undefined;
  readonly repoTags: string[] = [];
  readonly repoDigests: string[] = [];
  created = -1;
  platform: string | undefined = undefined;
  parentAt = -1;
  layers: Int32Array = new Int32Array(0);
  refs(): Int32Array {
    return this.layers;
  }
}

/** Makes the loader calls a batch holds. */
class Replay {
  private readonly f = new Fields();
  private readonly interned: string[] = [];
  private ints: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private nums: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private bytes: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private ni = 0;
  private nn = 0;
  private nb = 0;

  constructor(
    readonly loader: SnapshotLoader,
    private readonly file: string,
    private readonly hooks: PipelineHooks,
    private readonly shareKeys: () => void,
  ) {}

  /** Replays one batch; true at the end of the snapshot. */
  batch(b: Batch): boolean {
    this.ints = b.ints;
    this.nums = b.nums;
    this.bytes = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length);
    this.ni = this.nn = this.nb = 0;
    const ints = this.ints;
    const loader = this.loader;
    const c = loader.c;
    while (this.ni < ints.length) {
      const op = ints[this.ni++];
      if (op === OP_IMAGE) this.image();
      else if (op === OP_LAYER) this.layer();
      else if (op === OP_SLOW) {
        const section = ints[this.ni];
        const i = ints[this.ni + 1];
        const line = ints[this.ni + 2];
        const trusted = ints[this.ni + 3] === 1;
        const raw = this.value(ints[this.ni + 4]) as Json;
        this.ni += 5;
        c.line = line === 0 ? undefined : line;
        c.trustedDigests = trusted;
        if (section === 0) loader.layer(raw, i);
        else if (section === 1) loader.image(raw, i);
        else loader.container(raw, i);
        c.trustedDigests = false;
      } else if (op === OP_FLUSH) loader.flushKeys();
      else if (op === OP_IMAGES_DONE) loader.imagesDone();
      else if (op === OP_KEYS) this.shareKeys();
      else if (op === OP_END) return true;
      else {
        const line = ints[this.ni];
        const v = this.value(ints[this.ni + 1]) as Json;
        this.ni += 2;
        c.line = line === 0 ? undefined : line;
        if (op === OP_KIND) loader.kind(v);
        else if (op === OP_VERSION) loader.version(v);
        else if (op === OP_META) loader.setMeta(v);
        else if (op === OP_ERROR) this.fail(v as unknown as BatchError);
        else if (op === OP_STATS) this.hooks.stats?.(v as unknown as ReaderStats);
        else throw new Error(`snapshot pipeline: unknown op ${op}`);
      }
    }
    return false;
  }

  private value(length: number): unknown {
    const v = deserialize(this.bytes.subarray(this.nb, this.nb + length));
    this.nb += length;
    return v;
  }

  private fail(e: BatchError): never {
    // As in a single-thread read: a duplicate key of an earlier record, not yet checked, is the first error.
    this.loader.flushKeys();
    if (e.code === undefined) throw new LayerlabError('EIO', `cannot read: ${e.message}`, { file: this.file });
    throw new LayerlabError(e.code as ErrorCode, e.message, e.place);
  }

  private layer(): void {
    const ints = this.ints;
    const f = this.f;
    let n = this.ni;
    const i = ints[n++];
    const line = ints[n++];
    const flags = ints[n++];
    const w = f.rawWords;
    f.hasDiffId = (flags & 1) !== 0;
    f.hasDigest = (flags & 2) !== 0;
    if (f.hasDiffId) for (let k = 0; k < 8; k++) w[k] = ints[n++];
    if (f.hasDigest) for (let k = 8; k < 16; k++) w[k] = ints[n++];
    this.ni = n;
    f.mediaType = this.internedString();
    f.size = this.nums[this.nn++];
    f.compressedSize = this.nums[this.nn++];
    this.loader.c.line = line === 0 ? undefined : line;
    this.loader.layerFast(f, i);
  }

  private image(): void {
    const ints = this.ints;
    const f = this.f;
    let n = this.ni;
    const i = ints[n++];
    const line = ints[n++];
    const w = f.rawWords;
    for (let k = 0; k < 8; k++) w[k] = ints[n++];
    const count = ints[n++];
    f.layers = ints.subarray(n, n + count);
    this.ni = n + count;
    this.strings(f.repoTags);
    this.strings(f.repoDigests);
    f.platform = this.internedString();
    if (ints[this.ni++] === 1) {
      f.parentAt = this.nb;
      this.nb += 71;
    } else f.parentAt = -1;
    f.created = this.nums[this.nn++];
    this.loader.c.line = line === 0 ? undefined : line;
    this.loader.imageFast(f, this.bytes, i);
  }

  private strings(into: string[]): void {
    while (into.length !== 0) into.pop();
    const count = this.ints[this.ni++];
    for (let k = 0; k < count; k++) {
      const code = this.ints[this.ni++];
      const len = code >> 1;
      const bytes = this.bytes as RawBuffer;
      into.push((code & 1) === 0 ? bytes.latin1Slice(this.nb, this.nb + len) : bytes.utf8Slice(this.nb, this.nb + len));
      this.nb += len;
    }
  }

  private internedString(): string | undefined {
    const code = this.ints[this.ni++];
    if (code === -1) return undefined;
    if (code < -1) return this.interned[-code - 2];
    const len = code >> 1;
    const s = (this.bytes as RawBuffer).utf8Slice(this.nb, this.nb + len);
    this.nb += len;
    if ((code & 1) === 0) this.interned.push(s);
    return s;
  }
}
