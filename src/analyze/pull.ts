import { shortId } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { extendChainId } from '../model/identity.js';
import { familiarString, referenceName, withDefaultTag, type ImageReference } from '../model/reference.js';

/** An image as a registry serves it: what a pull reads before downloading anything. */
export interface RemoteImage {
  /** The reference pulled (normalised, with its tag or digest). */
  ref: ImageReference;
  /** Digest of the manifest (or index) the reference resolves to: the `Digest:` line. */
  digest: string;
  /** Config digest = the image ID it becomes. */
  configDigest: string;
  layers: { digest: string; size?: number; diffId?: string }[];
}

/** What a host knows that decides a pull (moby distribution/xfer and metadata). */
export interface PullHost {
  /** chainIDs of the layers present. */
  chains: Set<string>;
  /** diffID -> uncompressed size, for layers present. */
  diffSize: Map<string, number>;
  /** Blob digest -> diffID, recorded by earlier pulls and pushes. */
  diffIdByDigest: Map<string, string>;
  /** Tag (familiar string) -> image ID. */
  tags: Map<string, string>;
  /** Image IDs present: an image whose config is here is not pulled again at all. */
  images: Set<string>;
  /** How the blob metadata is known: read from a data root, inferred, or empty. */
  metadata: 'read' | 'inferred' | 'none';
}

export type LayerPullStatus = 'Already exists' | 'download' | 'planned';

/** One layer of a pull plan. */
export interface PullLayer {
  id12: string;
  digest: string;
  diffId?: string;
  status: LayerPullStatus;
  /** Compressed bytes on the wire (0 unless downloaded). */
  downloadBytes: number;
  /** What an ideal content-addressed store would do: download only blobs whose content is nowhere on the host. */
  ideal: 'present' | 'download';
}

/** The plan of pulling one image. */
export interface PullPlan {
  ref: string;
  canonical: string;
  path: string;
  tagOrDigest: string;
  digest: string;
  imageId: string;
  layers: PullLayer[];
  downloadBytes: number;
  coldBytes: number;
  idealDownloadBytes: number;
  upToDate: boolean;
  /** The image (its config) is already on the host: Docker reads no layer at all. */
  imagePresent: boolean;
  /** Unknown compressed sizes make byte totals lower bounds. */
  sizesKnown: boolean;
  /** False when the registry data had no config: blob digests stood in for diffIDs. */
  diffIdsKnown: boolean;
}

/** A host's pull-relevant state from a graph plus what it knows of blob digests. */
export function pullHostFromGraph(graph: ImageGraph, diffIdByDigest?: Map<string, string>, tags?: Map<string, string>): PullHost {
  const chains = new Set<string>();
  for (let k = 0; k < graph.chain.count; k++) {
    const c = graph.chainIdOf(k);
    if (c) chains.add(c);
  }
  const diffSize = new Map<string, number>();
  for (let l = 0; l < graph.layerCount; l++) {
    const d = graph.layerDiffId[l];
    if (d && !Number.isNaN(graph.layerSize[l])) diffSize.set(d, graph.layerSize[l]);
  }
  const tagMap = new Map<string, string>(tags);
  if (!tags) graph.images.forEach((m) => (m.repoTags ?? []).forEach((t) => tagMap.set(t, m.id)));
  return { chains, diffSize, diffIdByDigest: new Map(diffIdByDigest), tags: tagMap, images: new Set(graph.images.map((m) => m.id)), metadata: diffIdByDigest ? 'read' : 'none' };
}

/**
 * Blob digest -> diffID inferred from the host's images that came from a registry: an image whose
 * ID equals a remote image's config digest holds the same layers in the same order. (Docker
 * records this on pull and push; a loaded or locally built image has no such record, and this
 * inference cannot tell those apart from pulled ones, so it is said to be inferred.)
 */
export function inferBlobMetadata(host: PullHost, graph: ImageGraph, remote: RemoteImage[]): void {
  for (const r of remote) {
    const i = graph.imageIndex(r.configDigest);
    if (i === undefined || !(graph.images[i].repoDigests ?? []).length) continue;
    const stack = graph.stackOf(i);
    if (stack.length !== r.layers.length) continue;
    r.layers.forEach((l, k) => {
      const d = graph.layerDiffId[stack[k]];
      if (d) host.diffIdByDigest.set(l.digest, d);
    });
  }
  host.metadata = 'inferred';
}

/** Plans `docker pull` of one image on `host`, then records it there (as the daemon would). */
export function planPull(host: PullHost, image: RemoteImage): PullPlan {
  const tagged = withDefaultTag(image.ref);
  const canonical = referenceName(tagged) + (tagged.tag !== undefined ? ':' + tagged.tag : '') + (tagged.digest ? '@' + tagged.digest : '');
  // The daemon skips every layer when the config is already in its image store.
  const imagePresent = host.images.has(image.configDigest);
  let chain: string | undefined;
  let missing = imagePresent;
  const layers: PullLayer[] = [];
  const presentDiffs = new Set(host.diffSize.keys());
  const seenThisPull = new Set<string>();
  for (const l of image.layers) {
    let status: LayerPullStatus = imagePresent ? 'Already exists' : 'download';
    if (!missing) {
      const diffId = host.diffIdByDigest.get(l.digest);
      if (diffId && host.chains.has(extendChainId(chain, diffId))) {
        status = 'Already exists';
        chain = extendChainId(chain, diffId);
      } else missing = true;
    }
    if (status === 'download' && seenThisPull.has(l.digest)) status = 'planned';
    seenThisPull.add(l.digest);
    const diffId = l.diffId ?? host.diffIdByDigest.get(l.digest);
    layers.push({
      id12: shortId(l.digest),
      digest: l.digest,
      ...(diffId ? { diffId } : {}),
      status,
      downloadBytes: status === 'download' ? (l.size ?? 0) : 0,
      ideal: presentDiffs.has(diffId ?? l.digest) ? 'present' : 'download',
    });
  }
  const tagKey = familiarString(tagged);
  const upToDate = image.ref.digest === undefined && host.tags.get(tagKey) === image.configDigest;
  // The daemon now has the layers, their blob metadata and the tag. Without a config (registry
  // data without configs) the blob digest stands in for the diffID, so later pulls still chain.
  let c: string | undefined;
  for (const l of image.layers) {
    const d = l.diffId ?? host.diffIdByDigest.get(l.digest) ?? l.digest;
    c = extendChainId(c, d);
    host.chains.add(c);
    host.diffIdByDigest.set(l.digest, d);
    if (!host.diffSize.has(d)) host.diffSize.set(d, NaN);
  }
  if (image.ref.digest === undefined) host.tags.set(tagKey, image.configDigest);
  host.images.add(image.configDigest);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  return {
    ref: familiarString(tagged),
    canonical,
    path: tagged.path,
    tagOrDigest: tagged.tag ?? tagged.digest ?? 'latest',
    digest: image.digest,
    imageId: image.configDigest,
    layers,
    downloadBytes: sum(layers.map((l) => l.downloadBytes)),
    coldBytes: sum(image.layers.map((l) => l.size ?? 0)),
    idealDownloadBytes: sum(layers.filter((l, k) => l.ideal === 'download' && layers.findIndex((x) => x.digest === l.digest) === k).map((l) => image.layers.find((x) => x.digest === l.digest)!.size ?? 0)),
    upToDate,
    imagePresent,
    sizesKnown: image.layers.every((l) => l.size !== undefined),
    diffIdsKnown: image.layers.every((l) => l.diffId !== undefined),
  };
}

/** The lines `docker pull` prints (final state of each layer, in order), without any network. */
export function narratePull(p: PullPlan, tagGiven: boolean): string[] {
  const out: string[] = [];
  if (!tagGiven) out.push('Using default tag: latest');
  out.push(`${p.tagOrDigest}: Pulling from ${p.path}`);
  const shown = new Set<string>();
  for (const l of p.imagePresent ? [] : p.layers) {
    if (shown.has(l.id12)) continue;
    shown.add(l.id12);
    out.push(`${l.id12}: ${l.status === 'Already exists' ? 'Already exists' : 'Pull complete'}`);
  }
  out.push(`Digest: ${p.digest}`);
  out.push(`Status: ${p.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${p.ref}`);
  out.push(p.canonical);
  return out;
}
