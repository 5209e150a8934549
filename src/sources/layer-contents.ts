// The contents of a source's layers, each distinct layer read once through the source's blobs:
// the one place commands (files, waste, dedup) go from "a layer is a digest" to "a layer is files".
import type { Readable } from 'node:stream';
import { LayerlabError } from '../errors.js';
import type { LayerFiles } from '../model/files.js';
import { FileIndexVisitor } from './file-index.js';
import type { BlobProvider, LoadedSource } from './source.js';
import { scanLayer, sizeVisitor, type LayerStreamFacts, type LayerVisitor } from './tar.js';

/** One distinct layer of a source's graph, as {@link scanSourceLayers} hands it out. */
export interface SourceLayer {
  /** Index of the layer in `source.graph` (`graph.layerDiffId[index]`, the stacks' layer numbers). */
  index: number;
  /** Blob digest (compressed, as a manifest names it) when the source knows it. */
  digest?: string;
  /** sha256 of the uncompressed tar, when the source knows it. */
  diffId?: string;
}

/** Progress after each layer: `done` of `total` layers read, the layer just read and what its read found. */
export interface LayerScanProgress {
  done: number;
  total: number;
  layer: SourceLayer;
  facts: LayerStreamFacts;
}

/** Options of {@link scanSourceLayers}. */
export interface ScanSourceLayersOptions {
  /** Called after each layer has been read, in scan order. */
  onProgress?: (p: LayerScanProgress) => void;
  /** Graph layer indexes to read (default: every layer some image of the graph stacks); duplicates are read once. */
  layers?: Iterable<number>;
}

/**
 * Reads every distinct layer of `source` once, in ascending graph layer index order, streaming each
 * blob through {@link scanLayer} (gzip, zstd or plain tar, told by magic bytes; never a whole layer
 * in memory) and handing its entries to the visitors `makeVisitors` returns for that layer. The
 * visitors are created just before the layer is read and see `entry`/`data` calls for it alone,
 * then one `end(facts)`; keep what they collect keyed by `layer.index` (or `layer.diffId`). Layers
 * run one after another, so a visitor may assume no other layer's calls interleave with its own.
 *
 * The blob is opened by its digest, or by its diffID where the source stores layers uncompressed
 * (`docker save`); the BlobProvider checks the stored bytes against the digest, and the diffID the
 * read computes is checked against the one the source declared. Returns each read layer's facts by
 * graph layer index.
 *
 * Throws a LayerlabError naming the source when it holds no layer bytes (a snapshot, a folder of
 * registry documents, `docker://`) or when a layer's bytes are missing from it; errors inside a
 * layer (corrupt tar, escaping entries, a visitor's refusal) name the source and the layer.
 */
export async function scanSourceLayers(
  source: LoadedSource,
  makeVisitors: (layer: SourceLayer) => LayerVisitor[],
  opts: ScanSourceLayersOptions = {},
): Promise<Map<number, LayerStreamFacts>> {
  const wanted = layersToRead(source, opts.layers);
  const out = new Map<number, LayerStreamFacts>();
  if (wanted.length === 0) return out;
  const open = layerOpener(source);
  for (const index of wanted) {
    const layer = sourceLayer(source, index);
    const where = { file: source.source, path: layerName(layer) };
    const facts = await scanLayer(await open(layer), makeVisitors(layer), where);
    if (layer.diffId && facts.diffId !== layer.diffId) {
      throw new LayerlabError('EDIGEST', `layer tar hashes to ${facts.diffId}, but the source declares diffID ${layer.diffId}`, where);
    }
    out.set(index, facts);
    opts.onProgress?.({ done: out.size, total: wanted.length, layer, facts });
  }
  return out;
}

/** The layer of graph index `index` with the digests the source knows for it. */
export function sourceLayer(source: LoadedSource, index: number): SourceLayer {
  const digest = source.graph.layerDigest[index];
  const diffId = source.graph.layerDiffId[index];
  return { index, ...(digest ? { digest } : {}), ...(diffId ? { diffId } : {}) };
}

function layerName(l: SourceLayer): string {
  return `layer ${l.index} (${l.digest ?? l.diffId ?? 'no digest'})`;
}

function layersToRead(source: LoadedSource, layers: Iterable<number> | undefined): number[] {
  const g = source.graph;
  const set = new Set<number>();
  if (layers) {
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l >= g.layerDiffId.length) throw new LayerlabError('EINPUT', `layer index ${l} is not a layer of this source`, { file: source.source });
      set.add(l);
    }
  } else for (const l of g.stackLayer) set.add(l);
  return [...set].sort((a, b) => a - b);
}

const NO_BYTES: Partial<Record<LoadedSource['kind'], string>> = {
  snapshot: 'a layerlab snapshot records layer sizes and digests, not layer contents',
  'registry-folder': 'a folder of registry documents holds manifests and indexes, not layer blobs',
  engine: 'docker:// is read through the Engine API, which layerlab asks for image lists only; `docker save` the images and give the archive',
};

/** The blob of `l` in `blobs`: by digest, by diffID (uncompressed stores), or the blob the source found uncompressing to that diffID. */
function blobIdOf(blobs: BlobProvider, l: SourceLayer): string | undefined {
  const id = [l.digest, l.diffId].find((d) => d !== undefined && blobs.has(d));
  if (id !== undefined || !l.diffId) return id;
  const blob = blobs.blobOfDiffId?.(l.diffId);
  return blob !== undefined && blobs.has(blob) ? blob : undefined;
}

/** True when {@link scanSourceLayers} can read graph layer `index` of `source` (its bytes are there). */
export function canReadLayer(source: LoadedSource, index: number): boolean {
  if (!source.blobs || NO_BYTES[source.kind]) return false;
  return blobIdOf(source.blobs, sourceLayer(source, index)) !== undefined;
}

/** How to open a layer's uncompressed-or-compressed tar in this source. */
function layerOpener(source: LoadedSource): (l: SourceLayer) => Promise<Readable> {
  const blobs = source.blobs;
  const why = NO_BYTES[source.kind];
  if (!blobs || why) {
    throw new LayerlabError('EINPUT', `holds no layer contents: ${why ?? `a ${source.kind} source without readable blobs`}`, { file: source.source });
  }
  return async (l) => {
    const id = blobIdOf(blobs, l);
    // A data root knows why a layer it lists cannot be read: let it say so.
    if (id === undefined && source.kind === 'data-root' && l.diffId) return blobs.open(l.diffId);
    if (id === undefined) {
      throw new LayerlabError('EINPUT', `the bytes of ${layerName(l)} are not in this source`, { file: source.source });
    }
    return blobs.open(id);
  };
}

/** A layer's file index and what dive takes as its size, from one read. */
export interface IndexedLayer {
  files: LayerFiles;
  /** Σ of the tar entries' sizes (a hard link counts 0): Docker's layer size, dive's too. */
  size: number;
  facts: LayerStreamFacts;
}

/**
 * The file index ({@link FileIndexVisitor}) and size of each wanted layer of `source`, by graph
 * layer index: {@link scanSourceLayers} with those two visitors.
 */
export async function indexSourceLayers(source: LoadedSource, opts: ScanSourceLayersOptions = {}): Promise<Map<number, IndexedLayer>> {
  const pending = new Map<number, { index: FileIndexVisitor; size: ReturnType<typeof sizeVisitor> }>();
  const facts = await scanSourceLayers(
    source,
    (layer) => {
      const v = { index: new FileIndexVisitor({ file: source.source, path: layerName(layer) }), size: sizeVisitor() };
      pending.set(layer.index, v);
      return [v.index, v.size];
    },
    opts,
  );
  const out = new Map<number, IndexedLayer>();
  for (const [i, v] of pending) out.set(i, { files: v.index.files(), size: v.size.size, facts: facts.get(i)! });
  return out;
}
