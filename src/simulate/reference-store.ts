// The reference image store: sets, recomputed from scratch after every removal, slow and plainly
// right. Tests hold the host state's node store (analyze/node-store.ts), the one the fleet runs on, to it.
import type { NodeImageStore, PullEffect, Runtime, SimUniverse } from './store.js';

/** Options of a node's runtime. */
export interface StoreOptions {
  /** containerd's `discard_unpacked_layers`: compressed blobs are dropped once unpacked. */
  discardUnpackedLayers?: boolean;
}

/** Layers of image i as [blob, chain] pairs, bottom-up. */
export function layersOf(u: SimUniverse, image: number): Array<[blob: number, chain: number]> {
  const out: Array<[number, number]> = [];
  for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) out.push([u.refBlob[r], u.refChain[r]]);
  return out;
}

/** Every chain from `chain` down to the bottom. */
export function chainPrefix(u: SimUniverse, chain: number): number[] {
  const out: number[] = [];
  for (let c = chain; c >= 0; c = u.chainParent[c]) out.push(c);
  return out;
}

/** The kubelet's size of an image: docker sums its layers (uncompressed); containerd's CRI sums its content (compressed blobs and config). */
export function kubeletImageSize(u: SimUniverse, runtime: Runtime, image: number): number {
  let s = 0;
  for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
    const blob = u.refBlob[r];
    s += runtime === 'docker' ? u.diffSize[u.blobDiff[blob]] : u.blobSize[blob];
  }
  return runtime === 'docker' ? s : s + u.imageConfigSize[image];
}

const sizeCache = new WeakMap<SimUniverse, Partial<Record<Runtime, Float64Array>>>();

/** {@link kubeletImageSize} of every image, computed once per universe and runtime. */
export function kubeletImageSizes(u: SimUniverse, runtime: Runtime): Float64Array {
  let byRuntime = sizeCache.get(u);
  if (!byRuntime) sizeCache.set(u, (byRuntime = {}));
  let sizes = byRuntime[runtime];
  if (!sizes) {
    sizes = new Float64Array(u.imageCount);
    for (let i = 0; i < u.imageCount; i++) sizes[i] = kubeletImageSize(u, runtime, i);
    byRuntime[runtime] = sizes;
  }
  return sizes;
}

/** {@link NodeImageStore} over JavaScript sets; disk use is recomputed from what is present. */
export class ReferenceStore implements NodeImageStore {
  private readonly present = new Set<number>();
  private readonly chains = new Set<number>();
  private readonly blobs = new Set<number>();
  private readonly containers = new Map<number, number>();
  private readonly used = new Map<number, number>();
  private readonly detected = new Map<number, number>();
  /** docker: blobs whose diffID the daemon recorded (every blob of an image it pulled; kept after rmi). */
  private readonly known = new Set<number>();

  constructor(
    private readonly u: SimUniverse,
    readonly runtime: Runtime,
    private readonly options: StoreOptions = {},
  ) {}

  hasImage(image: number): boolean {
    return this.present.has(image);
  }

  plan(image: number): PullEffect {
    const e: PullEffect = { blobs: [], downloadBytes: 0, unpackBytes: 0, diskGrowth: 0 };
    if (this.present.has(image)) return e;
    const chains = new Set(this.chains);
    const blobs = new Set(this.blobs);
    const keep = this.runtime === 'containerd' && !this.options.discardUnpackedLayers;
    let walking = true;
    for (const [blob, chain] of layersOf(this.u, image)) {
      // docker (moby's download manager): walking up from the bottom, a layer is "Already exists"
      // while the daemon knows its blob's diffID and the chain is on disk; from the first missing
      // one up, every blob downloads. containerd: a snapshot present is skipped.
      const present = chains.has(chain) && (this.runtime === 'containerd' || (walking && this.known.has(blob)));
      if (present) continue;
      walking = false;
      // containerd fetches a blob only when it is not in the content store; either runtime fetches a blob once per pull
      const fetch = !blobs.has(blob);
      if (fetch) {
        e.blobs.push(blob);
        e.downloadBytes += this.u.blobSize[blob];
        if (keep) e.diskGrowth += this.u.blobSize[blob];
        blobs.add(blob);
      }
      if (!chains.has(chain)) {
        chains.add(chain);
        const size = this.u.diffSize[this.u.chainDiff[chain]];
        e.unpackBytes += size;
        e.diskGrowth += size;
      }
    }
    e.downloadBytes += this.u.imageConfigSize[image];
    e.diskGrowth += this.u.imageConfigSize[image];
    return e;
  }

  pull(image: number, now: number): PullEffect {
    const e = this.plan(image);
    if (this.present.has(image)) return e;
    this.present.add(image);
    this.detected.set(image, now);
    for (const [blob] of layersOf(this.u, image)) this.known.add(blob);
    if (this.runtime === 'containerd' && !this.options.discardUnpackedLayers) for (const b of e.blobs) this.blobs.add(b);
    this.recompute();
    return e;
  }

  rmi(image: number): number {
    if (this.inUse(image)) throw new Error(`image ${image} is in use`);
    if (!this.present.has(image)) return 0;
    const before = this.diskUsed();
    this.present.delete(image);
    this.used.delete(image);
    this.detected.delete(image);
    this.recompute();
    return before - this.diskUsed();
  }

  freeable(image: number): number {
    if (!this.present.has(image) || this.inUse(image)) return 0;
    const before = this.diskUsed();
    const others = new ReferenceStore(this.u, this.runtime, this.options);
    for (const i of this.present) if (i !== image) others.present.add(i);
    for (const b of this.blobs) others.blobs.add(b);
    others.recompute();
    return before - others.diskUsed();
  }

  /** What the present images hold: every chain of their stacks, and the fetched blobs they still reference (containerd's GC drops the rest). */
  private recompute(): void {
    this.chains.clear();
    const referenced = new Set<number>();
    for (const i of this.present) {
      for (const [blob, chain] of layersOf(this.u, i)) {
        for (const c of chainPrefix(this.u, chain)) this.chains.add(c);
        referenced.add(blob);
      }
    }
    for (const b of [...this.blobs]) if (!referenced.has(b)) this.blobs.delete(b);
  }

  imageSize(image: number): number {
    return kubeletImageSize(this.u, this.runtime, image);
  }

  images(): number[] {
    return [...this.present].sort((a, b) => a - b);
  }

  diskUsed(): number {
    let s = 0;
    for (const c of this.chains) s += this.u.diffSize[this.u.chainDiff[c]];
    for (const b of this.blobs) s += this.u.blobSize[b];
    for (const i of this.present) s += this.u.imageConfigSize[i];
    return s;
  }

  inUse(image: number): boolean {
    return (this.containers.get(image) ?? 0) > 0;
  }

  containerStart(image: number, now: number): void {
    if (!this.present.has(image)) throw new Error(`image ${image} is not present`);
    this.containers.set(image, (this.containers.get(image) ?? 0) + 1);
    this.used.set(image, now);
  }

  containerStop(image: number, now: number): void {
    const n = this.containers.get(image) ?? 0;
    if (n === 0) throw new Error(`no container of image ${image}`);
    this.containers.set(image, n - 1);
    this.used.set(image, now);
  }

  lastUsed(image: number): number {
    return this.used.get(image) ?? this.firstDetected(image);
  }

  firstDetected(image: number): number {
    return this.detected.get(image) ?? 0;
  }
}
