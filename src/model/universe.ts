// The universe a fleet of hosts lives in: every image, blob, layer (diff) and layer chain that any
// host holds or can pull, interned once and shared. A host is then a few typed arrays indexed by
// these ids (analyze/host-state.ts), never a copy of the graph.
//
// Ids only ever grow: a pull of data the universe has not seen (registry data without configs,
// whose blob digests stand in for diffIDs on one host and not another) interns the new chain and
// every id given out before stays valid. A simulator builds its universe once and nothing grows.
import { sha256Digest, type Digest } from './digest.js';
import type { ImageGraph } from './graph.js';
import { ChainTrie } from './chain-trie.js';
import { mixHash32, type DigestBytes } from './digest-bytes.js';
import { GrowableFloat64, GrowableUint32 } from './growable.js';

/** One layer of a registry image as the universe takes it in. */
export interface UniverseLayer {
  digest: string;
  size?: number;
  diffId?: string;
  uncompressedSize?: number;
}

/** A registry image as the universe takes it in (a RegistryImage or a RemoteImage fits). */
export interface UniverseImage {
  configDigest: string;
  configSize?: number;
  ref?: string;
  layers: readonly UniverseLayer[];
}

/** What a universe is built from: the starting hosts' graphs, registry images, and recorded blob metadata. */
export interface UniverseInputs {
  graphs?: readonly ImageGraph[];
  images?: readonly UniverseImage[];
  /** Blob digest -> diffID maps (data roots' distribution metadata, or inferred). */
  diffIdByDigest?: readonly ReadonlyMap<string, string>[];
}

/** Prefix of a diff key for a layer whose diffID is unknown (a graph layer known by its blob only). */
const UNKNOWN = '?';

/**
 * Interned images, blobs, diffs and chains. Field names follow the simulator's `SimUniverse`
 * (src/simulate/store.ts): dense integer ids, CSR layer lists, typed columns.
 */
export class Universe {
  private diffIndex = new Map<string, number>();
  private diffKeys: string[] = [];
  private diffSizes = new GrowableFloat64();
  // Chains of each diff as a linked list (first chain + 1, next chain + 1; 0 ends).
  private diffFirstChain = new GrowableUint32();
  private chainNextSameDiff = new GrowableUint32();
  private blobIndex = new Map<string, number>();
  private blobDigests: string[] = [];
  private blobSizes = new GrowableFloat64();
  private blobDiffs = new GrowableUint32();
  private imageIndex = new Map<string, number>();
  private imageIds: string[] = [];
  private imageRefs: string[] = [];
  private imageConfigSizes = new GrowableFloat64();
  private layerStart = new GrowableUint32();
  private refBlobs = new GrowableUint32();
  private refChains = new GrowableUint32();
  private trie = new ChainTrie(1024);
  private chainIdMemo: (Digest | null)[] = [];
  /** Hashes a chainID's input (`parent diffID`); see {@link useChainHasher}. */
  private chainHash: (input: string) => Digest = sha256Digest;
  private chainSizes = new GrowableFloat64();

  // Views handed out are cached until their column grows: getters sit on every hot path.
  private chainDiffKey = {};
  private views = new Map<object, Float64Array | Uint32Array | Int32Array>();
  private cached<A extends Float64Array | Uint32Array | Int32Array>(key: object, length: number, make: () => A): A {
    const v = this.views.get(key) as A | undefined;
    if (v !== undefined && v.length === length) return v;
    const fresh = make();
    this.views.set(key, fresh);
    return fresh;
  }
  private col<A extends Float64Array | Uint32Array>(g: { length: number; view(): A }): A {
    return this.cached(g, g.length, () => g.view());
  }

  /**
   * The graph this universe was adopted from (see {@link ofGraph}) while its strings (diff keys,
   * blob digests, image IDs and references) and string indexes are not made yet.
   */
  private lazy: ImageGraph | undefined;

  constructor(inputs: UniverseInputs = {}) {
    this.layerStart.push(0);
    // Real mappings first, so a blob's diff is its diffID wherever any source knows it.
    for (const m of inputs.diffIdByDigest ?? []) for (const [digest, diffId] of m) this.blob(digest, undefined, diffId);
    for (const g of inputs.graphs ?? []) this.addGraph(g);
    for (const img of inputs.images ?? []) this.addImage(img);
  }

  /**
   * The universe of one host graph, as `new Universe({ graphs: [graph] })` builds it. When every
   * layer has a sha256 diffID and blob digest, each unique, the ids are the graph's own (diff =
   * blob = layer, chain = chain-trie node, image = image) and are taken over from its columns:
   * no string is made or hashed per layer or image until a caller asks for one by name.
   */
  static ofGraph(graph: ImageGraph): Universe {
    const u = new Universe();
    if (!u.adopt(graph)) u.addGraph(graph);
    return u;
  }

  private adopt(graph: ImageGraph): boolean {
    const nL = graph.layerCount;
    if (!allUniqueSha256(graph.layerDigestBytes('diffId')) || !allUniqueSha256(graph.layerDigestBytes('digest'))) return false;
    const sizes = new Float64Array(nL);
    const ids = new Uint32Array(nL);
    for (let l = 0; l < nL; l++) {
      sizes[l] = Number.isNaN(graph.layerSize[l]) ? graph.layerCompressed[l] : graph.layerSize[l];
      ids[l] = l;
    }
    this.diffSizes.append(sizes);
    this.diffFirstChain.append(new Uint32Array(nL));
    this.blobSizes.append(graph.layerCompressed);
    this.blobDiffs.append(ids);
    const { nodeParent, nodeLayer, count } = graph.chain;
    // Nodes in creation order come out with the same ids: a node's parent always precedes it.
    for (let n = 0; n < count; n++) if (this.chain(nodeParent[n], nodeLayer[n]) !== n) throw new Error('Universe.ofGraph: chain ids diverge');
    this.imageConfigSizes.append(new Float64Array(graph.imageCount));
    this.layerStart.append(graph.stackStart.subarray(1, graph.imageCount + 1));
    this.refBlobs.append(graph.stackLayer);
    this.refChains.append(graph.stackNode);
    this.lazy = graph;
    this.adopted = graph;
    return true;
  }

  /** The graph whose ids this universe took over (see {@link ofGraph}), if any. */
  adopted: ImageGraph | undefined;

  /** Makes the strings and string indexes of an adopted graph: a caller names things, or interns more. */
  private strings(): void {
    const g = this.lazy;
    if (!g) return;
    this.lazy = undefined;
    const diffIds = g.layerDiffId;
    const digests = g.layerDigest;
    for (let l = 0; l < g.layerCount; l++) {
      this.diffKeys.push(diffIds[l]!);
      this.diffIndex.set(diffIds[l]!, l);
      this.blobDigests.push(digests[l]!);
      this.blobIndex.set(digests[l]!, l);
    }
    const ids = g.imageIdList();
    for (let i = 0; i < ids.length; i++) {
      this.imageIds.push(ids[i]);
      this.imageIndex.set(ids[i], i);
      this.imageRefs.push(g.tagsOf(i)[0] ?? g.digestsOf(i)[0] ?? ids[i]);
    }
  }

  get imageCount(): number {
    return this.lazy ? this.lazy.imageCount : this.imageIds.length;
  }
  get blobCount(): number {
    return this.lazy ? this.lazy.layerCount : this.blobDigests.length;
  }
  get diffCount(): number {
    return this.lazy ? this.lazy.layerCount : this.diffKeys.length;
  }
  get chainCount(): number {
    return this.trie.count;
  }
  /** Image ID (config digest) of each image. */
  get imageId(): readonly string[] {
    this.strings();
    return this.imageIds;
  }
  /** Image ID of one image (without making every image's string). */
  imageIdOf(image: number): string {
    return this.lazy ? this.lazy.imageId(image) : this.imageIds[image];
  }
  /** Familiar reference of each image: its first tag or digest reference, else its ID. */
  get imageRef(): readonly string[] {
    this.strings();
    return this.imageRefs;
  }
  /** Config blob bytes of each image (0 when unknown). */
  get imageConfigSize(): Float64Array {
    return this.col(this.imageConfigSizes);
  }
  get imageLayerStart(): Uint32Array {
    return this.col(this.layerStart);
  }
  get refBlob(): Uint32Array {
    return this.col(this.refBlobs);
  }
  get refChain(): Uint32Array {
    return this.col(this.refChains);
  }
  get blobDigest(): readonly string[] {
    this.strings();
    return this.blobDigests;
  }
  /** Compressed bytes of each blob, NaN when unknown. */
  get blobSize(): Float64Array {
    return this.col(this.blobSizes);
  }
  get blobDiff(): Uint32Array {
    return this.col(this.blobDiffs);
  }
  /** Uncompressed bytes of each diff, NaN when unknown. */
  get diffSize(): Float64Array {
    return this.col(this.diffSizes);
  }
  get chainParent(): Int32Array {
    return this.cached(this.trie, this.trie.count, () => this.trie.nodeParent.subarray(0, this.trie.count));
  }
  get chainDiff(): Uint32Array {
    return this.cached(this.chainDiffKey, this.trie.count, () => this.trie.nodeLayer.subarray(0, this.trie.count));
  }
  /** Bytes a chain's layer takes on a host: its diff's size, 0 when unknown. */
  get chainSize(): Float64Array {
    return this.col(this.chainSizes);
  }

  imageOf(id: string): number | undefined {
    return this.lazy ? this.lazy.imageIndex(id) : this.imageIndex.get(id);
  }
  blobOf(digest: string): number | undefined {
    this.strings();
    return this.blobIndex.get(digest);
  }
  /** Images whose ID's hex starts with these 12 digits (the index is built on first use, extended as images come). */
  imagesWithShortId(hex12: string): readonly number[] {
    if (this.lazy) return imagesWithIdPrefix(this.lazy, hex12);
    this.shortIndex ??= new Map();
    for (; this.shortIndexed < this.imageIds.length; this.shortIndexed++) {
      const k = this.imageIds[this.shortIndexed].slice(7, 19);
      const list = this.shortIndex.get(k);
      if (list) list.push(this.shortIndexed);
      else this.shortIndex.set(k, [this.shortIndexed]);
    }
    return this.shortIndex.get(hex12) ?? [];
  }
  private shortIndex: Map<string, number[]> | undefined;
  private shortIndexed = 0;

  /** The diff with this diffID (or stand-in digest), if interned. */
  diffOf(diffId: string): number | undefined {
    this.strings();
    return this.diffIndex.get(diffId);
  }
  /** The diffID of a diff; undefined for a layer known only by its blob. */
  diffIdOf(diff: number): string | undefined {
    if (this.lazy) return this.lazy.layerDigestBytes('diffId').stringOf(diff);
    const k = this.diffKeys[diff];
    return k.startsWith(UNKNOWN) ? undefined : k;
  }
  /** The name Docker gives a diff where no chainID can be formed: its diffID, else its blob digest. */
  diffName(diff: number): string {
    if (this.lazy) return this.lazy.layerDigestBytes('diffId').stringOf(diff)!;
    const k = this.diffKeys[diff];
    return k.startsWith(UNKNOWN) ? k.slice(1) : k;
  }
  /** The chain of `diff` on top of `parent` (-1: bottom), or -1 when never interned. */
  findChain(parent: number, diff: number): number {
    return this.trie.find(parent, diff);
  }
  /** Chain of the top layer of an image, -1 for an image without layers. */
  imageTop(image: number): number {
    const s = this.imageLayerStart;
    return s[image + 1] > s[image] ? this.refChain[s[image + 1] - 1] : -1;
  }
  /** Chains with this diff, in creation order. */
  chainsOfDiff(diff: number): number[] {
    const out: number[] = [];
    const next = this.chainNextSameDiff.view();
    for (let c = this.diffFirstChain.view()[diff]; c !== 0; c = next[c - 1]) out.push(c - 1);
    return out;
  }

  /** The real chainID of a chain (OCI formula), or undefined when a diffID below it is unknown. */
  chainIdOf(chain: number): Digest | undefined {
    const memo = this.chainIdMemo;
    const path: number[] = [];
    let n = chain;
    while (n >= 0 && memo[n] === undefined) {
      path.push(n);
      n = this.trie.nodeParent[n];
    }
    let below: Digest | null | undefined = n >= 0 ? memo[n] : undefined;
    for (let k = path.length - 1; k >= 0; k--) {
      const d = this.diffIdOf(this.trie.nodeLayer[path[k]]);
      // extendChainId's rule, with this universe's hasher
      below = below === null || d === undefined ? null : below === undefined ? (d as Digest) : this.chainHash(below + ' ' + d);
      memo[path[k]] = below;
    }
    return memo[chain] ?? undefined;
  }

  /**
   * Makes chainIDs with `hash` (sha256 of its input, as a digest) instead of the model's
   * browser-safe sha256: the CLI gives node:crypto's, about 13x faster per chainID (prune -a of 1M
   * images names 2M deleted layers). The digests are the same, so a universe shared by hosts may
   * take it at any time.
   */
  useChainHasher(hash: (input: string) => Digest): void {
    this.chainHash = hash;
  }

  /** Interns a diff (a diffID, a stand-in digest, or an unknown layer named by its blob). */
  diff(key: string, size?: number): number {
    this.strings();
    let d = this.diffIndex.get(key);
    if (d === undefined) {
      d = this.diffKeys.push(key) - 1;
      this.diffIndex.set(key, d);
      this.diffSizes.push(size ?? NaN);
      this.diffFirstChain.push(0);
    } else if (size !== undefined && Number.isNaN(this.diffSizes.view()[d])) this.diffSizes.view()[d] = size;
    return d;
  }

  /**
   * Interns a blob. Its diff is the first diffID any source gives; without one the blob digest
   * stands in (as Docker records a layer pulled without a config).
   */
  blob(digest: string, size?: number, diffId?: string): number {
    this.strings();
    let b = this.blobIndex.get(digest);
    if (b === undefined) {
      b = this.blobDigests.push(digest) - 1;
      this.blobIndex.set(digest, b);
      this.blobSizes.push(size ?? NaN);
      this.blobDiffs.push(this.diff(diffId ?? digest));
    } else {
      if (size !== undefined && Number.isNaN(this.blobSizes.view()[b])) this.blobSizes.view()[b] = size;
      // A stand-in gives way to the real diffID once a source says it.
      if (diffId !== undefined && this.diffKeys[this.blobDiffs.view()[b]] === digest) this.blobDiffs.view()[b] = this.diff(diffId);
    }
    return b;
  }

  /** The chain of `diff` on top of `parent`, interned. */
  chain(parent: number, diff: number): number {
    const before = this.trie.count;
    const c = this.trie.child(parent, diff);
    if (this.trie.count > before) {
      const first = this.diffFirstChain.view();
      this.chainNextSameDiff.push(first[diff]);
      first[diff] = c + 1;
      const s = this.diffSizes.view()[diff];
      this.chainSizes.push(Number.isNaN(s) ? 0 : s);
    }
    return c;
  }

  /** Interns a registry image (once per config digest) with its blobs and chains; returns its id. */
  addImage(img: UniverseImage): number {
    this.strings();
    const known = this.imageIndex.get(img.configDigest);
    let parent = -1;
    const blobs: number[] = [];
    const chains: number[] = [];
    for (const l of img.layers) {
      const b = this.blob(l.digest, l.size, l.diffId);
      const d = l.diffId !== undefined ? this.diff(l.diffId, l.uncompressedSize) : this.blobDiffs.view()[b];
      if (l.uncompressedSize !== undefined) this.diff(this.diffKeys[d], l.uncompressedSize);
      parent = this.chain(parent, d);
      blobs.push(b);
      chains.push(parent);
    }
    if (known !== undefined) return known;
    return this.pushImage(img.configDigest, img.ref ?? img.configDigest, img.configSize ?? 0, blobs, chains);
  }

  /**
   * Interns an image by blob ids already interned (a simulator's catalog, where `id` may be a
   * familiar reference); its chains follow the blobs' diffs. An existing id keeps its first definition.
   */
  addImageByBlobs(id: string, ref: string, configSize: number, blobs: readonly number[]): number {
    this.strings();
    const known = this.imageIndex.get(id);
    if (known !== undefined) return known;
    const chains: number[] = [];
    let parent = -1;
    for (const b of blobs) chains.push((parent = this.chain(parent, this.blobDiffs.view()[b])));
    return this.pushImage(id, ref, configSize, [...blobs], chains);
  }

  /** Interns every image of a host graph (its layers by diffID, else by blob digest). */
  addGraph(graph: ImageGraph): void {
    this.strings();
    const layerDiff = new Int32Array(graph.layerCount).fill(-1);
    const layerBlob = new Int32Array(graph.layerCount).fill(-1);
    for (let l = 0; l < graph.layerCount; l++) {
      const diffId = graph.layerDiffId[l];
      const digest = graph.layerDigest[l];
      const size = Number.isNaN(graph.layerSize[l]) ? (Number.isNaN(graph.layerCompressed[l]) ? undefined : graph.layerCompressed[l]) : graph.layerSize[l];
      const d = this.diff(diffId ?? UNKNOWN + digest, size);
      layerDiff[l] = d;
      const compressed = Number.isNaN(graph.layerCompressed[l]) ? undefined : graph.layerCompressed[l];
      // A layer known without its blob digest still needs a blob id: one named after its diff.
      layerBlob[l] = digest !== undefined ? this.blob(digest, compressed, diffId) : this.blob(`diff:${this.diffKeys[d]}`, compressed, this.diffKeys[d]);
    }
    graph.images.forEach((m, i) => {
      const blobs: number[] = [];
      const chains: number[] = [];
      let parent = -1;
      for (const l of graph.stackOf(i)) {
        parent = this.chain(parent, layerDiff[l]);
        blobs.push(layerBlob[l]);
        chains.push(parent);
      }
      if (!this.imageIndex.has(m.id)) this.pushImage(m.id, m.repoTags?.[0] ?? m.repoDigests?.[0] ?? m.id, 0, blobs, chains);
    });
  }

  private pushImage(id: string, ref: string, configSize: number, blobs: number[], chains: number[]): number {
    const i = this.imageIds.push(id) - 1;
    this.imageIndex.set(id, i);
    this.imageRefs.push(ref);
    this.imageConfigSizes.push(configSize);
    blobs.forEach((b, k) => {
      this.refBlobs.push(b);
      this.refChains.push(chains[k]);
    });
    this.layerStart.push(this.refBlobs.length);
    return i;
  }

  /** Bytes held by the universe's typed columns (strings and maps not counted). */
  typedByteLength(): number {
    return (
      this.diffSizes.view().byteLength + this.diffFirstChain.view().byteLength + this.chainNextSameDiff.view().byteLength +
      this.blobSizes.view().byteLength + this.blobDiffs.view().byteLength + this.imageConfigSizes.view().byteLength +
      this.layerStart.view().byteLength + this.refBlobs.view().byteLength + this.refChains.view().byteLength +
      this.trie.byteLength() + this.chainSizes.view().byteLength
    );
  }
}

/** Every row holds a sha256 digest and no two rows the same (an open-addressing set over the raw bytes). */
function allUniqueSha256(d: DigestBytes): boolean {
  const n = d.length;
  let cap = 16;
  while (cap < n * 2) cap *= 2;
  // Slot: the row's offset + 1 (0 empty), and beside it the row's hash, compared before any byte.
  const slots = new Int32Array(cap);
  const hashes = new Int32Array(cap);
  const mask = cap - 1;
  const raw = d.raw;
  for (let r = 0; r < n; r++) {
    const o = d.offsetOf(r);
    if (o < 0) return false;
    const h = mixHash32(((raw[o] << 24) | (raw[o + 1] << 16) | (raw[o + 2] << 8) | raw[o + 3]) ^ Math.imul((raw[o + 28] << 24) | (raw[o + 29] << 16) | (raw[o + 30] << 8) | raw[o + 31], 0x9e3779b1));
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const other = slots[s] - 1;
      if (other < 0) {
        slots[s] = o + 1;
        hashes[s] = h;
        break;
      }
      if (hashes[s] !== h) continue;
      let same = true;
      for (let k = 0; k < 32; k++) {
        if (raw[other + k] !== raw[o + k]) {
          same = false;
          break;
        }
      }
      if (same) return false;
    }
  }
  return true;
}

/** Images of a graph whose ID's hex starts with `hex12` (12 hex digits), read from the ID bytes. */
function imagesWithIdPrefix(graph: ImageGraph, hex12: string): number[] {
  const c = graph.imageColumns;
  const out: number[] = [];
  if (!/^[0-9a-f]{12}$/.test(hex12)) return out;
  const want = Buffer.from(hex12, 'hex');
  const ids = c.idBytes;
  for (let i = 0, o = 0; i < c.count; i++, o += 32) {
    if (c.idOther.size && c.idOther.has(i)) {
      if (c.idOther.get(i)!.slice(7, 19) === hex12) out.push(i);
    } else if (ids[o] === want[0] && ids[o + 1] === want[1] && ids[o + 2] === want[2] && ids[o + 3] === want[3] && ids[o + 4] === want[4] && ids[o + 5] === want[5]) out.push(i);
  }
  return out;
}
