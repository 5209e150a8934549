// Registry-shaped sources: a live loopback registry (registry://), a folder of registry documents,
// and (until its reader fills registryImages itself) an OCI layout. Each is read into the one
// remote-image type, RegistryImage, with sizes validated and checked where the blob is read.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LayerlabError } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed } from '../model/reference.js';
import { INDEX_TYPES, isAttestation, platformMatches, SCHEMA1_TYPES, type Descriptor, type Platform } from './oci-descriptors.js';
import { sha256Of } from './hashing.js';
import { isRegistryFolder, isRegistryUrl } from './sniff.js';
import { isSize, MANIFEST_ACCEPT, parseRegistrySource, RegistryClient } from './registry-client.js';
import type { BlobProvider, LoadedSource, LoadOptions, RegistryImage, RemoteLayer, SourceNote, SourceProbe, SourceReader } from './source.js';

export { isSize, MANIFEST_ACCEPT, parseRegistrySource, RegistryClient, refusal, type RegistryTarget } from './registry-client.js';
export type { RegistryImage } from './source.js';

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Largest registry document (manifest, index, wrapper) read from a file. */
export const REGISTRY_DOCUMENT_LIMIT = 16 * 1024 * 1024;

interface ManifestDoc {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[] | null;
}

function kindOf(doc: ManifestDoc, mediaType?: string): 'index' | 'manifest' | 'schema1' | 'unknown' {
  const t = mediaType ?? doc.mediaType;
  if (doc.schemaVersion === 1 || SCHEMA1_TYPES.has(t ?? '')) return 'schema1';
  if (INDEX_TYPES.has(t ?? '') || (Array.isArray(doc.manifests) && !doc.layers)) return 'index';
  if (doc.config && Array.isArray(doc.layers)) return 'manifest';
  return 'unknown';
}

const platformString = (p: Descriptor['platform']) => (p?.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined);

/** Builds a graph of registry images: layers keyed by diffID when the config was read, else by blob digest. */
export function graphFromRegistryImages(images: readonly RegistryImage[]): ImageGraph {
  const b = new GraphBuilder();
  const byKey = new Map<string, number>();
  const seen = new Set<string>();
  for (const img of images) {
    const id = img.config.digest;
    if (seen.has(id)) continue;
    seen.add(id);
    const stack = img.layers.map((l) => {
      const key = l.diffId ?? l.digest;
      let idx = byKey.get(key) ?? (l.diffId ? undefined : byKey.get(l.digest));
      if (idx === undefined) {
        idx = b.addLayer({ ...(l.diffId ? { diffId: l.diffId } : {}), digest: l.digest, ...(l.size !== undefined ? { compressedSize: l.size } : {}), ...(l.mediaType ? { mediaType: l.mediaType } : {}) });
        byKey.set(key, idx);
      }
      return idx;
    });
    b.addImage({ id, ...(img.repoTags.length ? { repoTags: img.repoTags } : {}), ...(img.repoDigests.length ? { repoDigests: img.repoDigests } : {}), ...(img.platform ? { platform: img.platform } : {}) }, stack);
  }
  return b.build();
}

/**
 * Reads a regular file of at most `limit` bytes, refusing anything else before reading it (a
 * device or a huge file would otherwise be read whole). Local until a shared bounded reader lands.
 */
export function readBoundedFile(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { file });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LayerlabError('EINPUT', 'not a regular file', { file });
    if (st.size > limit) throw new LayerlabError('EINPUT', `larger than ${limit} bytes, more than a registry document can be`, { file });
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function sizeAt(v: unknown, file: string, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (!isSize(v)) throw new LayerlabError('EINPUT', `expected a size in bytes (a whole number from 0 to 2^53), got ${JSON.stringify(v)?.slice(0, 40)}`, { file, path });
  return v;
}

/** The manifest's config and layers, digests and sizes validated; `diffIds` from the config when read. */
function manifestParts(doc: ManifestDoc, file: string, diffIds?: readonly string[]): Pick<RegistryImage, 'config' | 'layers'> {
  const digestAt = (d: unknown, path: string): string => {
    if (typeof d !== 'string' || digestProblem(d)) throw new LayerlabError('EDIGEST', `not a digest: ${JSON.stringify(d)?.slice(0, 100)}`, { file, path });
    return d;
  };
  const configSize = sizeAt(doc.config?.size, file, '$.config.size');
  const config = { digest: digestAt(doc.config?.digest, '$.config.digest'), ...(configSize !== undefined ? { size: configSize } : {}) };
  const layers = (doc.layers ?? []).map((l, k): RemoteLayer => {
    const size = sizeAt(l.size, file, `$.layers[${k}].size`);
    const diffId = diffIds?.[k];
    return { digest: digestAt(l.digest, `$.layers[${k}].digest`), ...(size !== undefined ? { size } : {}), ...(l.mediaType ? { mediaType: l.mediaType } : {}), ...(diffId ? { diffId } : {}) };
  });
  return { config, layers };
}

/** What a reader left out, as notes. */
function leftOut(attestations: number, otherPlatforms: number, platform: Platform): SourceNote[] {
  const notes: SourceNote[] = [];
  const p = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
  if (attestations) notes.push({ code: 'attestations-left-out', params: { count: attestations }, message: `${attestations} attestation manifest${attestations === 1 ? '' : 's'} (provenance, SBOM) left out: not images` });
  if (otherPlatforms) notes.push({ code: 'other-platforms-left-out', params: { count: otherPlatforms, platform: p }, message: `${otherPlatforms} manifest${otherPlatforms === 1 ? '' : 's'} of platforms other than ${p} left out (see --platform)` });
  return notes;
}

function loaded(source: string, kind: LoadedSource['kind'], images: RegistryImage[], notes: SourceNote[], blobs?: BlobProvider): LoadedSource {
  const count = (code: string) => Number(notes.find((n) => n.code === code)?.params.count ?? 0);
  return {
    source,
    kind,
    graph: graphFromRegistryImages(images),
    registryImages: images,
    ...(blobs ? { blobs } : {}),
    notes,
    meta: { source, attestations: count('attestations-left-out'), otherPlatforms: count('other-platforms-left-out') },
  };
}

/** A directory to read, or a clear error: missing, or not a directory. */
function directoryEntries(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { file: dir });
  }
  if (!st.isDirectory()) {
    throw new LayerlabError('EINPUT', 'not a registry source: expected registry://127.0.0.1:PORT[/REPO[:TAG]], an OCI layout folder, or a folder of registry documents (*.json)', { file: dir });
  }
  return readdirSync(dir);
}

type FolderDoc = ManifestDoc & { reference?: string; indexDigest?: string; manifest?: ManifestDoc; manifestDigest?: string; index?: ManifestDoc; digest?: string; platform?: Descriptor['platform'] };

interface FolderManifest {
  doc: ManifestDoc;
  file: string;
  tags: string[];
  repoDigests: string[];
  /** The index digest a wrapper names: what its tag resolves to. */
  resolved?: string;
  platform?: string;
}

/** One file of a registry folder, added to what the folder holds. */
function readFolderFile(file: string, manifests: Map<string, FolderManifest>, indexed: Map<string, { desc: Descriptor; index?: string }>): void {
  const bytes = readBoundedFile(file, REGISTRY_DOCUMENT_LIMIT);
  let doc: FolderDoc;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new LayerlabError('EINPUT', `not valid JSON: ${(e as Error).message.slice(0, 200)}`, { file });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new LayerlabError('EINPUT', 'expected a JSON object (a manifest, an index, or a {reference, manifest} wrapper)', { file, path: '$' });
  if (doc.manifest && doc.reference) {
    // A repo-info wrapper: the manifest bytes are reconstructed, so its own digest is given.
    const ref = parseNormalizedNamed(doc.reference);
    const name = familiarString({ ...ref, tag: undefined, digest: undefined });
    const k = kindOf(doc.manifest);
    if (k === 'schema1') throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported', { file, path: '$.manifest' });
    if (k !== 'manifest') throw new LayerlabError('EINPUT', 'expected an image manifest with config and layers', { file, path: '$.manifest' });
    const d = doc.manifestDigest ?? sha256Of(JSON.stringify(doc.manifest));
    manifests.set(d, { doc: doc.manifest, file, tags: ref.tag ? [familiarString(ref)] : [], repoDigests: doc.indexDigest ? [`${name}@${doc.indexDigest}`] : [], resolved: doc.indexDigest, platform: platformString(doc.platform) });
    if (doc.platform) indexed.set(d, { desc: { digest: d, platform: doc.platform } });
    return;
  }
  if (doc.index && doc.digest) {
    for (const m of doc.index.manifests ?? []) indexed.set(m.digest, { desc: m, index: doc.digest });
    return;
  }
  const digest = sha256Of(bytes);
  const k = kindOf(doc);
  if (k === 'schema1') throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported (deprecated by Docker; convert with skopeo)', { file });
  if (k === 'index') for (const m of doc.manifests ?? []) indexed.set(m.digest, { desc: m, index: digest });
  else if (k === 'manifest') manifests.set(digest, { doc, file, tags: [], repoDigests: [] });
  else throw new LayerlabError('EINPUT', 'neither an image manifest nor an index', { file });
}

/**
 * Reads a folder of registry documents: raw manifests and indexes (Docker v2 schema 2, OCI),
 * named by the sha256 of their bytes, or docker-library/repo-info style wrappers
 * ({reference, indexDigest, manifest}). Indexes select the platform; attestations are left out;
 * schema 1 is refused.
 */
export function readRegistryFolder(dir: string, platform: Platform = DEFAULT_PLATFORM): LoadedSource {
  const entries = directoryEntries(dir);
  if (!entries.includes('oci-layout') && entries.includes('index.json') && entries.includes('blobs')) {
    throw new LayerlabError('EINPUT', 'has index.json and blobs/ but no oci-layout file: an incomplete OCI layout, not a folder of registry documents', { file: dir });
  }
  const files = entries.filter((f) => f.endsWith('.json') && statSync(join(dir, f)).isFile()).sort();
  if (files.length === 0) throw new LayerlabError('EINPUT', 'no .json registry documents in this folder', { file: dir });
  const manifests = new Map<string, FolderManifest>();
  const indexed = new Map<string, { desc: Descriptor; index?: string }>();
  for (const f of files) readFolderFile(join(dir, f), manifests, indexed);
  if (manifests.size === 0) {
    // indexes alone describe no image: 0 images would read as an empty registry, which it is not
    const named = indexed.size === 0 ? 'none' : `${indexed.size} manifest${indexed.size === 1 ? ', which is' : 's, none of which is'} not in the folder`;
    throw new LayerlabError('EINPUT', `holds no image manifest: its indexes name ${named}`, { file: dir });
  }
  let attestations = 0;
  let otherPlatforms = 0;
  const images: RegistryImage[] = [];
  for (const [digest, m] of manifests) {
    const via = indexed.get(digest);
    if (via && isAttestation(via.desc)) {
      attestations++;
      continue;
    }
    if (via && !platformMatches(via.desc.platform, platform)) {
      otherPlatforms++;
      continue;
    }
    const platformSaid = m.platform ?? platformString(via?.desc.platform);
    images.push({ manifestDigest: digest, resolvedDigest: m.resolved ?? via?.index ?? digest, ...manifestParts(m.doc, m.file), repoTags: m.tags, repoDigests: m.repoDigests, ...(platformSaid ? { platform: platformSaid } : {}) });
  }
  // Index entries for attestations whose manifests are not in the folder still count as seen;
  // entries for this platform whose manifests are absent are images the folder cannot show: say so.
  let missing = 0;
  for (const [d, via] of indexed) {
    if (manifests.has(d)) continue;
    if (isAttestation(via.desc)) attestations++;
    else if (platformMatches(via.desc.platform, platform)) missing++;
  }
  const notes = leftOut(attestations, otherPlatforms, platform);
  const p = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
  if (missing) notes.push({ code: 'named-manifests-missing', params: { count: missing, platform: p }, message: `${missing} manifest${missing === 1 ? '' : 's'} for ${p} named by the indexes ${missing === 1 ? 'is' : 'are'} not in the folder: ${missing === 1 ? 'that image is' : 'those images are'} left out` });
  return loaded(dir, 'registry-folder', images, notes);
}

/** The manifests a tag resolves to for the platform (an index walked one level), digests checked. */
async function manifestsOfTag(client: RegistryClient, repo: string, tag: string, platform: Platform, count: { attestations: number; otherPlatforms: number }) {
  const top = await client.json<ManifestDoc>(`/v2/${repo}/manifests/${tag}`, MANIFEST_ACCEPT);
  const topDigest = sha256Of(top.bytes);
  const said = top.headers['docker-content-digest'];
  if (typeof said === 'string' && said !== topDigest) throw new LayerlabError('EDIGEST', `manifest ${repo}:${tag} is said to be ${said.slice(0, 100)} but its bytes hash to ${topDigest}`, { file: client.label });
  const found: { digest: string; doc: ManifestDoc }[] = [];
  const k = kindOf(top.value ?? {});
  if (k === 'schema1') throw new LayerlabError('EINPUT', `${repo}:${tag} is a Docker schema 1 manifest, which is not supported`, { file: client.label });
  if (k === 'index') {
    for (const d of top.value.manifests ?? []) {
      if (isAttestation(d)) count.attestations++;
      else if (!platformMatches(d.platform, platform)) count.otherPlatforms++;
      else {
        if (typeof d.digest !== 'string' || digestProblem(d.digest)) throw new LayerlabError('EDIGEST', `index of ${repo}:${tag} names ${JSON.stringify(d.digest)?.slice(0, 100)}, not a digest`, { file: client.label });
        const m = await client.json<ManifestDoc>(`/v2/${repo}/manifests/${d.digest}`, MANIFEST_ACCEPT);
        if (sha256Of(m.bytes) !== d.digest) throw new LayerlabError('EDIGEST', `manifest ${d.digest} of ${repo} has digest ${sha256Of(m.bytes)}`, { file: client.label });
        found.push({ digest: d.digest, doc: m.value });
      }
    }
  } else if (k === 'manifest') found.push({ digest: topDigest, doc: top.value });
  else throw new LayerlabError('EINPUT', `${repo}:${tag}: neither an image manifest nor an index`, { file: client.label });
  return { topDigest, found };
}

/**
 * Reads images from a live registry: every repository of the catalog (or the one named), every
 * tag (or the one named); indexes resolved to the platform; manifests checked against their
 * digest; configs read for diffIDs and checked against their declared size; each layer's size
 * confirmed with HEAD. Blobs are then readable through the source's BlobProvider.
 */
export async function readRegistry(client: RegistryClient, platform: Platform = DEFAULT_PLATFORM, source = client.label): Promise<LoadedSource> {
  const t = client.target;
  await client.json('/v2/');
  const repos = t.repository ? [t.repository] : await client.paged('/v2/_catalog?n=100', 'repositories');
  const images: RegistryImage[] = [];
  const count = { attestations: 0, otherPlatforms: 0 };
  const byConfig = new Map<string, RegistryImage>();
  const where = new Map<string, { repo: string; size?: number }>();
  for (const repo of repos) {
    const tags = t.tag ? [t.tag] : await client.paged(`/v2/${repo}/tags/list?n=100`, 'tags');
    for (const tag of tags.sort()) {
      const { topDigest, found } = await manifestsOfTag(client, repo, tag, platform, count);
      const refTag = familiarString(parseNormalizedNamed(`${client.domain}/${repo}:${tag}`));
      const refDigest = `${client.domain}/${repo}@${topDigest}`;
      for (const f of found) {
        const parts = manifestParts(f.doc, `${client.label}/${repo}@${f.digest}`);
        const prev = byConfig.get(parts.config.digest);
        if (prev) {
          if (!prev.repoTags.includes(refTag)) prev.repoTags.push(refTag);
          if (!prev.repoDigests.includes(refDigest)) prev.repoDigests.push(refDigest);
          continue;
        }
        const cfg = await client.json<{ os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } }>(`/v2/${repo}/blobs/${parts.config.digest}`);
        if (sha256Of(cfg.bytes) !== parts.config.digest) throw new LayerlabError('EDIGEST', `config blob ${parts.config.digest} of ${repo} has digest ${sha256Of(cfg.bytes)}`, { file: client.label });
        if (parts.config.size !== undefined && cfg.bytes.length !== parts.config.size) throw new LayerlabError('EINPUT', `config blob ${parts.config.digest} of ${repo}: the manifest says ${parts.config.size} bytes, the registry sent ${cfg.bytes.length}`, { file: client.label });
        where.set(parts.config.digest, { repo, size: cfg.bytes.length });
        for (const l of parts.layers) {
          const size = await client.blobSize(repo, l.digest);
          if (l.size !== undefined && size !== l.size) throw new LayerlabError('EINPUT', `blob ${l.digest} of ${repo}: the manifest says ${l.size} bytes, the registry ${size}`, { file: client.label });
          where.set(l.digest, { repo, size });
        }
        const diffIds = cfg.value?.rootfs?.diff_ids;
        const p = platformString(cfg.value ?? undefined);
        const img: RegistryImage = {
          manifestDigest: f.digest,
          resolvedDigest: topDigest,
          config: parts.config,
          layers: parts.layers.map((l, k) => (typeof diffIds?.[k] === 'string' ? { ...l, diffId: diffIds[k] } : l)),
          repoTags: [refTag],
          repoDigests: [refDigest],
          ...(p ? { platform: p } : {}),
        };
        byConfig.set(parts.config.digest, img);
        images.push(img);
      }
    }
  }
  const blobs: BlobProvider = {
    has: (digest) => where.has(digest),
    open: (digest) => {
      const w = where.get(digest);
      if (!w) return Promise.reject(new LayerlabError('EINPUT', `blob ${digest.slice(0, 100)} belongs to no image read from this registry`, { file: client.label }));
      return client.openBlob(w.repo, digest, w.size);
    },
  };
  return loaded(source, 'registry', images, leftOut(count.attestations, count.otherPlatforms, platform), blobs);
}

/** `registry://127.0.0.1:PORT[/REPO[:TAG]]`: a live loopback registry, GET and HEAD only. */
export const registryReader: SourceReader = {
  kind: 'registry',
  claims: (arg) => isRegistryUrl(arg),
  load: (arg: string, opts: LoadOptions) => readRegistry(new RegistryClient(parseRegistrySource(arg)), opts.platform, arg),
};

/** A folder of *.json registry documents (and, to refuse it clearly, an OCI layout missing its oci-layout file). */
export const registryFolderReader: SourceReader = {
  kind: 'registry-folder',
  claims: (_arg: string, probe: SourceProbe) => isRegistryFolder(probe),
  load: async (arg: string, opts: LoadOptions) => readRegistryFolder(arg, opts.platform),
};
