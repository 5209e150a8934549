// Image archives: `docker save` (legacy and Docker >= 25), go-containerregistry tarballs and OCI
// archives, plain or gzip, read in streaming passes; what they hold is planned as in oci-layout.ts.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { archiveBlobProvider } from './blobs.js';
import { METADATA_LIMIT } from './bounded.js';
import type { Platform } from './oci-descriptors.js';
import { buildGraph, fallbackRepository, plan, registryImagesOf, storeOf, type ImageSourceRead } from './oci-layout.js';
import { entryEscapes, forEachTarEntry, measureLayer, readAll, type LayerMeasure } from './tar.js';

/** Entries worth keeping from the first pass: the documents that say what the archive holds. */
function isMetadataName(name: string, size: number): boolean {
  if (name === 'manifest.json' || name === 'index.json' || name === 'oci-layout' || name === 'repositories') return true;
  if (name.endsWith('.json') || /^sha256:[0-9a-f]{64}$/.test(name)) return size <= METADATA_LIMIT;
  return name.startsWith('blobs/') && size <= 1024 * 1024;
}

/**
 * Reads a `docker save` archive (legacy or Docker >= 25), a go-containerregistry tarball (crane,
 * kaniko) or an OCI archive, plain or gzip, in streaming passes: metadata first (and the configs
 * manifest.json names, whatever they are called), then each referenced layer measured once.
 */
export async function readImageArchiveSource(file: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageSourceRead> {
  const gz = isGzipFile(file);
  const open = () => (gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file));
  const small = new Map<string, Buffer>();
  const sizes = new Map<string, number>();
  // Legacy `docker save` stores a shared layer once; other images' layer.tar are symlinks to it.
  const links = new Map<string, string>();
  const keep = async (name: string, body: Parameters<Parameters<typeof forEachTarEntry>[2]>[1]) =>
    small.set(name, await readAll(body, METADATA_LIMIT, { file, path: name }));
  await forEachTarEntry(open(), file, async (h, body) => {
    const name = h.name.replace(/^\.\//, '');
    if (h.type === 'symlink') {
      const target = posix.normalize(posix.join(posix.dirname(name), h.linkname));
      if (h.linkname.startsWith('/') || entryEscapes(target)) throw new LayerlabError('EINPUT', `tar symlink ${quote(name)} -> ${quote(h.linkname)} points outside the archive`, { file });
      links.set(name, target);
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return;
    sizes.set(name, h.size ?? 0);
    if (isMetadataName(name, h.size ?? 0) && (h.size ?? 0) <= METADATA_LIMIT) await keep(name, body);
  });
  const missingConfigs = configsNotKept(small, sizes);
  if (missingConfigs.size) {
    await forEachTarEntry(open(), file, async (h, body) => {
      const name = h.name.replace(/^\.\//, '');
      if (missingConfigs.has(name) && !small.has(name)) await keep(name, body);
    });
  }
  const store = storeOf(
    file,
    (p) => sizes.has(p),
    (p, what) => {
      const bytes = small.get(p);
      if (bytes) return bytes;
      if (!sizes.has(p)) throw new LayerlabError('EINPUT', `${what} is not in the archive`, { file, path: p });
      throw new LayerlabError('EINPUT', `${what} is ${sizes.get(p)} bytes, larger than the ${METADATA_LIMIT / 1024 / 1024} MiB layerlab reads for a metadata file (manifest, index, config)`, { file, path: p });
    },
  );
  const images = plan(store, platform, fallbackRepository(file));
  const resolveLink = (p: string): string => {
    for (let hops = 0; hops < 8 && !sizes.has(p) && links.has(p); hops++) p = links.get(p)!;
    return p;
  };
  for (const img of images) for (const l of img.layers) l.path = resolveLink(l.path);
  const wanted = new Set(images.flatMap((i) => i.layers.map((l) => l.path)));
  for (const p of wanted) if (!sizes.has(p)) throw new LayerlabError('EINPUT', 'layer is not in the archive', { file, path: p });
  const measured = new Map<string, LayerMeasure>();
  await forEachTarEntry(open(), file, async (h, body) => {
    const name = h.name.replace(/^\.\//, '');
    if (wanted.has(name) && !measured.has(name)) measured.set(name, await measureLayer(body, { file, path: name }));
  });
  const graph = buildGraph(images, measured, file);
  const entries = new Map<string, string>();
  for (const name of sizes.keys()) {
    const m = /^blobs\/(sha256)\/([0-9a-f]{64})$/.exec(name);
    if (m) entries.set(`${m[1]}:${m[2]}`, name);
  }
  for (const img of images) entries.set(img.id, img.configPath);
  const byDiffId = new Map<string, string>();
  for (const [path, m] of measured) {
    entries.set(m.blobDigest, path);
    byDiffId.set(m.diffId, m.blobDigest);
  }
  const docker = store.has('manifest.json');
  return {
    kind: docker ? 'docker-archive' : 'oci-archive',
    graph,
    ...(docker ? {} : { registryImages: registryImagesOf(images, measured) }),
    blobs: archiveBlobProvider(file, gz, entries, byDiffId),
  };
}

/** Config entries manifest.json names that the first pass did not keep (odd names), to read in a second. */
function configsNotKept(small: Map<string, Buffer>, sizes: Map<string, number>): Set<string> {
  const out = new Set<string>();
  const m = small.get('manifest.json');
  if (!m) return out;
  let entries: unknown;
  try {
    entries = JSON.parse(m.toString('utf8'));
  } catch {
    return out; // plan() reports it with its path
  }
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    const c = typeof (e as { Config?: unknown })?.Config === 'string' ? ((e as { Config: string }).Config).replace(/^\.\//, '') : undefined;
    if (c && !small.has(c) && (sizes.get(c) ?? Infinity) <= METADATA_LIMIT) out.add(c);
  }
  return out;
}

/** Reads an image archive into a graph (see {@link readImageArchiveSource} for the rest). */
export async function readImageArchive(file: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ImageGraph> {
  return (await readImageArchiveSource(file, platform)).graph;
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
