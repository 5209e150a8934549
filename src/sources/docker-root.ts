import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LayerlabError } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { chainIds } from '../model/identity.js';
import type { ContainerRecord, ContainerState } from '../model/types.js';
import { humanDuration } from '../model/duration.js';
import { dataRootBlobProvider } from './blobs.js';
import { METADATA_LIMIT, readBoundedSync } from './bounded.js';
import type { BlobProvider, DistributionMetadata } from './source.js';

export type { DistributionMetadata } from './source.js';

/** A Docker data root read offline: the graph, the storage driver, the distribution metadata. */
export interface DockerRoot {
  graph: ImageGraph;
  driver: string;
  distribution: DistributionMetadata;
  /** Containers whose writable-layer size cannot be known offline (all of them today). */
  containersWithoutSize: number;
  /** Image ID -> byte length of its config (what a pushed manifest's config descriptor says). */
  configSizes: Map<string, number>;
  /** The image configs by digest, and each layer's tar by diffID, put back together from tar-split and its files. */
  blobs: BlobProvider;
}

// In sniff.ts so that load.ts can claim a data root without loading this reader.
export { isDockerRoot } from './sniff.js';

function readText(file: string, what = 'metadata file'): string {
  return readBoundedSync(file, METADATA_LIMIT, what).toString('utf8');
}

function readJson<T>(file: string): T {
  const text = readText(file);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const m = (e as Error).message;
    throw new LayerlabError('EINPUT', `not valid JSON: ${m.length > 200 ? m.slice(0, 200) + '…' : m}`, { file });
  }
}

function listDir(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot list: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: dir });
  }
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const seconds = (t: string | undefined) => (t && t !== ZERO_TIME ? Date.parse(t) / 1000 : undefined);

interface ContainerConfigV2 {
  ID: string;
  Name?: string;
  Image: string;
  Created?: string;
  Path?: string;
  Args?: string[];
  Config?: { Image?: string };
  State?: { Running?: boolean; Paused?: boolean; Restarting?: boolean; RemovalInProgress?: boolean; Dead?: boolean; ExitCode?: number; StartedAt?: string; FinishedAt?: string };
}

/** moby container/state.go StateString and String, with `now` in Unix seconds. */
export function containerStateAndStatus(s: NonNullable<ContainerConfigV2['State']>, now: number): { state: ContainerState; status: string } {
  const since = (t: string | undefined) => humanDuration(now - (seconds(t) ?? now));
  if (s.Running) {
    if (s.Paused) return { state: 'paused', status: `Up ${since(s.StartedAt)} (Paused)` };
    if (s.Restarting) return { state: 'restarting', status: `Restarting (${s.ExitCode ?? 0}) ${since(s.FinishedAt)} ago` };
    return { state: 'running', status: `Up ${since(s.StartedAt)}` };
  }
  if (s.RemovalInProgress) return { state: 'removing', status: 'Removal In Progress' };
  if (s.Dead) return { state: 'dead', status: 'Dead' };
  if (seconds(s.StartedAt) === undefined) return { state: 'created', status: 'Created' };
  if (seconds(s.FinishedAt) === undefined) return { state: 'exited', status: '' };
  return { state: 'exited', status: `Exited (${s.ExitCode ?? 0}) ${since(s.FinishedAt)} ago` };
}

/** The Command column: Path, then Args, an argument with a space in single quotes (daemon list.go). */
export function containerCommand(path: string | undefined, args: string[] | undefined): string {
  if (!args || args.length === 0) return path ?? '';
  return `${path ?? ''} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/**
 * Reads a Docker data root (e.g. /var/lib/docker) without a daemon: image configs (imagedb),
 * layer diff sizes by chainID (layerdb), tags (repositories.json), parents, containers
 * (containers/*\/config.v2.json) and the distribution metadata. Read-only.
 */
export function readDockerRoot(dir: string, opts: { driver?: string; now?: number } = {}): DockerRoot {
  const imageDir = join(dir, 'image');
  const drivers = listDir(imageDir).filter((d) => existsSync(join(imageDir, d, 'imagedb')));
  if (drivers.length === 0) throw new LayerlabError('EINPUT', 'not a Docker data root: no image/<driver>/imagedb folder', { file: dir });
  const driver = opts.driver ?? (drivers.length === 1 ? drivers[0] : undefined);
  if (!driver || !drivers.includes(driver)) {
    throw new LayerlabError('EINPUT', `the data root has images for several storage drivers (${drivers.join(', ')}); choose one with --storage-driver`, { file: dir });
  }
  const root = join(imageDir, driver);
  const now = opts.now ?? Date.now() / 1000;

  // layerdb: chainID -> diff size
  const layerSize = new Map<string, number>();
  const layerdb = join(root, 'layerdb', 'sha256');
  for (const hex of listDir(layerdb)) {
    const sizeFile = join(layerdb, hex, 'size');
    if (!existsSync(sizeFile)) continue; // a layer being written
    const size = Number(readText(sizeFile).trim());
    if (!Number.isSafeInteger(size) || size < 0) throw new LayerlabError('EINPUT', 'expected a size in bytes', { file: sizeFile });
    layerSize.set('sha256:' + hex, size);
  }

  // repositories.json: name -> { ref: imageID }
  const refs = new Map<string, { tags: string[]; digests: string[] }>();
  const reposFile = join(root, 'repositories.json');
  if (existsSync(reposFile)) {
    const repos = readJson<{ Repositories?: Record<string, Record<string, string>> }>(reposFile);
    for (const byRef of Object.values(repos.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(byRef)) {
        const entry = refs.get(id) ?? { tags: [], digests: [] };
        (ref.includes('@') ? entry.digests : entry.tags).push(ref);
        refs.set(id, entry);
      }
    }
  }

  const b = new GraphBuilder();
  const layerIndex = new Map<string, number>();
  const content = join(root, 'imagedb', 'content', 'sha256');
  const configSizes = new Map<string, number>();
  const configFiles = new Map<string, string>();
  for (const hex of listDir(content).sort()) {
    const id = 'sha256:' + hex;
    const file = join(content, hex);
    if (digestProblem(id)) continue;
    configSizes.set(id, statSync(file).size);
    configFiles.set(id, file);
    const config = readJson<{ created?: string; os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } }>(file);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const chain = chainIds(diffIds);
    const stack = diffIds.map((diffId, k) => {
      if (digestProblem(diffId)) throw new LayerlabError('EDIGEST', `rootfs.diff_ids[${k}] is not a digest`, { file, path: `$.rootfs.diff_ids[${k}]` });
      let l = layerIndex.get(diffId);
      if (l === undefined) {
        l = b.addLayer({ diffId, size: layerSize.get(chain[k]) });
        layerIndex.set(diffId, l);
      }
      return l;
    });
    const parentFile = join(root, 'imagedb', 'metadata', 'sha256', hex, 'parent');
    const parent = existsSync(parentFile) ? readText(parentFile).trim() : '';
    const r = refs.get(id);
    const created = seconds(config.created);
    b.addImage(
      {
        id,
        ...(r?.tags.length ? { repoTags: r.tags.sort() } : {}),
        ...(r?.digests.length ? { repoDigests: r.digests.sort() } : {}),
        ...(created !== undefined ? { created: Math.floor(created) } : {}),
        ...(config.os && config.architecture ? { platform: [config.os, config.architecture, config.variant].filter(Boolean).join('/') } : {}),
        ...(parent ? { parent } : {}),
      },
      stack,
    );
  }

  let containersWithoutSize = 0;
  const containers: { record: ContainerRecord; createdExact: number }[] = [];
  for (const cid of listDir(join(dir, 'containers'))) {
    const file = join(dir, 'containers', cid, 'config.v2.json');
    if (!existsSync(file)) continue;
    const c = readJson<ContainerConfigV2>(file);
    const { state, status } = containerStateAndStatus(c.State ?? {}, now);
    const created = seconds(c.Created);
    const record: ContainerRecord = {
      id: c.ID,
      ...(c.Name ? { name: c.Name.replace(/^\//, '') } : {}),
      image: c.Image,
      ...(c.Config?.Image ? { imageRef: c.Config.Image } : {}),
      state,
      status,
      ...(created !== undefined ? { created: Math.floor(created) } : {}),
      command: containerCommand(c.Path, c.Args),
    };
    containers.push({ record, createdExact: created ?? 0 });
    containersWithoutSize++;
  }
  // Newest first by the exact creation time, as the daemon lists them (same-second ones too).
  containers.sort((x, y) => y.createdExact - x.createdExact);
  for (const c of containers) b.addContainer(c.record);

  return { graph: b.build(), driver, distribution: readDistribution(root), containersWithoutSize, configSizes, blobs: dataRootBlobProvider(dir, configFiles, dataRootLayers(dir, driver)) };
}

function readDistribution(root: string): DistributionMetadata {
  const diffIdByDigest = new Map<string, string>();
  const digestsByDiffId = new Map<string, { digest: string; sourceRepository: string }[]>();
  const base = join(root, 'distribution');
  const byDigest = join(base, 'diffid-by-digest');
  for (const algo of listDir(byDigest)) {
    for (const hex of listDir(join(byDigest, algo))) diffIdByDigest.set(`${algo}:${hex}`, readText(join(byDigest, algo, hex)).trim());
  }
  const byDiff = join(base, 'v2metadata-by-diffid');
  for (const algo of listDir(byDiff)) {
    for (const hex of listDir(join(byDiff, algo))) {
      const file = join(byDiff, algo, hex);
      const entries = readJson<{ Digest: string; SourceRepository: string }[] | null>(file) ?? [];
      digestsByDiffId.set(`${algo}:${hex}`, entries.map((e) => ({ digest: e.Digest, sourceRepository: e.SourceRepository })));
    }
  }
  return { diffIdByDigest, digestsByDiffId };
}

/** Where a data root keeps one layer: its tar-split record and the folder holding its files. */
export interface DataRootLayer {
  chainId: string;
  /** `layerdb/sha256/<chainID>/tar-split.json.gz`: the layer tar's headers and padding, in order. */
  tarSplit: string;
  /** The files of this layer: vfs `vfs/dir/<cache-id>` (its whole tree), overlay2 `overlay2/<cache-id>/diff`. */
  files: string | undefined;
  driver: string;
  /** Why the layer's tar cannot be put back together here, when it cannot. */
  missing?: string;
}

/** The folder of a layer's own files, for the drivers whose layout is known; undefined otherwise. */
function layerFilesDir(dataRoot: string, driver: string, cacheId: string): string | undefined {
  if (!/^[0-9a-zA-Z_-]+$/.test(cacheId)) return undefined;
  if (driver === 'vfs') return join(dataRoot, 'vfs', 'dir', cacheId);
  if (driver === 'overlay2') return join(dataRoot, 'overlay2', cacheId, 'diff');
  return undefined;
}

/** diffID -> where its bytes are, from layerdb (`diff`, `cache-id`, `tar-split.json.gz` per chainID). */
export function dataRootLayers(dataRoot: string, driver: string): Map<string, DataRootLayer> {
  const out = new Map<string, DataRootLayer>();
  const layerdb = join(dataRoot, 'image', driver, 'layerdb', 'sha256');
  for (const hex of listDir(layerdb).sort()) {
    const at = join(layerdb, hex);
    const diffFile = join(at, 'diff');
    if (!/^[0-9a-f]{64}$/.test(hex) || !existsSync(diffFile)) continue;
    const diffId = readText(diffFile).trim();
    if (out.has(diffId) || digestProblem(diffId)) continue;
    const cacheFile = join(at, 'cache-id');
    const cacheId = existsSync(cacheFile) ? readText(cacheFile).trim() : '';
    const tarSplit = join(at, 'tar-split.json.gz');
    const files = cacheId ? layerFilesDir(dataRoot, driver, cacheId) : undefined;
    let missing: string | undefined;
    if (driver !== 'vfs' && driver !== 'overlay2') missing = `layer contents are read for the vfs and overlay2 storage drivers, not ${driver}`;
    else if (!existsSync(tarSplit)) missing = 'the data root has no tar-split record for it (layerdb/sha256/<chainID>/tar-split.json.gz), so its tar cannot be put back together';
    else if (!files || !existsSync(files)) missing = `the data root has no folder of its files (${driver}, cache-id ${JSON.stringify(cacheId)})`;
    out.set(diffId, { chainId: 'sha256:' + hex, tarSplit, files, driver, ...(missing ? { missing } : {}) });
  }
  return out;
}
