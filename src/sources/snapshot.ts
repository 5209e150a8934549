import type { Readable } from 'node:stream';
import { LayerlabError, quote } from '../errors.js';
import { readBounded, SNAPSHOT_LIMIT } from './bounded.js';
import { parseJsonStrict } from './json-strict.js';
import { digestProblem, type Digest } from '../model/digest.js';
import { findParentCycle, GraphBuilder, type ImageGraph } from '../model/graph.js';
import { normalizeRepoDigest, normalizeRepoTag } from '../model/reference.js';
import { CONTAINER_STATES, type ContainerRecord, type ContainerState, type ImageMeta } from '../model/types.js';

/** The `kind` every snapshot carries. */
export const SNAPSHOT_KIND = 'layerlab-snapshot';
/** The snapshot format version this build reads and writes. */
export const SNAPSHOT_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Validates as it walks; every error names the file and the JSON path of the bad field. */
class Checker {
  readonly file: string | undefined;
  constructor(file: string | undefined) {
    this.file = file;
  }

  fail(path: string, message: string, code: 'EINPUT' | 'EDIGEST' | 'EREF' | 'EVERSION' = 'EINPUT'): never {
    throw new LayerlabError(code, message, { file: this.file, path });
  }

  object(v: Json | undefined, path: string, allowed: readonly string[] | null): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `expected an object, got ${describe(v)}`);
    if (allowed) {
      for (const k in v) {
        if (!allowed.includes(k)) this.fail(/^[A-Za-z_$][A-Za-z0-9_$]{0,79}$/.test(k) ? `${path}.${k}` : `${path}[${quote(k, 40)}]`, `unknown field (expected one of: ${allowed.join(', ')})`);
      }
    }
    return v;
  }

  array(v: Json | undefined, path: string): Json[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${describe(v)}`);
    return v;
  }

  string(v: Json | undefined, path: string): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${describe(v)}`);
    return v;
  }

  digest(v: Json | undefined, path: string): Digest {
    const s = this.string(v, path);
    const problem = digestProblem(s);
    if (problem) this.fail(path, `${problem} (got ${quote(s)})`, 'EDIGEST');
    return s;
  }

  size(v: Json | undefined, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(path, `expected a size in bytes (a whole number >= 0), got ${describe(v)}`);
    return v;
  }

  optional<T>(o: Obj, key: string, path: string, read: (v: Json, p: string) => T): T | undefined {
    return o[key] === undefined ? undefined : read(o[key], `${path}.${key}`);
  }
}

function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return quote(v, 40);
  return String(v);
}

const TOP_KEYS = ['kind', 'version', 'meta', 'layers', 'images', 'containers'] as const;
const LAYER_KEYS = ['diffId', 'size', 'digest', 'compressedSize', 'mediaType'] as const;
const IMAGE_KEYS = ['id', 'layers', 'repoTags', 'repoDigests', 'created', 'platform', 'parent'] as const;
const CONTAINER_KEYS = ['id', 'name', 'image', 'imageRef', 'state', 'status', 'sizeRw', 'created', 'command'] as const;
const CONTAINER_ID = /^[0-9a-f]{64}$/;
const PLATFORM = /^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/;

/** A loaded snapshot: the graph plus its free-form `meta`. */
export interface Snapshot {
  graph: ImageGraph;
  meta: Record<string, unknown>;
}

/** Parses and strictly validates snapshot text (duplicate keys refused). `file` is used only in error messages. */
export function parseSnapshot(text: string, file?: string): Snapshot {
  return snapshotFromJson(parseJsonStrict(text, file), file);
}

/**
 * Reads a snapshot from a file, a pipe or fifo, or `-` (standard input), at most
 * {@link SNAPSHOT_LIMIT} bytes, and validates it.
 */
export async function readSnapshotFile(file: string, stdin?: Readable): Promise<Snapshot> {
  const bytes = await readBounded(file, SNAPSHOT_LIMIT, 'snapshot', stdin);
  if (bytes.length === 0) throw new LayerlabError('EINPUT', 'empty file: expected a layerlab snapshot (JSON), a docker save / OCI archive, a folder or docker://', { file });
  return parseSnapshot(bytes.toString('utf8'), file);
}

/** Validates an already-parsed snapshot document and builds its graph. */
export function snapshotFromJson(doc: unknown, file?: string): Snapshot {
  const c = new Checker(file);
  const top = c.object(doc as Json, '$', TOP_KEYS);
  if (top.kind !== SNAPSHOT_KIND) c.fail('$.kind', `expected "${SNAPSHOT_KIND}", got ${describe(top.kind)}`);
  if (top.version !== SNAPSHOT_VERSION) {
    c.fail('$.version', `unsupported snapshot version ${describe(top.version)}; this layerlab reads version ${SNAPSHOT_VERSION}`, 'EVERSION');
  }
  const meta = top.meta === undefined ? {} : c.object(top.meta, '$.meta', null);

  const b = new GraphBuilder();
  const byKey = new Map<string, number>();
  const rawLayers = c.array(top.layers ?? [], '$.layers');
  for (let i = 0; i < rawLayers.length; i++) {
    const p = `$.layers[${i}]`;
    const o = c.object(rawLayers[i], p, LAYER_KEYS);
    const diffId = o.diffId === undefined ? undefined : c.digest(o.diffId, `${p}.diffId`);
    const digest = o.digest === undefined ? undefined : c.digest(o.digest, `${p}.digest`);
    if (diffId === undefined && digest === undefined) c.fail(p, 'a layer needs a diffId, a digest, or both');
    for (const [key, value] of [['diffId', diffId], ['digest', digest]] as const) {
      if (value === undefined) continue;
      const prev = byKey.get(value);
      if (prev !== undefined) c.fail(`${p}.${key}`, `duplicate layer: ${value} is already $.layers[${prev}]`);
      byKey.set(value, i);
    }
    b.addLayer({
      diffId,
      size: o.size === undefined ? undefined : c.size(o.size, `${p}.size`),
      digest,
      compressedSize: o.compressedSize === undefined ? undefined : c.size(o.compressedSize, `${p}.compressedSize`),
      mediaType: o.mediaType === undefined ? undefined : c.string(o.mediaType, `${p}.mediaType`),
    });
  }

  const rawImages = c.array(top.images ?? [], '$.images');
  const imageIds = new Map<string, number>();
  const parents: (string | undefined)[] = [];
  const stack: number[] = [];
  for (let i = 0; i < rawImages.length; i++) {
    const p = `$.images[${i}]`;
    const o = c.object(rawImages[i], p, IMAGE_KEYS);
    const id = c.digest(o.id, `${p}.id`);
    const prev = imageIds.get(id);
    if (prev !== undefined) c.fail(`${p}.id`, `duplicate image ID: already $.images[${prev}]`);
    imageIds.set(id, i);
    stack.length = 0;
    const layers = c.array(o.layers, `${p}.layers`);
    for (let k = 0; k < layers.length; k++) {
      const v = layers[k];
      const q = `${p}.layers[${k}]`;
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v >= rawLayers.length) c.fail(q, `layer index ${v} is not an index into $.layers (0..${rawLayers.length - 1})`);
        stack.push(v);
      } else {
        // Keys of byKey were validated as digests already: a hit needs no second check.
        const l = typeof v === 'string' ? byKey.get(v) : undefined;
        if (l === undefined) return c.fail(q, `layer ${c.digest(v, q)} is not in $.layers`);
        stack.push(l);
      }
    }
    const meta: ImageMeta = { id };
    const tags = c.optional(o, 'repoTags', p, (v, q) => c.array(v, q).map((t, k) => refOf(c, t, `${q}[${k}]`, normalizeRepoTag)));
    if (tags?.length) meta.repoTags = tags;
    const digests = c.optional(o, 'repoDigests', p, (v, q) => c.array(v, q).map((t, k) => refOf(c, t, `${q}[${k}]`, normalizeRepoDigest)));
    if (digests?.length) meta.repoDigests = digests;
    const created = c.optional(o, 'created', p, (v, q) => time(c, v, q));
    if (created !== undefined) meta.created = created;
    const platform = c.optional(o, 'platform', p, (v, q) => {
      const s = c.string(v, q);
      if (!PLATFORM.test(s)) c.fail(q, `expected os/arch[/variant], got ${describe(s)}`);
      return s;
    });
    if (platform !== undefined) meta.platform = platform;
    const parent = c.optional(o, 'parent', p, (v, q) => c.digest(v, q));
    if (parent !== undefined) meta.parent = parent;
    parents.push(parent);
    b.addImage(meta, stack);
  }
  const parentIndex = new Int32Array(parents.length).fill(-1);
  for (let i = 0; i < parents.length; i++) {
    const parent = parents[i];
    if (parent === undefined) continue;
    const pi = imageIds.get(parent);
    if (pi === undefined) return c.fail(`$.images[${i}].parent`, `parent image ${parent} is not in $.images`);
    if (pi === i) c.fail(`$.images[${i}].parent`, 'an image cannot be its own parent');
    parentIndex[i] = pi;
  }
  const cyc = findParentCycle(parentIndex);
  if (cyc >= 0) c.fail(`$.images[${cyc}].parent`, 'parent links form a cycle');

  const rawContainers = c.array(top.containers ?? [], '$.containers');
  const containerIds = new Map<string, number>();
  for (let i = 0; i < rawContainers.length; i++) {
    const p = `$.containers[${i}]`;
    const o = c.object(rawContainers[i], p, CONTAINER_KEYS);
    const id = c.string(o.id, `${p}.id`);
    if (!CONTAINER_ID.test(id)) c.fail(`${p}.id`, `expected a 64-hex container ID, got ${describe(id)}`);
    const prev = containerIds.get(id);
    if (prev !== undefined) c.fail(`${p}.id`, `duplicate container ID: already $.containers[${prev}]`);
    containerIds.set(id, i);
    const image = c.digest(o.image, `${p}.image`);
    if (!imageIds.has(image)) c.fail(`${p}.image`, `image ${image} is not in $.images`);
    const state = c.string(o.state, `${p}.state`);
    if (!(CONTAINER_STATES as readonly string[]).includes(state)) c.fail(`${p}.state`, `expected one of ${CONTAINER_STATES.join(', ')}, got ${describe(state)}`);
    const rec: ContainerRecord = {
      id,
      name: c.optional(o, 'name', p, (v, q) => c.string(v, q)),
      image,
      imageRef: c.optional(o, 'imageRef', p, (v, q) => c.string(v, q)),
      state: state as ContainerState,
      status: c.optional(o, 'status', p, (v, q) => c.string(v, q)),
      sizeRw: c.optional(o, 'sizeRw', p, (v, q) => c.size(v, q)),
      created: c.optional(o, 'created', p, (v, q) => time(c, v, q)),
      command: c.optional(o, 'command', p, (v, q) => c.string(v, q)),
    };
    b.addContainer(stripUndefined(rec));
  }
  return { graph: b.build(), meta: meta as Record<string, unknown> };
}

function refOf(c: Checker, v: Json, path: string, normalize: (s: string) => string): string {
  const s = c.string(v, path);
  try {
    return normalize(s);
  } catch (e) {
    if (e instanceof LayerlabError) c.fail(path, `invalid reference ${quote(s)}: ${e.message}`, 'EREF');
    throw e;
  }
}

function time(c: Checker, v: Json, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (/^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  c.fail(path, `expected Unix seconds (an integer) or an RFC 3339 time, got ${describe(v)}`);
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** How image stacks refer to layers in a written snapshot. */
export type LayerRefStyle = 'digest' | 'index';

/** The snapshot document of a graph. `index` refs make huge snapshots about 5x smaller. */
export function snapshotToJson(graph: ImageGraph, meta: Record<string, unknown> = {}, refs: LayerRefStyle = 'digest'): object {
  const layers = [];
  for (let l = 0; l < graph.layerCount; l++) {
    const o: Record<string, unknown> = {};
    if (graph.layerDiffId[l] !== undefined) o.diffId = graph.layerDiffId[l];
    if (!Number.isNaN(graph.layerSize[l])) o.size = graph.layerSize[l];
    if (graph.layerDigest[l] !== undefined) o.digest = graph.layerDigest[l];
    if (!Number.isNaN(graph.layerCompressed[l])) o.compressedSize = graph.layerCompressed[l];
    if (graph.layerMediaType[l] !== undefined) o.mediaType = graph.layerMediaType[l];
    layers.push(o);
  }
  const images = graph.images.map((m, i) => {
    const stack = Array.from(graph.stackOf(i), (l) => (refs === 'index' ? l : graph.layerKey(l)));
    const o: Record<string, unknown> = { id: m.id, layers: stack };
    if (m.repoTags?.length) o.repoTags = m.repoTags;
    if (m.repoDigests?.length) o.repoDigests = m.repoDigests;
    if (m.created !== undefined) o.created = m.created;
    if (m.platform !== undefined) o.platform = m.platform;
    if (m.parent !== undefined) o.parent = m.parent;
    return o;
  });
  const containers = graph.containers.map((c) => {
    const o: Record<string, unknown> = {};
    for (const k of CONTAINER_KEYS) if (c[k] !== undefined) o[k] = c[k];
    return o;
  });
  const doc: Record<string, unknown> = { kind: SNAPSHOT_KIND, version: SNAPSHOT_VERSION };
  if (Object.keys(meta).length) doc.meta = meta;
  doc.layers = layers;
  doc.images = images;
  doc.containers = containers;
  return doc;
}

/** Snapshot text: one image, layer or container per line, so diffs of snapshots stay readable. */
export function serializeSnapshot(graph: ImageGraph, meta: Record<string, unknown> = {}, refs: LayerRefStyle = 'digest'): string {
  const doc = snapshotToJson(graph, meta, refs) as Record<string, unknown>;
  const lines: string[] = ['{'];
  const keys = Object.keys(doc);
  keys.forEach((k, ki) => {
    const last = ki === keys.length - 1 ? '' : ',';
    const v = doc[k];
    if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`  ${JSON.stringify(k)}: []${last}`);
      else {
        lines.push(`  ${JSON.stringify(k)}: [`);
        v.forEach((item, i) => lines.push(`    ${JSON.stringify(item)}${i === v.length - 1 ? '' : ','}`));
        lines.push(`  ]${last}`);
      }
    } else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${last}`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}
