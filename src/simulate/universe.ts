// Builds the immutable catalog a fleet pulls from: from a loaded image graph, from a registry
// trace, and extended by deployment waves (new tags whose new top layers sit on an old base).
import type { ImageGraph } from '../model/graph.js';
import { ChainTrie } from '../model/chain-trie.js';
import { GrowableFloat64, GrowableUint32 } from '../model/growable.js';
import type { SimUniverse } from './store.js';

/** Accumulates blobs, diffs and images; `build()` freezes them into a {@link SimUniverse}. */
export class UniverseBuilder {
  private readonly blobIndex = new Map<string, number>();
  private readonly diffIndex = new Map<string, number>();
  private readonly blobSize = new GrowableFloat64();
  private readonly blobDiff = new GrowableUint32();
  private readonly diffSize = new GrowableFloat64();
  private readonly layerStart = new GrowableUint32();
  private readonly refBlob = new GrowableUint32();
  private readonly refChain = new GrowableUint32();
  private readonly configSize = new GrowableFloat64();
  private readonly refs: string[] = [];
  private readonly trie = new ChainTrie(1024);
  private readonly imageIndex = new Map<string, number>();

  constructor() {
    this.layerStart.push(0);
  }

  /** The blob id of `key` (compressed digest), created with its sizes and diff (diffID) if new. */
  blob(key: string, compressed: number, diffKey: string, uncompressed: number): number {
    const known = this.blobIndex.get(key);
    if (known !== undefined) return known;
    let d = this.diffIndex.get(diffKey);
    if (d === undefined) {
      d = this.diffSize.length;
      this.diffIndex.set(diffKey, d);
      this.diffSize.push(uncompressed);
    }
    const b = this.blobSize.length;
    this.blobIndex.set(key, b);
    this.blobSize.push(compressed);
    this.blobDiff.push(d);
    return b;
  }

  /** Adds an image of these blobs (bottom-up); returns its id (an existing ref keeps its first definition). */
  image(ref: string, configSize: number, blobs: readonly number[]): number {
    const known = this.imageIndex.get(ref);
    if (known !== undefined) return known;
    let chain = -1;
    for (const b of blobs) {
      chain = this.trie.child(chain, this.blobDiff.view()[b]);
      this.refBlob.push(b);
      this.refChain.push(chain);
    }
    const id = this.refs.length;
    this.refs.push(ref);
    this.imageIndex.set(ref, id);
    this.configSize.push(configSize);
    this.layerStart.push(this.refBlob.length);
    return id;
  }

  /** The id of an image added under `ref`. */
  imageId(ref: string): number | undefined {
    return this.imageIndex.get(ref);
  }

  /** The blobs of image `id`, bottom-up. */
  blobsOf(id: number): number[] {
    const s = this.layerStart.view();
    return [...this.refBlob.view().subarray(s[id], s[id + 1])];
  }

  get imageCount(): number {
    return this.refs.length;
  }

  build(): SimUniverse {
    const n = this.trie.count;
    return {
      imageCount: this.refs.length,
      imageRef: [...this.refs],
      imageConfigSize: this.configSize.view().slice(),
      imageLayerStart: this.layerStart.view().slice(),
      refBlob: this.refBlob.view().slice(),
      refChain: this.refChain.view().slice(),
      blobCount: this.blobSize.length,
      blobSize: this.blobSize.view().slice(),
      blobDiff: this.blobDiff.view().slice(),
      diffCount: this.diffSize.length,
      diffSize: this.diffSize.view().slice(),
      chainCount: n,
      chainParent: this.trie.nodeParent.slice(0, n),
      chainDiff: this.trie.nodeLayer.slice(0, n),
    };
  }
}

/** Config blobs are small; a source that does not give one is charged this (a typical config). */
export const DEFAULT_CONFIG_SIZE = 1500;

/**
 * Adds every image of `graph` under its first tag (else its ID). A layer's blob is its compressed
 * digest, its diff its diffID; where a source gives no uncompressed size the compressed one stands
 * in (and the other way round), so disk figures are then compressed bytes.
 */
export function addGraph(b: UniverseBuilder, graph: ImageGraph): { uncompressedUnknown: number } {
  let unknown = 0;
  const blobOf = new Int32Array(graph.layerCount).fill(-1);
  for (let l = 0; l < graph.layerCount; l++) {
    const key = graph.layerDigest[l] ?? graph.layerDiffId[l] ?? `layer#${l}`;
    const diffKey = graph.layerDiffId[l] ?? key;
    const c = graph.layerCompressed[l];
    const u = graph.layerSize[l];
    if (!(u >= 0)) unknown++;
    const comp = c >= 0 ? c : u >= 0 ? u : 0;
    blobOf[l] = b.blob(key, comp, diffKey, u >= 0 ? u : comp);
  }
  for (let i = 0; i < graph.imageCount; i++) {
    const meta = graph.images[i];
    const ref = meta.repoTags?.[0] ?? meta.id;
    b.image(ref, DEFAULT_CONFIG_SIZE, [...graph.stackOf(i)].map((l) => blobOf[l]));
  }
  return { uncompressedUnknown: unknown };
}
