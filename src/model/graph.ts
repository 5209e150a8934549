import { LayerlabError } from '../errors.js';
import { extendChainId } from './identity.js';
import type { Digest } from './digest.js';
import { ChainTrie } from './chain-trie.js';
import { digestBytesOfStrings, type DigestBytes } from './digest-bytes.js';
import { GrowableFloat64, GrowableUint32 } from './growable.js';
import { ImageColumnsBuilder, imageColumnsOf, ImageIdIndex, imageIdOf, imageIdStrings, imageMetaOf, type ImageColumns, type ImageFields } from './image-columns.js';
import type { ContainerRecord, ImageMeta, LayerRecord } from './types.js';

const NONE: readonly string[] = Object.freeze([]) as readonly string[];

/**
 * Builds an {@link ImageGraph}. Layers are added once (one per identity: diffID, or blob digest
 * when the diffID is unknown) and images refer to them by index, so the per-reference cost is
 * a few typed-array slots, never a string or an object.
 */
export class GraphBuilder {
  private layerDiffId: (Digest | undefined)[] = [];
  private layerDigest: (Digest | undefined)[] = [];
  private layerMediaType: (string | undefined)[] = [];
  private layerSize: GrowableFloat64;
  private layerCompressed: GrowableFloat64;
  private imageCols: ImageColumnsBuilder;
  private stackStart: GrowableUint32;
  private stackLayer: GrowableUint32;
  private containers: ContainerRecord[] = [];
  /** The chainID trie and each ref's node when made as images are added ({@link trackChains}); the previous image's refs and nodes. */
  private chain: ChainTrie | undefined;
  private stackNode: GrowableUint32 | undefined;
  private prevLayers = new Uint32Array(64);
  private prevNodes = new Uint32Array(64);
  private prevCount = 0;

  constructor(expectedReferences = 1024, expectedImages = 1024, expectedLayers = 1024) {
    this.layerSize = new GrowableFloat64(expectedLayers);
    this.layerCompressed = new GrowableFloat64(expectedLayers);
    this.imageCols = new ImageColumnsBuilder(expectedImages);
    this.stackStart = new GrowableUint32(expectedImages + 1);
    this.stackLayer = new GrowableUint32(expectedReferences);
    this.stackStart.push(0);
  }

  get layerCount(): number {
    return this.layerMediaType.length;
  }

  /**
   * Makes the chainID trie as images are added, not in {@link build}: the same nodes, in the same
   * order, but made while a loader's reading thread still reads (build is the serial end of a load).
   */
  trackChains(expectedNodes: number, expectedReferences: number): void {
    if (this.imageCount !== 0) throw new Error('GraphBuilder: trackChains after an image');
    this.chain = new ChainTrie(expectedNodes);
    this.stackNode = new GrowableUint32(expectedReferences);
  }

  /** Adds a distinct layer and returns its index. Sizes: undefined when unknown. */
  addLayer(l: LayerRecord): number {
    const n = this.layerMediaType.length;
    padTo(this.layerDiffId, n).push(l.diffId);
    padTo(this.layerDigest, n).push(l.digest);
    return this.addLayerFields(l.size ?? NaN, l.compressedSize ?? NaN, l.mediaType);
  }

  /**
   * Adds a layer whose digests are given to {@link build} (a loader keeps them as bytes): no
   * object per layer. Sizes: NaN when unknown.
   */
  addLayerFields(size: number, compressedSize: number, mediaType: string | undefined): number {
    this.layerMediaType.push(mediaType);
    this.layerSize.push(size);
    this.layerCompressed.push(compressedSize);
    return this.layerMediaType.length - 1;
  }

  /** Adds an image whose stack is `layers` (indices from {@link addLayer}, bottom first). */
  addImage(meta: ImageMeta, layers: ArrayLike<number>): number {
    this.pushStack(meta.id, layers);
    return this.imageCols.add(meta.id, meta);
  }

  /**
   * Adds an image without an {@link ImageMeta} object: its ID and fields go straight into the
   * image columns (no object is kept per image). `parent` is an ID, resolved in {@link build}.
   */
  addImageFields(id: Digest, fields: ImageFields, layers: ArrayLike<number>): number {
    this.pushStack(id, layers);
    return this.imageCols.add(id, fields);
  }

  /** As {@link addImageFields}, the ID given as `sha256:` + the 32 raw bytes at raw[at..at+32). */
  addImageSha256(raw: Uint8Array, at: number, fields: ImageFields, layers: ArrayLike<number>): number {
    this.pushStack(undefined, layers, raw, at);
    return this.imageCols.addSha256(raw, at, fields);
  }

  get imageCount(): number {
    return this.imageCols.count;
  }

  private pushStack(id: Digest | undefined, layers: ArrayLike<number>, raw?: Uint8Array, at = 0): void {
    const n = this.layerMediaType.length;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      if (!(l >= 0 && l < n) || !Number.isInteger(l)) {
        const name = id ?? 'sha256:' + Buffer.from(raw!.subarray(at, at + 32)).toString('hex');
        throw new LayerlabError('EINPUT', `image ${name}: layer index ${l} is not a known layer`);
      }
      this.stackLayer.push(l);
    }
    this.stackStart.push(this.stackLayer.length);
    if (this.chain) this.chainNodes(layers);
  }

  /** An image's chain nodes, as buildStackNodes makes them (leading refs equal to the previous image's take its nodes). */
  private chainNodes(layers: ArrayLike<number>): void {
    const chain = this.chain!;
    const out = this.stackNode!;
    const n = layers.length;
    if (n > this.prevLayers.length) {
      const grown = (a: Uint32Array) => {
        const b = new Uint32Array(Math.max(n, 2 * a.length));
        b.set(a);
        return b;
      };
      this.prevLayers = grown(this.prevLayers);
      this.prevNodes = grown(this.prevNodes);
    }
    const prevLayers = this.prevLayers;
    const prevNodes = this.prevNodes;
    const shared = Math.min(n, this.prevCount);
    let k = 0;
    while (k < shared && layers[k] === prevLayers[k]) out.push(prevNodes[k++]);
    let parent = k > 0 ? prevNodes[k - 1] : -1;
    for (; k < n; k++) {
      parent = chain.child(parent, layers[k]);
      out.push(parent);
      prevLayers[k] = layers[k];
      prevNodes[k] = parent;
    }
    this.prevCount = n;
  }

  addContainer(c: ContainerRecord): void {
    this.containers.push(c);
  }

  /** The graph; `digests` replaces the layers' digest columns (their strings made on first use). */
  build(digests?: { diffId: LazyDigests; digest: LazyDigests }): ImageGraph {
    const chains = this.chain ? { chain: this.chain, stackNode: this.stackNode!.view().slice() } : {};
    if (!digests) return new ImageGraph({ ...this.columns(), ...chains });
    return new ImageGraph({ ...this.columns(false), layerDiffId: digests.diffId, layerDigest: digests.digest, ...chains });
  }

  /** The collected columns, unindexed (the digest columns empty when `withDigests` is false). */
  columns(withDigests = true): GraphColumns {
    const n = withDigests ? this.layerMediaType.length : 0;
    return {
      layerDiffId: withDigests ? padTo(this.layerDiffId, n) : [],
      layerDigest: withDigests ? padTo(this.layerDigest, n) : [],
      layerMediaType: this.layerMediaType,
      layerSize: this.layerSize.view().slice(),
      layerCompressed: this.layerCompressed.view().slice(),
      images: this.imageCols.finish(),
      stackStart: this.stackStart.view().slice(),
      stackLayer: this.stackLayer.view().slice(),
      containers: this.containers,
    };
  }
}

/** `column` with undefined appended up to length n (layers added by addLayerFields have no digest strings). */
function padTo<T>(column: (T | undefined)[], n: number): (T | undefined)[] {
  while (column.length < n) column.push(undefined);
  return column;
}

/**
 * Each reference's chain node. Images sharing a base usually sit next to each other, so an image's
 * leading refs that equal the previous image's at the same positions take its nodes (a node is a
 * function of the prefix) and only the rest go through the trie's hash.
 */
function buildStackNodes(chain: ChainTrie, stackStart: Uint32Array, stackLayer: Uint32Array, nImages: number): Uint32Array {
  const nodes = new Uint32Array(stackLayer.length);
  let prevStart = 0;
  let prevEnd = 0;
  for (let i = 0; i < nImages; i++) {
    const start = stackStart[i];
    const end = stackStart[i + 1];
    const shared = Math.min(end - start, prevEnd - prevStart);
    let k = 0;
    while (k < shared && stackLayer[start + k] === stackLayer[prevStart + k]) {
      nodes[start + k] = nodes[prevStart + k];
      k++;
    }
    let parent = k > 0 ? nodes[start + k - 1] : -1;
    for (let p = start + k; p < end; p++) {
      parent = chain.child(parent, stackLayer[p]);
      nodes[p] = parent;
    }
    prevStart = start;
    prevEnd = end;
  }
  return nodes;
}

/** The columns an {@link ImageGraph} is made of. */
export interface GraphColumns {
  layerDiffId: (Digest | undefined)[];
  layerDigest: (Digest | undefined)[];
  layerMediaType: (string | undefined)[];
  /** Uncompressed size per layer, NaN when unknown. */
  layerSize: Float64Array;
  /** Compressed size per layer, NaN when unknown. */
  layerCompressed: Float64Array;
  images: ImageColumns;
  /** Image i's layers are stackLayer[stackStart[i] .. stackStart[i+1]). */
  stackStart: Uint32Array;
  stackLayer: Uint32Array;
  containers: ContainerRecord[];
}

/**
 * Digests held some other way than as strings (a snapshot loader keeps them as bytes), made into
 * strings the first time an analysis asks: `df` of ten million images never needs the 40 million
 * layer digests as strings.
 */
export interface LazyDigests {
  readonly length: number;
  /** Every digest as a string (undefined where absent); called at most once per graph. */
  strings(): (Digest | undefined)[];
  /** The digests as raw bytes, without making strings (see {@link ImageGraph.layerDigestBytes}). */
  bytes?(): DigestBytes;
}

/**
 * What {@link ImageGraph} is built from: {@link GraphColumns}, the layer digests possibly lazy,
 * the images as columns or (for callers holding objects) as {@link ImageMeta} objects.
 */
export type GraphInput = Omit<GraphColumns, 'layerDiffId' | 'layerDigest' | 'images'> & {
  layerDiffId: (Digest | undefined)[] | LazyDigests;
  layerDigest: (Digest | undefined)[] | LazyDigests;
  images: ImageColumns | readonly ImageMeta[];
  /** Index of each container's image, when the loader knows it (saves building the image ID index). */
  containerImage?: ArrayLike<number>;
  /** The chainID trie and each ref's node, when made as the stacks were added (GraphBuilder.trackChains). */
  chain?: ChainTrie;
  stackNode?: Uint32Array;
};

function digestStrings(c: (Digest | undefined)[] | LazyDigests): (Digest | undefined)[] {
  return Array.isArray(c) ? c : (c as LazyDigests).strings();
}

/**
 * Images, layers and containers indexed both ways: image → layers (CSR stacks), layer →
 * images, image → containers, image → children, and the chainID trie (stack prefixes).
 * Immutable once built.
 */
export class ImageGraph {
  private diffIdColumn: (Digest | undefined)[] | LazyDigests;
  private digestColumn: (Digest | undefined)[] | LazyDigests;
  readonly layerMediaType: readonly (string | undefined)[];
  readonly layerSize: Float64Array;
  readonly layerCompressed: Float64Array;
  /** Image metadata as columns; prefer the accessors ({@link imageId}, {@link tagsOf}, ...). */
  readonly imageColumns: ImageColumns;
  private imageMetas: readonly ImageMeta[] | undefined;
  /** layerDigestBytes' answers, made once: callers (the removal host's diff names) ask per layer. */
  private readonly digestBytes: { diffId?: DigestBytes; digest?: DigestBytes } = {};
  private imageIds: readonly Digest[] | undefined;
  readonly stackStart: Uint32Array;
  readonly stackLayer: Uint32Array;
  readonly containers: readonly ContainerRecord[];
  /** Chain node of each stack position (parallel to stackLayer). */
  readonly stackNode: Uint32Array;
  readonly chain: ChainTrie;
  /** Index of each image's parent, -1 when none. */
  readonly imageParent: Int32Array;
  /** Index of each container's image. */
  readonly containerImage: Int32Array;
  /** Number of containers (any state) per image. */
  readonly imageContainerCount: Uint32Array;
  /** Number of child images per image. */
  readonly imageChildCount: Uint32Array;
  private imageIndexById: ImageIdIndex | undefined;
  private chainIdMemo: (Digest | null | undefined)[] | undefined;
  private layerImagesCsr: { start: Uint32Array; images: Uint32Array } | undefined;
  private imageContainersCsr: { start: Uint32Array; items: Uint32Array } | undefined;
  private imageChildrenCsr: { start: Uint32Array; items: Uint32Array } | undefined;

  constructor(c: GraphInput) {
    this.diffIdColumn = c.layerDiffId;
    this.digestColumn = c.layerDigest;
    this.layerMediaType = c.layerMediaType;
    this.layerSize = c.layerSize;
    this.layerCompressed = c.layerCompressed;
    if (isImageColumns(c.images)) this.imageColumns = c.images;
    else {
      // Callers holding objects keep them as the materialised list; the columns are made from them.
      this.imageMetas = c.images;
      this.imageColumns = imageColumnsOf(c.images);
    }
    this.stackStart = c.stackStart;
    this.stackLayer = c.stackLayer;
    this.containers = c.containers;

    const nImages = this.imageColumns.count;

    // The chain trie: one pass over every layer reference.
    const refs = c.stackLayer.length;
    // Chain nodes number about the distinct layers (most layers sit at one position): presizing
    // from that avoids regrowing and rehashing big typed arrays, which also triggers full GCs.
    const nLayers = c.layerDiffId.length;
    if (c.chain && c.stackNode) {
      this.chain = c.chain;
      this.stackNode = c.stackNode;
    } else {
      this.chain = new ChainTrie(Math.min(refs, nLayers + (nLayers >> 3) + 16));
      this.stackNode = buildStackNodes(this.chain, c.stackStart, c.stackLayer, nImages);
    }
    this.chain.seal();

    this.imageParent = this.imageColumns.parent;
    this.imageChildCount = new Uint32Array(nImages);
    for (let i = 0; i < nImages; i++) {
      const p = this.imageParent[i];
      if (p >= 0) this.imageChildCount[p]++;
    }

    this.containerImage = new Int32Array(c.containers.length);
    this.imageContainerCount = new Uint32Array(nImages);
    for (let k = 0; k < c.containers.length; k++) {
      // A loader that knows the image's index says so; the ID is then only checked against it.
      const known = c.containerImage?.[k];
      const img = known !== undefined && known >= 0 && known < nImages && this.imageId(known) === c.containers[k].image ? known : this.imageIndex(c.containers[k].image);
      if (img === undefined) throw new LayerlabError('EINPUT', `container ${c.containers[k].id}: image ${c.containers[k].image} is not in the image set`);
      this.containerImage[k] = img;
      this.imageContainerCount[img]++;
    }
  }

  /** Each layer's diffID (undefined when unknown). */
  get layerDiffId(): readonly (Digest | undefined)[] {
    const c = this.diffIdColumn;
    return Array.isArray(c) ? c : (this.diffIdColumn = digestStrings(c));
  }
  /** Each layer's blob digest (undefined when unknown). */
  get layerDigest(): readonly (Digest | undefined)[] {
    const c = this.digestColumn;
    return Array.isArray(c) ? c : (this.digestColumn = digestStrings(c));
  }

  /**
   * The layers' diffIDs or blob digests as bytes: what analyses that count or compare digests over
   * millions of layers read, so that no string is made per layer (made from the strings when the
   * column holds strings already).
   */
  layerDigestBytes(which: 'diffId' | 'digest'): DigestBytes {
    const made = this.digestBytes[which];
    if (made) return made;
    const c = which === 'diffId' ? this.diffIdColumn : this.digestColumn;
    const bytes = !Array.isArray(c) && (c as LazyDigests).bytes ? (c as LazyDigests).bytes!() : digestBytesOfStrings(which === 'diffId' ? this.layerDiffId : this.layerDigest);
    return (this.digestBytes[which] = bytes);
  }

  /**
   * Every image as an {@link ImageMeta}, made on first use: analyses that print per-image rows
   * may read it; those that only count (df's summary) use the accessors and never make it.
   */
  get images(): readonly ImageMeta[] {
    if (!this.imageMetas) {
      const ids = this.imageIdList();
      const c = this.imageColumns;
      const metas = new Array<ImageMeta>(c.count);
      for (let i = 0; i < c.count; i++) metas[i] = imageMetaOf(c, i, ids);
      this.imageMetas = metas;
    }
    return this.imageMetas;
  }

  /** Image i as an {@link ImageMeta} (without making the whole list). */
  image(i: number): ImageMeta {
    return this.imageMetas ? this.imageMetas[i] : imageMetaOf(this.imageColumns, i, this.imageIds);
  }

  /** Image i's ID. */
  imageId(i: number): Digest {
    if (this.imageIds) return this.imageIds[i];
    return this.imageMetas ? this.imageMetas[i].id : imageIdOf(this.imageColumns, i);
  }

  /** Every image's ID, in order (made once, natively hex-encoded, when first asked). */
  imageIdList(): readonly Digest[] {
    this.imageIds ??= this.imageMetas ? this.imageMetas.map((m) => m.id) : imageIdStrings(this.imageColumns);
    return this.imageIds;
  }

  /** Image i's creation time in Unix seconds, undefined when unknown. */
  createdOf(i: number): number | undefined {
    const t = this.imageColumns.created[i];
    return Number.isNaN(t) ? undefined : t;
  }

  /** Image i's platform (`os/arch[/variant]`), undefined when unknown. */
  platformOf(i: number): string | undefined {
    const code = this.imageColumns.platformCode[i];
    return code === 0 ? undefined : this.imageColumns.platforms[code - 1];
  }

  get imageCount(): number {
    return this.imageColumns.count;
  }
  get layerCount(): number {
    return this.diffIdColumn.length;
  }
  /** Number of layer references (sum of stack lengths). */
  get referenceCount(): number {
    return this.stackLayer.length;
  }

  /** Index of the image with this ID. The ID index is built on first use (sources check uniqueness first). */
  imageIndex(id: string): number | undefined {
    this.imageIndexById ??= new ImageIdIndex(this.imageColumns);
    return this.imageIndexById.get(id);
  }

  /** Layer indices of image i, bottom first. */
  stackOf(i: number): Uint32Array {
    return this.stackLayer.subarray(this.stackStart[i], this.stackStart[i + 1]);
  }

  /** Repo tags of image i (familiar form); empty when untagged. */
  tagsOf(i: number): readonly string[] {
    const c = this.imageColumns;
    return c.tagStart[i + 1] > c.tagStart[i] ? c.tags.slice(c.tagStart[i], c.tagStart[i + 1]) : NONE;
  }

  /** Repo digests of image i (familiar `name@digest`); empty when none. */
  digestsOf(i: number): readonly string[] {
    const c = this.imageColumns;
    return c.digestStart[i + 1] > c.digestStart[i] ? c.repoDigests.slice(c.digestStart[i], c.digestStart[i + 1]) : NONE;
  }

  /** Docker's dangling: no tag and no digest reference. */
  isUntagged(i: number): boolean {
    const c = this.imageColumns;
    return c.tagStart[i + 1] === c.tagStart[i] && c.digestStart[i + 1] === c.digestStart[i];
  }

  /** Identity of a layer: diffID when known, else its blob digest. */
  layerKey(l: number): string {
    return (this.layerDiffId[l] ?? this.layerDigest[l]) as string;
  }

  /** The real chainID of a trie node (OCI formula), or undefined when a diffID below it is unknown. Memoised. */
  chainIdOf(node: number): Digest | undefined {
    this.chainIdMemo ??= new Array(this.chain.count);
    const memo = this.chainIdMemo;
    const cached = memo[node];
    if (cached !== undefined) return cached ?? undefined;
    // Walk down to the deepest memoised ancestor, then come back up.
    const path: number[] = [];
    let n = node;
    while (n >= 0 && memo[n] === undefined) {
      path.push(n);
      n = this.chain.nodeParent[n];
    }
    let below: Digest | null | undefined = n >= 0 ? memo[n] : undefined;
    for (let k = path.length - 1; k >= 0; k--) {
      const m = path[k];
      const diff = this.layerDiffId[this.chain.nodeLayer[m]];
      const value: Digest | null = below === null || diff === undefined ? null : extendChainId(below, diff);
      memo[m] = value;
      below = value;
    }
    return memo[node] ?? undefined;
  }

  /** layer → images using it (each image once, even when a layer repeats in its stack), as CSR. */
  layerImages(): { start: Uint32Array; images: Uint32Array } {
    if (this.layerImagesCsr) return this.layerImagesCsr;
    const nL = this.layerCount;
    const count = new Uint32Array(nL + 1);
    const seen = new Int32Array(nL).fill(-1);
    for (let i = 0; i < this.imageCount; i++) {
      for (let p = this.stackStart[i], e = this.stackStart[i + 1]; p < e; p++) {
        const l = this.stackLayer[p];
        if (seen[l] !== i) {
          seen[l] = i;
          count[l + 1]++;
        }
      }
    }
    for (let l = 0; l < nL; l++) count[l + 1] += count[l];
    const images = new Uint32Array(count[nL]);
    const fill = count.slice(0, nL);
    seen.fill(-1);
    for (let i = 0; i < this.imageCount; i++) {
      for (let p = this.stackStart[i], e = this.stackStart[i + 1]; p < e; p++) {
        const l = this.stackLayer[p];
        if (seen[l] !== i) {
          seen[l] = i;
          images[fill[l]++] = i;
        }
      }
    }
    this.layerImagesCsr = { start: count, images };
    return this.layerImagesCsr;
  }

  /** Indices of the containers (any state) bound to image i. */
  containersOf(i: number): Uint32Array {
    this.imageContainersCsr ??= groupBy(this.containerImage, this.imageCount);
    const { start, items } = this.imageContainersCsr;
    return items.subarray(start[i], start[i + 1]);
  }

  /** Indices of the images whose parent is image i (local builds). */
  childrenOf(i: number): Uint32Array {
    this.imageChildrenCsr ??= groupBy(this.imageParent, this.imageCount);
    const { start, items } = this.imageChildrenCsr;
    return items.subarray(start[i], start[i + 1]);
  }

  /** Bytes held by the graph's typed columns (not counting strings and metadata objects). */
  typedByteLength(): number {
    return (
      this.layerSize.byteLength +
      this.layerCompressed.byteLength +
      this.stackStart.byteLength +
      this.stackLayer.byteLength +
      this.stackNode.byteLength +
      this.chain.byteLength() +
      this.imageParent.byteLength +
      this.imageChildCount.byteLength +
      this.imageContainerCount.byteLength
    );
  }
}

function isImageColumns(x: ImageColumns | readonly ImageMeta[]): x is ImageColumns {
  return !Array.isArray(x);
}

/** Groups indices k by key[k] (keys < 0 are skipped) into CSR lists, in index order. */
function groupBy(key: ArrayLike<number>, groups: number): { start: Uint32Array; items: Uint32Array } {
  const start = new Uint32Array(groups + 1);
  for (let k = 0; k < key.length; k++) if (key[k] >= 0) start[key[k] + 1]++;
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const fill = start.slice(0, groups);
  const items = new Uint32Array(start[groups]);
  for (let k = 0; k < key.length; k++) if (key[k] >= 0) items[fill[key[k]]++] = k;
  return { start, items };
}

/** Index of an image that sits on a parent cycle, or -1 when parent links form a forest. */
export function findParentCycle(parentOf: ArrayLike<number>): number {
  const n = parentOf.length;
  const state = new Uint8Array(n); // 0 unvisited, 1 on current walk, 2 done
  for (let s = 0; s < n; s++) {
    if (state[s]) continue;
    let i = s;
    while (i >= 0 && state[i] === 0) {
      state[i] = 1;
      i = parentOf[i];
    }
    if (i >= 0 && state[i] === 1) return i;
    for (let j = s; j >= 0 && state[j] === 1; j = parentOf[j]) state[j] = 2;
  }
  return -1;
}
