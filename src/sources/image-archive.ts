import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { LayerlabError } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed } from '../model/reference.js';
import { INDEX_TYPES, isAttestation, MANIFEST_TYPES, platformMatches, SCHEMA1_TYPES, type Descriptor, type Platform } from './oci-descriptors.js';
import { entryEscapes, forEachTarEntry, measureLayer, readAll, type LayerMeasure } from './tar.js';

const METADATA_LIMIT = 16 * 1024 * 1024;

export type { Platform } from './oci-descriptors.js';

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, extra] = s.split('/');
  if (!os || !architecture || extra !== undefined) throw new LayerlabError('EUSAGE', `--platform takes os/arch[/variant], got ${JSON.stringify(s)}`);
  return variant ? { os, architecture, variant } : { os, architecture };
}


/** One image to build: its config, tags, and where each layer's bytes are. */
interface PlannedImage {
  id: string;
  config: { created?: string; os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } };
  repoTags: string[];
  /** The digest the index's top descriptor gives (what a tag resolves to), for OCI layouts. */
  manifestDigest?: string;
  /** Per layer: a path in the archive or layout, and the blob descriptor when an OCI manifest gave one. */
  layers: { path: string; digest?: string; size?: number; mediaType?: string }[];
}

/** Random access to metadata, streaming access to layers, for a folder or a tar. */
interface Store {
  label: string;
  has(path: string): boolean;
  /** Small files (JSON); a blob path's content is checked against its digest. */
  json<T>(path: string): T;
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

function checkBlob(bytes: Buffer, path: string, label: string): void {
  const m = /^blobs\/(sha256)\/([0-9a-f]{64})$/.exec(path);
  if (!m) return;
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== m[2]) throw new LayerlabError('EDIGEST', `blob sha256:${m[2]} has digest sha256:${got}: content does not match its name`, { file: label, path });
}

function parseJson<T>(bytes: Buffer, label: string, path: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new LayerlabError('EINPUT', `not valid JSON: ${(e as Error).message}`, { file: label, path });
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

/** Walks an OCI index (nested indexes too) down to image manifests for the platform. */
function planFromOciIndex(store: Store, platform: Platform, fallbackRepo: string): PlannedImage[] {
  const index = store.json<{ manifests?: Descriptor[] | null }>('index.json');
  const out = new Map<string, PlannedImage>();
  const visit = (descs: Descriptor[], refName: string | undefined, path: string, depth: number, top?: string) => {
    if (depth > 8) throw new LayerlabError('EINPUT', 'indexes nested more than 8 deep', { file: store.label, path });
    descs.forEach((d, k) => {
      const here = `${path}[${k}]`;
      if (digestProblem(d.digest ?? '')) throw new LayerlabError('EDIGEST', `descriptor digest ${JSON.stringify(d.digest)} is not a digest`, { file: store.label, path: `${here}.digest` });
      if (isAttestation(d) || !platformMatches(d.platform, platform)) return;
      const name = d.annotations?.['org.opencontainers.image.ref.name'] ?? refName;
      const bp = blobPath(d.digest);
      if (!store.has(bp)) throw new LayerlabError('EINPUT', `blob ${d.digest} named at ${here} is not in the layout`, { file: store.label, path: here });
      const doc = store.json<{ mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(bp);
      const type = d.mediaType ?? doc.mediaType;
      if (INDEX_TYPES.has(type ?? '') || (doc.manifests && !doc.layers)) {
        visit(doc.manifests ?? [], name, `${bp}.manifests`, depth + 1, top ?? d.digest);
        return;
      }
      if (SCHEMA1_TYPES.has(type ?? '')) {
        throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported (deprecated by Docker; convert with skopeo)', { file: store.label, path: bp });
      }
      if (!MANIFEST_TYPES.has(type ?? '') && !doc.config) throw new LayerlabError('EINPUT', `unsupported manifest media type ${JSON.stringify(type)}`, { file: store.label, path: bp });
      if (!doc.config?.digest) throw new LayerlabError('EINPUT', 'manifest has no config descriptor', { file: store.label, path: `${bp}.config` });
      const config = store.json<PlannedImage['config']>(blobPath(doc.config.digest));
      const id = doc.config.digest;
      const tag = tagFromRefName(name, fallbackRepo);
      const prev = out.get(id);
      if (prev) {
        if (tag && !prev.repoTags.includes(tag)) prev.repoTags.push(tag);
        return;
      }
      out.set(id, {
        id,
        config,
        repoTags: tag ? [tag] : [],
        manifestDigest: top ?? d.digest,
        layers: (doc.layers ?? []).map((l) => ({ path: blobPath(l.digest), digest: l.digest, size: l.size, mediaType: l.mediaType })),
      });
    });
  };
  visit(index.manifests ?? [], undefined, '$.manifests', 0);
  return [...out.values()];
}

/** `docker save`'s manifest.json (legacy and Docker >= 25). */
function planFromDockerManifest(store: Store): PlannedImage[] {
  const entries = store.json<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>('manifest.json');
  if (!Array.isArray(entries)) throw new LayerlabError('EINPUT', 'expected an array of images', { file: store.label, path: 'manifest.json' });
  const out = new Map<string, PlannedImage>();
  entries.forEach((e, k) => {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new LayerlabError('EINPUT', 'expected {Config, RepoTags, Layers}', { file: store.label, path: `manifest.json[${k}]` });
    const config = store.json<PlannedImage['config']>(e.Config);
    const hex = /([0-9a-f]{64})(\.json)?$/.exec(e.Config)?.[1];
    const id = hex ? `sha256:${hex}` : '';
    if (!id) throw new LayerlabError('EINPUT', `cannot tell the image ID from config path ${JSON.stringify(e.Config)}`, { file: store.label, path: `manifest.json[${k}].Config` });
    const tags = (e.RepoTags ?? []).map((t) => familiarString(parseNormalizedNamed(t)));
    const prev = out.get(id);
    if (prev) prev.repoTags.push(...tags.filter((t) => !prev.repoTags.includes(t)));
    else out.set(id, { id, config, repoTags: tags, layers: e.Layers.map((path) => ({ path })) });
  });
  return [...out.values()];
}

/** Builds the graph once every layer path has been measured; checks digests and diffIDs. */
function buildGraph(plan: PlannedImage[], measured: Map<string, LayerMeasure>, label: string): ImageGraph {
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

function fallbackRepository(path: string): string {
  const base = basename(path).toLowerCase().replace(/\.(tar|tgz|tar\.gz)$/, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return base || 'image';
}

function plan(store: Store, platform: Platform, fallbackRepo: string): PlannedImage[] {
  if (store.has('manifest.json')) return planFromDockerManifest(store);
  if (!store.has('oci-layout')) throw new LayerlabError('EINPUT', 'neither a docker save archive (manifest.json) nor an OCI layout (oci-layout, index.json)', { file: store.label });
  const layout = store.json<{ imageLayoutVersion?: string }>('oci-layout');
  if (layout.imageLayoutVersion !== '1.0.0') throw new LayerlabError('EINPUT', `unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`, { file: store.label, path: 'oci-layout' });
  return planFromOciIndex(store, platform, fallbackRepo);
}

function layoutStore(dir: string): Store {
  return {
    label: dir,
    has: (p) => existsSync(join(dir, p)),
    json<T>(p: string): T {
      const file = join(dir, p);
      if (!existsSync(file)) throw new LayerlabError('EINPUT', 'missing', { file: dir, path: p });
      if (statSync(file).size > METADATA_LIMIT) throw new LayerlabError('EINPUT', `larger than ${METADATA_LIMIT} bytes, more than a metadata file can be`, { file: dir, path: p });
      const bytes = readFileSync(file);
      checkBlob(bytes, p, dir);
      return parseJson<T>(bytes, dir, p);
    },
  };
}

/** The images of an OCI layout as a registry would serve them (metadata only, blobs checked; layers not read). */
export function readOciLayoutManifests(dir: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): { id: string; manifestDigest: string; repoTags: string[]; diffIds: string[]; layers: { digest: string; size?: number; mediaType?: string }[] }[] {
  const store = layoutStore(dir);
  if (!store.has('oci-layout')) throw new LayerlabError('EINPUT', 'not an OCI layout (no oci-layout file)', { file: dir });
  return plan(store, platform, fallbackRepository(dir)).map((img) => ({
    id: img.id,
    manifestDigest: img.manifestDigest ?? img.id,
    repoTags: img.repoTags,
    diffIds: img.config.rootfs?.diff_ids ?? [],
    layers: img.layers.map((l) => ({ digest: l.digest ?? '', ...(l.size !== undefined ? { size: l.size } : {}), ...(l.mediaType ? { mediaType: l.mediaType } : {}) })),
  }));
}

/** Reads an OCI image layout folder, verifying every blob it reads. */
export async function readOciLayout(dir: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageGraph> {
  const store = layoutStore(dir);
  const images = plan(store, platform, fallbackRepository(dir));
  const measured = new Map<string, LayerMeasure>();
  for (const img of images) {
    for (const l of img.layers) {
      if (measured.has(l.path)) continue;
      if (!store.has(l.path)) throw new LayerlabError('EINPUT', `layer blob is not in the layout`, { file: dir, path: l.path });
      measured.set(l.path, await measureLayer(createReadStream(join(dir, l.path)), { file: dir, path: l.path }));
    }
  }
  return buildGraph(images, measured, dir);
}

/**
 * Reads a `docker save` archive (legacy or Docker >= 25) or an OCI archive, plain or gzip, in
 * two streaming passes: metadata first, then each referenced layer measured as it streams by.
 */
export async function readImageArchive(file: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageGraph> {
  const gz = isGzipFile(file);
  const open = () => (gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file));
  const small = new Map<string, Buffer>();
  const names = new Set<string>();
  // Legacy `docker save` stores a shared layer once; other images' layer.tar are symlinks to it.
  const links = new Map<string, string>();
  await forEachTarEntry(open(), file, async (h, body) => {
    const name = h.name.replace(/^\.\//, '');
    if (h.type === 'symlink') {
      const target = posix.normalize(posix.join(posix.dirname(name), h.linkname));
      if (h.linkname.startsWith('/') || entryEscapes(target)) throw new LayerlabError('EINPUT', `tar symlink ${JSON.stringify(name)} -> ${JSON.stringify(h.linkname)} points outside the archive`, { file });
      links.set(name, target);
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return;
    names.add(name);
    const metadata = name === 'manifest.json' || name === 'index.json' || name === 'oci-layout' || name === 'repositories' || name.endsWith('.json') || (name.startsWith('blobs/') && h.size <= 1024 * 1024);
    if (metadata && h.size <= METADATA_LIMIT) small.set(name, await readAll(body, METADATA_LIMIT, { file, path: name }));
  });
  const store: Store = {
    label: file,
    has: (p) => names.has(p),
    json<T>(p: string): T {
      const bytes = small.get(p);
      if (!bytes) throw new LayerlabError('EINPUT', names.has(p) ? 'too large for a metadata file' : 'missing', { file, path: p });
      checkBlob(bytes, p, file);
      return parseJson<T>(bytes, file, p);
    },
  };
  const images = plan(store, platform, fallbackRepository(file));
  const resolveLink = (p: string): string => {
    for (let hops = 0; hops < 8 && !names.has(p) && links.has(p); hops++) p = links.get(p)!;
    return p;
  };
  for (const img of images) for (const l of img.layers) l.path = resolveLink(l.path);
  const wanted = new Set(images.flatMap((i) => i.layers.map((l) => l.path)));
  for (const p of wanted) if (!names.has(p)) throw new LayerlabError('EINPUT', 'layer is not in the archive', { file, path: p });
  const measured = new Map<string, LayerMeasure>();
  await forEachTarEntry(open(), file, async (h, body) => {
    const name = h.name.replace(/^\.\//, '');
    if (wanted.has(name) && !measured.has(name)) measured.set(name, await measureLayer(body, { file, path: name }));
  });
  return buildGraph(images, measured, file);
}

function isGzipFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
