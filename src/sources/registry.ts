import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readOciLayoutManifests } from './image-archive.js';
import { request } from 'node:http';
import { join } from 'node:path';
import { LayerlabError } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed } from '../model/reference.js';
import { INDEX_TYPES, isAttestation, platformMatches, SCHEMA1_TYPES, type Descriptor, type Platform } from './oci-descriptors.js';

/** Accept header for manifests, as docker pull sends it. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface ManifestDoc {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[] | null;
}

/** An image manifest found in registry data, with what names it. */
export interface RegistryImage {
  manifestDigest: string;
  manifest: ManifestDoc;
  /** diff_ids from the config blob when it could be read. */
  diffIds?: string[];
  repoTags: string[];
  repoDigests: string[];
  platform?: string;
}

/** What a registry source read, and what it left out. */
export interface RegistryRead {
  graph: ImageGraph;
  images: RegistryImage[];
  /** Attestation manifests recognised and left out of the image count. */
  attestations: number;
  /** Manifests of other platforms left out. */
  otherPlatforms: number;
}

function kindOf(doc: ManifestDoc, mediaType?: string): 'index' | 'manifest' | 'schema1' | 'unknown' {
  const t = mediaType ?? doc.mediaType;
  if (doc.schemaVersion === 1 || SCHEMA1_TYPES.has(t ?? '')) return 'schema1';
  if (INDEX_TYPES.has(t ?? '') || (Array.isArray(doc.manifests) && !doc.layers)) return 'index';
  if (doc.config && Array.isArray(doc.layers)) return 'manifest';
  return 'unknown';
}


/** Builds a graph of registry images: layers keyed by diffID when the config was read, else by blob digest. */
export function graphFromRegistryImages(images: RegistryImage[]): ImageGraph {
  const b = new GraphBuilder();
  const byKey = new Map<string, number>();
  const seen = new Set<string>();
  for (const img of images) {
    const id = img.manifest.config!.digest;
    if (seen.has(id)) continue;
    seen.add(id);
    const layers = img.manifest.layers ?? [];
    const stack = layers.map((l, k) => {
      const diffId = img.diffIds?.[k];
      const key = diffId ?? l.digest;
      let idx = byKey.get(key) ?? (diffId ? undefined : byKey.get(l.digest));
      if (idx === undefined) {
        idx = b.addLayer({ ...(diffId ? { diffId } : {}), digest: l.digest, ...(l.size !== undefined ? { compressedSize: l.size } : {}), ...(l.mediaType ? { mediaType: l.mediaType } : {}) });
        byKey.set(key, idx);
      }
      return idx;
    });
    b.addImage(
      {
        id,
        ...(img.repoTags.length ? { repoTags: img.repoTags } : {}),
        ...(img.repoDigests.length ? { repoDigests: img.repoDigests } : {}),
        ...(img.platform ? { platform: img.platform } : {}),
      },
      stack,
    );
  }
  return b.build();
}

/**
 * Reads a folder of registry documents: raw manifests and indexes (Docker v2 schema 2, OCI),
 * named by the sha256 of their bytes, or docker-library/repo-info style wrappers
 * ({reference, indexDigest, manifest}). Indexes select the platform; attestations are left out;
 * schema 1 is refused.
 */
export function readRegistryFolder(dir: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): RegistryRead {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && statSync(join(dir, f)).isFile()).sort();
  if (files.length === 0) throw new LayerlabError('EINPUT', 'no .json registry documents in this folder', { file: dir });
  const manifests = new Map<string, { doc: ManifestDoc; file: string; tags: string[]; repoDigests: string[]; platform?: string }>();
  const indexed = new Map<string, Descriptor>();
  for (const f of files) {
    const file = join(dir, f);
    const bytes = readFileSync(file);
    let doc: ManifestDoc & { reference?: string; indexDigest?: string; manifest?: ManifestDoc; manifestDigest?: string; index?: ManifestDoc; digest?: string };
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new LayerlabError('EINPUT', `not valid JSON: ${(e as Error).message}`, { file });
    }
    if (doc.manifest && doc.reference) {
      // A repo-info wrapper: the manifest bytes are reconstructed, so its own digest is given.
      const ref = parseNormalizedNamed(doc.reference);
      const name = familiarString({ ...ref, tag: undefined, digest: undefined });
      const k = kindOf(doc.manifest);
      if (k === 'schema1') throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported', { file, path: '$.manifest' });
      if (k !== 'manifest') throw new LayerlabError('EINPUT', 'expected an image manifest with config and layers', { file, path: '$.manifest' });
      const d = doc.manifestDigest ?? 'sha256:' + createHash('sha256').update(JSON.stringify(doc.manifest)).digest('hex');
      const p = (doc as { platform?: Descriptor['platform'] }).platform;
      manifests.set(d, { doc: doc.manifest, file, tags: ref.tag ? [familiarString(ref)] : [], repoDigests: doc.indexDigest ? [`${name}@${doc.indexDigest}`] : [], platform: p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined });
      if (p) indexed.set(d, { digest: d, platform: p });
      continue;
    }
    if (doc.index && doc.digest) {
      for (const m of doc.index.manifests ?? []) indexed.set(m.digest, m);
      continue;
    }
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    const k = kindOf(doc);
    if (k === 'schema1') throw new LayerlabError('EINPUT', 'Docker schema 1 manifests are not supported (deprecated by Docker; convert with skopeo)', { file });
    if (k === 'index') for (const m of doc.manifests ?? []) indexed.set(m.digest, m);
    else if (k === 'manifest') manifests.set(digest, { doc, file, tags: [], repoDigests: [] });
    else throw new LayerlabError('EINPUT', 'neither an image manifest nor an index', { file });
  }
  let attestations = 0;
  let otherPlatforms = 0;
  const images: RegistryImage[] = [];
  for (const [digest, m] of manifests) {
    const via = indexed.get(digest);
    if (via && isAttestation(via)) {
      attestations++;
      continue;
    }
    if (via && !platformMatches(via.platform, platform)) {
      otherPlatforms++;
      continue;
    }
    checkManifest(m.doc, m.file);
    const p = via?.platform;
    images.push({ manifestDigest: digest, manifest: m.doc, repoTags: m.tags, repoDigests: m.repoDigests, platform: m.platform ?? (p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined) });
  }
  // Index entries for attestations whose manifests are not in the folder still count as seen.
  for (const [d, desc] of indexed) if (!manifests.has(d) && isAttestation(desc)) attestations++;
  return { graph: graphFromRegistryImages(images), images, attestations, otherPlatforms };
}

function checkManifest(doc: ManifestDoc, file: string): void {
  const bad = (path: string, d: unknown) => {
    if (typeof d !== 'string' || digestProblem(d)) throw new LayerlabError('EDIGEST', `not a digest: ${JSON.stringify(d)}`, { file, path });
  };
  bad('$.config.digest', doc.config?.digest);
  (doc.layers ?? []).forEach((l, k) => {
    bad(`$.layers[${k}].digest`, l.digest);
    if (l.size !== undefined && (!Number.isSafeInteger(l.size) || l.size < 0)) throw new LayerlabError('EINPUT', 'expected a size in bytes', { file, path: `$.layers[${k}].size` });
  });
}

/** A loopback registry and, optionally, one repository and tag to read. */
export interface RegistryTarget {
  host: string;
  port: number;
  repository?: string;
  tag?: string;
}

/** `registry://127.0.0.1:5000[/repo[:tag]]`; only loopback registries are read. */
export function parseRegistrySource(source: string): RegistryTarget {
  const m = /^registry:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\]):(\d+)(?:\/(.+))?$/.exec(source);
  if (!m) {
    throw new LayerlabError('EUSAGE', `expected registry://127.0.0.1:PORT[/REPO[:TAG]] on loopback (layerlab talks to nothing off this machine), got ${JSON.stringify(source)}`);
  }
  const target: RegistryTarget = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  if (m[3]) {
    const colon = m[3].lastIndexOf(':');
    if (colon > m[3].lastIndexOf('/')) {
      target.repository = m[3].slice(0, colon);
      target.tag = m[3].slice(colon + 1);
    } else target.repository = m[3];
  }
  return target;
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A read-only distribution v2 API client: GET and HEAD only, each with a timeout. */
export class RegistryClient {
  constructor(
    readonly target: RegistryTarget,
    readonly timeoutMs = 30_000,
  ) {}

  get label(): string {
    return `registry://${this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host}:${this.target.port}`;
  }

  private call(method: 'GET' | 'HEAD', path: string, accept?: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.target.host, port: this.target.port, path, method, timeout: this.timeoutMs, headers: accept ? { Accept: accept } : {} }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n > 16 * 1024 * 1024) req.destroy(new Error('answer larger than 16 MiB'));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new LayerlabError('EIO', `${method} ${path}: ${e.code === 'ECONNREFUSED' ? 'cannot connect: is the registry running?' : e.message}`, { file: this.label })));
      req.end();
    });
  }

  async json<T>(path: string, accept?: string): Promise<{ value: T; bytes: Buffer; headers: HttpAnswer['headers'] }> {
    const r = await this.call('GET', path, accept);
    if (r.status !== 200) throw new LayerlabError('EINPUT', `GET ${path}: registry answered ${r.status} ${r.body.toString('utf8').slice(0, 200).trim()}`, { file: this.label });
    try {
      return { value: JSON.parse(r.body.toString('utf8')) as T, bytes: r.body, headers: r.headers };
    } catch {
      throw new LayerlabError('EINPUT', `GET ${path}: answer is not JSON`, { file: this.label });
    }
  }

  /** All items of a paginated list (catalog, tags), following `Link: <…>; rel="next"`. */
  async paged(path: string, key: 'repositories' | 'tags'): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = path;
    for (let pages = 0; next && pages < 10_000; pages++) {
      const page: { value: Record<string, string[] | null | undefined>; headers: HttpAnswer['headers'] } = await this.json(next);
      out.push(...(page.value[key] ?? []));
      const link = page.headers.link;
      const m = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
      next = m ? m[1] : undefined;
    }
    return out;
  }

  async blobSize(repository: string, digest: string): Promise<number> {
    const r = await this.call('HEAD', `/v2/${repository}/blobs/${digest}`);
    if (r.status !== 200) throw new LayerlabError('EINPUT', `HEAD blob ${digest} of ${repository}: registry answered ${r.status}`, { file: this.label });
    return Number(r.headers['content-length']);
  }
}

function sha256(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads images from a live registry: every repository of the catalog (or the one named), every
 * tag (or the one named); indexes resolved to the platform; manifests checked against their
 * digest; configs read for diffIDs; each layer's size confirmed with HEAD.
 */
export async function readRegistry(client: RegistryClient, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<RegistryRead> {
  const t = client.target;
  await client.json('/v2/');
  const repos = t.repository ? [t.repository] : await client.paged('/v2/_catalog?n=100', 'repositories');
  const domain = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  const images: RegistryImage[] = [];
  let attestations = 0;
  let otherPlatforms = 0;
  const byManifest = new Map<string, RegistryImage>();
  for (const repo of repos) {
    const tags = t.tag ? [t.tag] : await client.paged(`/v2/${repo}/tags/list?n=100`, 'tags');
    for (const tag of tags.sort()) {
      const top = await client.json<ManifestDoc>(`/v2/${repo}/manifests/${tag}`, MANIFEST_ACCEPT);
      const topDigest = sha256(top.bytes);
      const said = top.headers['docker-content-digest'];
      if (typeof said === 'string' && said !== topDigest) throw new LayerlabError('EDIGEST', `manifest ${repo}:${tag} is said to be ${said} but its bytes hash to ${topDigest}`, { file: client.label });
      const refTag = familiarString(parseNormalizedNamed(`${domain}/${repo}:${tag}`));
      const refDigest = `${domain}/${repo}@${topDigest}`;
      const found: { digest: string; doc: ManifestDoc; platform?: Descriptor['platform'] }[] = [];
      const k = kindOf(top.value);
      if (k === 'schema1') throw new LayerlabError('EINPUT', `${repo}:${tag} is a Docker schema 1 manifest, which is not supported`, { file: client.label });
      if (k === 'index') {
        for (const d of top.value.manifests ?? []) {
          if (isAttestation(d)) {
            attestations++;
            continue;
          }
          if (!platformMatches(d.platform, platform)) {
            otherPlatforms++;
            continue;
          }
          const m = await client.json<ManifestDoc>(`/v2/${repo}/manifests/${d.digest}`, MANIFEST_ACCEPT);
          if (sha256(m.bytes) !== d.digest) throw new LayerlabError('EDIGEST', `manifest ${d.digest} of ${repo} has digest ${sha256(m.bytes)}`, { file: client.label });
          found.push({ digest: d.digest, doc: m.value, platform: d.platform });
        }
      } else if (k === 'manifest') found.push({ digest: topDigest, doc: top.value });
      else throw new LayerlabError('EINPUT', `${repo}:${tag}: neither an image manifest nor an index`, { file: client.label });
      for (const f of found) {
        checkManifest(f.doc, `${client.label}/${repo}@${f.digest}`);
        const prev = byManifest.get(f.doc.config!.digest);
        if (prev) {
          if (!prev.repoTags.includes(refTag)) prev.repoTags.push(refTag);
          if (!prev.repoDigests.includes(refDigest)) prev.repoDigests.push(refDigest);
          continue;
        }
        const cfg = await client.json<{ os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } }>(`/v2/${repo}/blobs/${f.doc.config!.digest}`);
        if (sha256(cfg.bytes) !== f.doc.config!.digest) throw new LayerlabError('EDIGEST', `config blob ${f.doc.config!.digest} of ${repo} has digest ${sha256(cfg.bytes)}`, { file: client.label });
        for (const l of f.doc.layers ?? []) {
          const size = await client.blobSize(repo, l.digest);
          if (l.size !== undefined && size !== l.size) throw new LayerlabError('EINPUT', `blob ${l.digest} of ${repo}: the manifest says ${l.size} bytes, the registry ${size}`, { file: client.label });
        }
        const img: RegistryImage = {
          manifestDigest: f.digest,
          manifest: f.doc,
          diffIds: cfg.value.rootfs?.diff_ids ?? undefined,
          repoTags: [refTag],
          repoDigests: [refDigest],
          platform: cfg.value.os && cfg.value.architecture ? [cfg.value.os, cfg.value.architecture, cfg.value.variant].filter(Boolean).join('/') : undefined,
        };
        byManifest.set(f.doc.config!.digest, img);
        images.push(img);
      }
    }
  }
  return { graph: graphFromRegistryImages(images), images, attestations, otherPlatforms };
}

/** A registry image's layer blobs, bottom up: digest and compressed size when given. */
export function blobLayers(img: RegistryImage): { digest: string; size?: number }[] {
  return (img.manifest.layers ?? []).map((l) => ({ digest: l.digest, ...(l.size !== undefined ? { size: l.size } : {}) }));
}

/** Reads `registry://HOST:PORT[/REPO]` (live, loopback), an OCI layout folder, or a folder of registry documents. */
export async function readRegistrySource(source: string, platform?: Platform): Promise<RegistryRead> {
  if (source.startsWith('registry://')) return readRegistry(new RegistryClient(parseRegistrySource(source)), platform);
  if (existsSync(join(source, 'oci-layout'))) {
    const images: RegistryImage[] = readOciLayoutManifests(source, platform).map((m) => ({
      manifestDigest: m.manifestDigest,
      manifest: { config: { digest: m.id } as Descriptor, layers: m.layers as Descriptor[] },
      diffIds: m.diffIds,
      repoTags: m.repoTags,
      repoDigests: m.repoTags.map((t) => `${familiarString({ ...parseNormalizedNamed(t), tag: undefined })}@${m.manifestDigest}`),
    }));
    return { graph: graphFromRegistryImages(images), images, attestations: 0, otherPlatforms: 0 };
  }
  return readRegistryFolder(source, platform);
}
