// The one sha256 helper of the I/O side. model/digest.ts keeps a pure-JS sha256 (the model runs in
// a browser); readers hash gigabytes of layers, where node:crypto is about 7x faster.
import { createHash, hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LayerlabError, type ErrorPlace } from '../errors.js';
import type { Digest } from '../model/digest.js';
import { hashWorker, MAX_RECORD, sha256Here, type HashWorker } from './hash-worker.js';

/** An incremental hash that ends as a digest, `<algorithm>:<hex>`. */
export interface DigestHasher {
  update(chunk: Uint8Array): void;
  digest(): Digest;
}

/** An incremental hash of a digest algorithm registries use; ends as `<algorithm>:<hex>`. */
export function digestHasher(algorithm: 'sha256' | 'sha512'): DigestHasher {
  const h = createHash(algorithm);
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => `${algorithm}:${h.digest('hex')}`,
  };
}

/** An incremental sha256 that ends as a `sha256:<hex>` digest. */
export function sha256Hasher(): DigestHasher {
  return digestHasher('sha256');
}

/** `sha256:<hex>` of bytes (a string as UTF-8), hashed natively in one call (chainIDs: millions of short strings). */
export function sha256Of(bytes: Uint8Array | string): Digest {
  return 'sha256:' + hash('sha256', bytes, 'hex');
}

/** A pass-through that counts and hashes what flows through it. */
export class DigestTap extends Transform {
  private readonly hasher = sha256Hasher();
  bytes = 0;
  private result: Digest | undefined;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** The digest of everything seen; call once the stream has ended. */
  digest(): Digest {
    this.result ??= this.hasher.digest();
    return this.result;
  }
}

/**
 * A pass-through that fails at its end when the bytes do not hash to `want` (or their count
 * differs from `size`), so a consumer never sees a blob end without its digest checked.
 */
export class VerifyingStream extends Transform {
  private readonly hasher = sha256Hasher();
  private bytes = 0;
  constructor(
    readonly want: Digest,
    private readonly place: ErrorPlace,
    private readonly size?: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    if (this.size !== undefined && this.bytes > this.size) return cb(new LayerlabError('EDIGEST', `blob ${this.want} is larger than the ${this.size} bytes its descriptor says`, this.place));
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.hasher.digest();
    if (got !== this.want) return cb(new LayerlabError('EDIGEST', `blob ${this.want} has digest ${got}: content does not match its name`, this.place));
    if (this.size !== undefined && this.bytes !== this.size) return cb(new LayerlabError('EDIGEST', `blob ${this.want} has ${this.bytes} bytes, its descriptor says ${this.size}`, this.place));
    cb();
  }
}

/** One queued continuation of a {@link DigestSequencer}: ready once its digest (if any) is known. */
interface Step {
  ready: boolean;
  run: () => void;
}

/**
 * Hashes chunks and runs what depends on their digests in the order they were asked for. Chunks of
 * `offloadMin` bytes and more go to the hashing thread (hash-worker.ts) when there is one and it
 * has room (else they are hashed here): the main thread goes on parsing and chunking while the
 * other core hashes. Continuations run strictly in
 * order, so whoever reads state they set sees what a synchronous pass would.
 */
export class DigestSequencer {
  private steps: Step[] = [];
  private head = 0;
  /** A continuation is running: what it asks for runs at once, as in a synchronous pass. */
  private running = false;
  private failure: { error: unknown } | undefined;
  private readonly worker: HashWorker | undefined;
  /** Bytes hashed on the hashing thread, and on this one. */
  offloadedBytes = 0;
  localBytes = 0;

  constructor(
    /** Chunks below this size are hashed here: a record costs more than hashing them. */
    readonly offloadMin = 16 * 1024,
    /** Use the hashing thread (started now if it is not running). */
    offload = true,
  ) {
    this.worker = offload ? hashWorker() : undefined;
  }

  /** A sequencer that never leaves this thread: every continuation runs at once. */
  static synchronous(): DigestSequencer {
    return new DigestSequencer(Infinity, false);
  }

  /** Runs `fn` after every continuation queued before it (at once when none waits). */
  then(fn: () => void): void {
    if (this.head < this.steps.length) this.poll();
    if (this.running || this.head === this.steps.length) return this.call(fn);
    this.steps.push({ ready: true, run: fn });
  }

  /** The sha256 of `parts` (`length` bytes together), then `fn(digest)`, in order. */
  hash(parts: readonly Uint8Array[], length: number, fn: (digest: Uint8Array) => void): void {
    const w = this.worker;
    if (w && !this.running && length >= this.offloadMin && length <= MAX_RECORD) {
      let digest: Uint8Array | undefined;
      const step: Step = { ready: false, run: () => fn(digest!) };
      const queued = w.chunk(parts, length, (d) => {
        digest = d;
        step.ready = true;
      });
      if (queued) {
        this.offloadedBytes += length;
        this.steps.push(step);
        return this.poll();
      }
    }
    this.localBytes += length;
    const digest = sha256Here(parts);
    this.then(() => fn(digest));
  }

  /** Resolves once every queued continuation has run; rejects with the first failure. */
  async settle(): Promise<void> {
    if (this.worker && this.head < this.steps.length) await this.worker.settle();
    this.poll();
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      this.steps = [];
      this.head = 0;
      throw error;
    }
  }

  /** Runs a continuation; a failure in one run from {@link poll} is kept for {@link settle}, any other reaches the caller. */
  private call(fn: () => void, deferred = false): void {
    if (this.failure) return;
    const outer = this.running;
    this.running = true;
    try {
      fn();
    } catch (error) {
      if (!deferred) throw error;
      this.failure ??= { error };
    } finally {
      this.running = outer;
    }
  }

  /** Runs the continuations whose digests have arrived, in order. */
  private poll(): void {
    if (this.running) return;
    this.worker?.collect();
    const steps = this.steps;
    while (this.head < steps.length && steps[this.head].ready) this.call(steps[this.head++].run, true);
    if (this.head === steps.length) {
      this.steps = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.steps = steps.slice(this.head);
      this.head = 0;
    }
  }
}
