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

/** Config blobs are small; an image whose source does not give its config's size is charged this (a typical config). */
export const DEFAULT_CONFIG_SIZE = 1500;

/** Sizes the caller measured or read beside the graph (a source's blobs, its manifests, a data root's configs). */
export interface KnownSizes {
  /** Uncompressed size by graph layer index, for layers whose graph size is unknown. */
  layerSize?: ReadonlyMap<number, number>;
  /** Config blob bytes by image ID (the config's digest). */
  configSize?: ReadonlyMap<string, number>;
}

/** What {@link addGraph} had to stand in for: counts of layers and images whose sizes were not known. */
export interface GraphGaps {
  /** Layers without an uncompressed size: their compressed size stands in, so disk figures are compressed bytes. */
  uncompressedUnknown: number;
  /** Layers without a compressed (blob) size: their uncompressed size stands in for the download. */
  compressedUnknown: number;
  /** Images without a config size: charged {@link DEFAULT_CONFIG_SIZE}. */
  configUnknown: number;
}

/**
 * Adds every image of `graph` under its first tag (else its ID). A layer's blob is its compressed
 * digest, its diff its diffID; where neither the graph nor `known` gives an uncompressed size the
 * compressed one stands in (and the other way round), and an unknown config size is
 * {@link DEFAULT_CONFIG_SIZE}: the returned counts say how often, for the caller to say so.
 */
export function addGraph(b: UniverseBuilder, graph: ImageGraph, known: KnownSizes = {}): GraphGaps {
  const gaps: GraphGaps = { uncompressedUnknown: 0, compressedUnknown: 0, configUnknown: 0 };
  const blobOf = new Int32Array(graph.layerCount).fill(-1);
  for (let l = 0; l < graph.layerCount; l++) {
    const key = graph.layerDigest[l] ?? graph.layerDiffId[l] ?? `layer#${l}`;
    const diffKey = graph.layerDiffId[l] ?? key;
    const c = graph.layerCompressed[l];
    const u = graph.layerSize[l] >= 0 ? graph.layerSize[l] : known.layerSize?.get(l) ?? NaN;
    if (!(u >= 0)) gaps.uncompressedUnknown++;
    if (!(c >= 0)) gaps.compressedUnknown++;
    const comp = c >= 0 ? c : u >= 0 ? u : 0;
    blobOf[l] = b.blob(key, comp, diffKey, u >= 0 ? u : comp);
  }
  for (let i = 0; i < graph.imageCount; i++) {
    const meta = graph.images[i];
    const ref = meta.repoTags?.[0] ?? meta.id;
    const config = known.configSize?.get(meta.id);
    if (config === undefined) gaps.configUnknown++;
    b.image(ref, config ?? DEFAULT_CONFIG_SIZE, [...graph.stackOf(i)].map((l) => blobOf[l]));
  }
  return gaps;
}
