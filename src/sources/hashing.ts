// The one sha256 helper of the I/O side. model/digest.ts keeps a pure-JS sha256 (the model runs in
// a browser); readers hash gigabytes of layers, where node:crypto is about 7x faster.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LayerlabError, type ErrorPlace } from '../errors.js';
import type { Digest } from '../model/digest.js';

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

/** `sha256:<hex>` of bytes, hashed natively. */
export function sha256Of(bytes: Uint8Array | string): Digest {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
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
