import { readFileSync, statSync } from 'node:fs';
import { LayerlabError } from '../errors.js';
import { parseSnapshot, type Snapshot } from './snapshot.js';
import { EngineClient, engineEndpointFromSource, loadEngine } from './engine-api.js';
import { isDockerRoot, readDockerRoot } from './docker-root.js';

/**
 * Opens a SOURCE argument: a layerlab snapshot file, a Docker data root folder (read offline), or
 * `docker://[unix:///sock|tcp://127.0.0.1:N]` (a live daemon, read with GET requests only). Later sources (OCI layouts,
 * archives, registries, data roots) are told apart here by the argument's form.
 */
export async function loadSource(arg: string): Promise<Snapshot> {
  if (arg.startsWith('docker://')) {
    const { graph, version } = await loadEngine(new EngineClient(engineEndpointFromSource(arg)));
    return { graph, meta: { source: arg, engine: `${version.Version} (API ${version.ApiVersion})` } };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
    throw new LayerlabError('EINPUT', `sources of the form ${arg.split('://')[0]}:// are not supported yet; give a snapshot file`, { file: arg });
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
    throw new LayerlabError('EINPUT', 'is a directory but not a Docker data root (no image/<driver>/imagedb); OCI layouts are not supported yet', { file: arg });
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as Error).message}`, { file: arg });
  }
  return parseSnapshot(text, arg);
}
