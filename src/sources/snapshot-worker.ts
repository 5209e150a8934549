// The snapshot reading thread (started by snapshot-pipeline.ts): reads the file and runs the same
// StreamReader as a single-thread read (framing, byte-level record scans, digest decoding, refs
// compared with the previous image's and resolved to layer indices, JSON.parse of records in other
// shapes), but its sink records each loader call into batches for the main thread, which makes
// the same calls on the real SnapshotLoader, in the same order: same checks, same graph, same
// first error. When the images section starts, this thread waits for the loader's layer key
// table (shared memory, not copied: the loader adds no layer key while images are read) and
// resolves refs against it, as a single-thread read does. The thread is kept between reads (its
// JIT warm): each read comes as a message with its own port and control words.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { LayerlabError } from '../errors.js';
import { BatchWriter, OP_END, OP_ERROR, OP_FLUSH, OP_IMAGES_DONE, OP_KEYS, OP_KIND, OP_META, OP_STATS, OP_VERSION, threadCpuMs, type Batch, type KeysReply, type BatchError, type BatchSizes } from './snapshot-batch.js';
import type { FastRecords } from './snapshot-fast.js';
import { Checker, type Json } from './snapshot-loader.js';
import { DigestTable } from './digest-table.js';
import { openInput, StreamReader } from './snapshot-stream.js';

/** workerData of the reading thread. */
export interface SnapshotWorkerData {
  file: string;
  recordLimit: number;
  port: MessagePort;
  /** [batches posted, batches taken by the main thread, key tables sent]. */
  control: SharedArrayBuffer;
  /** Most batches posted and not yet taken: the reader waits beyond that (memory stays bounded). */
  ahead: number;
  batchSizes: BatchSizes;
}

const POSTED = 0;
const TAKEN = 1;
const KEYS_SENT = 2;

/** Wall ms this thread spent waiting for the main thread in the current read (reported in OP_STATS). */
let waited = 0;
/** This thread's CPU ms when the current read started (the thread is kept between reads). */
let cpuAtStart = 0;

/** A RecordSink that sends every call to the main thread. */
export class RecordingSink {
  readonly c: Checker;
  /** Empty until the loader's table comes (the byte-level reader looks refs up only in the images section). */
  readonly layerKeys = new DigestTable(64);
  layerCount = 0;
  /** Repo tags go as bytes: the main thread makes the strings (see BatchWriter.image). */
  readonly spansOnly = true;

  constructor(
    file: string,
    private readonly w: BatchWriter,
    private readonly keys: () => KeysReply,
  ) {
    this.c = new Checker(file);
  }

  /** Called as the images section starts: the loader's layer keys, once it has taken every record before. */
  layerKeyEntries(): Uint32Array {
    this.w.op(OP_KEYS);
    this.w.send();
    const reply = this.keys();
    this.layerKeys.adopt(reply.table);
    this.layerCount = reply.layerCount;
    return reply.entries;
  }

  kind(v: Json | undefined): void {
    this.w.value(OP_KIND, this.c.line, v);
  }

  version(v: Json | undefined): void {
    this.w.value(OP_VERSION, this.c.line, v);
  }

  setMeta(v: Json | undefined): void {
    this.w.value(OP_META, this.c.line, v);
  }

  layer(raw: Json, i: number): void {
    this.w.slow(0, i, this.c.line, this.c.trustedDigests, raw);
  }

  layerFast(f: FastRecords, i: number): void {
    this.w.layer(f, i, this.c.line);
  }

  image(raw: Json, i: number): void {
    this.w.slow(1, i, this.c.line, this.c.trustedDigests, raw);
  }

  imageFast(f: FastRecords, buf: Buffer, i: number): void {
    this.w.image(f, buf, i, this.c.line);
  }

  container(raw: Json, i: number): void {
    this.w.slow(2, i, this.c.line, this.c.trustedDigests, raw);
  }

  imagesDone(): void {
    this.w.op(OP_IMAGES_DONE);
  }

  flushKeys(): void {
    this.w.op(OP_FLUSH);
  }

  finish(): void {
    this.w.value(OP_STATS, 0, { cpuMs: threadCpuMs() - cpuAtStart, waitMs: waited });
    this.w.op(OP_END);
  }
}

function errorOf(e: unknown): BatchError {
  if (e instanceof LayerlabError) return { code: e.code, message: e.message, place: e.place };
  return { message: `the snapshot reading thread failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
}

/** Waits for the main thread's answer to OP_KEYS. */
function keys(data: SnapshotWorkerData, control: Int32Array): KeysReply {
  for (;;) {
    const sent = Atomics.load(control, KEYS_SENT);
    const m = receiveMessageOnPort(data.port);
    if (m) return m.message as KeysReply;
    const t = performance.now();
    Atomics.wait(control, KEYS_SENT, sent, 1000);
    waited += performance.now() - t;
  }
}

async function main(data: SnapshotWorkerData): Promise<void> {
  waited = 0;
  cpuAtStart = threadCpuMs();
  const control = new Int32Array(data.control);
  const writer = new BatchWriter((batch: Batch, transfer) => {
    data.port.postMessage(batch, transfer);
    const posted = Atomics.add(control, POSTED, 1) + 1;
    Atomics.notify(control, POSTED);
    for (;;) {
      const taken = Atomics.load(control, TAKEN);
      if (posted - taken <= data.ahead) break;
      const t = performance.now();
      Atomics.wait(control, TAKEN, taken, 1000);
      waited += performance.now() - t;
    }
  }, data.batchSizes);
  try {
    const input = openInput(data.file);
    try {
      await new StreamReader<void>(input, data.file, data.recordLimit, new RecordingSink(data.file, writer, () => keys(data, control))).run();
    } finally {
      input.close();
    }
  } catch (e) {
    writer.value(OP_ERROR, 0, errorOf(e));
  }
  writer.send();
}

if (parentPort && workerData && (workerData as { snapshotWorker?: boolean }).snapshotWorker === true) {
  // One read after another, each posted as { snapshotJob } once the one before has ended.
  let reads = Promise.resolve();
  parentPort.on('message', (m: { snapshotJob: SnapshotWorkerData }) => {
    reads = reads.then(() => main(m.snapshotJob));
  });
}
