import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LayerlabError } from '../errors.js';
import { parseSnapshot, type Snapshot } from './snapshot.js';
import { mergeGraphs } from '../model/merge.js';
import type { ImageGraph } from '../model/graph.js';
import { EngineClient, engineEndpointFromSource, loadEngine } from './engine-api.js';
import { isDockerRoot, readDockerRoot } from './docker-root.js';
import { readImageArchive, readOciLayout, type Platform } from './image-archive.js';
import { parseRegistrySource, readRegistry, readRegistryFolder, RegistryClient } from './registry.js';

/** Options that apply to some sources. */
export interface LoadOptions {
  /** Platform to select from multi-platform indexes (OCI layouts and archives). */
  platform?: Platform;
}

function head(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Loads every SOURCE and merges them into one graph (one SOURCE is returned as it is). */
export async function loadSources(args: readonly string[], opts: LoadOptions = {}): Promise<ImageGraph> {
  const graphs: ImageGraph[] = [];
  for (const a of args) graphs.push((await loadSource(a, opts)).graph);
  return mergeGraphs(graphs, args);
}

/** A file whose first bytes are gzip's magic or a ustar header. */
function looksLikeArchive(file: string): boolean {
  const h = head(file, 512);
  if (h[0] === 0x1f && h[1] === 0x8b) return true;
  return h.length >= 262 && h.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Opens a SOURCE argument, told apart by its form:
 * - `docker://[unix:///sock|tcp://127.0.0.1:N]`: a live daemon, read with GET requests only;
 * - a folder with `image/<driver>/imagedb`: a Docker data root, read offline;
 * - a folder with `oci-layout`: an OCI image layout;
 * - a folder of *.json registry documents (manifests, indexes);
 * - `registry://127.0.0.1:PORT[/REPO[:TAG]]`: a live loopback registry (GET and HEAD only);
 * - a tar or tar.gz file: a `docker save` archive or an OCI archive;
 * - any other file: a layerlab snapshot.
 */
export async function loadSource(arg: string, opts: LoadOptions = {}): Promise<Snapshot> {
  if (arg.startsWith('docker://')) {
    const { graph, version } = await loadEngine(new EngineClient(engineEndpointFromSource(arg)));
    return { graph, meta: { source: arg, engine: `${version.Version} (API ${version.ApiVersion})` } };
  }
  if (arg.startsWith('registry://')) {
    const r = await readRegistry(new RegistryClient(parseRegistrySource(arg)), opts.platform, arg);
    return { graph: r.graph, meta: r.meta };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
    throw new LayerlabError('EINPUT', `sources of the form ${arg.split('://')[0]}:// are not supported yet; give a snapshot file, an archive, an OCI layout, a data root or docker://`, { file: arg });
  }
  let st;
  try {
    st = statSync(arg);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { file: arg });
  }
  if (st.isDirectory()) {
    if (isDockerRoot(arg)) {
      const root = readDockerRoot(arg);
      return { graph: root.graph, meta: { source: arg, driver: root.driver, containersWithoutSize: root.containersWithoutSize } };
    }
    if (existsSync(join(arg, 'oci-layout'))) return { graph: await readOciLayout(arg, opts.platform), meta: { source: arg } };
    if (readdirSync(arg).some((f) => f.endsWith('.json'))) {
      const r = readRegistryFolder(arg, opts.platform);
      return { graph: r.graph, meta: r.meta };
    }
    throw new LayerlabError('EINPUT', 'is a directory but neither a Docker data root (image/<driver>/imagedb), an OCI layout (oci-layout), nor a folder of registry documents (*.json)', { file: arg });
  }
  try {
    if (looksLikeArchive(arg)) return { graph: await readImageArchive(arg, opts.platform), meta: { source: arg } };
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    throw new LayerlabError('EIO', `cannot read source: ${(e as Error).message}`, { file: arg });
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as Error).message}`, { file: arg });
  }
  return parseSnapshot(text, arg);
}
