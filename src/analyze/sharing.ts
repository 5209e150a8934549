import { ABSENT, compareDigests } from '../model/digest-bytes.js';
import type { ImageGraph } from '../model/graph.js';
import { imageUsage, listedImages } from './df.js';
import { effectiveSizes } from './sizes.js';
import { topK } from './top-k.js';

/** A layer and how much its sharing saves. */
export interface SharedLayer {
  diffId: string | null;
  digest: string | null;
  size: number;
  /** Listed images whose stack holds the layer. */
  images: number;
  /** Distinct stack positions (chainIDs) the layer sits at; Docker stores it once per position. */
  chainPositions: number;
  /** size x (images - 1): saved by an ideal layer store. */
  savedBytes: number;
  /** size x (images - chainPositions): saved on a Docker host, which shares only prefixes. */
  dockerSavedBytes: number;
}

/** The layers whose sharing saves the most bytes, most first. */
export function mostSharedLayers(graph: ImageGraph, top = 10): SharedLayer[] {
  const { size } = effectiveSizes(graph);
  const listed = listedImages(graph);
  const users = new Uint32Array(graph.layerCount);
  const seen = new Int32Array(graph.layerCount).fill(-1);
  const nodeSeen = new Uint8Array(graph.chain.count);
  const positions = new Uint32Array(graph.layerCount);
  for (let i = 0; i < graph.imageCount; i++) {
    if (!listed[i]) continue;
    for (let p = graph.stackStart[i], e = graph.stackStart[i + 1]; p < e; p++) {
      const l = graph.stackLayer[p];
      if (seen[l] !== i) {
        seen[l] = i;
        users[l]++;
      }
      const node = graph.stackNode[p];
      if (!nodeSeen[node]) {
        nodeSeen[node] = 1;
        positions[l]++;
      }
    }
  }
  const diffIds = graph.layerDigestBytes('diffId');
  const digests = graph.layerDigestBytes('digest');
  // Ties are broken on the layer's identity (diffID, else digest), compared as bytes: the strings
  // of every layer's digests would take gigabytes at ten million images.
  const keyBefore = (a: number, b: number): number => {
    const ka = diffIds.offsetOf(a) === ABSENT ? digests : diffIds;
    const kb = diffIds.offsetOf(b) === ABSENT ? digests : diffIds;
    return compareDigests(ka, a, kb, b) < 0 ? -1 : 1;
  };
  const chosen = topK(graph.layerCount, top, (l) => users[l] > 1, (a, b) => size[b] * (users[b] - 1) - size[a] * (users[a] - 1) || users[b] - users[a] || keyBefore(a, b));
  return chosen.map((l) => ({
    diffId: diffIds.stringOf(l) ?? null,
    digest: digests.stringOf(l) ?? null,
    size: size[l],
    images: users[l],
    chainPositions: positions[l],
    savedBytes: size[l] * (users[l] - 1),
    dockerSavedBytes: size[l] * (users[l] - positions[l]),
  }));
}

/** Bytes two images share. */
export interface ImagePair {
  a: string;
  b: string;
  /** Sizes of the distinct layers both stacks hold, at any position. */
  sameLayerBytes: number;
  /** Sizes of their common stack prefix: what a Docker host stores once for both. */
  commonChainBytes: number;
}

/** Display name of image i: its first tag, else its short ID. */
export function imageLabel(graph: ImageGraph, i: number): string {
  const tags = graph.tagsOf(i);
  return tags.length ? tags[0] : graph.imageId(i).slice(7, 19);
}

/**
 * Pairwise shared bytes among the `limit` largest listed images (all pairs that share
 * anything, most shared first). Quadratic in `limit`, so the caller bounds it.
 */
export function pairwiseShared(graph: ImageGraph, limit = 50): { considered: number; of: number; pairs: ImagePair[] } {
  const { size } = effectiveSizes(graph);
  const u = imageUsage(graph);
  let of = 0;
  for (let i = 0; i < graph.imageCount; i++) of += u.listed[i];
  const chosen = topK(graph.imageCount, limit, (i) => u.listed[i] === 1, (a, b) => u.size[b] - u.size[a] || a - b);
  const sets = chosen.map((i) => new Set(graph.stackOf(i)));
  const pairs: ImagePair[] = [];
  for (let x = 0; x < chosen.length; x++) {
    for (let y = x + 1; y < chosen.length; y++) {
      let same = 0;
      for (const l of sets[x]) if (sets[y].has(l)) same += size[l];
      let common = 0;
      const i = chosen[x];
      const j = chosen[y];
      const n = Math.min(graph.stackStart[i + 1] - graph.stackStart[i], graph.stackStart[j + 1] - graph.stackStart[j]);
      for (let k = 0; k < n; k++) {
        const pi = graph.stackStart[i] + k;
        if (graph.stackNode[pi] !== graph.stackNode[graph.stackStart[j] + k]) break;
        common += size[graph.stackLayer[pi]];
      }
      if (same > 0 || common > 0) pairs.push({ a: imageLabel(graph, i), b: imageLabel(graph, j), sameLayerBytes: same, commonChainBytes: common });
    }
  }
  pairs.sort((p, q) => q.sameLayerBytes - p.sameLayerBytes || q.commonChainBytes - p.commonChainBytes || (p.a + p.b < q.a + q.b ? -1 : 1));
  return { considered: chosen.length, of, pairs };
}
