// `docker push` planned offline: moby distribution/push_v2.go (v2PushDescriptor.Upload) over the
// daemon's v2 metadata (layer diffID -> blob digests it was pulled from or pushed to, per source
// repository) and what the registry holds per repository.
import { sha256Digest, shortId } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, referenceName, withDefaultTag, type ImageReference } from '../model/reference.js';
import type { DistributionMetadata, RegistryImage } from '../sources/source.js';
import type { HostState, V2Metadata } from './host-state.js';
import { addV2Metadata, pullHostFromGraph, repositoriesOf } from './pull.js';

/** What the registry holds: blobs linked per repository (full name), and blob sizes. */
export interface RegistryState {
  blobs: Map<string, Set<string>>;
  sizes: Map<string, number>;
}

/** A local image to push under `ref` (its layers bottom up). */
export interface LocalImage {
  ref: ImageReference;
  id: string;
  layers: { diffId: string; size?: number }[];
  /** Size in bytes of the image config, when known: the manifest can then be predicted. */
  configSize?: number;
}

export type PushStatus = 'Layer already exists' | 'Mounted from' | 'Pushed';

export interface PushLayerPlan {
  /** What docker push shows: the diffID, 12 hex. */
  id12: string;
  diffId: string;
  status: PushStatus;
  /** For `Mounted from`: the repository path mounted from. */
  from?: string;
  /** The blob's digest in the registry, when known before the push (not for layers docker compresses now). */
  digest?: string;
  /** Compressed bytes, for blobs the registry already has. */
  size?: number;
  /** Uncompressed layer size: what docker gzips and uploads for `Pushed`. */
  uncompressedSize?: number;
}

/** What `docker push` of one image does per layer (exists, mounted, pushed) and the bytes it uploads. */
export interface PushPlan {
  ref: string;
  repository: string;
  tag: string;
  imageId: string;
  /** Unique layers, bottom up. */
  layers: PushLayerPlan[];
  /** Uncompressed bytes of the layers docker will gzip and upload. */
  uploadUncompressedBytes: number;
  /** Compressed bytes the registry does not receive thanks to existing or mounted blobs. */
  savedBytes: number;
  /** The manifest docker will put, when every blob is known beforehand. */
  manifest?: { digest: string; size: number };
}

const SMALL = 100 * 1024;
const MIDDLE = 10 * 1024 * 1024;

/** push_v2.go getMaxMountAndExistenceCheckAttempts. */
function attempts(size: number | undefined): [mounts: number, checks: number, otherRepos: boolean] {
  if (size !== undefined && size > MIDDLE) return [4, 3, true];
  if (size === undefined || size > SMALL) return [3, 1, false];
  return [1, 1, false];
}

const domainOf = (name: string) => name.slice(0, name.indexOf('/'));
const pathOf = (name: string) => name.slice(name.indexOf('/') + 1);

/** push_v2.go sortV2MetadataByLikenessAndAge: youngest first, then most matching path components first (stable). */
function byLikeness(target: string, entries: V2Metadata[]): V2Metadata[] {
  const want = target.split('/');
  const matching = (m: V2Metadata) => {
    const p = m.sourceRepository.split('/');
    let i = 0;
    while (i < p.length && i < want.length && p[i] === want[i]) i++;
    return i;
  };
  return [...entries].reverse().map((m, k) => ({ m, k, n: matching(m) })).sort((a, b) => b.n - a.n || a.k - b.k).map((x) => x.m);
}

const addMetadata = addV2Metadata;

/** V2MetadataService.Remove (v2_metadata_service compares whole entries). */
function removeMetadata(host: HostState, diffId: string, meta: V2Metadata): void {
  host.setV2(diffId, (host.v2.get(diffId) ?? []).filter((m) => m.digest !== meta.digest || m.sourceRepository !== meta.sourceRepository));
}

/** Docker's JSON of a schema 2 manifest (json.MarshalIndent with three spaces). */
export function dockerManifestJson(config: { digest: string; size: number }, layers: { digest: string; size: number }[]): string {
  const desc = (mediaType: string, d: { digest: string; size: number }, pad: string) =>
    `${pad}{\n${pad}   "mediaType": "${mediaType}",\n${pad}   "size": ${d.size},\n${pad}   "digest": "${d.digest}"\n${pad}}`;
  return (
    '{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n   "config": ' +
    desc('application/vnd.docker.container.image.v1+json', config, '   ').trimStart() +
    ',\n   "layers": [\n' +
    layers.map((l) => desc('application/vnd.docker.image.rootfs.diff.tar.gzip', l, '      ')).join(',\n') +
    '\n   ]\n}'
  );
}

/**
 * Plans `docker push` of `image` to `registry`, then records it on both sides (as the daemon and
 * the registry would), so the next plan sees it.
 */
export function planPush(host: HostState, registry: RegistryState, image: LocalImage): PushPlan {
  const tagged = withDefaultTag(image.ref);
  const target = referenceName(tagged);
  const has = (repo: string, digest: string) => registry.blobs.get(repo)?.has(digest) ?? false;
  const link = (repo: string, digest: string) => {
    let s = registry.blobs.get(repo);
    if (!s) registry.blobs.set(repo, (s = new Set()));
    s.add(digest);
  };
  const layers: PushLayerPlan[] = [];
  const done = new Set<string>();
  for (const l of image.layers) {
    if (done.has(l.diffId)) continue; // one transfer per diffID
    done.add(l.diffId);
    const [maxMounts, maxChecks, otherRepos] = attempts(l.size);
    const v2 = [...(host.v2.get(l.diffId) ?? [])];
    const checked = new Set<string>();
    const base = { id12: shortId(l.diffId), diffId: l.diffId, ...(l.size !== undefined ? { uncompressedSize: l.size } : {}) };
    const exists = (anyRepo: boolean, max: number): V2Metadata | undefined => {
      const digests: V2Metadata[] = [];
      for (const m of byLikeness(target, v2.filter((m) => anyRepo || !m.sourceRepository || m.sourceRepository === target))) {
        if (digests.length >= max) break;
        if (digests.some((d) => d.digest === m.digest) || checked.has(m.digest)) continue;
        digests.push(m);
      }
      for (const m of digests) {
        checked.add(m.digest);
        if (has(target, m.digest)) {
          if (m.sourceRepository !== target) addMetadata(host, l.diffId, { digest: m.digest, sourceRepository: target });
          return m;
        }
        if (m.sourceRepository === target) removeMetadata(host, l.diffId, m);
      }
      return undefined;
    };
    const found = v2.length ? exists(true, 1) : undefined;
    if (found) {
      layers.push({ ...base, status: 'Layer already exists', digest: found.digest, ...sizeOf(registry, found.digest) });
      continue;
    }
    let mounted: V2Metadata | undefined;
    const candidates = byLikeness(target, v2.filter((m) => m.sourceRepository.includes('/') && domainOf(m.sourceRepository) === domainOf(target) && m.sourceRepository !== target)).slice(0, maxMounts);
    for (const c of candidates) {
      if (has(c.sourceRepository, c.digest)) {
        mounted = c;
        break;
      }
      removeMetadata(host, l.diffId, c);
    }
    if (mounted) {
      link(target, mounted.digest);
      addMetadata(host, l.diffId, { digest: mounted.digest, sourceRepository: target });
      layers.push({ ...base, status: 'Mounted from', from: pathOf(mounted.sourceRepository), digest: mounted.digest, ...sizeOf(registry, mounted.digest) });
      continue;
    }
    const later = maxChecks - checked.size > 0 ? exists(otherRepos, maxChecks - checked.size) : undefined;
    if (later) {
      layers.push({ ...base, status: 'Layer already exists', digest: later.digest, ...sizeOf(registry, later.digest) });
      continue;
    }
    // docker gzips the layer now: the digest is known only after the upload. A stand-in keeps
    // later plans of this session consistent (the blob is then in the target repository).
    const standIn = pushedStandIn(l.diffId);
    link(target, standIn);
    addMetadata(host, l.diffId, { digest: standIn, sourceRepository: target });
    layers.push({ ...base, status: 'Pushed' });
  }
  link(target, image.id);
  let manifest: PushPlan['manifest'];
  const blobs = image.layers.map((l) => layers.find((x) => x.diffId === l.diffId)!);
  if (image.configSize !== undefined && blobs.every((b) => b.digest !== undefined && b.size !== undefined)) {
    const text = dockerManifestJson({ digest: image.id, size: image.configSize }, blobs.map((b) => ({ digest: b.digest!, size: b.size! })));
    manifest = { digest: sha256Digest(text), size: Buffer.byteLength(text) };
  }
  return {
    ref: familiarString(tagged),
    repository: target,
    tag: tagged.tag ?? 'latest',
    imageId: image.id,
    layers,
    uploadUncompressedBytes: layers.filter((l) => l.status === 'Pushed').reduce((s, l) => s + (l.uncompressedSize ?? 0), 0),
    savedBytes: layers.filter((l) => l.status !== 'Pushed').reduce((s, l) => s + (l.size ?? 0), 0),
    ...(manifest ? { manifest } : {}),
  };
}

function sizeOf(registry: RegistryState, digest: string): { size?: number } {
  const s = registry.sizes.get(digest);
  return s === undefined ? {} : { size: s };
}

/** The digest docker's gzip of a layer will have is unknown until it is computed; this names it. */
export function pushedStandIn(diffId: string): string {
  return `gzip-of:${diffId}`;
}

/** The lines `docker push` prints: Preparing top down, each layer's final state, the digest line. */
export function narratePush(p: PushPlan): string[] {
  const top = [...p.layers].reverse();
  return [
    `The push refers to repository [${p.repository}]`,
    ...top.map((l) => `${l.id12}: Preparing`),
    ...top.map((l) => `${l.id12}: ${l.status === 'Mounted from' ? `Mounted from ${l.from}` : l.status}`),
    `${p.tag}: digest: ${p.manifest ? `${p.manifest.digest} size: ${p.manifest.size}` : '(known after docker compresses the new layers)'}`,
  ];
}

/** The registry's blobs per repository: every blob a manifest of that repository references. */
export function registryStateOf(images: readonly RegistryImage[]): RegistryState {
  const state: RegistryState = { blobs: new Map(), sizes: new Map() };
  for (const m of images) {
    for (const repo of repositoriesOf(m)) {
      let s = state.blobs.get(repo);
      if (!s) state.blobs.set(repo, (s = new Set()));
      s.add(m.config.digest);
      for (const l of m.layers) s.add(l.digest);
    }
    if (m.config.size !== undefined) state.sizes.set(m.config.digest, m.config.size);
    for (const l of m.layers) if (l.size !== undefined) state.sizes.set(l.digest, l.size);
  }
  return state;
}

/**
 * The pushing host: its graph, and its v2 metadata read from a data root (`distribution`) or else
 * inferred from its images' RepoDigests: an image with `name@digest` came from (or went to) that
 * repository, so where the registry data has that manifest, its blobs are the image's layers in
 * order. Ages are unknown then: entries in image order.
 */
export function pushHostFromGraph(graph: ImageGraph, images: readonly RegistryImage[], distribution?: DistributionMetadata): HostState {
  const host = pullHostFromGraph(graph, distribution?.diffIdByDigest, images);
  if (distribution) {
    for (const [d, ms] of distribution.digestsByDiffId) host.setV2(d, [...ms]);
    return host;
  }
  // A RepoDigest names what its tag resolved to: the index, or the manifest when there is none.
  const byDigest = new Map<string, RegistryImage>();
  for (const m of images) for (const d of [m.manifestDigest, m.resolvedDigest, ...m.repoDigests.map((r) => r.slice(r.indexOf('@') + 1))]) byDigest.set(d, m);
  host.metadata = 'inferred';
  graph.images.forEach((img, i) => {
    for (const rd of img.repoDigests ?? []) {
      const at = rd.indexOf('@');
      if (at < 0) continue;
      const m = byDigest.get(rd.slice(at + 1));
      const stack = graph.stackOf(i);
      if (!m || m.layers.length !== stack.length) continue;
      let name: string;
      try {
        name = referenceName(parseNormalizedNamed(rd.slice(0, at)));
      } catch {
        continue;
      }
      m.layers.forEach((l, k) => {
        const d = graph.layerDiffId[stack[k]];
        if (d) addMetadata(host, d, { digest: l.digest, sourceRepository: name });
      });
    }
  });
  return host;
}

/** The local image `ref` names on `graph`, as a push reads it. */
export function localImageFor(graph: ImageGraph, ref: ImageReference, configSizes?: Map<string, number>): LocalImage | undefined {
  const tag = familiarString(withDefaultTag(ref));
  const i = graph.images.findIndex((m) => (m.repoTags ?? []).includes(tag));
  if (i < 0) return undefined;
  const id = graph.images[i].id;
  const layers = Array.from(graph.stackOf(i), (l) => {
    const diffId = graph.layerDiffId[l];
    const size = graph.layerSize[l];
    return { diffId: diffId ?? '', ...(Number.isNaN(size) ? {} : { size }) };
  });
  if (layers.some((l) => !l.diffId)) return undefined;
  const configSize = configSizes?.get(id);
  return { ref, id, layers, ...(configSize !== undefined ? { configSize } : {}) };
}
