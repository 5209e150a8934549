// Byte-level readers for the records layerlab itself writes (JSON.stringify of a layer or an
// image: no spaces, keys in a fixed order, plain strings). They build the same object JSON.parse
// would, except that an image's digest layer refs are looked up in the layer table straight from
// the bytes, so no string is made for them. Anything else (spaces, escapes, other key orders,
// unknown keys, fractions) makes them give up, and the record goes through JSON.parse and the
// strict checks instead: they only ever accept what that path accepts, with the same result.
import type { DigestTable } from './digest-table.js';
import type { Json, Obj } from './snapshot-loader.js';

/** Node's Buffer has these (toString calls them after argument checks); typed here to skip the checks per string. */
export type RawBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

const QUOTE = 0x22;
/** How many refs of the previous image are remembered. */
const PREV_MAX = 128;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RBRACE = 0x7d;

type Kind = 'digest' | 'digestAt' | 'num' | 'str' | 'refs' | 'strs';
interface KeySpec {
  name: string;
  /** `"name":` as bytes. */
  bytes: Uint8Array;
  kind: Kind;
}

function spec(keys: [string, Kind][]): KeySpec[] {
  return keys.map(([name, kind]) => ({ name, kind, bytes: Buffer.from(`${JSON.stringify(name)}:`, 'latin1') }));
}

const LAYER_SPEC = spec([
  ['diffId', 'digestAt'],
  ['size', 'num'],
  ['digest', 'digestAt'],
  ['compressedSize', 'num'],
  ['mediaType', 'str'],
]);
const IMAGE_SPEC = spec([
  ['id', 'digest'],
  ['layers', 'refs'],
  ['repoTags', 'strs'],
  ['repoDigests', 'strs'],
  ['created', 'num'],
  ['platform', 'str'],
  ['parent', 'digest'],
]);

/** Reads one record of layerlab's own shape; `end` is where it stopped. */
export class FastRecords {
  end = 0;
  private value: Json = null;
  private readonly vals: (Json | undefined)[] = new Array(7).fill(undefined);
  /** The previous image's first PREV_MAX refs (71 bytes each) and their layers. */
  private readonly prevRefs = new Uint8Array(PREV_MAX * 71);
  private readonly prevLayer = new Int32Array(PREV_MAX);
  private prevCount = 0;
  private readonly layerKeys: DigestTable;
  constructor(layerKeys: DigestTable) {
    this.layerKeys = layerKeys;
  }

  /**
   * A layer record at `p` (buf[p] is `{`), or undefined when it is not in layerlab's own shape.
   * Its `diffId` and `digest` are the offsets in `buf` of the checked digests' first character
   * (-1 when absent): no string is made for them (SnapshotLoader.layerAt stores the bytes).
   */
  layer(buf: Buffer, p: number, end: number): Obj | undefined {
    return this.record(buf, p, end, LAYER_SPEC);
  }

  /** An image record at `p`, digest layer refs already turned into layer indices. */
  image(buf: Buffer, p: number, end: number): Obj | undefined {
    return this.record(buf, p, end, IMAGE_SPEC);
  }

  private record(buf: Buffer, p: number, end: number, keys: KeySpec[]): Obj | undefined {
    const vals = this.vals;
    vals.fill(undefined);
    p++;
    let next = 0;
    for (let first = true; ; first = false) {
      if (p >= end) return undefined;
      if (buf[p] === RBRACE) {
        this.end = p + 1;
        break;
      }
      if (!first) {
        if (buf[p] !== COMMA) return undefined;
        p++;
      }
      let k = next;
      for (; k < keys.length; k++) if (matches(buf, p, end, keys[k].bytes)) break;
      if (k === keys.length) return undefined;
      next = k + 1;
      p = this.read(buf, p + keys[k].bytes.length, end, keys[k].kind);
      if (p < 0) return undefined;
      vals[k] = this.value;
    }
    // One object literal per record kind: a fixed shape, where adding keys one by one made every
    // record a dictionary-mode object. Absent keys read as undefined, as in JSON.parse's object.
    return keys === LAYER_SPEC
      ? { diffId: vals[0] ?? -1, size: vals[1], digest: vals[2] ?? -1, compressedSize: vals[3], mediaType: vals[4] } as Obj
      : { id: vals[0], layers: vals[1], repoTags: vals[2], repoDigests: vals[3], created: vals[4], platform: vals[5], parent: vals[6] } as Obj;
  }

  /** Reads a value of `kind` at `p` into this.value; the index after it, or -1. */
  private read(buf: Buffer, p: number, end: number, kind: Kind): number {
    switch (kind) {
      case 'digest':
        return this.digest(buf, p, end);
      case 'digestAt': {
        const q = this.digest(buf, p, end, false);
        if (q >= 0) this.value = p + 1;
        return q;
      }
      case 'num':
        return this.num(buf, p, end);
      case 'str':
        return this.str(buf, p, end);
      case 'strs':
      case 'refs': {
        if (buf[p] !== LBRACKET) return -1;
        const items: Json[] = [];
        p++;
        if (buf[p] === RBRACKET) {
          this.value = items;
          return p + 1;
        }
        for (let k = 0; ; k++) {
          if (p >= end) return -1;
          if (kind === 'strs') p = this.str(buf, p, end);
          else if (buf[p] === QUOTE) p = this.ref(buf, p, end, k);
          else p = this.num(buf, p, end);
          if (p < 0) return -1;
          items.push(this.value);
          if (buf[p] === RBRACKET) break;
          if (buf[p] !== COMMA) return -1;
          p++;
        }
        this.value = items;
        if (kind === 'refs') this.prevCount = Math.min(items.length, PREV_MAX);
        return p + 1;
      }
    }
  }

  /** `"sha256:<64 lowercase hex>"` exactly; other digests take the checked path. */
  private digest(buf: Buffer, p: number, end: number, asString = true): number {
    if (p + 72 >= end || buf[p] !== QUOTE || buf[p + 72] !== QUOTE) return -1;
    if (buf[p + 1] !== 0x73 || buf[p + 2] !== 0x68 || buf[p + 3] !== 0x61 || buf[p + 4] !== 0x32 || buf[p + 5] !== 0x35 || buf[p + 6] !== 0x36 || buf[p + 7] !== COLON) return -1;
    for (let k = p + 8; k < p + 72; k++) {
      const c = buf[k];
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1;
    }
    if (asString) this.value = (buf as RawBuffer).latin1Slice(p + 1, p + 72);
    return p + 73;
  }

  /**
   * A layer named by its digest, as its index; -1 when it is not a known layer key. Neighbouring
   * images mostly share their lower layers, so the k-th ref is first compared with the previous
   * image's k-th (cache-hot bytes) before the table is searched.
   */
  private ref(buf: Buffer, p: number, end: number, k: number): number {
    // A known key is a checked digest: no escapes, no quotes, so a hit is the whole string.
    // Nearly every ref is `"sha256:<64 hex>"`: try that length before searching for the quote.
    let close = p + 72;
    if (close < end && buf[close] === QUOTE) {
      if (k < PREV_MAX) {
        const prev = this.prevRefs;
        const o = k * 71;
        if (k < this.prevCount) {
          let j = 70;
          while (j >= 0 && prev[o + j] === buf[p + 1 + j]) j--;
          if (j < 0) {
            this.value = this.prevLayer[k];
            return close + 1;
          }
        }
        const l = this.layerKeys.getBytes(buf, p + 1, close);
        if (l < 0) return -1;
        prev.set(buf.subarray(p + 1, close), o);
        this.prevLayer[k] = l;
        this.value = l;
        return close + 1;
      }
    } else {
      close = p + 1;
      while (close < end && buf[close] !== QUOTE) close++;
      if (close >= end) return -1;
    }
    const l = this.layerKeys.getBytes(buf, p + 1, close);
    if (l < 0) return -1;
    this.value = l;
    return close + 1;
  }

  /** A whole number >= 0 without sign, fraction or exponent, at most 15 digits. */
  private num(buf: Buffer, p: number, end: number): number {
    let v = 0;
    const start = p;
    while (p < end) {
      const c = buf[p];
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      p++;
    }
    const digits = p - start;
    if (digits === 0 || digits > 15 || (digits > 1 && buf[start] === 0x30) || p >= end) return -1;
    const c = buf[p];
    if (c === 0x2e || c === 0x65 || c === 0x45) return -1;
    this.value = v;
    return p;
  }

  /** A string without escapes or control characters. */
  private str(buf: Buffer, p: number, end: number): number {
    if (buf[p] !== QUOTE) return -1;
    let ascii = true;
    let k = p + 1;
    for (; k < end; k++) {
      const c = buf[k];
      if (c === QUOTE) break;
      if (c < 0x20 || c === 0x5c) return -1;
      if (c >= 0x80) ascii = false;
    }
    if (k >= end) return -1;
    this.value = ascii ? (buf as RawBuffer).latin1Slice(p + 1, k) : (buf as RawBuffer).utf8Slice(p + 1, k);
    return k + 1;
  }
}

function matches(buf: Buffer, p: number, end: number, bytes: Uint8Array): boolean {
  if (p + bytes.length > end) return false;
  for (let k = 0; k < bytes.length; k++) if (buf[p + k] !== bytes[k]) return false;
  return true;
}
