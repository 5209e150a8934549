// One host's image store over a shared Universe: what `docker rmi`, `docker image prune`,
// `docker pull`, `docker push` and a kubelet see of one daemon, as typed arrays indexed by the
// universe's ids plus small maps where a host is sparse (references, containers, times). Every
// change goes through one undo journal, so `trial(fn)` tries anything and takes it back.
//
// The interface the fleet simulator uses (src/simulate/store.ts `NodeImageStore`, implemented by
// `HostNodeStore` in analyze/node-store.ts) rests on these queries and operations:
//   hasImage(image)            the image's config is in the store
//   pullPlan / pull            analyze/pull.ts planPull (Docker's Already-exists rule, blob metadata
//                              included) and pullImage (by universe id, for simulators)
//   rmi / prune                analyze/removal.ts, Docker's delete rules and messages
//   createContainer / setRunning / removeContainer
//   imagesWithSize()           present images with the kubelet's size (sum of layer sizes)
//   layersSize() / diskLayersSize()  df SIZE (layers some image holds) and what really sits on disk
//   inUse(image), lastUsed(image), firstDetected(image), setLastUsed(image, t)
// Per host: sparse tables (analyze/sparse-counts.ts) of the chains, blobs and images it holds,
// about 16 bytes per entry, plus the maps above; nothing grows with the universe.
import type { Universe } from '../model/universe.js';
import { isActiveContainer } from '../model/container-state.js';
import type { ImageGraph } from '../model/graph.js';
import { parseNormalizedNamed, referenceString, type ImageReference } from '../model/reference.js';
import { byReferenceString, ReferenceStore } from './host-refs.js';
import { HostContainers, type HostContainer } from './host-containers.js';
import { LayerStore } from './host-layers.js';

export type { HostContainer } from './host-containers.js';
import { SparseCounts, SparseTimes } from './sparse-counts.js';
import { DenseCounts } from './dense-counts.js';
import { pruneImages, removeContainersOf, resolveImage, rmiImage, type RemovalRecord, type RemovalResult, type RmiOptions } from './removal.js';

/** v2metadata-by-diffid: the blob digest a layer has in a repository (full name). */
export interface V2Metadata {
  digest: string;
  sourceRepository: string;
}

/** How a host's blob metadata is known: read from a data root, inferred, or none. */
export type MetadataSource = 'read' | 'inferred' | 'none';

const BLOB_METADATA = 1;
const IMAGE_PRESENT = 1;
const IMAGE_SEEN = 2;

/** One host's state over a universe. */
export class HostState {
  /** The layer store: holders of each chain, images through it, and the bytes of both. */
  private readonly layers: LayerStore;
  /** Per blob: the daemon recorded its diffID (diffid-by-digest). */
  private readonly blobFlags = new SparseCounts();
  private imageFlags: SparseCounts | DenseCounts = new SparseCounts();
  /** The reference store: tags and digests per image, and the image each names. */
  private readonly refStore = new ReferenceStore(this);
  private parents = new Map<number, number>();
  private childSets = new Map<number, Set<number>>();
  /** The host's chain for an image where it differs from the universe's (registry data without configs). */
  private tops = new Map<number, number>();
  private order: number[] = [];
  /** Containers by ID and name, and counted ones (pods), per image. */
  private readonly ctrs = new HostContainers(this);
  private readonly lastUsedAt = new SparseTimes();
  private readonly firstDetectedAt = new SparseTimes();
  /** chain -> the ref whose pull brings it, for chains recorded by pulls of the current plan. */
  readonly broughtBy = new Map<number, string>();
  /** v2metadata-by-diffid, oldest first, for pushes. */
  readonly v2 = new Map<string, V2Metadata[]>();
  metadata: MetadataSource = 'none';
  private journal: (() => void)[] = [];
  private trials = 0;

  constructor(readonly universe: Universe) {
    this.layers = new LayerStore(universe, this);
  }

  /**
   * The host a graph describes (its images, references, parents, containers), with the blob
   * metadata `diffIdByDigest` says the daemon recorded. The universe must hold the graph.
   */
  static fromGraph(universe: Universe, graph: ImageGraph, diffIdByDigest?: ReadonlyMap<string, string>): HostState {
    const h = new HostState(universe);
    if (universe.adopted === graph) h.adoptGraph(graph);
    else h.addGraphImages(graph);
    for (const c of graph.containers) h.createContainer(universe.imageOf(c.image)!, { id: c.id, name: c.name, running: isActiveContainer(c.state) });
    if (diffIdByDigest) {
      for (const digest of diffIdByDigest.keys()) h.knowBlob(universe.blob(digest));
      h.metadata = 'read';
    }
    return h;
  }

  private addGraphImages(graph: ImageGraph): void {
    const universe = this.universe;
    const h = this;
    const ids = graph.images.map((m) => universe.imageOf(m.id)!);
    graph.images.forEach((m, i) => {
      let top = -1;
      for (const l of graph.stackOf(i)) top = universe.chain(top, universe.diffOf(graph.layerDiffId[l] ?? '?' + graph.layerDigest[l])!);
      // In the daemon's order (moby reference store: sorted by full name): its Untagged lines and prune's order.
      h.addImage(ids[i], top, byReferenceString([...(m.repoTags ?? []), ...(m.repoDigests ?? [])].map((r) => parseNormalizedNamed(r))));
      if (m.parent !== undefined) h.setParent(ids[i], ids[graph.imageIndex(m.parent)!]);
    });
  }

  /**
   * The images of the graph the universe adopted (ids are the graph's), as {@link addGraphImages}
   * leaves them but counted in one pass over the chain trie: every node is some image's layer,
   * so it is on disk, holds its parent once, and df counts it; references are read on demand.
   */
  private adoptGraph(graph: ImageGraph): void {
    const u = this.universe;
    const nC = u.chainCount;
    const parent = u.chainParent;
    const hold = new Int32Array(nC);
    const refs = new Int32Array(nC);
    for (let c = 0; c < nC; c++) if (parent[c] >= 0) refs[parent[c]]++;
    const { stackStart, stackNode } = graph;
    const flags = new Int32Array(graph.imageCount).fill(IMAGE_PRESENT | IMAGE_SEEN);
    for (let i = 0; i < graph.imageCount; i++) {
      const s = stackStart[i];
      const e = stackStart[i + 1];
      for (let p = s; p < e; p++) hold[stackNode[p]]++;
      if (e > s) refs[stackNode[e - 1]]++;
      this.order.push(i);
    }
    this.imageFlags = new DenseCounts(flags);
    this.layers.adopt(hold, refs);
    this.refStore.adopt(graph);
    for (let i = 0; i < graph.imageCount; i++) if (graph.imageParent[i] >= 0) this.setParent(i, graph.imageParent[i]);
  }

  /** Follows the universe as it grows: nothing to do, the host's tables are keyed by id (kept for callers). */
  grow(): void {}

  /** Bytes of the per-host typed tables (sized by what the host holds, not by the universe). */
  typedByteLength(): number {
    return this.layers.refcount.byteLength + this.layers.imgHold.byteLength + this.blobFlags.byteLength + this.imageFlags.byteLength + this.ctrs.pods.byteLength + this.lastUsedAt.byteLength + this.firstDetectedAt.byteLength;
  }

  /** Runs `fn` on this host and takes every change back afterwards (nestable); returns its result. */
  trial<T>(fn: () => T): T {
    const mark = this.journal.length;
    this.trials++;
    try {
      return fn();
    } finally {
      while (this.journal.length > mark) this.journal.pop()!();
      this.trials--;
    }
  }

  /**
   * Runs `fn` on this host and keeps its changes when `kept(result)`, else takes them back: a
   * planner's step tried once, not tried and then replayed. Inside a trial the kept changes stay
   * journaled, for the trial to take back.
   */
  attempt<T>(fn: () => T, kept: (result: T) => boolean): T {
    const mark = this.journal.length;
    let keep = false;
    this.trials++;
    try {
      const r = fn();
      keep = kept(r);
      return r;
    } finally {
      this.trials--;
      if (!keep) while (this.journal.length > mark) this.journal.pop()!();
      else if (this.trials === 0) this.journal.length = mark;
    }
  }

  /** Records how to take a change back, while a trial runs. */
  record(undo: () => void): void {
    if (this.trials > 0) this.journal.push(undo);
  }

  /** A trial runs: hot paths build their undo closures only then (a fleet node runs millions of changes outside any trial). */
  get journaling(): boolean {
    return this.trials > 0;
  }

  // ---- queries ----

  hasImage(image: number): boolean {
    return (this.imageFlags.get(image) & IMAGE_PRESENT) !== 0;
  }
  /** Present images, in the order the host first had them. */
  images(): number[] {
    return this.order.filter((i) => this.hasImage(i));
  }
  /** Image IDs still present. */
  imageIds(): string[] {
    return this.images().map((i) => this.universe.imageIdOf(i));
  }
  /** The image's references, sorted by full name as the daemon keeps them. */
  refsOf(image: number): readonly ImageReference[] {
    return this.refStore.of(image);
  }
  /** The image's references in familiar form, in the store's order (a single familiar one is not parsed). */
  familiarRefs(image: number): string[] {
    return this.refStore.familiar(image);
  }
  /** How many references the image has (without parsing them). */
  refCount(image: number): number {
    return this.refStore.count(image);
  }
  /** Some reference of the image has a tag (what keeps it from `docker image prune`), without parsing familiar ones. */
  hasTag(image: number): boolean {
    return this.refStore.hasTag(image);
  }
  /** The image a reference (name, tag, digest: normalised) points to. */
  imageByRef(ref: ImageReference): number | undefined {
    return this.refStore.imageBy(ref);
  }
  /** Indexes every reference now, for a caller about to look up many (else the first few scan the graph's references). */
  indexReferences(): void {
    this.refStore.indexAll();
  }
  parentOf(image: number): number | undefined {
    return this.parents.get(image);
  }
  /** Present child images (local builds). */
  childrenOf(image: number): number[] {
    return [...(this.childSets.get(image) ?? [])].filter((c) => this.hasImage(c));
  }
  containersOf(image: number): readonly HostContainer[] {
    return this.ctrs.of(image);
  }
  get containers(): readonly HostContainer[] {
    return this.ctrs.list;
  }
  /** Some container (running or stopped, not removed) uses the image. */
  inUse(image: number): boolean {
    return this.ctrs.inUse(image);
  }
  /** The host's top chain of an image, -1 without layers. */
  topOf(image: number): number {
    return this.tops.get(image) ?? this.universe.imageTop(image);
  }
  /** Chains of an image's layers, top first (empty when it is gone or has no layers). */
  stackChains(image: number): number[] {
    const out: number[] = [];
    if (!this.hasImage(image)) return out;
    const parent = this.universe.chainParent;
    for (let k = this.topOf(image); k >= 0; k = parent[k]) out.push(k);
    return out;
  }
  /** How many holders keep a layer (images with it on top, their containers, child layers); 0 when not on disk. */
  holders(chain: number): number {
    return chain < 0 ? 0 : this.layers.refcount.get(chain);
  }
  /** The layer is on disk. */
  hasChain(chain: number): boolean {
    return this.holders(chain) > 0;
  }
  /** The daemon recorded this blob's diffID (it came by pull or push). */
  knowsBlob(blob: number): boolean {
    return (this.blobFlags.get(blob) & BLOB_METADATA) !== 0;
  }
  /** Some layer with this diff is on disk (what an ideal content-addressed store would reuse). */
  hasDiff(diff: number): boolean {
    return this.universe.chainsOfDiff(diff).some((c) => this.hasChain(c));
  }
  /** diffIDs of the layers on disk. */
  diffIdsPresent(): string[] {
    const u = this.universe;
    const out = new Set<string>();
    for (const [c, n] of this.layers.refcount.entries()) {
      const d = n > 0 ? u.diffIdOf(u.chainDiff[c]) : undefined;
      if (d !== undefined) out.add(d);
    }
    return [...out];
  }

  /** Everything the host holds, as one string: two hosts with equal fingerprints are in the same state. */
  fingerprint(): string {
    const sorted = <K, V>(m: Map<K, V>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return JSON.stringify({
      refcount: this.layers.refcount.entries().join(';'),
      imgHold: this.layers.imgHold.entries().join(';'),
      blobs: this.blobFlags.entries().join(';'),
      images: this.images(),
      refs: this.images().map((i) => this.refsOf(i).map((r) => referenceString(r))),
      parents: sorted(this.parents),
      containers: this.ctrs.list.map((c) => [c.id, c.image, c.running, c.top]),
      pods: this.ctrs.pods.entries().join(';'),
      times: [this.lastUsedAt.entries(), this.firstDetectedAt.entries()],
      broughtBy: sorted(this.broughtBy),
      v2: sorted(this.v2),
      sizes: [this.layers.dfSize, this.layers.diskSize],
    });
  }

  /** Docker's LayersSize: layers some image's chain references (moby getLayerRefs). */
  layersSize(): number {
    return this.layers.dfSize;
  }
  /** Bytes of layers on disk (held by an image, a container, or a child layer). */
  diskLayersSize(): number {
    return this.layers.diskSize;
  }
  /** Present images with the size the kubelet sees (docker: the sum of the image's layer sizes). */
  imagesWithSize(): { image: number; size: number }[] {
    return this.images().map((image) => ({ image, size: this.imageSize(image) }));
  }
  imageSize(image: number): number {
    let s = 0;
    for (const c of this.stackChains(image)) s += this.universe.chainSize[c];
    return s;
  }
  lastUsed(image: number): number {
    return this.lastUsedAt.get(image) ?? this.firstDetected(image);
  }
  firstDetected(image: number): number {
    return this.firstDetectedAt.get(image) ?? 0;
  }

  // ---- changes (each journaled) ----

  private setMap<K, V>(m: Map<K, V>, k: K, v: V | undefined): void {
    if (!this.journaling) {
      if (v === undefined) m.delete(k);
      else m.set(k, v);
      return;
    }
    const old = m.get(k);
    const had = m.has(k);
    if (v === undefined) m.delete(k);
    else m.set(k, v);
    this.record(() => (had ? m.set(k, old as V) : m.delete(k)));
  }

  private setTime(m: SparseTimes, k: number, v: number | undefined): void {
    if (this.journaling) {
      const old = m.get(k);
      this.record(() => (old === undefined ? m.delete(k) : m.set(k, old)));
    }
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }

  /** Sets (or with undefined drops) the v2 metadata of a diffID. */
  setV2(diffId: string, list: V2Metadata[] | undefined): void {
    this.setMap(this.v2, diffId, list && list.length ? list : undefined);
  }

  setLastUsed(image: number, t: number): void {
    this.setTime(this.lastUsedAt, image, t);
  }
  setFirstDetected(image: number, t: number): void {
    this.setTime(this.firstDetectedAt, image, t);
  }
  /** The kubelet forgets a removed image's times. */
  forgetTimes(image: number): void {
    this.setTime(this.lastUsedAt, image, undefined);
    this.setTime(this.firstDetectedAt, image, undefined);
  }

  /** The daemon records a blob's diffID. */
  knowBlob(blob: number): void {
    const flags = this.blobFlags.get(blob);
    if (flags & BLOB_METADATA) return;
    this.blobFlags.set(blob, flags | BLOB_METADATA);
    if (this.journaling) this.record(() => this.blobFlags.set(blob, flags));
  }

  /** Replaces an image's references (kept sorted by the caller). */
  setRefs(image: number, refs: ImageReference[]): void {
    this.refStore.set(image, refs);
  }

  /** Moves a reference to `image` (a tag or digest pulled onto it), sorted as the reference store. */
  addRef(image: number, ref: ImageReference): void {
    this.refStore.add(image, ref);
  }

  setParent(image: number, parent: number): void {
    this.setMap(this.parents, image, parent);
    let set = this.childSets.get(parent);
    if (!set) this.childSets.set(parent, (set = new Set()));
    const kids = set;
    kids.add(image);
    this.record(() => kids.delete(image));
  }

  /** The image (config) enters the store on chain `top`, holding its top layer; its layers must be on disk or come with it. */
  addImage(image: number, top: number, refs: ImageReference[] = []): void {
    if (this.hasImage(image)) return;
    const flags = this.imageFlags.get(image);
    this.imageFlags.set(image, flags | IMAGE_PRESENT | IMAGE_SEEN);
    if (!(flags & IMAGE_SEEN)) this.order.push(image);
    if (top !== this.universe.imageTop(image)) this.setMap(this.tops, image, top);
    if (this.journaling) {
      this.record(() => {
        this.imageFlags.set(image, flags);
        if (!(flags & IMAGE_SEEN)) this.order.pop();
      });
    }
    this.layers.hold(top, 1);
    this.acquire(top);
    if (refs.length) this.setRefs(image, refs);
  }

  /** The image leaves the store (its references must be gone); its hold on its top layer is released by the caller. */
  deleteImage(image: number): void {
    const flags = this.imageFlags.get(image);
    this.imageFlags.set(image, flags & ~IMAGE_PRESENT);
    if (this.journaling) this.record(() => this.imageFlags.set(image, flags));
    this.layers.hold(this.topOf(image), -1);
  }

  /** One more reference on a layer; a layer new on disk holds its parent in turn. */
  acquire(chain: number): void {
    this.layers.acquire(chain);
  }

  /** Drops one reference on a layer; a layer nothing holds leaves the disk and releases its parent. Returns the chains deleted, top first. */
  release(chain: number): number[] {
    return this.layers.release(chain);
  }

  /** A container of `image` is created (holding the image's top layer as its RW layer's parent). */
  createContainer(image: number, c: { id: string; name?: string; running: boolean }): HostContainer {
    const hc = this.ctrs.create(image, c, this.topOf(image));
    this.acquire(hc.top);
    return hc;
  }

  /**
   * A container known by count only (a simulated pod: no ID, name or state to keep): like
   * `createContainer` it holds the image's top layer and makes the image in use.
   */
  startPod(image: number): void {
    this.ctrs.countPod(image, 1);
    this.acquire(this.topOf(image));
  }

  /** One counted container of the image is removed; returns the chains that left the disk. */
  endPod(image: number): number[] {
    this.ctrs.countPod(image, -1);
    return this.release(this.topOf(image));
  }

  /** Counted containers (pods) of the image. */
  podsOf(image: number): number {
    return this.ctrs.pods.get(image);
  }

  /** A container starts or stops. */
  setRunning(c: HostContainer, running: boolean): void {
    this.ctrs.setRunning(c, running);
  }

  /** Removes a container by name or ID prefix (as `docker rm`, `-f` for a running one); false when there is none. */
  removeContainer(idOrName: string): boolean {
    const k = this.ctrs.find(idOrName);
    if (k < 0) return false;
    this.dropContainer(k);
    return true;
  }

  /** Removes the k-th container; returns the chains that left the disk. */
  dropContainer(k: number): number[] {
    return this.release(this.ctrs.drop(k).top);
  }

  // ---- Docker's delete rules (analyze/removal.ts) ----

  /** What-if of `docker rmi [-f] [--no-prune] REF`; changes the host as the daemon would. */
  rmi(refOrId: string, opts: RmiOptions = {}): RemovalResult {
    return rmiImage(this, refOrId, opts);
  }

  /** `docker image prune [-a]`, one image at a time as the daemon does; `countOnly`: no records, only the bytes. */
  prune(all = false, countOnly = false): { records: RemovalRecord[]; reclaimedBytes: number; failed: string[] } {
    return pruneImages(this, all, countOnly);
  }

  /** The image ID a reference, ID or ID prefix names, as the daemon resolves it. */
  idOf(refOrId: string): string | undefined {
    const i = resolveImage(this, refOrId);
    return i === undefined ? undefined : this.universe.imageIdOf(i);
  }

  /** Chains of an image's layers by ID, top first (empty when it is gone). */
  stackNodes(id: string): number[] {
    const i = this.universe.imageOf(id);
    return i === undefined ? [] : this.stackChains(i);
  }

  /** Removes every container using the image REF names (as docker rm -f); returns their IDs. */
  removeContainersOf(refOrId: string): string[] {
    return removeContainersOf(this, refOrId);
  }

  /** Binding facts about one image by ID, for plans and explanations. */
  bindings(id: string): { refs: string[]; containers: { id: string; name?: string; running: boolean }[]; children: string[]; parent?: string } | undefined {
    const i = this.universe.imageOf(id);
    if (i === undefined || !this.hasImage(i)) return undefined;
    const parent = this.parents.get(i);
    return {
      refs: this.familiarRefs(i),
      containers: this.containersOf(i).map((c) => ({ id: c.id, name: c.name, running: c.running })),
      children: this.childrenOf(i).map((c) => this.universe.imageIdOf(c)),
      ...(parent !== undefined ? { parent: this.universe.imageIdOf(parent) } : {}),
    };
  }
}
