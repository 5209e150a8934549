// Image metadata as columns: a million images are a few typed arrays, not a million objects with
// a 71-character ID string each (holding those kept `df` of a 1M-image export above 2 GB and a
// third of its time in GC). `ImageMeta` objects and ID strings are made only when asked for.
import { LayerlabError } from '../errors.js';
import type { Digest } from './digest.js';
import { GrowableFloat64, GrowableInt32, GrowableUint32 } from './growable.js';
import { mixHash32 } from './digest-bytes.js';
import type { ImageMeta } from './types.js';

const ID_BYTES = 32;
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x61 + c] = 10 + c;

/** Image metadata, one row per image; read it through {@link ImageGraph} accessors or {@link imageMetaOf}. */
export interface ImageColumns {
  readonly count: number;
  /** Image i's ID as raw sha256 bytes at i*32 (zeros where {@link idOther} holds the ID). */
  readonly idBytes: Uint8Array;
  /** IDs that are not `sha256:<hex>` (sha384, sha512), by image. */
  readonly idOther: ReadonlyMap<number, Digest>;
  /** Unix seconds, NaN when unknown. */
  readonly created: Float64Array;
  /** Index of the parent image, -1 when none. */
  readonly parent: Int32Array;
  /** 0 when unknown, else 1 + an index into {@link platforms}. */
  readonly platformCode: Uint32Array;
  readonly platforms: readonly string[];
  /** Image i's repo tags are tags[tagStart[i] .. tagStart[i+1]). */
  readonly tagStart: Uint32Array;
  readonly tags: readonly string[];
  /** Image i's repo digests are repoDigests[digestStart[i] .. digestStart[i+1]). */
  readonly digestStart: Uint32Array;
  readonly repoDigests: readonly string[];
}

/** `sha256:<64 lower-case hex>` parsed into out[at..at+32); false (out untouched past a prefix) when the string has another form. */
export function parseSha256Id(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 71 || !id.startsWith('sha256:')) return false;
  for (let k = 0; k < ID_BYTES; k++) {
    const a = id.charCodeAt(7 + 2 * k);
    const b = id.charCodeAt(8 + 2 * k);
    const hi = a < 128 ? HEX[a] : -1;
    const lo = b < 128 ? HEX[b] : -1;
    if (hi < 0 || lo < 0) return false;
    out[at + k] = (hi << 4) | lo;
  }
  return true;
}

/** Image i's ID as a string. */
export function imageIdOf(c: ImageColumns, i: number): Digest {
  const other = c.idOther.size ? c.idOther.get(i) : undefined;
  if (other !== undefined) return other;
  return 'sha256:' + Buffer.from(c.idBytes.buffer, c.idBytes.byteOffset + i * ID_BYTES, ID_BYTES).toString('hex');
}

/** Image i as an {@link ImageMeta} (a new object; fields absent where unknown or empty). */
export function imageMetaOf(c: ImageColumns, i: number, ids?: readonly Digest[]): ImageMeta {
  const m: ImageMeta = { id: ids ? ids[i] : imageIdOf(c, i) };
  if (c.tagStart[i + 1] > c.tagStart[i]) m.repoTags = c.tags.slice(c.tagStart[i], c.tagStart[i + 1]);
  if (c.digestStart[i + 1] > c.digestStart[i]) m.repoDigests = c.repoDigests.slice(c.digestStart[i], c.digestStart[i + 1]);
  if (!Number.isNaN(c.created[i])) m.created = c.created[i];
  if (c.platformCode[i] > 0) m.platform = c.platforms[c.platformCode[i] - 1];
  if (c.parent[i] >= 0) m.parent = ids ? ids[c.parent[i]] : imageIdOf(c, c.parent[i]);
  return m;
}

/** Every image as an {@link ImageMeta}, in image order. */
export function imageMetaList(c: ImageColumns): ImageMeta[] {
  const ids = imageIdStrings(c);
  return Array.from({ length: c.count }, (_, i) => imageMetaOf(c, i, ids));
}

/** Every image's ID as a string, in image order. */
export function imageIdStrings(c: ImageColumns): Digest[] {
  const out = new Array<Digest>(c.count);
  // Hex-encode slices natively (one Buffer call per 64k IDs, not one per ID).
  const STEP = 1 << 16;
  for (let s = 0; s < c.count; s += STEP) {
    const e = Math.min(c.count, s + STEP);
    const hex = Buffer.from(c.idBytes.buffer, c.idBytes.byteOffset + s * ID_BYTES, (e - s) * ID_BYTES).toString('hex');
    for (let i = s; i < e; i++) out[i] = flat('sha256:' + hex.slice((i - s) * 64, (i - s + 1) * 64));
  }
  for (const [i, id] of c.idOther) out[i] = id;
  return out;
}

// Concatenation leaves a rope that pins the slice's whole hex string; a number conversion makes
// V8 flatten it into one sequential string of its own.
function flat(s: string): string {
  void Number(s);
  return s;
}

/**
 * Image ID → index over the ID bytes (open addressing, no string per image). Fails on the first
 * duplicate ID, naming it.
 */
export class ImageIdIndex {
  private slots: Int32Array;
  private mask: number;
  private others = new Map<string, number>();
  private probe = new Uint8Array(ID_BYTES);

  constructor(private readonly c: ImageColumns) {
    let cap = 16;
    while (cap < c.count * 2) cap *= 2;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let i = 0; i < c.count; i++) {
      const other = c.idOther.size ? c.idOther.get(i) : undefined;
      if (other !== undefined) {
        if (this.others.has(other)) throw new LayerlabError('EINPUT', `duplicate image ID ${other}`);
        this.others.set(other, i);
        continue;
      }
      const prev = this.insert(i);
      if (prev >= 0) throw new LayerlabError('EINPUT', `duplicate image ID ${imageIdOf(c, i)}`);
    }
  }

  /** Index of the image with this ID, or undefined. */
  get(id: string): number | undefined {
    if (!parseSha256Id(id, this.probe, 0)) return this.others.get(id);
    return this.find(this.probe, 0);
  }

  /** Index of the image whose raw sha256 ID is bytes[at..at+32), or undefined. */
  getBytes(bytes: Uint8Array, at: number): number | undefined {
    return this.find(bytes, at);
  }

  private hash(b: Uint8Array, o: number): number {
    return mixHash32(((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) ^ Math.imul((b[o + 28] << 24) | (b[o + 29] << 16) | (b[o + 30] << 8) | b[o + 31], 0x9e3779b1));
  }

  private find(b: Uint8Array, o: number): number | undefined {
    const ids = this.c.idBytes;
    for (let s = this.hash(b, o) & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s];
      if (e < 0) return undefined;
      if (sameId(ids, e * ID_BYTES, b, o)) return e;
    }
  }

  /** Places image i; returns the image already there with the same ID, or -1. */
  private insert(i: number): number {
    const ids = this.c.idBytes;
    const o = i * ID_BYTES;
    let s = this.hash(ids, o) & this.mask;
    for (; this.slots[s] >= 0; s = (s + 1) & this.mask) if (sameId(ids, this.slots[s] * ID_BYTES, ids, o)) return this.slots[s];
    this.slots[s] = i;
    return -1;
  }
}

function sameId(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let k = 0; k < ID_BYTES; k++) if (a[ao + k] !== b[bo + k]) return false;
  return true;
}

/** An image's metadata besides its ID, for {@link ImageColumnsBuilder.add}. */
export interface ImageFields {
  repoTags?: readonly string[];
  repoDigests?: readonly string[];
  created?: number;
  platform?: string;
  /** Parent image ID (resolved when the columns are finished; it may come later). */
  parent?: Digest;
}

/**
 * Collects image metadata straight into {@link ImageColumns}: a loader hands each image's ID (a
 * string, or raw sha256 bytes it already has) and fields, and no `ImageMeta` is kept.
 */
export class ImageColumnsBuilder {
  private ids: Uint8Array;
  private idOther = new Map<number, Digest>();
  private created = new GrowableFloat64();
  private parent = new GrowableInt32();
  private parentIds = new Map<number, Digest>();
  private platformCode = new GrowableUint32();
  private platformIndex = new Map<string, number>();
  private platforms: string[] = [];
  private tagStart = new GrowableUint32();
  private tags: string[] = [];
  private digestStart = new GrowableUint32();
  private repoDigests: string[] = [];
  count = 0;

  constructor(expectedImages = 1024) {
    this.ids = new Uint8Array(Math.max(16, expectedImages) * ID_BYTES);
    this.tagStart.push(0);
    this.digestStart.push(0);
  }

  /** Adds an image by ID string; returns its index. */
  add(id: Digest, fields: ImageFields = {}): number {
    const i = this.grow();
    if (!parseSha256Id(id, this.ids, i * ID_BYTES)) {
      this.ids.fill(0, i * ID_BYTES, (i + 1) * ID_BYTES);
      this.idOther.set(i, id);
    }
    return this.addFields(i, fields);
  }

  /** Adds an image whose ID is `sha256:` + the 32 raw bytes at raw[at..at+32); returns its index. */
  addSha256(raw: Uint8Array, at: number, fields: ImageFields = {}): number {
    const i = this.grow();
    this.ids.set(raw.subarray(at, at + ID_BYTES), i * ID_BYTES);
    return this.addFields(i, fields);
  }

  /** Sets image i's parent by index (for loaders that resolved it themselves). */
  setParentIndex(i: number, parent: number): void {
    this.parentIds.delete(i);
    this.parent.view()[i] = parent;
  }

  /** The columns; parent IDs are resolved here (an unknown parent is an error naming both images). */
  finish(): ImageColumns {
    const c: ImageColumns = {
      count: this.count,
      idBytes: this.ids.slice(0, this.count * ID_BYTES),
      idOther: this.idOther,
      created: this.created.view().slice(),
      parent: this.parent.view().slice(),
      platformCode: this.platformCode.view().slice(),
      platforms: this.platforms,
      tagStart: this.tagStart.view().slice(),
      tags: this.tags,
      digestStart: this.digestStart.view().slice(),
      repoDigests: this.repoDigests,
    };
    if (this.parentIds.size) {
      const index = new ImageIdIndex(c);
      for (const [i, parentId] of this.parentIds) {
        const p = index.get(parentId);
        if (p === undefined) throw new LayerlabError('EINPUT', `image ${imageIdOf(c, i)}: parent ${parentId} is not in the image set`);
        c.parent[i] = p;
      }
    }
    return c;
  }

  private grow(): number {
    const i = this.count++;
    if (this.ids.length < this.count * ID_BYTES) {
      const next = new Uint8Array(this.ids.length * 2);
      next.set(this.ids);
      this.ids = next;
    }
    return i;
  }

  private addFields(i: number, f: ImageFields): number {
    this.created.push(f.created ?? NaN);
    this.parent.push(-1);
    if (f.parent !== undefined) this.parentIds.set(i, f.parent);
    let code = 0;
    if (f.platform !== undefined) {
      code = this.platformIndex.get(f.platform) ?? 0;
      if (code === 0) {
        this.platforms.push(f.platform);
        this.platformIndex.set(f.platform, (code = this.platforms.length));
      }
    }
    this.platformCode.push(code);
    if (f.repoTags) for (const t of f.repoTags) this.tags.push(t);
    this.tagStart.push(this.tags.length);
    if (f.repoDigests) for (const d of f.repoDigests) this.repoDigests.push(d);
    this.digestStart.push(this.repoDigests.length);
    return i;
  }
}

/** Columns of a list of {@link ImageMeta} (what callers holding objects hand to a graph). */
export function imageColumnsOf(metas: readonly ImageMeta[]): ImageColumns {
  const b = new ImageColumnsBuilder(metas.length);
  for (const m of metas) b.add(m.id, m);
  return b.finish();
}
