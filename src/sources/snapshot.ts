import type { Readable } from 'node:stream';
import { LayerlabError } from '../errors.js';
import { readBounded, SNAPSHOT_LIMIT } from './bounded.js';
import { parseJsonStrict } from './json-strict.js';
import type { ImageGraph } from '../model/graph.js';
import type { ImageMeta, LayerRecord } from '../model/types.js';
import { CONTAINER_KEYS, SNAPSHOT_KIND, SNAPSHOT_VERSION, snapshotFromJson } from './snapshot-loader.js';
import { readSnapshotStream } from './snapshot-stream.js';

export { SNAPSHOT_KIND, SNAPSHOT_VERSION, snapshotFromJson } from './snapshot-loader.js';

/** A loaded snapshot: the graph plus its free-form `meta`. */
export interface Snapshot {
  graph: ImageGraph;
  meta: Record<string, unknown>;
}
export { readSnapshotStream, RECORD_LIMIT } from './snapshot-stream.js';

/** Parses and strictly validates snapshot text (duplicate keys refused). `file` is used only in error messages. */
export function parseSnapshot(text: string, file?: string): Snapshot {
  return snapshotFromJson(parseJsonStrict(text, file), file);
}

/**
 * Reads a snapshot from a file, a pipe or fifo, or `-` (standard input), one record at a time:
 * no size limit on the whole, {@link RECORD_LIMIT} bytes per record, errors with their line.
 */
export async function readSnapshotFile(file: string, stdin?: Readable): Promise<Snapshot> {
  return readSnapshotStream(file, stdin);
}

/** The old whole-document read (at most {@link SNAPSHOT_LIMIT} bytes), kept to check the streamed one against. */
export async function readSnapshotWhole(file: string): Promise<Snapshot> {
  const bytes = await readBounded(file, SNAPSHOT_LIMIT, 'snapshot');
  if (bytes.length === 0) throw new LayerlabError('EINPUT', 'empty file: expected a layerlab snapshot (JSON), a docker save / OCI archive, a folder or docker://', { file });
  return parseSnapshot(bytes.toString('utf8'), file);
}

/** How image stacks refer to layers in a written snapshot. */
export type LayerRefStyle = 'digest' | 'index';

/** The snapshot document of a graph. `index` refs make huge snapshots about 1.8x smaller. */
export function snapshotToJson(graph: ImageGraph, meta: Record<string, unknown> = {}, refs: LayerRefStyle = 'digest'): object {
  const layers = Array.from({ length: graph.layerCount }, (_, l) => layerRecord(graph, l));
  const images = graph.images.map((_, i) => imageRecord(graph, i, refs));
  const containers = graph.containers.map((_, k) => containerRecord(graph, k));
  const doc: Record<string, unknown> = { kind: SNAPSHOT_KIND, version: SNAPSHOT_VERSION };
  if (Object.keys(meta).length) doc.meta = meta;
  doc.layers = layers;
  doc.images = images;
  doc.containers = containers;
  return doc;
}

/** Snapshot text: one image, layer or container per line, so diffs of snapshots stay readable. */
export function serializeSnapshot(graph: ImageGraph, meta: Record<string, unknown> = {}, refs: LayerRefStyle = 'digest'): string {
  return Array.from(snapshotChunks(graph, meta, refs)).join('');
}

/** One layer's record, as both the document and the line-per-record text write it. */
function layerRecord(graph: ImageGraph, l: number): Record<string, unknown> {
  const size = graph.layerSize[l];
  const compressedSize = graph.layerCompressed[l];
  return layerRecordOf({
    diffId: graph.layerDiffId[l],
    size: Number.isNaN(size) ? undefined : size,
    digest: graph.layerDigest[l],
    compressedSize: Number.isNaN(compressedSize) ? undefined : compressedSize,
    mediaType: graph.layerMediaType[l],
  });
}

/** A layer's snapshot record from its fields (absent ones left out), for writers without a graph. */
export function layerRecordOf(l: LayerRecord): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (l.diffId !== undefined) o.diffId = l.diffId;
  if (l.size !== undefined) o.size = l.size;
  if (l.digest !== undefined) o.digest = l.digest;
  if (l.compressedSize !== undefined) o.compressedSize = l.compressedSize;
  if (l.mediaType !== undefined) o.mediaType = l.mediaType;
  return o;
}

function layerLine(graph: ImageGraph, l: number): string {
  return JSON.stringify(layerRecord(graph, l));
}

/** One image's record, as both the document and the line-per-record text write it. */
function imageRecord(graph: ImageGraph, i: number, refs: LayerRefStyle): Record<string, unknown> {
  return imageRecordOf(graph.images[i], Array.from(graph.stackOf(i), (l) => (refs === 'index' ? l : graph.layerKey(l))));
}

/** An image's snapshot record from its metadata and its stack (layer keys or indices), for writers without a graph. */
export function imageRecordOf(m: ImageMeta, stack: readonly (string | number)[]): Record<string, unknown> {
  const o: Record<string, unknown> = { id: m.id, layers: stack };
  if (m.repoTags?.length) o.repoTags = m.repoTags;
  if (m.repoDigests?.length) o.repoDigests = m.repoDigests;
  if (m.created !== undefined) o.created = m.created;
  if (m.platform !== undefined) o.platform = m.platform;
  if (m.parent !== undefined) o.parent = m.parent;
  return o;
}

function imageLine(graph: ImageGraph, i: number, refs: LayerRefStyle): string {
  return JSON.stringify(imageRecord(graph, i, refs));
}

function containerRecord(graph: ImageGraph, k: number): Record<string, unknown> {
  const c = graph.containers[k];
  const o: Record<string, unknown> = {};
  for (const key of CONTAINER_KEYS) if (c[key] !== undefined) o[key] = c[key];
  return o;
}

function containerLine(graph: ImageGraph, k: number): string {
  return JSON.stringify(containerRecord(graph, k));
}

/**
 * The text of {@link serializeSnapshot} in pieces of about `chunkChars` characters (a piece is
 * whole lines), so a snapshot of any size is written without ever being one string.
 */
export function snapshotChunks(graph: ImageGraph, meta: Record<string, unknown> = {}, refs: LayerRefStyle = 'digest', chunkChars = 1 << 20): Generator<string> {
  return snapshotPieces(
    meta,
    {
      layers: lines(graph.layerCount, (l) => layerLine(graph, l)),
      images: lines(graph.imageCount, (i) => imageLine(graph, i, refs)),
      containers: lines(graph.containers.length, (k) => containerLine(graph, k)),
    },
    chunkChars,
  );
}

function* lines(n: number, line: (i: number) => string): Generator<string> {
  for (let i = 0; i < n; i++) yield line(i);
}

/**
 * Snapshot text around records given one JSON line each, section by section, in pieces of
 * whole lines of about `chunkChars` characters: what {@link snapshotChunks} writes for a graph,
 * for writers that make the records as they go (each section is read once, in order).
 */
export function* snapshotPieces(meta: Record<string, unknown>, sections: { layers: Iterable<string>; images: Iterable<string>; containers: Iterable<string> }, chunkChars = 1 << 20): Generator<string> {
  let buf: string[] = [];
  let size = 0;
  /** Adds a line; true when the piece is full. */
  const add = (line: string): boolean => {
    buf.push(line);
    size += line.length + 1;
    return size >= chunkChars;
  };
  const flush = (): string => {
    const text = buf.join('\n') + '\n';
    buf = [];
    size = 0;
    return text;
  };
  if (add('{')) yield flush();
  if (add(`  ${JSON.stringify('kind')}: ${JSON.stringify(SNAPSHOT_KIND)},`)) yield flush();
  if (add(`  ${JSON.stringify('version')}: ${SNAPSHOT_VERSION},`)) yield flush();
  if (Object.keys(meta).length) if (add(`  ${JSON.stringify('meta')}: ${JSON.stringify(meta)},`)) yield flush();
  const keys = ['layers', 'images', 'containers'] as const;
  for (const key of keys) {
    const last = key === 'containers' ? '' : ',';
    // One record held back: only the section's last line goes without a comma.
    let held: string | undefined;
    for (const record of sections[key]) {
      if (held === undefined) {
        if (add(`  ${JSON.stringify(key)}: [`)) yield flush();
      } else if (add(`    ${held},`)) yield flush();
      held = record;
    }
    if (held === undefined) {
      if (add(`  ${JSON.stringify(key)}: []${last}`)) yield flush();
      continue;
    }
    if (add(`    ${held}`)) yield flush();
    if (add(`  ]${last}`)) yield flush();
  }
  if (add('}')) yield flush();
  if (buf.length) yield flush();
}
