// `dedup --level`: reads each distinct layer of the images once, every row's visitors on the same
// pass, and assembles the ladder (analyze/dedup-content.ts).
import { performance } from 'node:perf_hooks';
import { listedImages } from '../analyze/df.js';
import { dedupRow, UnitTally, type ChunkMode, type ContentDedup, type DedupLevel, type DedupRow } from '../analyze/dedup-content.js';
import type { Caveat } from '../model/caveat.js';
import type { ImageGraph } from '../model/graph.js';
import { LayerlabError } from '../errors.js';
import { DedupRows, loadZstd, tarSizeVisitor } from './dedup-visitors.js';
import { canReadLayer, scanSourceLayers } from './layer-contents.js';
import type { LoadedSources } from './load.js';
import type { LoadedSource } from './source.js';
import type { LayerStreamFacts } from './tar.js';

/** What `dedup --level` measures. */
export interface ContentDedupOptions {
  levels: readonly DedupLevel[];
  /** Chunker specs for the chunk level. */
  algos: readonly string[];
  modes: readonly ChunkMode[];
  /** Compress each unique chunk with gzip and zstd to report the stored size after compression. */
  compress: boolean;
}

/** One distinct layer of the merged graph (sources are merged by diffID), the images referencing it, and where to read it. */
interface DistinctLayer {
  layer: number;
  refs: number;
  /** The first source that holds its bytes, and the layer's index in that source's own graph. */
  at?: { source: LoadedSource; index: number };
}

function distinctLayers(loaded: LoadedSources): { list: DistinctLayer[]; refs: number; images: number } {
  const graph = loaded.graph;
  const listed = listedImages(graph);
  const refCount = new Float64Array(graph.layerCount);
  let refs = 0;
  let images = 0;
  for (let i = 0; i < graph.imageCount; i++) {
    if (!listed[i]) continue;
    images++;
    for (let p = graph.stackStart[i]; p < graph.stackStart[i + 1]; p++) {
      refCount[graph.stackLayer[p]]++;
      refs++;
    }
  }
  const finders = loaded.sources.map((s) => layerFinder(s));
  const list: DistinctLayer[] = [];
  for (let l = 0; l < graph.layerCount; l++) {
    if (!refCount[l]) continue;
    const d: DistinctLayer = { layer: l, refs: refCount[l] };
    // The blob the merged graph kept first, else any blob of the same diffID.
    for (const key of [graph.layerDigest[l], graph.layerDiffId[l]]) {
      for (let s = 0; s < finders.length && !d.at && key; s++) {
        const index = finders[s](key);
        if (index !== undefined) d.at = { source: loaded.sources[s], index };
      }
    }
    list.push(d);
  }
  return { list, refs, images };
}

/** A source's readable layers by blob digest and by diffID. */
function layerFinder(source: LoadedSource): (key: string) => number | undefined {
  const by = new Map<string, number>();
  const g = source.graph;
  for (let i = g.layerCount - 1; i >= 0; i--) {
    if (!canReadLayer(source, i)) continue;
    for (const key of [g.layerDigest[i], g.layerDiffId[i]]) if (key) by.set(key, i);
  }
  return (key) => by.get(key);
}

/** The layer rows from the graph alone (no layer read): blob sizes, and Docker's layer sizes for diffIDs. */
function graphLayerRows(graph: ImageGraph, list: DistinctLayer[]): DedupRow[] {
  const blob = { logical: new UnitTally(), stored: new UnitTally() };
  const diff = { logical: new UnitTally(), stored: new UnitTally() };
  const seenDiff = new Set<string>();
  for (const d of list) {
    const l = d.layer;
    const c = graph.layerCompressed[l];
    if (!Number.isNaN(c) && graph.layerDigest[l]) {
      blob.logical.add(c, d.refs);
      blob.stored.add(c);
    }
    const s = graph.layerSize[l];
    if (Number.isNaN(s)) continue;
    diff.logical.add(s, d.refs);
    const id = graph.layerDiffId[l] ?? graph.layerDigest[l] ?? `layer#${l}`;
    if (!seenDiff.has(id)) {
      seenDiff.add(id);
      diff.stored.add(s);
    }
  }
  return [
    dedupRow({ level: 'layer', key: 'blob', basis: 'blob' }, blob.logical, { bytes: blob.stored.bytes, units: blob.stored.units, indexBytes: 0 }),
    dedupRow({ level: 'layer', key: 'diffID', basis: 'layer-size' }, diff.logical, { bytes: diff.stored.bytes, units: diff.stored.units, indexBytes: 0 }),
  ];
}

/** The layer rows from what the scan read: blob bytes and uncompressed tar bytes, by their digests. */
/** A layer as the scan read it. */
interface ReadLayer {
  d: DistinctLayer;
  facts: LayerStreamFacts;
  tarBytes: number;
}

function scannedLayerRows(read: ReadLayer[]): DedupRow[] {
  const rows: DedupRow[] = [];
  for (const [key, basis, size, id] of [
    ['blob', 'blob', (r: ReadLayer) => r.facts.blobSize, (r: ReadLayer) => r.facts.blobDigest],
    ['diffID', 'tar', (r: ReadLayer) => r.tarBytes, (r: ReadLayer) => r.facts.diffId],
  ] as const) {
    const logical = new UnitTally();
    const stored = new UnitTally();
    const seen = new Set<string>();
    for (const r of read) {
      logical.add(size(r), r.d.refs);
      if (seen.has(id(r))) continue;
      seen.add(id(r));
      stored.add(size(r));
    }
    rows.push(dedupRow({ level: 'layer', key, basis }, logical, { bytes: stored.bytes, units: stored.units, indexBytes: 0 }));
  }
  return rows;
}

/**
 * The dedup ladder of the images Docker lists in `loaded`: layer rows always, file and chunk rows
 * when asked, each distinct layer read once with every row's visitor on that one read.
 */
export async function contentDedup(loaded: LoadedSources, opts: ContentDedupOptions): Promise<ContentDedup> {
  const { list, refs, images } = distinctLayers(loaded);
  const caveats: Caveat[] = [];
  const wantsContent = opts.levels.includes('file') || opts.levels.includes('chunk');
  const base = { images, layerReferences: refs, distinctLayers: list.length };
  if (!wantsContent) return { ...base, layersRead: 0, scanSeconds: 0, rows: graphLayerRows(loaded.graph, list), caveats };

  const readable = list.filter((d) => d.at);
  if (readable.length === 0 && list.length > 0) {
    throw new LayerlabError('EINPUT', `file and chunk dedup read layer bytes, and no layer of these images can be read from ${loaded.sources.map((s) => s.source).join(', ')}: snapshots, folders of registry documents and docker:// hold sizes only, and a Docker data root's layers are read only where it keeps each layer's tar-split record and files (vfs, overlay2); use a docker save archive, an OCI layout or archive, or registry://`);
  }
  if (readable.length < list.length) caveats.push({ code: 'layers-not-read', params: { layers: list.length - readable.length, of: list.length } });
  if (opts.compress) await loadZstd();
  const content = new DedupRows({ file: opts.levels.includes('file'), algos: opts.levels.includes('chunk') ? opts.algos : [], modes: opts.modes, compress: opts.compress });
  const read: ReadLayer[] = [];
  const started = performance.now();
  for (const source of loaded.sources) {
    const here = new Map(readable.filter((d) => d.at!.source === source).map((d) => [d.at!.index, d]));
    if (here.size === 0) continue;
    const sizes = new Map<number, { d: DistinctLayer; tar: ReturnType<typeof tarSizeVisitor> }>();
    const facts = await scanSourceLayers(
      source,
      (layer) => {
        const d = here.get(layer.index)!;
        const tar = tarSizeVisitor();
        sizes.set(layer.index, { d, tar });
        return [tar, ...content.visitors(d.refs)];
      },
      { layers: here.keys() },
    );
    for (const [index, f] of facts) read.push({ d: sizes.get(index)!.d, facts: f, tarBytes: sizes.get(index)!.tar.bytes });
  }
  const scanSeconds = (performance.now() - started) / 1000;
  const rows = [...scannedLayerRows(read), ...content.rows()];
  return { ...base, layersRead: read.length, scanSeconds, rows, caveats };
}
