import { shortId, type Digest } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { Universe, type UniverseImage } from '../model/universe.js';
import { HostState, type V2Metadata } from './host-state.js';
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

/** A registry image as the universe interns it. */
export function universeImageOf(r: RegistryImage): UniverseImage {
  return { configDigest: r.config.digest, ...(r.config.size !== undefined ? { configSize: r.config.size } : {}), ref: r.repoTags[0] ?? r.repoDigests[0], layers: r.layers };
}

/**
 * A host as a graph describes it, over a universe of that graph (and the registry images it may
 * pull), knowing the blob metadata `diffIdByDigest` (from a data root; none: nothing is known).
 */
export function pullHostFromGraph(graph: ImageGraph, diffIdByDigest?: ReadonlyMap<string, string>, images: readonly RegistryImage[] = []): HostState {
  const universe = new Universe({ graphs: [graph], images: images.map(universeImageOf), diffIdByDigest: diffIdByDigest ? [diffIdByDigest] : [] });
  return HostState.fromGraph(universe, graph, diffIdByDigest);
}

/**
 * Blob digest -> diffID inferred from the host's images that came from this registry: a host
 * image whose ID equals a registry image's config digest, and which carries a RepoDigest of one of
 * that image's repositories, holds the same layers in the same order. Every image of the registry
 * source counts, not only those being pulled: the host's other images tell which blobs it has.
 * (Docker records this on pull and push; a loaded image given a RepoDigest cannot be told apart
 * from a pulled one, so the metadata is said to be inferred.)
 */
export function inferBlobMetadata(host: HostState, graph: ImageGraph, images: readonly RegistryImage[]): void {
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
      if (d) host.knowBlob(host.universe.blob(l.digest, l.size, d));
    });
  }
  host.metadata = 'inferred';
}

/** The diff a pulled layer gets on this host: its config's diffID, else what the host recorded, else its digest standing in. */
function pulledDiff(host: HostState, l: RemoteImage['layers'][number]): number {
  const u = host.universe;
  const b = u.blob(l.digest, l.size, l.diffId);
  if (l.diffId !== undefined) return u.diff(l.diffId, l.uncompressedSize);
  return host.knowsBlob(b) ? u.blobDiff[b] : u.diff(l.digest, l.uncompressedSize);
}

/**
 * Plans `docker pull` of one image on `host`. With `record` (the default) the host then holds
 * what the pull brought, as the daemon would, so the next plan sees it; without, the host is left
 * as it was. Cost: linear in the image's layers, whatever the size of the host.
 */
export function planPull(host: HostState, image: RemoteImage, options: { record?: boolean } = {}): PullPlan {
  const u = host.universe;
  const tagged = withDefaultTag(image.ref);
  const ref = familiarString(tagged);
  const canonical = referenceName(tagged) + (tagged.tag !== undefined ? ':' + tagged.tag : '') + (tagged.digest ? '@' + tagged.digest : '');
  // The daemon skips every layer when the config is already in its image store.
  const known = u.imageOf(image.configDigest);
  const imagePresent = known !== undefined && host.hasImage(known);
  let chain = -1;
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
    const b = u.blob(l.digest, l.size, l.diffId);
    const recorded = host.knowsBlob(b) ? u.blobDiff[b] : undefined;
    let status: LayerPullStatus = imagePresent ? 'Already exists' : 'download';
    let plannedBy: string | undefined;
    if (!missing) {
      const next = recorded === undefined ? -1 : u.findChain(chain, recorded);
      if (next >= 0 && host.hasChain(next)) {
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
    const diffId = l.diffId ?? (recorded === undefined ? undefined : u.diffIdOf(recorded));
    const hostDiff = u.diffOf(diffId ?? l.digest);
    const idealPresent = hostDiff !== undefined && host.hasDiff(hostDiff);
    const hostSize = diffId !== undefined && idealPresent ? u.diffSize[hostDiff!] : undefined;
    const uncompressedSize = l.uncompressedSize ?? (hostSize !== undefined && !Number.isNaN(hostSize) ? hostSize : undefined);
    const size = l.size ?? 0;
    const bytes = status === 'download' ? size : 0;
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
  const upToDate = image.ref.digest === undefined && known !== undefined && host.imageByRef(tagged) === known;
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
 * The daemon now has the layers, their blob metadata (diffid-by-digest and v2metadata), the
 * image and its references: the tag and `name@digest` (moby pull_v2 addDigestReference). Without
 * a config (registry data without configs) the blob digest stands in for the diffID, so later
 * pulls still chain.
 */
export function recordPull(host: HostState, image: RemoteImage): void {
  const u = host.universe;
  const tagged = withDefaultTag(image.ref);
  const ref = familiarString(tagged);
  const img = u.addImage({ configDigest: image.configDigest, ref, layers: image.layers });
  host.grow();
  const imagePresent = host.hasImage(img);
  const repository = referenceName(tagged);
  let c = -1;
  for (const l of image.layers) {
    const d = pulledDiff(host, l);
    c = u.chain(c, d);
    host.grow();
    if (!imagePresent && !host.hasChain(c) && !host.broughtBy.has(c)) {
      const chain = c;
      host.broughtBy.set(chain, ref);
      host.record(() => host.broughtBy.delete(chain));
    }
    const b = u.blob(l.digest);
    host.knowBlob(b);
    const diffId = u.diffIdOf(d);
    if (!imagePresent && diffId !== undefined) addV2Metadata(host, diffId, { digest: l.digest, sourceRepository: repository });
  }
  if (!imagePresent) host.addImage(img, c);
  if (tagged.digest === undefined) host.addRef(img, tagged);
  host.addRef(img, { ...tagged, tag: undefined, digest: image.digest as Digest });
}

/** V2MetadataService.Add: moved to the end (youngest), at most 50 kept. */
export function addV2Metadata(host: HostState, diffId: string, meta: V2Metadata): void {
  const list = (host.v2.get(diffId) ?? []).filter((m) => m.digest !== meta.digest || m.sourceRepository !== meta.sourceRepository);
  host.setV2(diffId, [...list, meta].slice(-50));
}

/** The lines `docker pull` prints without a terminal, without any network; `concurrency` is the daemon's max-concurrent-downloads. */
export function narratePull(p: PullPlan, tagGiven: boolean, concurrency = 3): string[] {
  const out: string[] = [];
  if (!tagGiven) out.push('Using default tag: latest');
  out.push(`${p.tagOrDigest}: Pulling from ${p.path}`);
  const shown = new Set<string>();
  const downloads: string[] = [];
  for (const l of p.imagePresent ? [] : p.layers) {
    if (shown.has(l.id12)) continue;
    shown.add(l.id12);
    const exists = l.status === 'Already exists' || (l.status === 'planned' && l.plannedBy !== p.ref);
    if (exists) out.push(`${l.id12}: Already exists`);
    else downloads.push(l.id12);
  }
  // docker pull without a terminal (docker/cli jsonmessage): progress-bar messages (Downloading,
  // Extracting) are not printed, status changes are. moby's download manager says `Pulling fs
  // layer` for each layer it must fetch, `Waiting` for those beyond max-concurrent-downloads, then
  // each download says `Verifying Checksum` and `Download complete`, and registration, in stack
  // order, `Pull complete`. Lines of different layers interleave as downloads finish. The middle
  // three travel through the transfer's progress broadcast, which hands a slow watcher only the
  // latest message, so a real run may skip some of them (small layers often lose `Verifying
  // Checksum`); this prints every status the daemon emits.
  for (const id of downloads) out.push(`${id}: Pulling fs layer`);
  for (const id of downloads.slice(concurrency)) out.push(`${id}: Waiting`);
  for (const id of downloads) out.push(`${id}: Verifying Checksum`, `${id}: Download complete`);
  for (const id of downloads) out.push(`${id}: Pull complete`);
  out.push(`Digest: ${p.digest}`);
  out.push(`Status: ${p.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${p.ref}`);
  out.push(p.canonical);
  return out;
}
