import type { ImageGraph } from '../model/graph.js';
import { shortId } from '../model/digest.js';
import { isActiveContainer } from '../model/container-state.js';
import { familiarString, parseAnyReference, parseNormalizedNamed, referenceString, withDefaultTag, type ImageReference } from '../model/reference.js';
import { effectiveSizes } from './sizes.js';

/**
 * One line of `docker rmi` output: an untagged reference, a deleted image (its ID, bytes 0), or a
 * deleted layer, which the daemon names by its chainID (moby layer store release). A chainID needs
 * the diffIDs of the layer and all below it: where one is unknown the record says so and names
 * the layer by its diffID, else its blob digest.
 */
export type RemovalRecord =
  | { untagged: string }
  | { deleted: string; bytes: number }
  | { deleted: null; chainIdUnknown: true; layer: string; bytes: number };

/** What `docker rmi` would answer for one argument. */
export interface RemovalResult {
  ref: string;
  records: RemovalRecord[];
  /** The daemon's error, when it refuses (nothing but earlier untags happened). */
  error?: string;
  /**
   * How much `docker system df` SIZE drops. It can differ from freedBytes: df counts only layers
   * some image references, so a layer kept only by a container of a force-deleted image leaves
   * df without leaving the disk.
   */
  dfSizeChange: number;
  /** `hard` conflicts cannot be forced. */
  conflict?: 'hard' | 'soft';
  /** The image does not exist: `docker rmi -f` prints the error but exits 0 (docker/cli runRemove). */
  notFound?: true;
  freedBytes: number;
}

interface HostImage {
  id: string;
  /** Deleted: kept in place so that undoing keeps every iteration order. */
  gone?: boolean;
  refs: ImageReference[];
  parent?: string;
  top: number; // chain node, -1 for an image with no layers
}

interface HostContainer {
  id: string;
  name?: string;
  image: string;
  running: boolean;
  top: number;
}

const isCanonical = (r: ImageReference) => r.digest !== undefined && r.tag === undefined;
const refName = (r: ImageReference) => `${r.domain}/${r.path}`;
const sameRef = (a: ImageReference, b: ImageReference) => refName(a) === refName(b) && a.tag === b.tag && a.digest === b.digest;
const refKey = (r: ImageReference) => `${refName(r)}:${r.tag ?? ''}@${r.digest ?? ''}`;

class Conflict extends Error {
  constructor(
    readonly hard: boolean,
    readonly used: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A Docker host's image store, as the daemon's delete logic sees it (moby daemon/images/
 * image_delete.go, image_prune.go): references, parents, containers, and layer reference counts
 * on the chainID trie. Mutable: each call changes it as the daemon would.
 */
export class RemovalHost {
  private images = new Map<string, HostImage>();
  private containers: HostContainer[] = [];
  // Indexes kept in step with every change, so each operation costs its own size, not the host's.
  private refIndex = new Map<string, string>(); // canonical reference -> image ID
  private shortIndex = new Map<string, string[]>(); // 12-hex short ID -> image IDs
  private childIds = new Map<string, Set<string>>(); // parent ID -> child IDs
  private byImage = new Map<string, HostContainer[]>(); // image ID -> containers, in creation order
  private imgHold!: Int32Array; // images whose chain holds each layer
  private dfSize = 0; // df SIZE: layers some image holds
  // Undo journal for trial(): each change records how to take it back.
  private journal: (() => void)[] = [];
  private trials = 0;
  private refcount!: Int32Array;
  private nodeSize!: Float64Array;
  private nodeParent!: Int32Array;
  private deletedLayer!: (node: number) => RemovalRecord;

  constructor(graph: ImageGraph) {
    const { size } = effectiveSizes(graph);
    const n = graph.chain.count;
    this.nodeParent = Int32Array.from(graph.chain.nodeParent);
    this.nodeSize = new Float64Array(n);
    for (let k = 0; k < n; k++) this.nodeSize[k] = size[graph.chain.nodeLayer[k]];
    this.deletedLayer = (node) => {
      const bytes = this.nodeSize[node];
      const chainId = graph.chainIdOf(node);
      return chainId ? { deleted: chainId, bytes } : { deleted: null, chainIdUnknown: true, layer: graph.layerKey(graph.chain.nodeLayer[node]), bytes };
    };
    this.refcount = new Int32Array(n);
    graph.images.forEach((m, i) => {
      const s = graph.stackStart[i];
      const e = graph.stackStart[i + 1];
      const top = e > s ? graph.stackNode[e - 1] : -1;
      // In the daemon's order (moby reference store References: sorted by full name), which is
      // the order of its Untagged lines and of prune's deletions.
      const refs = [...(m.repoTags ?? []), ...(m.repoDigests ?? [])]
        .map((r) => parseNormalizedNamed(r))
        .map((r) => ({ r, s: referenceString(r) }))
        .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0))
        .map(({ r }) => r);
      this.images.set(m.id, { id: m.id, refs, parent: m.parent, top });
    });
    for (const c of graph.containers) {
      const img = this.images.get(c.image)!;
      const hc = { id: c.id, name: c.name, image: c.image, running: isActiveContainer(c.state), top: img.top };
      this.containers.push(hc);
      this.byImage.set(c.image, [...(this.byImage.get(c.image) ?? []), hc]);
    }
    this.imgHold = new Int32Array(n);
    for (const img of this.images.values()) {
      for (const r of img.refs) this.refIndex.set(refKey(r), img.id);
      const short = img.id.slice(7, 19);
      this.shortIndex.set(short, [...(this.shortIndex.get(short) ?? []), img.id]);
      if (img.parent) {
        const set = this.childIds.get(img.parent) ?? new Set<string>();
        set.add(img.id);
        this.childIds.set(img.parent, set);
      }
      for (let k = img.top; k >= 0; k = this.nodeParent[k]) {
        if (this.imgHold[k]++ === 0) this.dfSize += this.nodeSize[k];
      }
    }
    // Layer store references: each image holds its top layer, each container its image's top
    // layer (its RW layer's parent), each layer its parent.
    for (const img of this.images.values()) if (img.top >= 0) this.refcount[img.top]++;
    for (const c of this.containers) if (c.top >= 0) this.refcount[c.top]++;
    for (let k = 0; k < n; k++) if (this.nodeParent[k] >= 0) this.refcount[this.nodeParent[k]]++;
    // Nodes no image, container or child holds do not exist on a host.
    this.live = new Uint8Array(n);
    for (let k = 0; k < n; k++) this.live[k] = 1;
  }

  private live!: Uint8Array;

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

  private record(undo: () => void): void {
    if (this.trials > 0) this.journal.push(undo);
  }

  private setRefs(img: HostImage, refs: ImageReference[]): void {
    const old = img.refs;
    for (const r of old) this.refIndex.delete(refKey(r));
    for (const r of refs) this.refIndex.set(refKey(r), img.id);
    img.refs = refs;
    this.record(() => {
      for (const r of refs) this.refIndex.delete(refKey(r));
      for (const r of old) this.refIndex.set(refKey(r), img.id);
      img.refs = old;
    });
  }

  private deleteImage(img: HostImage): void {
    img.gone = true;
    for (let k = img.top; k >= 0; k = this.nodeParent[k]) {
      if (--this.imgHold[k] === 0) this.dfSize -= this.nodeSize[k];
    }
    this.record(() => {
      for (let k = img.top; k >= 0; k = this.nodeParent[k]) {
        if (this.imgHold[k]++ === 0) this.dfSize += this.nodeSize[k];
      }
      img.gone = false;
    });
  }

  /** The image with this ID, unless deleted. */
  private getImage(id: string): HostImage | undefined {
    const img = this.images.get(id);
    return img && !img.gone ? img : undefined;
  }

  /** Binding facts about one image, for plans and explanations. */
  bindings(id: string): { refs: string[]; containers: { id: string; name?: string; running: boolean }[]; children: string[]; parent?: string } | undefined {
    const img = this.getImage(id);
    if (!img) return undefined;
    return {
      refs: img.refs.map((r) => familiarString(r)),
      containers: (this.byImage.get(id) ?? []).map((c) => ({ id: c.id, name: c.name, running: c.running })),
      children: this.children(id).map((c) => c.id),
      parent: img.parent,
    };
  }

  /** Chain nodes of an image's layers, top first (empty when it is gone or has no layers). */
  stackNodes(id: string): number[] {
    const out: number[] = [];
    const img = this.getImage(id);
    if (img) for (let k = img.top; k >= 0; k = this.nodeParent[k]) out.push(k);
    return out;
  }

  /** How many holders keep a layer (images with it on top, their containers, child layers); 0 once deleted. */
  holders(node: number): number {
    return this.live[node] === 1 ? this.refcount[node] : 0;
  }

  /** The image a reference or ID names, if any. */
  idOf(refOrId: string): string | undefined {
    return this.resolve(refOrId)?.id;
  }

  /** Image IDs still present. */
  imageIds(): string[] {
    return [...this.images.values()].filter((i) => !i.gone).map((i) => i.id);
  }

  /** Docker's LayersSize: layers some image's chain references (moby getLayerRefs). */
  layersSize(): number {
    return this.dfSize;
  }

  /** Bytes of layers still on disk (held by an image, a container, or a child layer). */
  diskLayersSize(): number {
    let s = 0;
    for (let k = 0; k < this.live.length; k++) if (this.live[k]) s += this.nodeSize[k];
    return s;
  }

  /** Removes a container (as `docker rm` would once it is stopped; `-f` for a running one). */
  removeContainer(idOrName: string): boolean {
    const k = this.containers.findIndex((c) => c.name === idOrName || c.id.startsWith(idOrName));
    if (k < 0) return false;
    const [c] = this.containers.splice(k, 1);
    const users = this.byImage.get(c.image) ?? [];
    this.byImage.set(c.image, users.filter((x) => x !== c));
    this.record(() => {
      this.containers.splice(k, 0, c);
      this.byImage.set(c.image, users);
    });
    this.release(c.top, []);
    return true;
  }

  /** Removes every container using the image REF names (as docker rm -f); returns their IDs. */
  removeContainersOf(refOrId: string): string[] {
    const img = this.resolve(refOrId);
    if (!img) return [];
    const ids = (this.byImage.get(img.id) ?? []).map((c) => c.id);
    for (const id of ids) this.removeContainer(id);
    return ids;
  }

  private children(id: string): HostImage[] {
    return [...(this.childIds.get(id) ?? [])].map((c) => this.images.get(c)!).filter((c) => !c.gone);
  }

  /** daemon GetImage: a reference in the store, an ID or digest, or an ID prefix. */
  private resolve(refOrId: string): HostImage | undefined {
    let ref: ImageReference;
    try {
      ref = parseAnyReference(refOrId);
    } catch {
      return undefined;
    }
    if (ref.kind === 'digest') return this.getImage(ref.digest!);
    const byRef = this.refIndex.get(refKey(withDefaultTag(ref)));
    if (byRef) return this.getImage(byRef);
    if (/^(sha256:)?[0-9a-f]+$/.test(refOrId)) {
      const hex = refOrId.replace(/^sha256:/, '');
      const pool = hex.length >= 12 ? (this.shortIndex.get(hex.slice(0, 12)) ?? []).map((id) => this.images.get(id)!) : [...this.images.values()];
      const hits = pool.filter((i) => !i.gone && i.id.slice(7).startsWith(hex));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  private checkConflict(img: HostImage, mask: { child: boolean; running: boolean; reference: boolean; stopped: boolean }): Conflict | undefined {
    const pre = `conflict: unable to delete ${shortId(img.id)}`;
    if (mask.child && this.children(img.id).length > 0) return new Conflict(true, false, `${pre} (cannot be forced) - image has dependent child images`);
    if (mask.running) {
      const c = (this.byImage.get(img.id) ?? []).find((x) => x.running);
      if (c) return new Conflict(true, true, `${pre} (cannot be forced) - image is being used by running container ${shortId(c.id)}`);
    }
    if (mask.reference && img.refs.length > 0) return new Conflict(false, false, `${pre} (must be forced) - image is referenced in multiple repositories`);
    if (mask.stopped) {
      const c = (this.byImage.get(img.id) ?? []).find((x) => !x.running);
      if (c) return new Conflict(false, true, `${pre} (must be forced) - image is being used by stopped container ${shortId(c.id)}`);
    }
    return undefined;
  }

  /** Drops one reference on a layer; deletes it (and walks down) while nothing holds it. */
  private release(node: number, records: RemovalRecord[]): void {
    while (node >= 0) {
      this.refcount[node]--;
      const n = node;
      this.record(() => this.refcount[n]++);
      if (this.refcount[node] > 0) return;
      this.live[node] = 0;
      this.record(() => (this.live[n] = 1));
      records.push(this.deletedLayer(node));
      node = this.nodeParent[node];
    }
  }

  private isSingleReference(refs: ImageReference[]): boolean {
    if (refs.length <= 1) return refs.length === 1;
    let single: ImageReference | undefined;
    const canonical = new Set<string>();
    for (const r of refs) {
      if (isCanonical(r)) canonical.add(refName(r));
      else if (!single) single = r;
      else return false;
    }
    single ??= refs[0];
    return canonical.size === 1 && canonical.has(refName(single));
  }

  private deleteHelper(img: HostImage, records: RemovalRecord[], force: boolean, prune: boolean, quiet: boolean): void {
    const conflict = this.checkConflict(img, { child: true, running: true, reference: !force, stopped: !force });
    if (conflict) {
      const dangling = img.refs.length === 0 && this.children(img.id).length === 0;
      if (quiet && (!dangling || conflict.used)) return;
      throw conflict;
    }
    for (const r of img.refs) records.push({ untagged: familiarString(r) });
    this.setRefs(img, []);
    this.deleteImage(img);
    records.push({ deleted: img.id, bytes: 0 });
    this.release(img.top, records);
    if (prune && img.parent) {
      const parent = this.getImage(img.parent);
      if (parent) this.deleteHelper(parent, records, false, true, true);
    }
  }

  /** What-if of `docker rmi [-f] [--no-prune] REF`; changes the host as the daemon would. */
  rmi(refOrId: string, opts: { force?: boolean; noPrune?: boolean } = {}): RemovalResult {
    const force = opts.force ?? false;
    const prune = !(opts.noPrune ?? false);
    const records: RemovalRecord[] = [];
    const dfBefore = this.layersSize();
    const done = (extra: Partial<RemovalResult> = {}): RemovalResult => ({
      ref: refOrId,
      records,
      freedBytes: records.reduce((s, r) => s + ('bytes' in r ? r.bytes : 0), 0),
      dfSizeChange: dfBefore - this.layersSize(),
      ...extra,
    });
    const img = this.resolve(refOrId);
    if (!img) {
      // The daemon names an ID-like argument as typed, a name with its default tag.
      let shown = refOrId;
      if (!/^(sha256:)?[0-9a-f]+$/.test(refOrId)) {
        try {
          shown = familiarString(withDefaultTag(parseAnyReference(refOrId)));
        } catch {
          // keep as typed
        }
      }
      return done({ error: `No such image: ${shown}`, notFound: true });
    }
    try {
      let removedRepositoryRef = false;
      const idPrefix = img.id.startsWith(refOrId) || img.id.slice(7).startsWith(refOrId);
      if (!idPrefix) {
        if (!force && this.isSingleReference(img.refs)) {
          const c = (this.byImage.get(img.id) ?? [])[0];
          if (c) {
            return done({
              error: `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(c.id)} is using its referenced image ${shortId(img.id)}`,
              conflict: 'soft',
            });
          }
        }
        const parsed = withDefaultTag(parseNormalizedNamed(refOrId));
        this.setRefs(img, img.refs.filter((r) => !sameRef(r, parsed)));
        records.push({ untagged: familiarString(parsed) });
        if (!isCanonical(parsed) && !img.refs.some((r) => !isCanonical(r) && refName(r) === refName(parsed))) {
          const keep: ImageReference[] = [];
          for (const r of img.refs) {
            if (isCanonical(r) && refName(r) === refName(parsed)) records.push({ untagged: familiarString(r) });
            else keep.push(r);
          }
          this.setRefs(img, keep);
        }
        if (img.refs.length > 0) return done();
        removedRepositoryRef = true;
      } else if (this.isSingleReference(img.refs)) {
        const conflict = this.checkConflict(img, { child: true, running: true, reference: false, stopped: !force });
        if (conflict) throw conflict;
        for (const r of img.refs) records.push({ untagged: familiarString(r) });
        this.setRefs(img, []);
      }
      this.deleteHelper(img, records, force, prune, removedRepositoryRef);
      return done();
    } catch (e) {
      if (e instanceof Conflict) return done({ error: e.message, conflict: e.hard ? 'hard' : 'soft', records: [] as RemovalRecord[], freedBytes: 0, dfSizeChange: 0 });
      throw e;
    }
  }

  /**
   * `docker image prune [-a]`: dangling images (no tag, no children), or with `all` every image
   * not used by a container, deleted quietly one by one; the total is what the daemon prints as
   * "Total reclaimed space" (the deleted layers' sizes).
   */
  prune(all = false): { records: RemovalRecord[]; reclaimedBytes: number; failed: string[] } {
    const records: RemovalRecord[] = [];
    const failed: string[] = [];
    const candidates = [...this.images.values()].filter((img) => {
      if (img.gone) return false;
      if (!all && this.children(img.id).length > 0) return false;
      return !(img.refs.length === 0 && this.children(img.id).length > 0);
    });
    for (const img of candidates) {
      if (img.gone) continue; // pruned as a parent already
      if (img.refs.length > 0) {
        const shouldDelete = all || !img.refs.some((r) => r.tag !== undefined);
        if (!shouldDelete) continue;
        for (const r of [...img.refs]) {
          const res = this.rmi(familiarString(r));
          // A digest reference the untagging of its repository's last tag already dropped is
          // not found: the daemon logs it and goes on (moby imageDeleteFailed); not a refusal.
          if (res.error && !res.notFound) failed.push(res.error);
          records.push(...res.records);
        }
      } else {
        const res = this.rmi(img.id.slice(7));
        if (res.error) failed.push(res.error);
        records.push(...res.records);
      }
    }
    const reclaimedBytes = records.reduce((s, r) => s + ('bytes' in r ? r.bytes : 0), 0);
    return { records, reclaimedBytes, failed };
  }
}

/**
 * Bytes that removing each image alone, now, would free (the column `docker system df -v` lacks):
 * the sizes of the chain layers that only this image holds, when no container uses it. One pass
 * over the layer references.
 */
export function reclaimablePerImage(graph: ImageGraph): Float64Array {
  const { size } = effectiveSizes(graph);
  const n = graph.chain.count;
  // holders[node] = images whose chain passes through node + containers' image chains.
  const holders = new Uint32Array(n);
  const { stackStart, stackNode } = graph;
  for (let i = 0; i < graph.imageCount; i++) for (let p = stackStart[i]; p < stackStart[i + 1]; p++) holders[stackNode[p]]++;
  for (const img of graph.containerImage) for (let p = stackStart[img]; p < stackStart[img + 1]; p++) holders[stackNode[p]]++;
  const out = new Float64Array(graph.imageCount);
  for (let i = 0; i < graph.imageCount; i++) {
    if (graph.imageContainerCount[i] > 0 || graph.imageChildCount[i] > 0) continue;
    let freed = 0;
    // Top down while only this image holds the layer: what the daemon's release walk deletes.
    for (let p = stackStart[i + 1] - 1; p >= stackStart[i]; p--) {
      const node = stackNode[p];
      if (holders[node] !== 1) break;
      freed += size[graph.chain.nodeLayer[node]];
    }
    out[i] = freed;
  }
  return out;
}
