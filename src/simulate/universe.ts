// Builds the immutable catalog a fleet pulls from: from a loaded image graph, from a registry
// trace, and extended by deployment waves (new tags whose new top layers sit on an old base).
// The catalog is the model's Universe (src/model/universe.ts): the one every host state, and so
// every simulated node, lives in.
import type { ImageGraph } from '../model/graph.js';
import { Universe } from '../model/universe.js';

/** Accumulates blobs, diffs and images into a {@link Universe}; `build()` hands it over. */
export class UniverseBuilder {
  private readonly u = new Universe();

  /** The blob id of `key` (compressed digest), created with its sizes and diff (diffID) if new. */
  blob(key: string, compressed: number, diffKey: string, uncompressed: number): number {
    const known = this.u.blobOf(key);
    if (known !== undefined) return known;
    this.u.diff(diffKey, uncompressed);
    return this.u.blob(key, compressed, diffKey);
  }

  /** Adds an image of these blobs (bottom-up); returns its id (an existing ref keeps its first definition). */
  image(ref: string, configSize: number, blobs: readonly number[]): number {
    return this.u.addImageByBlobs(ref, ref, configSize, blobs);
  }

  /** The id of an image added under `ref`. */
  imageId(ref: string): number | undefined {
    return this.u.imageOf(ref);
  }

  /** The blobs of image `id`, bottom-up. */
  blobsOf(id: number): number[] {
    const s = this.u.imageLayerStart;
    return [...this.u.refBlob.subarray(s[id], s[id + 1])];
  }

  get imageCount(): number {
    return this.u.imageCount;
  }

  /** The universe (the builder's own: images added later extend it). */
  build(): Universe {
    return this.u;
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
