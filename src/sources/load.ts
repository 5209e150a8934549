import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { LayerlabError, quote } from '../errors.js';
import { mergeGraphs } from '../model/merge.js';
import type { ImageGraph } from '../model/graph.js';
import { statOrFail } from './bounded.js';
import type { LoadedSource, LoadOptions, RegistryImage, SourceKind, SourceNote, SourceProbe, SourceReader } from './source.js';
import { compressionOf, isColumnarFile, isColumnarFolder, isDockerRoot, isRegistryFolder, isRegistryUrl, isTarHeader } from './sniff.js';

// Every reader's module is imported inside its load(), never here: claims() only needs sniff.ts, and
// `df docker://` must not pay for tar-stream, fzstd, the registry client or the columnar readers (issue 12).

export type { LoadOptions } from './source.js';

/** `docker://[unix:///sock|tcp://127.0.0.1:N]`: a live daemon, read with GET requests only. */
export const engineReader: SourceReader = {
  kind: 'engine',
  claims: (arg) => arg.startsWith('docker://'),
  async load(arg) {
    const early = (await import('./engine-early.js')).takeEngineRead(arg);
    const { EngineClient, engineEndpointFromSource, loadEngine } = await import('./engine-api.js');
    const { graph, version } = await (early ?? loadEngine(new EngineClient(engineEndpointFromSource(arg))));
    return { source: arg, kind: 'engine', graph, notes: [], meta: { source: arg, engine: `${version.Version} (API ${version.ApiVersion})` } };
  },
};

/** A folder with `image/<driver>/imagedb`: a Docker data root, read offline. */
export const dataRootReader: SourceReader = {
  kind: 'data-root',
  claims: (arg, p) => p.type === 'directory' && p.entries.includes('image') && isDockerRoot(arg),
  async load(arg) {
    const { readDockerRoot } = await import('./docker-root.js');
    const root = readDockerRoot(arg);
    const notes: SourceNote[] = [
      {
        code: 'data-root-no-layer-blobs',
        params: { driver: root.driver },
        message: `a data root holds layers as unpacked trees (${root.driver}), not as compressed blobs: layer tars are put back together from tar-split (vfs, overlay2), compressed blob sizes are not known`,
      },
    ];
    if (root.containersWithoutSize > 0) {
      notes.push({
        code: 'containers-without-size',
        params: { containers: root.containersWithoutSize },
        message: `${root.containersWithoutSize} container writable layer size(s) cannot be known offline`,
      });
    }
    return {
      source: arg,
      kind: 'data-root',
      graph: root.graph,
      distribution: root.distribution,
      blobs: root.blobs,
      configSizes: root.configSizes,
      notes,
      meta: { source: arg, driver: root.driver, containersWithoutSize: root.containersWithoutSize },
    };
  },
};

/** A folder with `oci-layout`: an OCI image layout. */
export const ociLayoutReader: SourceReader = {
  kind: 'oci-layout',
  claims: (_arg, p) => p.type === 'directory' && p.entries.includes('oci-layout'),
  async load(arg, opts) {
    const { readOciLayoutSource } = await import('./oci-layout.js');
    const r = await readOciLayoutSource(arg, opts.platform);
    return { source: arg, kind: 'oci-layout', graph: r.graph, registryImages: r.registryImages, blobs: r.blobs, notes: [], meta: { source: arg } };
  },
};

/** A folder shaped like an OCI layout (index.json, blobs/) without its `oci-layout` file: refused, not guessed. */
const layoutWithoutMarkerReader: SourceReader = {
  kind: 'oci-layout',
  claims: (_arg, p) => p.type === 'directory' && p.entries.includes('index.json') && p.entries.includes('blobs') && !p.entries.includes('oci-layout'),
  load(arg) {
    throw new LayerlabError(
      'EINPUT',
      'is not an OCI layout: it has index.json and blobs/ but no oci-layout file (an OCI layout needs {"imageLayoutVersion": "1.0.0"} in oci-layout), and it is not a folder of registry documents either',
      { file: arg },
    );
  },
};


const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz)$/i;

/** A file that starts with gzip's magic or a tar header: a `docker save` archive or an OCI archive. */
export const archiveReader: SourceReader = {
  kind: 'docker-archive',
  claims: (_arg, p) => p.type === 'file' && (compressionOf(p.head) === 'gzip' || isTarHeader(p.head)),
  async load(arg, opts) {
    const { readImageArchiveSource } = await import('./image-archive.js');
    const r = await readImageArchiveSource(arg, opts.platform);
    return { source: arg, kind: r.kind, graph: r.graph, ...(r.registryImages ? { registryImages: r.registryImages } : {}), blobs: r.blobs, notes: [], meta: { source: arg } };
  },
};

/** A file named like an archive that does not start like one: said so, not parsed as JSON. */
const notAnArchiveReader: SourceReader = {
  kind: 'docker-archive',
  claims: (arg, p) => p.type === 'file' && ARCHIVE_NAME.test(arg),
  load(arg) {
    const head = probe(arg).head;
    const why = head.length === 0 ? 'the file is empty' : head.length < 512 ? `the file has only ${head.length} bytes, less than one tar header (truncated?)` : compressionOf(head) === 'zstd' ? 'it is zstd-compressed, which is not supported yet' : 'its first 512 bytes are not a tar header and it is not gzip';
    throw new LayerlabError('EINPUT', `is named like an archive but is not a tar or tar.gz file: ${why}`, { file: arg });
  },
};

/** Any other file, a pipe or fifo, or `-`: a layerlab snapshot (JSON), read bounded. */
export const snapshotReader: SourceReader = {
  kind: 'snapshot',
  claims: (_arg, p) => p.type === 'file' || p.type === 'other',
  async load(arg, opts) {
    const { readSnapshotFile } = await import('./snapshot.js');
    const s = await readSnapshotFile(arg, opts.stdin);
    return { source: arg, kind: 'snapshot', graph: s.graph, notes: [], meta: s.meta };
  },
};

/** `registry://127.0.0.1:PORT[/REPO[:TAG]]`: registry.ts's reader, imported when it loads. */
const registryReader: SourceReader = {
  kind: 'registry',
  claims: (arg) => isRegistryUrl(arg),
  load: async (arg, opts) => (await import('./registry.js')).registryReader.load(arg, opts),
};

/** A folder of *.json registry documents: registry.ts's folder reader, imported when it loads. */
const registryFolderReader: SourceReader = {
  kind: 'registry-folder',
  claims: (_arg, p) => isRegistryFolder(p),
  load: async (arg, opts) => (await import('./registry.js')).registryFolderReader.load(arg, opts),
};

/** A columnar export folder: columnar.ts's reader, imported when it loads. */
const columnarReader: SourceReader = {
  kind: 'columnar',
  claims: (_arg, p) => isColumnarFolder(p),
  load: async (arg, opts) => (await import('./columnar.js')).columnarReader.load(arg, opts),
};

/** A lone Arrow or Parquet file: columnar.ts's refusal, imported when it loads. */
const columnarFileReader: SourceReader = {
  kind: 'columnar',
  claims: (_arg, p) => isColumnarFile(p),
  load: async (arg, opts) => (await import('./columnar.js')).columnarFileReader.load(arg, opts),
};

/** The readers, asked in this order; the first that claims an argument loads it. */
export const SOURCE_READERS: readonly SourceReader[] = [
  engineReader,
  registryReader,
  columnarReader,
  dataRootReader,
  ociLayoutReader,
  layoutWithoutMarkerReader,
  registryFolderReader,
  archiveReader,
  notAnArchiveReader,
  columnarFileReader,
  snapshotReader,
];

function head(file: string, n: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What load.ts knows about an argument before asking readers (a stat, a directory listing, the first 512 bytes). */
export function probe(arg: string): SourceProbe {
  const none = { head: Buffer.alloc(0), entries: [] as string[] };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) return { type: 'url', ...none };
  if (arg === '-') return { type: 'other', ...none };
  let st;
  try {
    st = statOrFail(arg);
  } catch (e) {
    const m = (e as LayerlabError).message.replace(/^cannot read: /, '');
    throw new LayerlabError('EIO', `cannot read source: ${m}`, { file: arg });
  }
  if (st.isDirectory()) {
    try {
      return { type: 'directory', head: none.head, entries: readdirSync(arg) };
    } catch (e) {
      throw new LayerlabError('EIO', `cannot list source folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: arg });
    }
  }
  if (st.isFile()) return { type: 'file', head: head(arg, 512), entries: [] };
  return { type: 'other', ...none };
}

/**
 * Opens a SOURCE argument: the first of {@link SOURCE_READERS} that claims it loads it.
 * - `docker://[unix:///sock|tcp://127.0.0.1:N]`: a live daemon, read with GET requests only;
 * - `registry://127.0.0.1:PORT[/REPO[:TAG]]`: a live loopback registry (GET and HEAD only);
 * - a folder with `image/<driver>/imagedb`: a Docker data root, read offline;
 * - a folder with `oci-layout`: an OCI image layout;
 * - a folder of *.json registry documents (manifests, indexes);
 * - a file starting with a tar header or gzip: a `docker save` archive or an OCI archive;
 * - any other file, a pipe, or `-` (standard input): a layerlab snapshot.
 */
export async function loadSource(arg: string, opts: LoadOptions = {}): Promise<LoadedSource> {
  const p = probe(arg);
  const reader = SOURCE_READERS.find((r) => r.claims(arg, p));
  if (reader) return reader.load(arg, opts);
  if (p.type === 'url') {
    throw new LayerlabError('EINPUT', `sources of the form ${quote(arg.split('://')[0], 20)}:// are not supported yet; give a snapshot file, an archive, an OCI layout, a data root, docker:// or registry://`, { file: arg });
  }
  if (p.type === 'directory') {
    throw new LayerlabError('EINPUT', 'is a directory but neither a Docker data root (image/<driver>/imagedb), an OCI layout (oci-layout), nor a folder of registry documents (*.json)', { file: arg });
  }
  throw new LayerlabError('EINPUT', `is ${p.type === 'other' ? 'not a regular file' : 'of no kind layerlab reads'}`, { file: arg });
}

/** Everything loading several SOURCEs gives: the merged graph, each source as loaded, and every note. */
export interface LoadedSources {
  graph: ImageGraph;
  sources: LoadedSource[];
  /** Each source's notes, in source order, with the source they came from. */
  notes: (SourceNote & { source: string })[];
}

/** Loads every SOURCE and merges them into one graph (one SOURCE's graph is returned as it is). */
export async function loadSources(args: readonly string[], opts: LoadOptions = {}): Promise<LoadedSources> {
  const sources: LoadedSource[] = [];
  for (const a of args) sources.push(await loadSource(a, opts));
  return {
    graph: mergeGraphs(
      sources.map((s) => s.graph),
      args,
    ),
    sources,
    notes: sources.flatMap((s) => s.notes.map((n) => ({ ...n, source: s.source }))),
  };
}



/** Source kinds that hold images as a registry serves them (manifests, configs, blobs). */
const REGISTRY_SHAPED: readonly SourceKind[] = ['registry', 'registry-folder', 'oci-layout', 'oci-archive'];

/**
 * Reads a registry-shaped SOURCE for `registry`, `pull --from` and `push --registry`:
 * registry://, an OCI layout or OCI archive, or a folder of registry documents.
 */
export async function loadRegistrySource(source: string, opts: LoadOptions = {}): Promise<LoadedSource & { registryImages: RegistryImage[] }> {
  const p = probe(source);
  if (p.type === 'url' && !registryReader.claims(source, p)) {
    throw new LayerlabError('EUSAGE', `not a registry source: expected registry://127.0.0.1:PORT[/REPO[:TAG]], an OCI layout folder, or a folder of registry documents, got ${quote(source)}`);
  }
  if (p.type === 'other' || (p.type === 'file' && compressionOf(p.head) !== 'gzip' && !isTarHeader(p.head))) {
    throw new LayerlabError('EINPUT', 'not a registry source: expected registry://127.0.0.1:PORT[/REPO[:TAG]], an OCI layout folder or OCI archive, or a folder of registry documents', { file: source });
  }
  const loaded = await loadSource(source, opts);
  if (!REGISTRY_SHAPED.includes(loaded.kind) || !loaded.registryImages) {
    throw new LayerlabError('EINPUT', `not a registry source (it is a ${loaded.kind.replace('-', ' ')}): expected registry://127.0.0.1:PORT[/REPO[:TAG]], an OCI layout or archive, or a folder of registry documents`, { file: source });
  }
  return loaded as LoadedSource & { registryImages: RegistryImage[] };
}
