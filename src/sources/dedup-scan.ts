// `dedup --level`: reads each distinct layer of the images once, every row's visitors on the same
// pass, and assembles the ladder (analyze/dedup-content.ts).
import { performance } from 'node:perf_hooks';
import { listedImages } from '../analyze/df.js';
import { dedupRow, UnitTally, type ChunkMode, type ContentDedup, type DedupLevel, type DedupRow } from '../analyze/dedup-content.js';
import type { Caveat } from '../model/caveat.js';
import type { ImageGraph } from '../model/graph.js';
import { LayerlabError } from '../errors.js';
import { DedupRows, loadZstd, tarSizeVisitor } from './dedup-visitors.js';
import type { LoadedSources } from './load.js';
import type { BlobProvider } from './source.js';
import { scanLayer, type LayerStreamFacts, type LayerVisitor } from './tar.js';

/** What `dedup --level` measures. */
export interface ContentDedupOptions {
  levels: readonly DedupLevel[];
  /** Chunker specs for the chunk level. */
  algos: readonly string[];
  modes: readonly ChunkMode[];
  /** Compress each unique chunk with gzip and zstd to report the stored size after compression. */
  compress: boolean;
}

/** One distinct layer content: the graph layers that carry it, the images referencing them, where to read it. */
interface DistinctLayer {
  key: string;
  layers: number[];
  refs: number;
  blobs?: BlobProvider;
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
  const byKey = new Map<string, DistinctLayer>();
  for (let l = 0; l < graph.layerCount; l++) {
    if (!refCount[l]) continue;
    const key = graph.layerDigest[l] ?? graph.layerDiffId[l] ?? `layer#${l}`;
    let d = byKey.get(key);
    if (!d) byKey.set(key, (d = { key, layers: [], refs: 0 }));
    d.layers.push(l);
    d.refs += refCount[l];
    if (!d.blobs) d.blobs = loaded.sources.find((s) => s.blobs?.has(key))?.blobs;
  }
  return { list: [...byKey.values()], refs, images };
}

/** The layer rows from the graph alone (no layer read): blob sizes, and Docker's layer sizes for diffIDs. */
function graphLayerRows(graph: ImageGraph, list: DistinctLayer[]): DedupRow[] {
  const blob = { logical: new UnitTally(), stored: new UnitTally() };
  const diff = { logical: new UnitTally(), stored: new UnitTally() };
  const seenDiff = new Set<string>();
  for (const d of list) {
    const l = d.layers[0];
    const c = graph.layerCompressed[l];
    if (!Number.isNaN(c) && graph.layerDigest[l]) {
      blob.logical.add(c, d.refs);
      blob.stored.add(c);
    }
    const s = graph.layerSize[l];
    if (Number.isNaN(s)) continue;
    diff.logical.add(s, d.refs);
    const id = graph.layerDiffId[l] ?? d.key;
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
function scannedLayerRows(read: { d: DistinctLayer; facts: LayerStreamFacts; tarBytes: number }[]): DedupRow[] {
  const rows: DedupRow[] = [];
  for (const [key, basis, size, id] of [
    ['blob', 'blob', (r: (typeof read)[0]) => r.facts.blobSize, (r: (typeof read)[0]) => r.facts.blobDigest],
    ['diffID', 'tar', (r: (typeof read)[0]) => r.tarBytes, (r: (typeof read)[0]) => r.facts.diffId],
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

  const readable = list.filter((d) => d.blobs);
  if (readable.length === 0 && list.length > 0) {
    throw new LayerlabError('EINPUT', `file and chunk dedup read layer bytes, and no layer of these images can be read from ${loaded.sources.map((s) => s.source).join(', ')} (a snapshot, engine or data root holds sizes only: use a docker save archive, an OCI layout or archive, or registry://)`);
  }
  if (readable.length < list.length) caveats.push({ code: 'layers-not-read', params: { layers: list.length - readable.length, of: list.length } });
  if (opts.compress) await loadZstd();
  const content = new DedupRows({ file: opts.levels.includes('file'), algos: opts.levels.includes('chunk') ? opts.algos : [], modes: opts.modes, compress: opts.compress });
  const read: { d: DistinctLayer; facts: LayerStreamFacts; tarBytes: number }[] = [];
  const started = performance.now();
  for (const d of readable) {
    const tar = tarSizeVisitor();
    const visitors: LayerVisitor[] = [tar, ...content.visitors(d.refs)];
    const facts = await scanLayer(await d.blobs!.open(d.key), visitors, { path: d.key });
    read.push({ d, facts, tarBytes: tar.bytes });
  }
  const scanSeconds = (performance.now() - started) / 1000;
  const rows = [...scannedLayerRows(read), ...content.rows()];
  return { ...base, layersRead: read.length, scanSeconds, rows, caveats };
}
