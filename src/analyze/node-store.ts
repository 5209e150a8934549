// One fleet node's image store on the host state: the `NodeImageStore` contract of the fleet
// simulator (src/simulate/store.ts), by universe ids. `docker`: dockerd's layer store (a layer
// is `Already exists` when the daemon recorded its blob's diffID and the chain is there; a blob
// recurring in one pull downloads once). `containerd`: a content store of blobs plus snapshots
// by chainID (snapshot present: nothing; blob present, snapshot missing: unpacked without
// download; `discardUnpackedLayers`: blobs dropped once unpacked; blobs no image references are
// garbage-collected). Every change goes through the host's undo journal.
import type { Universe } from '../model/universe.js';
import { HostState } from './host-state.js';
import { SparseCounts } from './sparse-counts.js';

/** The container runtime a node's image store follows. */
export type NodeRuntime = 'docker' | 'containerd';

/** What a pull of one image does on one store. */
export interface NodePullEffect {
  /** Blobs fetched from the registry, bottom-up, each once (empty when the image is present). */
  blobs: number[];
  /** The blobs' compressed sizes plus the config when the image is new. */
  downloadBytes: number;
  /** Uncompressed bytes written by unpacking. */
  unpackBytes: number;
  /** How much the store's disk use grows. */
  diskGrowth: number;
}

const BLOB_HELD = 2;

/** A node's image store over a {@link HostState}. */
export class HostNodeStore {
  readonly host: HostState;
  private readonly keepBlobs: boolean;
  /** containerd: present images referencing each blob, and the blobs in the content store (sparse: what the node holds). */
  private readonly blobRefs = new SparseCounts();
  private readonly blobHeld = new SparseCounts();
  /** The kubelet's size of each image (per universe and runtime, shared by every node). */
  private readonly sizes: Float64Array;
  private readonly scratch: number[] = [];
  private blobBytes = 0;
  private configBytes = 0;

  constructor(
    readonly universe: Universe,
    readonly runtime: NodeRuntime,
    options: { discardUnpackedLayers?: boolean; host?: HostState } = {},
  ) {
    this.host = options.host ?? new HostState(universe);
    this.keepBlobs = runtime === 'containerd' && !options.discardUnpackedLayers;
    this.sizes = kubeletSizes(universe, runtime);
  }

  /** Bytes of this store's typed arrays (the host state's included). */
  typedByteLength(): number {
    return this.host.typedByteLength() + this.blobRefs.byteLength + this.blobHeld.byteLength;
  }

  hasImage(image: number): boolean {
    return this.host.hasImage(image);
  }

  /** The layers present by the runtime's rule: docker walks chains while its blob metadata says the diffID. */
  private present(chain: number, blob: number, walking: boolean): boolean {
    if (!this.host.hasChain(chain)) return false;
    return this.runtime === 'containerd' || (walking && this.host.knowsBlob(blob));
  }

  plan(image: number): NodePullEffect {
    const e: NodePullEffect = { blobs: [], downloadBytes: 0, unpackBytes: 0, diskGrowth: 0 };
    if (this.host.hasImage(image)) return e;
    const u = this.universe;
    let walking = true;
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) {
      const chain = u.refChain[r];
      const blob = u.refBlob[r];
      if (this.present(chain, blob, walking)) continue;
      walking = false;
      const held = this.keepBlobs && this.blobHeld.get(blob) === BLOB_HELD;
      if (!held && !e.blobs.includes(blob)) {
        e.blobs.push(blob);
        e.downloadBytes += u.blobSize[blob];
        if (this.keepBlobs) e.diskGrowth += u.blobSize[blob];
      }
      // docker registers the layer even when its chain exists (a present chain above a missing
      // blob metadata is reused by the layer store: no new bytes); containerd skips snapshots present.
      // An image's chains are distinct (one per depth): each is written once.
      if (!this.host.hasChain(chain)) {
        e.unpackBytes += u.chainSize[chain];
        e.diskGrowth += u.chainSize[chain];
      }
    }
    e.downloadBytes += u.imageConfigSize[image];
    e.diskGrowth += u.imageConfigSize[image];
    return e;
  }

  /** Pulls `image`; `planned` is `plan(image)` taken just before, with nothing changed since. */
  pull(image: number, now: number, planned?: NodePullEffect): NodePullEffect {
    const e = planned ?? this.plan(image);
    if (this.host.hasImage(image)) return e;
    const u = this.universe;
    const h = this.host;
    for (let r = u.imageLayerStart[image]; r < u.imageLayerStart[image + 1]; r++) h.knowBlob(u.refBlob[r]);
    h.addImage(image, u.imageTop(image));
    h.setFirstDetected(image, now);
    this.addConfig(image, 1);
    if (this.keepBlobs) {
      for (const b of e.blobs) this.setHeld(b, true);
      this.refBlobs(image, 1);
    }
    return e;
  }

  rmi(image: number): number {
    return this.removeImage(image);
  }

  /** The bytes `rmi(image)` would really free now: the removal tried and taken back by the host's journal. */
  freeable(image: number): number {
    if (!this.host.hasImage(image) || this.inUse(image)) return 0;
    return this.host.trial(() => this.removeImage(image));
  }

  private removeImage(image: number): number {
    const h = this.host;
    if (this.inUse(image)) throw new Error(`image ${image} is in use by a container`);
    if (!h.hasImage(image)) return 0;
    const before = this.diskUsed();
    h.setRefs(image, []);
    h.deleteImage(image);
    h.release(h.topOf(image));
    h.forgetTimes(image);
    this.addConfig(image, -1);
    if (this.keepBlobs) this.refBlobs(image, -1);
    return before - this.diskUsed();
  }

  /** Registry bytes a pull of `image` would fetch now, allocating nothing (the layer-aware score). */
  downloadBytes(image: number): number {
    if (this.host.hasImage(image)) return 0;
    const u = this.universe;
    const start = u.imageLayerStart[image];
    const end = u.imageLayerStart[image + 1];
    let bytes = u.imageConfigSize[image];
    let walking = true;
    const fetched = this.scratch;
    for (let r = start; r < end; r++) {
      const blob = u.refBlob[r];
      if (this.present(u.refChain[r], blob, walking)) continue;
      walking = false;
      if ((this.keepBlobs && this.blobHeld.get(blob) === BLOB_HELD) || fetched.includes(blob)) continue;
      fetched.push(blob);
      bytes += u.blobSize[blob];
    }
    fetched.length = 0;
    return bytes;
  }

  /** The kubelet's size: docker sums the image's layers (uncompressed); containerd's CRI its content (compressed blobs and config). */
  imageSize(image: number): number {
    return this.sizes[image];
  }

  images(): number[] {
    return this.host.images().sort((a, b) => a - b);
  }

  /** Bytes on disk: layers (snapshots) held, blobs in the content store, configs. */
  diskUsed(): number {
    return this.host.diskLayersSize() + this.blobBytes + this.configBytes;
  }

  inUse(image: number): boolean {
    return this.host.inUse(image);
  }

  containerStart(image: number, now: number): void {
    if (!this.host.hasImage(image)) throw new Error(`image ${image} is not present`);
    this.host.startPod(image);
    this.host.setLastUsed(image, now);
  }

  containerStop(image: number, now: number): void {
    if (this.host.podsOf(image) > 0) this.host.endPod(image);
    else {
      const c = this.host.containersOf(image)[0];
      if (!c) throw new Error(`no container of image ${image}`);
      this.host.dropContainer(this.host.containers.indexOf(c));
    }
    this.host.setLastUsed(image, now);
  }

  lastUsed(image: number): number {
    return this.host.lastUsed(image);
  }

  firstDetected(image: number): number {
    return this.host.firstDetected(image);
  }

  private addConfig(image: number, by: 1 | -1): void {
    const bytes = by * this.universe.imageConfigSize[image];
    this.configBytes += bytes;
    this.host.record(() => (this.configBytes -= bytes));
  }

  private setHeld(blob: number, held: boolean): void {
    const was = this.blobHeld.get(blob);
    const now = held ? BLOB_HELD : 0;
    if (was === now) return;
    const bytes = (held ? 1 : -1) * this.universe.blobSize[blob];
    this.blobHeld.set(blob, now);
    this.blobBytes += bytes;
    this.host.record(() => {
      this.blobHeld.set(blob, was);
      this.blobBytes -= bytes;
    });
  }

  /** An image's references on its blobs; containerd's GC drops content no image references. */
  private refBlobs(image: number, by: 1 | -1): void {
    const u = this.universe;
    const start = u.imageLayerStart[image];
    for (let r = start; r < u.imageLayerStart[image + 1]; r++) {
      const b = u.refBlob[r];
      let again = false;
      for (let q = start; q < r && !again; q++) again = u.refBlob[q] === b;
      if (again) continue;
      const refs = this.blobRefs.add(b, by);
      this.host.record(() => this.blobRefs.add(b, -by));
      if (refs === 0) this.setHeld(b, false);
    }
  }
}

const sizeCache = new WeakMap<Universe, Partial<Record<NodeRuntime, Float64Array>>>();

/** The kubelet's size of every image of a universe for a runtime, computed once (a simulator's universe does not grow). */
function kubeletSizes(u: Universe, runtime: NodeRuntime): Float64Array {
  let byRuntime = sizeCache.get(u);
  if (!byRuntime) sizeCache.set(u, (byRuntime = {}));
  let sizes = byRuntime[runtime];
  if (!sizes || sizes.length !== u.imageCount) {
    sizes = new Float64Array(u.imageCount);
    for (let i = 0; i < u.imageCount; i++) {
      let s = 0;
      for (let r = u.imageLayerStart[i]; r < u.imageLayerStart[i + 1]; r++) {
        const b = u.refBlob[r];
        s += runtime === 'docker' ? u.diffSize[u.blobDiff[b]] : u.blobSize[b];
      }
      sizes[i] = runtime === 'docker' ? s : s + u.imageConfigSize[i];
    }
    byRuntime[runtime] = sizes;
  }
  return sizes;
}
