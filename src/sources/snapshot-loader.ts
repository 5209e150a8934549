// Validation of a snapshot one record at a time, shared by the whole-document reader
// (snapshotFromJson) and the streamed one (snapshot-stream.ts), so both accept and refuse exactly
// the same documents. Every error names the file, the JSON path and, when streamed, the line.
import { LayerlabError, quote } from '../errors.js';
import { digestProblem, type Digest } from '../model/digest.js';
import { findParentCycle, GraphBuilder } from '../model/graph.js';
import type { ImageFields } from '../model/image-columns.js';
import type { Snapshot } from './snapshot.js';
import { normalizeRepoDigest, normalizeRepoTag } from '../model/reference.js';
import { CONTAINER_STATES, type ContainerRecord, type ContainerState, type ImageMeta } from '../model/types.js';
import { DigestTable, lazyDigests } from './digest-table.js';
import { parseRfc3339, refOf, refsOf, tagNormalizer } from './snapshot-fields.js';
import { GrowableUint32 } from '../model/growable.js';
import type { FastRecords, RawBuffer } from './snapshot-fast.js';

/** The fields of a layer record scanned byte by byte (by FastRecords, or replayed from the reading thread). */
export type ScannedLayer = Pick<FastRecords, 'hasDiffId' | 'hasDigest' | 'rawWords' | 'size' | 'compressedSize' | 'mediaType'>;
/** The fields of an image record scanned byte by byte; `parentAt` is an offset in the buffer given with it. */
export type ScannedImage = Pick<FastRecords, 'raw' | 'rawWords' | 'repoTags' | 'repoDigests' | 'created' | 'platform' | 'parentAt' | 'refs'>;

/**
 * Input bytes per record, key or ref for sizing a loader's tables from its input's size: below
 * what layerlab writes (a generated host: about 630 bytes per layer, 315 per layer key, 1,300
 * per image, 165 per ref), so that one of its files fills them without a grow.
 */
const BYTES_PER = { layer: 512, layerKey: 256, image: 1024, ref: 128 };
/** Most records, keys or refs a table is sized for up front (a larger input grows them as before): 2^25, a 1 GB key table. */
const EXPECT_MAX = 1 << 25;

/** Most records whose keys wait to be checked for duplicates (see SnapshotLoader.flushKeys). */
const PENDING_MAX = 4096;

/** The `kind` every snapshot carries. */
export const SNAPSHOT_KIND = 'layerlab-snapshot';
/** The snapshot format version this build reads and writes. */
export const SNAPSHOT_VERSION = 1;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const TOP_KEYS = ['kind', 'version', 'meta', 'layers', 'images', 'containers'] as const;
export const LAYER_KEYS = ['diffId', 'size', 'digest', 'compressedSize', 'mediaType'] as const;
export const IMAGE_KEYS = ['id', 'layers', 'repoTags', 'repoDigests', 'created', 'platform', 'parent'] as const;
export const CONTAINER_KEYS = ['id', 'name', 'image', 'imageRef', 'state', 'status', 'sizeRw', 'created', 'command'] as const;
const CONTAINER_ID = /^[0-9a-f]{64}$/;
const PLATFORM = /^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/;


/** `sha256:` and 64 lowercase hex characters: the digest nearly every snapshot holds, checked without slicing. */
const SHA256 = /^sha256:[0-9a-f]{64}$/;
function isSha256(s: string): boolean {
  return s.length === 71 && SHA256.test(s);
}

export function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return quote(v, 40);
  return String(v);
}

/** Validates as it walks; every error names the file, the JSON path of the bad field, and the line when known. */
export class Checker {
  readonly file: string | undefined;
  line: number | undefined;
  /** Set while a record read by snapshot-fast.ts is checked: its digest fields were checked byte by byte already. */
  trustedDigests = false;
  constructor(file: string | undefined) {
    this.file = file;
  }

  /** Called before an error is thrown: an earlier record's error, found late, goes first. */
  beforeFail: (() => void) | undefined;

  fail(path: string, message: string, code: 'EINPUT' | 'EDIGEST' | 'EREF' | 'EVERSION' = 'EINPUT'): never {
    const before = this.beforeFail;
    this.beforeFail = undefined;
    before?.();
    throw new LayerlabError(code, message, { file: this.file, path, ...(this.line === undefined ? {} : { line: this.line }) });
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
    if (this.trustedDigests && typeof v === 'string') return v;
    const s = this.string(v, path);
    if (isSha256(s)) return s;
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

/**
 * Turns validated records into a graph. Records must come section by section: every layer, then
 * every image, then every container (the readers hold back the few that come out of order), so
 * index refs are checked against the whole layer list, as in a whole-document read.
 */
export class SnapshotLoader {
  readonly c: Checker;
  readonly builder: GraphBuilder;
  /** Layer identity (diffID and blob digest) → layer index. */
  readonly layerKeys: DigestTable;
  readonly imageIds: DigestTable;
  /** Per layer, its diffID's and blob digest's entry in layerKeys plus one (0: none): digests stay bytes. */
  private readonly diffIdEntry: GrowableUint32;
  private readonly digestEntry: GrowableUint32;
  private mediaTypes = new Map<string, string>();
  private parents: { image: number; parent: string; line: number | undefined }[] = [];
  private containerIds = new Map<string, number>();
  private stack: number[] = [];
  private readonly fields: ImageFields = {};
  private readonly normalizeTag = tagNormalizer();
  private readonly tags: string[] = [];
  private readonly digests: string[] = [];
  /** Which table has keys appended and not yet checked, from which record, and the records' lines. */
  private pendingKind: 'layers' | 'images' | undefined;
  private pendingFrom = 0;
  private readonly pendingLine = new Int32Array(PENDING_MAX);
  private imageCount = 0;
  private containerCount = 0;
  meta: Obj = {};

  /**
   * With `sharedKeys`, the layer key table can be handed to the snapshot reading thread
   * (snapshot-pipeline.ts). `inputBytes` (the file's size, when known) sizes the tables up front:
   * growing them copies every key and re-places it in a larger table at random, which was about a
   * tenth of a load's main thread. The sizes are guesses (see BYTES_PER): tables fuller than
   * guessed grow as before.
   */
  constructor(file: string | undefined, sharedKeys = false, inputBytes = 0) {
    this.c = new Checker(file);
    const expect = (bytesEach: number, least: number) => Math.max(least, Math.min(EXPECT_MAX, Math.floor(inputBytes / bytesEach)));
    this.builder = new GraphBuilder(expect(BYTES_PER.ref, 1 << 16), expect(BYTES_PER.image, 1024), expect(BYTES_PER.layer, 1024));
    // Chain nodes number about the layers (as ImageGraph sizes its own trie).
    const layers = expect(BYTES_PER.layer, 1024);
    this.builder.trackChains(layers + (layers >> 3) + 16, expect(BYTES_PER.ref, 1 << 16));
    this.layerKeys = new DigestTable(expect(BYTES_PER.layerKey, 1 << 12), sharedKeys);
    this.imageIds = new DigestTable(expect(BYTES_PER.image, 1 << 12));
    this.diffIdEntry = new GrowableUint32(expect(BYTES_PER.layer, 1 << 12));
    this.digestEntry = new GrowableUint32(expect(BYTES_PER.layer, 1 << 12));
  }

  get layerCount(): number {
    return this.builder.layerCount;
  }

  /** Per layer, the entry in layerKeys of its identity (diffID, else blob digest) plus one. */
  layerKeyEntries(): Uint32Array {
    const diff = this.diffIdEntry.view();
    const blob = this.digestEntry.view();
    return diff.map((e, l) => (e === 0 ? blob[l] : e));
  }

  kind(v: Json | undefined): void {
    if (v !== SNAPSHOT_KIND) this.c.fail('$.kind', `expected "${SNAPSHOT_KIND}", got ${describe(v)}`);
  }

  version(v: Json | undefined): void {
    if (v !== SNAPSHOT_VERSION) {
      this.c.fail('$.version', `unsupported snapshot version ${describe(v)}; this layerlab reads version ${SNAPSHOT_VERSION}`, 'EVERSION');
    }
  }

  setMeta(v: Json | undefined): void {
    this.meta = v === undefined ? {} : this.c.object(v, '$.meta', null);
  }

  layer(raw: Json, i: number): void {
    this.flushKeys();
    const c = this.c;
    const p = `$.layers[${i}]`;
    const o = c.object(raw, p, LAYER_KEYS);
    const diffId = o.diffId === undefined ? undefined : c.digest(o.diffId, `${p}.diffId`);
    const digest = o.digest === undefined ? undefined : c.digest(o.digest, `${p}.digest`);
    if (diffId === undefined && digest === undefined) c.fail(p, 'a layer needs a diffId, a digest, or both');
    this.diffIdEntry.push(diffId === undefined ? 0 : this.claimLayerKey(diffId, i, `${p}.diffId`));
    this.digestEntry.push(digest === undefined ? 0 : this.claimLayerKey(digest, i, `${p}.digest`));
    this.addLayer(o, p);
  }

  /**
   * A layer record scanned by snapshot-fast.ts (digests checked and decoded, sizes >= 0). Its
   * keys are appended to layerKeys and checked for duplicates a batch at a time (flushKeys).
   */
  layerFast(f: ScannedLayer, i: number): void {
    this.pendingFor('layers', i);
    this.diffIdEntry.push(f.hasDiffId ? this.layerKeys.appendWords(f.rawWords, 0, i) + 1 : 0);
    this.digestEntry.push(f.hasDigest ? this.layerKeys.appendWords(f.rawWords, 8, i) + 1 : 0);
    this.builder.addLayerFields(f.size < 0 ? NaN : f.size, f.compressedSize < 0 ? NaN : f.compressedSize, f.mediaType === undefined ? undefined : this.mediaTypeOf(f.mediaType));
  }

  /** Notes record i's line for a key about to be appended to the layer or image table. */
  private pendingFor(kind: 'layers' | 'images', i: number): void {
    if (this.pendingKind !== kind || i - this.pendingFrom >= PENDING_MAX) {
      this.flushKeys();
      this.pendingKind = kind;
      this.pendingFrom = i;
      this.c.beforeFail = this.flush;
    }
    this.pendingLine[i - this.pendingFrom] = this.c.line ?? 0;
  }

  /** Indexes the keys appended since the last flush; the first duplicate among them is an error. */
  flushKeys(): void {
    const kind = this.pendingKind;
    if (kind === undefined) return;
    this.pendingKind = undefined;
    if (this.c.beforeFail === this.flush) this.c.beforeFail = undefined;
    const table = kind === 'layers' ? this.layerKeys : this.imageIds;
    const e = table.indexPending();
    if (e < 0) return;
    const i = table.valueAt(e);
    const line = this.pendingLine[i - this.pendingFrom];
    this.c.line = line === 0 ? undefined : line;
    if (kind === 'images') this.c.fail(`$.images[${i}].id`, `duplicate image ID: already $.images[${table.duplicateValue}]`);
    const field = this.digestEntry.view()[i] === e + 1 ? 'digest' : 'diffId';
    this.c.fail(`$.layers[${i}].${field}`, `duplicate layer: ${table.keyOf(e)} is already $.layers[${table.duplicateValue}]`);
  }

  private readonly flush = () => this.flushKeys();

  private mediaTypeOf(m: string): string {
    // A million layers share a handful of media types: keep one copy of each.
    let mediaType = this.mediaTypes.get(m);
    if (mediaType === undefined) this.mediaTypes.set(m, (mediaType = m));
    return mediaType;
  }

  private addLayer(o: Obj, p: string): void {
    const c = this.c;
    let mediaType: string | undefined;
    if (o.mediaType !== undefined) {
      mediaType = this.mediaTypeOf(c.string(o.mediaType, `${p}.mediaType`));
    }
    const size = o.size === undefined ? NaN : c.size(o.size, `${p}.size`);
    this.builder.addLayerFields(size, o.compressedSize === undefined ? NaN : c.size(o.compressedSize, `${p}.compressedSize`), mediaType);
  }

  /** Claims a layer key; its entry in layerKeys plus one. */
  private claimLayerKey(key: string, i: number, path: string): number {
    const prev = this.layerKeys.addIfAbsent(key, i);
    if (prev >= 0) this.c.fail(path, `duplicate layer: ${key} is already $.layers[${prev}]`);
    return this.layerKeys.lastEntry + 1;
  }

  /** An image record; `layers` entries may be layer indices or layer digests. */
  image(raw: Json, i: number): void {
    this.flushKeys();
    const c = this.c;
    const p = `$.images[${i}]`;
    const o = c.object(raw, p, IMAGE_KEYS);
    const id = c.digest(o.id, `${p}.id`);
    const prev = this.imageIds.addIfAbsent(id, i);
    if (prev >= 0) c.fail(`${p}.id`, `duplicate image ID: already $.images[${prev}]`);
    const stack = this.stack;
    stack.length = 0;
    const layers = c.array(o.layers, `${p}.layers`);
    const n = this.builder.layerCount;
    for (let k = 0; k < layers.length; k++) {
      const v = layers[k];
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v >= n) c.fail(`${p}.layers[${k}]`, `layer index ${v} is not an index into $.layers (0..${n - 1})`);
        stack.push(v);
      } else {
        // Keys of the table were validated as digests already: a hit needs no second check.
        const l = typeof v === 'string' ? this.layerKeys.get(v) : -1;
        if (l < 0) c.fail(`${p}.layers[${k}]`, `layer ${c.digest(v, `${p}.layers[${k}]`)} is not in $.layers`);
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
    if (parent !== undefined) {
      meta.parent = parent;
      this.parents.push({ image: i, parent, line: c.line });
    }
    this.builder.addImage(meta, stack);
    this.imageCount++;
  }

  /**
   * An image record scanned by snapshot-fast.ts from `buf` (ID and parent checked, refs already
   * layer indices, numbers whole and >= 0): the checks left are those of {@link image}.
   */
  imageFast(f: ScannedImage, buf: Buffer, i: number): void {
    const c = this.c;
    this.pendingFor('images', i);
    this.imageIds.appendWords(f.rawWords, 0, i);
    // One fields object and two tag arrays for every image: the builder copies what it keeps.
    const fields = this.fields;
    fields.repoTags = f.repoTags.length ? refsOf(c, f.repoTags, this.tags, i, 'repoTags', this.normalizeTag) : undefined;
    fields.repoDigests = f.repoDigests.length ? refsOf(c, f.repoDigests, this.digests, i, 'repoDigests', normalizeRepoDigest) : undefined;
    fields.created = f.created >= 0 ? f.created : undefined;
    if (f.platform !== undefined && !PLATFORM.test(f.platform)) c.fail(`$.images[${i}].platform`, `expected os/arch[/variant], got ${describe(f.platform)}`);
    fields.platform = f.platform;
    fields.parent = undefined;
    if (f.parentAt >= 0) {
      fields.parent = (buf as RawBuffer).latin1Slice(f.parentAt, f.parentAt + 71);
      this.parents.push({ image: i, parent: fields.parent, line: c.line });
    }
    this.builder.addImageSha256(f.raw, 0, fields, f.refs());
    this.imageCount++;
  }


  /** Checks parent links once every image is in (a parent may come after its child). */
  imagesDone(): void {
    this.flushKeys();
    const c = this.c;
    const parentIndex = new Int32Array(this.imageCount).fill(-1);
    for (const { image, parent, line } of this.parents) {
      c.line = line;
      const pi = this.imageIds.get(parent);
      if (pi < 0) c.fail(`$.images[${image}].parent`, `parent image ${parent} is not in $.images`);
      if (pi === image) c.fail(`$.images[${image}].parent`, 'an image cannot be its own parent');
      parentIndex[image] = pi;
    }
    const cyc = findParentCycle(parentIndex);
    if (cyc >= 0) {
      c.line = this.parents.find((x) => x.image === cyc)?.line;
      c.fail(`$.images[${cyc}].parent`, 'parent links form a cycle');
    }
    c.line = undefined;
  }

  container(raw: Json, i: number): void {
    this.flushKeys();
    const c = this.c;
    const p = `$.containers[${i}]`;
    const o = c.object(raw, p, CONTAINER_KEYS);
    const id = c.string(o.id, `${p}.id`);
    if (!CONTAINER_ID.test(id)) c.fail(`${p}.id`, `expected a 64-hex container ID, got ${describe(id)}`);
    const prev = this.containerIds.get(id);
    if (prev !== undefined) c.fail(`${p}.id`, `duplicate container ID: already $.containers[${prev}]`);
    this.containerIds.set(id, i);
    const image = c.digest(o.image, `${p}.image`);
    if (this.imageIds.get(image) < 0) c.fail(`${p}.image`, `image ${image} is not in $.images`);
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
    this.builder.addContainer(stripUndefined(rec));
    this.containerCount++;
  }

  finish(): Snapshot {
    this.flushKeys();
    this.layerKeys.release();
    const digests = { diffId: lazyDigests(this.layerKeys, this.diffIdEntry.view()), digest: lazyDigests(this.layerKeys, this.digestEntry.view()) };
    return { graph: this.builder.build(digests), meta: this.meta as Record<string, unknown> };
  }
}

/** Validates an already-parsed snapshot document and builds its graph. */
export function snapshotFromJson(doc: unknown, file?: string): Snapshot {
  const s = new SnapshotLoader(file);
  const c = s.c;
  const top = c.object(doc as Json, '$', TOP_KEYS);
  s.kind(top.kind);
  s.version(top.version);
  s.setMeta(top.meta);
  const layers = c.array(top.layers ?? [], '$.layers');
  for (let i = 0; i < layers.length; i++) s.layer(layers[i], i);
  const images = c.array(top.images ?? [], '$.images');
  for (let i = 0; i < images.length; i++) s.image(images[i], i);
  s.imagesDone();
  const containers = c.array(top.containers ?? [], '$.containers');
  for (let i = 0; i < containers.length; i++) s.container(containers[i], i);
  return s.finish();
}

function time(c: Checker, v: Json, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string') {
    const t = parseRfc3339(v);
    if (typeof t === 'number') return t;
    if (t !== 'not an RFC 3339 time') c.fail(path, `parsing time ${JSON.stringify(v)}: ${t}`);
  }
  c.fail(path, `expected Unix seconds (an integer) or an RFC 3339 time, got ${describe(v)}`);
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
