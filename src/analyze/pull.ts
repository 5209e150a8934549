import { shortId } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { extendChainId } from '../model/identity.js';
import { familiarString, parseNormalizedNamed, referenceName, withDefaultTag, type ImageReference } from '../model/reference.js';
import type { RegistryImage, RemoteLayer } from '../sources/source.js';

/** A registry image as one reference pulls it: what a pull reads before downloading anything. */
export interface RemoteImage {
  /** The reference pulled (normalised, with its tag or digest). */
  ref: ImageReference;
  /** Digest of the manifest (or index) the reference resolves to: the `Digest:` line. */
  digest: string;
  /** Config digest = the image ID it becomes. */
  configDigest: string;
  layers: (RemoteLayer & { uncompressedSize?: number })[];
}

/** The repositories (full names) a registry image is known under, from its tags and digests. */
export function repositoriesOf(img: Pick<RegistryImage, 'repoTags' | 'repoDigests'>): string[] {
  const repos = new Set<string>();
  for (const r of [...img.repoTags, ...img.repoDigests]) {
    try {
      repos.add(referenceName(parseNormalizedNamed(r)));
    } catch {
      // a name the registry data spells oddly names no repository
    }
  }
  return [...repos];
}

/**
 * The registry image `ref` names (by tag, or by digest within its repository) as that pull reads
 * it: the Digest line is the digest the reference resolves to in its own repository.
 */
export function remoteImageFor(images: readonly RegistryImage[], ref: ImageReference): RemoteImage | undefined {
  const want = ref.digest === undefined ? withDefaultTag(ref) : ref;
  const name = referenceName(want);
  const img = want.digest !== undefined
    ? images.find((i) => repositoriesOf(i).includes(name) && (i.resolvedDigest === want.digest || i.manifestDigest === want.digest || i.repoDigests.some((d) => d.endsWith('@' + want.digest))))
    : images.find((i) => i.repoTags.includes(familiarString(want)));
  if (!img) return undefined;
  const inRepo = img.repoDigests.find((d) => repositoriesOf({ repoTags: [], repoDigests: [d] })[0] === name);
  return {
    ref: want,
    digest: want.digest ?? (inRepo ? inRepo.slice(inRepo.indexOf('@') + 1) : img.resolvedDigest),
    configDigest: img.config.digest,
    layers: img.layers.map((l) => ({ ...l })),
  };
}

/** What a host knows that decides a pull (moby distribution/xfer and metadata). */
export interface PullHost {
  /** `${parent chainID or ''} ${diffID}` -> chainID, for every layer chain present: the chain walk without hashing. */
  chainStep: Map<string, string>;
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
  /** chainID -> the ref whose pull brings it, for chains recorded by earlier pulls of the same plan. */
  broughtBy: Map<string, string>;
}

/**
 * `Already exists`: on the host before the plan; `planned`: brought by an earlier pull of the same
 * plan (or earlier in this image: the same blob twice), which docker prints as Already exists (or
 * not at all); `download`: this pull downloads it.
 */
export type LayerPullStatus = 'Already exists' | 'download' | 'planned';

/** One layer of a pull plan. */
export interface PullLayer {
  id12: string;
  digest: string;
  diffId?: string;
  status: LayerPullStatus;
  /** For `planned`: the ref whose pull downloads it. */
  plannedBy?: string;
  /** Compressed size of the blob, when the registry data gives it. */
  size?: number;
  /** Uncompressed size, when known (the host has the layer, or the registry data says). */
  uncompressedSize?: number;
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
  const chainStep = new Map<string, string>();
  for (let k = 0; k < graph.chain.count; k++) {
    const c = graph.chainIdOf(k);
    if (!c) continue;
    const parent = graph.chain.nodeParent[k];
    chainStep.set(`${parent >= 0 ? graph.chainIdOf(parent) : ''} ${graph.layerDiffId[graph.chain.nodeLayer[k]]}`, c);
  }
  const diffSize = new Map<string, number>();
  for (let l = 0; l < graph.layerCount; l++) {
    const d = graph.layerDiffId[l];
    if (d && !Number.isNaN(graph.layerSize[l])) diffSize.set(d, graph.layerSize[l]);
  }
  const tagMap = new Map<string, string>(tags);
  if (!tags) graph.images.forEach((m) => (m.repoTags ?? []).forEach((t) => tagMap.set(t, m.id)));
  return {
    chainStep,
    diffSize,
    diffIdByDigest: new Map(diffIdByDigest),
    tags: tagMap,
    images: new Set(graph.images.map((m) => m.id)),
    metadata: diffIdByDigest ? 'read' : 'none',
    broughtBy: new Map(),
  };
}

/** An independent copy of a pull host (for trying orders). */
export function cloneHost(h: PullHost): PullHost {
  return {
    chainStep: new Map(h.chainStep),
    diffSize: new Map(h.diffSize),
    diffIdByDigest: new Map(h.diffIdByDigest),
    tags: new Map(h.tags),
    images: new Set(h.images),
    metadata: h.metadata,
    broughtBy: new Map(h.broughtBy),
  };
}

/**
 * Blob digest -> diffID inferred from the host's images that came from this registry: a host
 * image whose ID equals a registry image's config digest, and which carries a RepoDigest of one of
 * that image's repositories, holds the same layers in the same order. Every image of the registry
 * source counts, not only those being pulled: the host's other images tell which blobs it has.
 * (Docker records this on pull and push; a loaded image given a RepoDigest cannot be told apart
 * from a pulled one, so the metadata is said to be inferred.)
 */
export function inferBlobMetadata(host: PullHost, graph: ImageGraph, images: readonly RegistryImage[]): void {
  for (const r of images) {
    const i = graph.imageIndex(r.config.digest);
    if (i === undefined) continue;
    const repos = repositoriesOf(r);
    const fromHere = (graph.images[i].repoDigests ?? []).some((d) => repos.includes(repositoriesOf({ repoTags: [], repoDigests: [d] })[0]));
    if (!fromHere) continue;
    const stack = graph.stackOf(i);
    if (stack.length !== r.layers.length) continue;
    r.layers.forEach((l, k) => {
      const d = graph.layerDiffId[stack[k]];
      if (d) host.diffIdByDigest.set(l.digest, d);
    });
  }
  host.metadata = 'inferred';
}

/**
 * Plans `docker pull` of one image on `host`. With `record` (the default) the host then holds
 * what the pull brought, as the daemon would, so the next plan sees it; without, the host is left
 * as it was. Cost: linear in the image's layers, whatever the size of the host.
 */
export function planPull(host: PullHost, image: RemoteImage, options: { record?: boolean } = {}): PullPlan {
  const tagged = withDefaultTag(image.ref);
  const ref = familiarString(tagged);
  const canonical = referenceName(tagged) + (tagged.tag !== undefined ? ':' + tagged.tag : '') + (tagged.digest ? '@' + tagged.digest : '');
  // The daemon skips every layer when the config is already in its image store.
  const imagePresent = host.images.has(image.configDigest);
  let chain: string | undefined;
  let missing = imagePresent;
  const layers: PullLayer[] = [];
  const seenThisPull = new Set<string>();
  const downloadedThisPull = new Set<string>();
  let downloadBytes = 0;
  let coldBytes = 0;
  let idealDownloadBytes = 0;
  let sizesKnown = true;
  let diffIdsKnown = true;
  for (const l of image.layers) {
    let status: LayerPullStatus = imagePresent ? 'Already exists' : 'download';
    let plannedBy: string | undefined;
    if (!missing) {
      const diffId = host.diffIdByDigest.get(l.digest);
      const next = diffId === undefined ? undefined : host.chainStep.get(`${chain ?? ''} ${diffId}`);
      if (next !== undefined) {
        chain = next;
        plannedBy = host.broughtBy.get(next);
        status = plannedBy === undefined ? 'Already exists' : 'planned';
      } else missing = true;
    }
    const first = !seenThisPull.has(l.digest);
    seenThisPull.add(l.digest);
    // dockerd downloads a blob once per pull when it recurs among the layers it downloads
    // (xfer downloadsByKey); a blob of the present prefix that recurs higher up downloads again.
    if (status === 'download') {
      if (downloadedThisPull.has(l.digest)) {
        status = 'planned';
        plannedBy = ref;
      }
      downloadedThisPull.add(l.digest);
    }
    const diffId = l.diffId ?? host.diffIdByDigest.get(l.digest);
    const hostSize = diffId === undefined ? undefined : host.diffSize.get(diffId);
    const uncompressedSize = l.uncompressedSize ?? (hostSize !== undefined && !Number.isNaN(hostSize) ? hostSize : undefined);
    const size = l.size ?? 0;
    const bytes = status === 'download' ? size : 0;
    const idealPresent = host.diffSize.has(diffId ?? l.digest);
    if (first) {
      coldBytes += size;
      if (!idealPresent) idealDownloadBytes += size;
    }
    downloadBytes += bytes;
    if (l.size === undefined) sizesKnown = false;
    if (l.diffId === undefined) diffIdsKnown = false;
    layers.push({
      id12: shortId(l.digest),
      digest: l.digest,
      ...(diffId ? { diffId } : {}),
      status,
      ...(plannedBy !== undefined ? { plannedBy } : {}),
      ...(l.size !== undefined ? { size: l.size } : {}),
      ...(uncompressedSize !== undefined ? { uncompressedSize } : {}),
      downloadBytes: bytes,
      ideal: idealPresent ? 'present' : 'download',
    });
  }
  const upToDate = image.ref.digest === undefined && host.tags.get(ref) === image.configDigest;
  if (options.record !== false) recordPull(host, image);
  return {
    ref,
    canonical,
    path: tagged.path,
    tagOrDigest: tagged.tag ?? tagged.digest ?? 'latest',
    digest: image.digest,
    imageId: image.configDigest,
    layers,
    downloadBytes,
    coldBytes,
    idealDownloadBytes,
    upToDate,
    imagePresent,
    sizesKnown,
    diffIdsKnown,
  };
}

/**
 * The daemon now has the layers, their blob metadata and the tag. Without a config (registry
 * data without configs) the blob digest stands in for the diffID, so later pulls still chain.
 */
export function recordPull(host: PullHost, image: RemoteImage): void {
  const tagged = withDefaultTag(image.ref);
  const ref = familiarString(tagged);
  const imagePresent = host.images.has(image.configDigest);
  let c: string | undefined;
  for (const l of image.layers) {
    const d = l.diffId ?? host.diffIdByDigest.get(l.digest) ?? l.digest;
    const step = `${c ?? ''} ${d}`;
    const known = host.chainStep.get(step);
    c = known ?? extendChainId(c, d);
    if (known === undefined) {
      host.chainStep.set(step, c);
      if (!imagePresent) host.broughtBy.set(c, ref);
    }
    host.diffIdByDigest.set(l.digest, d);
    if (!host.diffSize.has(d)) host.diffSize.set(d, l.uncompressedSize ?? NaN);
  }
  if (image.ref.digest === undefined) host.tags.set(ref, image.configDigest);
  host.images.add(image.configDigest);
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
    const exists = l.status === 'Already exists' || (l.status === 'planned' && l.plannedBy !== p.ref);
    out.push(`${l.id12}: ${exists ? 'Already exists' : 'Pull complete'}`);
  }
  out.push(`Digest: ${p.digest}`);
  out.push(`Status: ${p.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${p.ref}`);
  out.push(p.canonical);
  return out;
}
