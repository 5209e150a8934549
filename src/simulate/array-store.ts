// The fleet's image store: one node's state as typed arrays over the universe (reference counts
// per chain and blob, flags per image), so a node costs a few bytes per catalog entry and no
// objects. Held to the reference store by test/simulate-store.test.ts.
import { kubeletImageSizes, type StoreOptions } from './reference-store.js';
import type { NodeImageStore, PullEffect, Runtime, SimUniverse } from './store.js';

/** {@link NodeImageStore} over typed arrays with reference counts. */
export class ArrayStore implements NodeImageStore {
  private readonly present: Uint8Array;
  private readonly containers: Uint16Array;
  private readonly used: Float32Array;
  private readonly detected: Float32Array;
  /** Present images whose stack holds the chain (docker layer / containerd snapshot references). */
  private readonly chainRefs: Uint16Array;
  /** containerd: present images referencing the blob, and whether its content is in the store. */
  private readonly blobRefs: Uint16Array;
  private readonly blobHeld: Uint8Array;
  private readonly keepBlobs: boolean;
  private disk = 0;
  private readonly sizes: Float64Array;
  private count = 0;
  /** Scratch marks for one plan: a blob counted once per pull, a chain written once. */
  private readonly seenBlob: Int32Array;
  private stamp = 0;

  constructor(
    private readonly u: SimUniverse,
    readonly runtime: Runtime,
    options: StoreOptions = {},
  ) {
    this.present = new Uint8Array(u.imageCount);
    this.containers = new Uint16Array(u.imageCount);
    this.used = new Float32Array(u.imageCount).fill(-1);
    this.detected = new Float32Array(u.imageCount);
    this.chainRefs = new Uint16Array(u.chainCount);
    this.keepBlobs = runtime === 'containerd' && !options.discardUnpackedLayers;
    this.blobRefs = new Uint16Array(this.keepBlobs ? u.blobCount : 0);
    this.blobHeld = new Uint8Array(this.keepBlobs ? u.blobCount : 0);
    this.seenBlob = new Int32Array(u.blobCount);
    this.sizes = kubeletImageSizes(u, runtime);
  }

  hasImage(image: number): boolean {
    return this.present[image] === 1;
  }

  plan(image: number): PullEffect {
    const e: PullEffect = { blobs: [], downloadBytes: 0, unpackBytes: 0, diskGrowth: 0 };
    if (this.present[image]) return e;
    const u = this.u;
    const stamp = ++this.stamp;
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
      const chain = u.refChain[r];
      if (this.chainRefs[chain] > 0) continue; // a chain present holds its whole prefix
      const blob = u.refBlob[r];
      const size = u.diffSize[u.chainDiff[chain]];
      e.unpackBytes += size;
      e.diskGrowth += size;
      const held = this.keepBlobs && this.blobHeld[blob] === 1;
      if (!held && this.seenBlob[blob] !== stamp) {
        this.seenBlob[blob] = stamp;
        e.blobs.push(blob);
        e.downloadBytes += u.blobSize[blob];
        if (this.keepBlobs) e.diskGrowth += u.blobSize[blob];
      }
    }
    e.downloadBytes += u.imageConfigSize[image];
    e.diskGrowth += u.imageConfigSize[image];
    return e;
  }

  /** Registry bytes a pull of `image` would fetch now, without allocating (for scoring). */
  downloadBytes(image: number): number {
    if (this.present[image]) return 0;
    const u = this.u;
    const stamp = ++this.stamp;
    let bytes = u.imageConfigSize[image];
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
      if (this.chainRefs[u.refChain[r]] > 0) continue;
      const blob = u.refBlob[r];
      if ((this.keepBlobs && this.blobHeld[blob] === 1) || this.seenBlob[blob] === stamp) continue;
      this.seenBlob[blob] = stamp;
      bytes += u.blobSize[blob];
    }
    return bytes;
  }

  pull(image: number, now: number): PullEffect {
    const e = this.plan(image);
    if (this.present[image]) return e;
    const u = this.u;
    for (const b of e.blobs) if (this.keepBlobs) this.blobHeld[b] = 1;
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
      this.chainRefs[u.refChain[r]]++;
      if (this.keepBlobs) this.blobRefs[u.refBlob[r]]++;
    }
    this.present[image] = 1;
    this.count++;
    this.detected[image] = now;
    this.used[image] = -1;
    this.disk += e.diskGrowth;
    return e;
  }

  rmi(image: number): number {
    if (this.containers[image] > 0) throw new Error(`image ${this.u.imageRef[image]} is in use`);
    if (!this.present[image]) return 0;
    const u = this.u;
    let freed = u.imageConfigSize[image];
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
      const chain = u.refChain[r];
      if (--this.chainRefs[chain] === 0) freed += u.diffSize[u.chainDiff[chain]];
      if (this.keepBlobs) {
        const blob = u.refBlob[r];
        if (--this.blobRefs[blob] === 0 && this.blobHeld[blob]) {
          this.blobHeld[blob] = 0;
          freed += u.blobSize[blob];
        }
      }
    }
    this.present[image] = 0;
    this.count--;
    this.disk -= freed;
    return freed;
  }

  imageSize(image: number): number {
    return this.sizes[image];
  }

  images(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.present.length && out.length < this.count; i++) if (this.present[i]) out.push(i);
    return out;
  }

  diskUsed(): number {
    return this.disk;
  }

  inUse(image: number): boolean {
    return this.containers[image] > 0;
  }

  containerStart(image: number, now: number): void {
    if (!this.present[image]) throw new Error(`image ${this.u.imageRef[image]} is not present`);
    this.containers[image]++;
    this.used[image] = now;
  }

  containerStop(image: number, now: number): void {
    if (this.containers[image] === 0) throw new Error(`no container of image ${this.u.imageRef[image]}`);
    this.containers[image]--;
    this.used[image] = now;
  }

  lastUsed(image: number): number {
    return this.used[image] < 0 ? this.detected[image] : this.used[image];
  }

  firstDetected(image: number): number {
    return this.detected[image];
  }
}
