// Image stores: an OCI image layout folder, and what a folder and a tar archive have in common
// (manifest.json of docker save, index.json of OCI, configs, blobs checked against their digests),
// planned into images and built into a graph once each layer is measured. image-archive.ts reads tars.
import { createReadStream, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LayerlabError, quote } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed } from '../model/reference.js';
import { folderBlobProvider } from './blobs.js';
import { METADATA_LIMIT, readBoundedSync } from './bounded.js';
import { sha256Of } from './hashing.js';
import { INDEX_TYPES, isAttestation, MANIFEST_TYPES, platformMatches, SCHEMA1_TYPES, type Descriptor, type Platform } from './oci-descriptors.js';
import type { BlobProvider, RegistryImage, SourceKind } from './source.js';
import { measureLayer, type LayerMeasure } from './tar.js';

export type { Platform } from './oci-descriptors.js';

// In oci-descriptors.ts so that the CLI can parse --platform without loading this reader.
export { parsePlatform } from './oci-descriptors.js';

/** One image to build: its config, tags, and where each layer's bytes are. */
interface PlannedImage {
  id: string;
  config: { created?: string; os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } };
  repoTags: string[];
  /** The digest the index's top descriptor gives (what a tag resolves to), for OCI layouts. */
  manifestDigest?: string;
  /** The image manifest's own digest (below any index), for OCI layouts. */
  imageManifestDigest?: string;
  /** Where the config is in the archive or layout, and its descriptor size when a manifest gave one. */
  configPath: string;
  configSize?: number;
  /** `os/arch[/variant]` from the index descriptor. */
  platform?: string;
  /** Per layer: a path in the archive or layout, and the blob descriptor when an OCI manifest gave one. */
  layers: { path: string; digest?: string; size?: number; mediaType?: string }[];
}

/** Random access to metadata, streaming access to layers, for a folder or a tar. */
interface Store {
  label: string;
  has(path: string): boolean;
  /** Small files (JSON), bounded by METADATA_LIMIT; a blob path's content is checked against its digest. `what` names it in errors. */
  json<T>(path: string, what: string): T;
  bytes(path: string, what: string): Buffer;
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

function checkBlob(bytes: Buffer, path: string, label: string): void {
  const m = /^blobs\/(sha256)\/([0-9a-f]{64})$/.exec(path);
  if (!m) return;
  const got = sha256Of(bytes);
  if (got !== `sha256:${m[2]}`) throw new LayerlabError('EDIGEST', `blob sha256:${m[2]} has digest ${got}: content does not match its name`, { file: label, path });
}

function parseJson<T>(bytes: Buffer, label: string, path: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    const m = (e as Error).message;
    throw new LayerlabError('EINPUT', `not valid JSON: ${m.length > 200 ? m.slice(0, 200) + '…' : m}`, { file: label, path });
  }
}


/** A repo tag from an OCI ref.name annotation: a full reference as is, a bare tag under `fallbackRepo`. */
function tagFromRefName(refName: string | undefined, fallbackRepo: string): string | undefined {
  if (!refName) return undefined;
  try {
    if (/[/:@]/.test(refName)) {
      const r = parseNormalizedNamed(refName);
      if (r.tag !== undefined && r.digest === undefined) return familiarString(r);
    }
    return familiarString({ ...parseNormalizedNamed(`${fallbackRepo}:${refName}`) });
  } catch {
    return undefined;
  }
}

/** A descriptor's size, when given, as a byte count (a whole number from 0 to 2^53). */
function descriptorSize(v: unknown, label: string, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new LayerlabError('EINPUT', `expected a size in bytes (a whole number >= 0), got ${quote(v)}`, { file: label, path });
  return v;
}

/**
 * A manifest or config blob as JSON, its length checked against the descriptor that named it (as
 * layer blobs are): image-spec says a descriptor's size is the blob's exact length, and
 * containerd's content store refuses a blob whose size differs.
 */
function sizedJson<T>(store: Store, path: string, what: string, declared: number | undefined, where: string): T {
  const bytes = store.bytes(path, what);
  if (declared !== undefined && bytes.length !== declared) {
    throw new LayerlabError('EDIGEST', `${what} blob ${path.replace(/^blobs\/([^/]+)\//, '$1:')} has ${bytes.length} bytes, but its descriptor says ${declared}`, { file: store.label, path: where });
  }
  return parseJson<T>(bytes, store.label, path);
}

function platformString(p: Descriptor['platform']): string | undefined {
  return p?.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined;
}

type ManifestDoc = { mediaType?: string; manifests?: Descriptor[] | null; config?: Descriptor; layers?: Descriptor[] };

/** Walks an OCI index (nested indexes too) down to image manifests for the platform. */
function planFromOciIndex(store: Store, platform: Platform, fallbackRepo: string): PlannedImage[] {
  const index = store.json<{ manifests?: Descriptor[] | null }>('index.json', 'index');
  const out = new Map<string, PlannedImage>();
  const label = store.label;
  const visit = (descs: Descriptor[], refName: string | undefined, path: string, depth: number, top?: Descriptor) => {
    if (depth > 8) throw new LayerlabError('EINPUT', 'indexes nested more than 8 deep', { file: label, path });
    if (!Array.isArray(descs)) throw new LayerlabError('EINPUT', 'expected an array of descriptors', { file: label, path });
    descs.forEach((d, k) => {
      const here = `${path}[${k}]`;
      if (typeof d?.digest !== 'string' || digestProblem(d.digest)) throw new LayerlabError('EDIGEST', `descriptor digest ${quote(d?.digest)} is not a digest`, { file: label, path: `${here}.digest` });
      const size = descriptorSize(d.size, label, `${here}.size`);
      if (isAttestation(d) || !platformMatches(d.platform, platform)) return;
      const name = d.annotations?.['org.opencontainers.image.ref.name'] ?? refName;
      const bp = blobPath(d.digest);
      if (!store.has(bp)) throw new LayerlabError('EINPUT', `blob ${d.digest} named at ${here} is not in the layout`, { file: label, path: here });
      const doc = sizedJson<ManifestDoc>(store, bp, 'manifest', size, `${here}.size`);
      const type = d.mediaType ?? doc.mediaType;
      if (INDEX_TYPES.has(type ?? '') || (doc.manifests && !doc.layers)) {
        visit(doc.manifests ?? [], name, `${bp}.manifests`, depth + 1, top ?? d);
        return;
      }
      if (SCHEMA1_TYPES.has(type ?? '')) {
        throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported (deprecated by Docker; convert with skopeo)', { file: label, path: bp });
      }
      if (!MANIFEST_TYPES.has(type ?? '') && !doc.config) throw new LayerlabError('EINPUT', `unsupported manifest media type ${quote(type)}`, { file: label, path: bp });
      if (!doc.config?.digest || digestProblem(doc.config.digest)) throw new LayerlabError('EINPUT', 'manifest has no valid config descriptor', { file: label, path: `${bp}.config` });
      if (!Array.isArray(doc.layers ?? [])) throw new LayerlabError('EINPUT', 'expected an array of layer descriptors', { file: label, path: `${bp}.layers` });
      const configSize = descriptorSize(doc.config.size, label, `${bp}.config.size`);
      const configPath = blobPath(doc.config.digest);
      const config = sizedJson<PlannedImage['config']>(store, configPath, 'config', configSize, `${bp}.config.size`);
      const id = doc.config.digest;
      const tag = tagFromRefName(name, fallbackRepo);
      const prev = out.get(id);
      if (prev) {
        if (tag && !prev.repoTags.includes(tag)) prev.repoTags.push(tag);
        return;
      }
      const layers = (doc.layers ?? []).map((l, n) => {
        if (typeof l?.digest !== 'string' || digestProblem(l.digest)) throw new LayerlabError('EDIGEST', `layer digest ${quote(l?.digest)} is not a digest`, { file: label, path: `${bp}.layers[${n}].digest` });
        return { path: blobPath(l.digest), digest: l.digest, size: descriptorSize(l.size, label, `${bp}.layers[${n}].size`), mediaType: l.mediaType };
      });
      out.set(id, {
        id,
        config,
        configPath,
        ...(configSize !== undefined ? { configSize } : {}),
        repoTags: tag ? [tag] : [],
        manifestDigest: (top ?? d).digest,
        imageManifestDigest: d.digest,
        ...(platformString(d.platform) ? { platform: platformString(d.platform) } : {}),
        layers,
      });
    });
  };
  visit(index.manifests ?? [], undefined, '$.manifests', 0);
  return [...out.values()];
}

/** `docker save`'s manifest.json (legacy and Docker >= 25), and go-containerregistry's (crane, kaniko): the config wherever `Config` says. */
function planFromDockerManifest(store: Store): PlannedImage[] {
  const entries = store.json<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>('manifest.json', 'manifest.json');
  if (!Array.isArray(entries)) throw new LayerlabError('EINPUT', 'expected an array of images', { file: store.label, path: 'manifest.json' });
  const out = new Map<string, PlannedImage>();
  entries.forEach((e, k) => {
    const at = `manifest.json[${k}]`;
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) throw new LayerlabError('EINPUT', 'expected {Config, RepoTags, Layers}', { file: store.label, path: at });
    const configPath = e.Config.replace(/^\.\//, '');
    if (!store.has(configPath)) throw new LayerlabError('EINPUT', `config ${quote(e.Config)} named at ${at}.Config is not in the archive`, { file: store.label, path: configPath });
    const bytes = store.bytes(configPath, 'config');
    const config = parseJson<PlannedImage['config']>(bytes, store.label, configPath);
    // The image ID is the config's digest, whatever the entry is called; a name that says a digest must agree.
    const id = sha256Of(bytes);
    const hex = /([0-9a-f]{64})(\.json)?$/.exec(configPath)?.[1];
    if (hex && `sha256:${hex}` !== id) throw new LayerlabError('EDIGEST', `config is named after sha256:${hex} but its content has digest ${id}`, { file: store.label, path: configPath });
    const tags = (e.RepoTags ?? []).map((t, n) => {
      try {
        return familiarString(parseNormalizedNamed(t));
      } catch (err) {
        throw new LayerlabError('EREF', `invalid reference ${quote(t)}: ${(err as Error).message}`, { file: store.label, path: `${at}.RepoTags[${n}]` });
      }
    });
    const prev = out.get(id);
    if (prev) prev.repoTags.push(...tags.filter((t) => !prev.repoTags.includes(t)));
    else out.set(id, { id, config, configPath, configSize: bytes.length, repoTags: tags, layers: e.Layers.map((path) => ({ path: path.replace(/^\.\//, '') })) });
  });
  return [...out.values()];
}

/** Builds the graph once every layer path has been measured; checks digests and diffIDs. */
export function buildGraph(plan: PlannedImage[], measured: Map<string, LayerMeasure>, label: string): ImageGraph {
  const b = new GraphBuilder();
  const byDiff = new Map<string, number>();
  for (const img of plan) {
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== img.layers.length) {
      throw new LayerlabError('EINPUT', `image ${img.id}: config lists ${diffIds.length} diff_ids but the manifest ${img.layers.length} layers`, { file: label });
    }
    const stack = img.layers.map((l, k) => {
      const m = measured.get(l.path)!;
      if (l.digest && m.blobDigest !== l.digest) throw new LayerlabError('EDIGEST', `blob ${l.digest} has digest ${m.blobDigest}`, { file: label, path: l.path });
      if (l.size !== undefined && m.blobSize !== l.size) throw new LayerlabError('EDIGEST', `blob ${l.digest} has ${m.blobSize} bytes, but its descriptor says ${l.size}`, { file: label, path: l.path });
      if (m.diffId !== diffIds[k]) throw new LayerlabError('EDIGEST', `layer ${l.path} uncompresses to ${m.diffId}, but image ${img.id} expects diff_id ${diffIds[k]}`, { file: label, path: l.path });
      let idx = byDiff.get(m.diffId);
      if (idx === undefined) {
        idx = b.addLayer({ diffId: m.diffId, size: m.size, ...(l.digest ? { digest: l.digest, compressedSize: m.blobSize, mediaType: l.mediaType } : {}) });
        byDiff.set(m.diffId, idx);
      }
      return idx;
    });
    const created = img.config.created ? Date.parse(img.config.created) : NaN;
    b.addImage(
      {
        id: img.id,
        ...(img.repoTags.length ? { repoTags: img.repoTags } : {}),
        ...(Number.isFinite(created) ? { created: Math.floor(created / 1000) } : {}),
        ...(img.config.os && img.config.architecture ? { platform: [img.config.os, img.config.architecture, img.config.variant].filter(Boolean).join('/') } : {}),
      },
      stack,
    );
  }
  return b.build();
}

export function fallbackRepository(path: string): string {
  const base = basename(path).toLowerCase().replace(/\.(tar|tgz|tar\.gz)$/, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return base || 'image';
}

export function plan(store: Store, platform: Platform, fallbackRepo: string): PlannedImage[] {
  if (store.has('manifest.json')) return planFromDockerManifest(store);
  if (!store.has('oci-layout')) throw new LayerlabError('EINPUT', 'neither a docker save archive (manifest.json) nor an OCI layout (oci-layout, index.json)', { file: store.label });
  const layout = store.json<{ imageLayoutVersion?: string }>('oci-layout', 'oci-layout');
  if (layout?.imageLayoutVersion !== '1.0.0') throw new LayerlabError('EINPUT', `unsupported imageLayoutVersion ${quote(layout?.imageLayoutVersion)}`, { file: store.label, path: 'oci-layout' });
  return planFromOciIndex(store, platform, fallbackRepo);
}

export function storeOf(label: string, has: (p: string) => boolean, read: (p: string, what: string) => Buffer): Store {
  const bytes = (p: string, what: string) => {
    const b = read(p, what);
    checkBlob(b, p, label);
    return b;
  };
  return { label, has, bytes, json: <T>(p: string, what: string) => parseJson<T>(bytes(p, what), label, p) };
}

function layoutStore(dir: string): Store {
  return storeOf(
    dir,
    (p) => existsSync(join(dir, p)),
    (p, what) => {
      if (!existsSync(join(dir, p))) throw new LayerlabError('EINPUT', `${what} is not in the layout`, { file: dir, path: p });
      return readBoundedSync(join(dir, p), METADATA_LIMIT, what, { label: dir, path: p });
    },
  );
}

/** The registry's view of planned OCI images: one per manifest, tags and `name@digest` references. */
export function registryImagesOf(images: PlannedImage[], measured?: Map<string, LayerMeasure>): RegistryImage[] {
  return images.map((img) => {
    const resolved = img.manifestDigest ?? img.id;
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    const repos = [...new Set(img.repoTags.map((t) => familiarString({ ...parseNormalizedNamed(t), tag: undefined })))];
    return {
      manifestDigest: img.imageManifestDigest ?? resolved,
      resolvedDigest: resolved,
      config: { digest: img.id, ...(img.configSize !== undefined ? { size: img.configSize } : {}) },
      layers: img.layers.map((l, k) => ({
        digest: l.digest ?? measured?.get(l.path)?.blobDigest ?? '',
        ...(l.size !== undefined ? { size: l.size } : measured?.get(l.path) ? { size: measured.get(l.path)!.blobSize } : {}),
        ...(l.mediaType ? { mediaType: l.mediaType } : {}),
        ...(diffIds[k] ? { diffId: diffIds[k] } : {}),
      })),
      repoTags: [...img.repoTags],
      repoDigests: repos.map((r) => `${r}@${resolved}`),
      ...(img.platform ? { platform: img.platform } : {}),
    };
  });
}

/** What reading an archive or a layout gives besides the graph. */
export interface ImageSourceRead {
  kind: Extract<SourceKind, 'docker-archive' | 'oci-archive' | 'oci-layout'>;
  graph: ImageGraph;
  /** The images as a registry would serve them (OCI layouts and OCI archives). */
  registryImages?: RegistryImage[];
  blobs: BlobProvider;
}

/** Reads an OCI image layout folder, verifying every blob it reads; each layer is read once. */
export async function readOciLayoutSource(dir: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageSourceRead> {
  const store = layoutStore(dir);
  if (!store.has('oci-layout')) throw new LayerlabError('EINPUT', 'not an OCI layout (no oci-layout file)', { file: dir });
  const images = plan(store, platform, fallbackRepository(dir));
  const measured = new Map<string, LayerMeasure>();
  for (const img of images) {
    for (const l of img.layers) {
      if (measured.has(l.path)) continue;
      if (!store.has(l.path)) throw new LayerlabError('EINPUT', `layer blob is not in the layout`, { file: dir, path: l.path });
      measured.set(l.path, await measureLayer(createReadStream(join(dir, l.path)), { file: dir, path: l.path }));
    }
  }
  return { kind: 'oci-layout', graph: buildGraph(images, measured, dir), registryImages: registryImagesOf(images, measured), blobs: folderBlobProvider(dir) };
}

/** Reads an OCI image layout folder into a graph (see {@link readOciLayoutSource} for the rest). */
export async function readOciLayout(dir: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageGraph> {
  return (await readOciLayoutSource(dir, platform)).graph;
}
