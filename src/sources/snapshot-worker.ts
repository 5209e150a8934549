// The snapshot reading thread (started by snapshot-pipeline.ts): reads the file and runs the same
// StreamReader as a single-thread read (framing, byte-level record scans, digest decoding, refs
// compared with the previous image's and resolved to layer indices, JSON.parse of records in other
// shapes), but its sink records each loader call into batches for the main thread, which makes
// the same calls on the real SnapshotLoader, in the same order: same checks, same graph, same
// first error. Refs are resolved against a copy of the layer key table kept here (the keys of the
// layer records, as the loader adds them); the main thread's table still checks every key.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LayerlabError } from '../errors.js';
import { GrowableUint32 } from '../model/growable.js';
import { BatchWriter, OP_END, OP_ERROR, OP_FLUSH, OP_IMAGES_DONE, OP_KIND, OP_META, OP_VERSION, type Batch, type BatchError, type BatchSizes } from './snapshot-batch.js';
import type { FastRecords } from './snapshot-fast.js';
import { Checker, type Json } from './snapshot-loader.js';
import { DigestTable } from './digest-table.js';
import { openInput, StreamReader } from './snapshot-stream.js';

/** workerData of the reading thread. */
export interface SnapshotWorkerData {
  file: string;
  recordLimit: number;
  port: MessagePort;
  /** [batches posted, batches taken by the main thread]. */
  control: SharedArrayBuffer;
  /** Most batches posted and not yet taken: the reader waits beyond that (memory stays bounded). */
  ahead: number;
  batchSizes: BatchSizes;
}

const POSTED = 0;
const TAKEN = 1;

/** Thrown when this thread's copy of the layer keys finds a duplicate: the main thread's loader reports it. */
class DuplicateLayer extends Error {}

/** A RecordSink that sends every call to the main thread. */
export class RecordingSink {
  readonly c: Checker;
  readonly layerKeys = new DigestTable(1 << 12);
  private readonly diffIdEntry = new GrowableUint32(1 << 12);
  private readonly digestEntry = new GrowableUint32(1 << 12);
  layerCount = 0;

  constructor(
    file: string,
    private readonly w: BatchWriter,
  ) {
    this.c = new Checker(file);
  }

  layerKeyEntries(): Uint32Array {
    const diff = this.diffIdEntry.view();
    const blob = this.digestEntry.view();
    return diff.map((e, l) => (e === 0 ? blob[l] : e));
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
    this.indexKeys();
    // The keys the loader would claim; a record it refuses ends the read there, whatever is kept here.
    const o = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
    this.diffIdEntry.push(this.claim(o.diffId, i));
    this.digestEntry.push(this.claim(o.digest, i));
    this.layerCount++;
    this.w.slow(0, i, this.c.line, this.c.trustedDigests, raw);
  }

  private claim(key: Json | undefined, i: number): number {
    if (typeof key !== 'string' || this.layerKeys.addIfAbsent(key, i) >= 0) return 0;
    return this.layerKeys.lastEntry + 1;
  }

  layerFast(f: FastRecords, i: number): void {
    this.diffIdEntry.push(f.hasDiffId ? this.layerKeys.appendWords(f.rawWords, 0, i) + 1 : 0);
    this.digestEntry.push(f.hasDigest ? this.layerKeys.appendWords(f.rawWords, 8, i) + 1 : 0);
    this.layerCount++;
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
    this.indexKeys();
    this.w.op(OP_FLUSH);
  }

  /** Makes the appended layer keys findable; a duplicate stops the read (after a flush that reports it). */
  private indexKeys(): void {
    if (this.layerKeys.indexPending() < 0) return;
    this.w.op(OP_FLUSH);
    throw new DuplicateLayer();
  }

  finish(): void {
    this.w.op(OP_END);
  }
}

function errorOf(e: unknown): BatchError {
  if (e instanceof LayerlabError) return { code: e.code, message: e.message, place: e.place };
  if (e instanceof DuplicateLayer) return { message: 'the snapshot reading thread found a duplicate layer key the loader did not' };
  return { message: `the snapshot reading thread failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
}

async function main(data: SnapshotWorkerData): Promise<void> {
  const control = new Int32Array(data.control);
  const writer = new BatchWriter((batch: Batch, transfer) => {
    data.port.postMessage(batch, transfer);
    const posted = Atomics.add(control, POSTED, 1) + 1;
    Atomics.notify(control, POSTED);
    for (;;) {
      const taken = Atomics.load(control, TAKEN);
      if (posted - taken <= data.ahead) break;
      Atomics.wait(control, TAKEN, taken, 1000);
    }
  }, data.batchSizes);
  try {
    const input = openInput(data.file, process.stdin);
    try {
      await new StreamReader<void>(input, data.file, data.recordLimit, new RecordingSink(data.file, writer)).run();
    } finally {
      input.close();
    }
  } catch (e) {
    writer.value(OP_ERROR, 0, errorOf(e));
  }
  writer.send();
}

if (parentPort && workerData && (workerData as { snapshotWorker?: SnapshotWorkerData }).snapshotWorker) {
  await main((workerData as { snapshotWorker: SnapshotWorkerData }).snapshotWorker);
}
