// The host side of pull (--into) and push (--from) as a LoadedSource: a data root says its
// distribution metadata, any other source does not (and the commands then infer it).
// Local until load.ts returns LoadedSource for every reader; then this is loadSource.
import { isDockerRoot, readDockerRoot } from '../sources/docker-root.js';
import { loadSource } from '../sources/load.js';
import type { LoadedSource, LoadOptions } from '../sources/source.js';

/** A host SOURCE, and the size of each image config when the source holds the configs. */
export async function loadHostSource(arg: string, opts: LoadOptions): Promise<{ source: LoadedSource; configSizes?: Map<string, number> }> {
  if (isDockerRoot(arg)) {
    const root = readDockerRoot(arg);
    return { source: { source: arg, kind: 'data-root', graph: root.graph, distribution: root.distribution, notes: [], meta: { source: arg, driver: root.driver } }, configSizes: root.configSizes };
  }
  const { graph, meta } = await loadSource(arg, opts);
  // The kind is approximate until loadSource says it; nothing here reads it.
  return { source: { source: arg, kind: arg.startsWith('docker://') ? 'engine' : 'snapshot', graph, notes: [], meta } };
}
