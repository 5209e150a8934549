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
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RBRACE = 0x7d;

type Kind = 'digest' | 'num' | 'str' | 'refs' | 'strs';
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
  ['diffId', 'digest'],
  ['size', 'num'],
  ['digest', 'digest'],
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
  private readonly layerKeys: DigestTable;
  constructor(layerKeys: DigestTable) {
    this.layerKeys = layerKeys;
  }

  /** A layer record at `p` (buf[p] is `{`), or undefined when it is not in layerlab's own shape. */
  layer(buf: Buffer, p: number, end: number): Obj | undefined {
    return this.record(buf, p, end, LAYER_SPEC);
  }

  /** An image record at `p`, digest layer refs already turned into layer indices. */
  image(buf: Buffer, p: number, end: number): Obj | undefined {
    return this.record(buf, p, end, IMAGE_SPEC);
  }

  private record(buf: Buffer, p: number, end: number, keys: KeySpec[]): Obj | undefined {
    const o: Obj = {};
    p++;
    let next = 0;
    for (let first = true; ; first = false) {
      if (p >= end) return undefined;
      if (buf[p] === RBRACE) {
        this.end = p + 1;
        return o;
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
      o[keys[k].name] = this.value;
    }
  }

  /** Reads a value of `kind` at `p` into this.value; the index after it, or -1. */
  private read(buf: Buffer, p: number, end: number, kind: Kind): number {
    switch (kind) {
      case 'digest':
        return this.digest(buf, p, end);
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
        for (;;) {
          if (p >= end) return -1;
          if (kind === 'strs') p = this.str(buf, p, end);
          else if (buf[p] === QUOTE) p = this.ref(buf, p, end);
          else p = this.num(buf, p, end);
          if (p < 0) return -1;
          items.push(this.value);
          if (buf[p] === RBRACKET) break;
          if (buf[p] !== COMMA) return -1;
          p++;
        }
        this.value = items;
        return p + 1;
      }
    }
  }

  /** `"sha256:<64 lowercase hex>"` exactly; other digests take the checked path. */
  private digest(buf: Buffer, p: number, end: number): number {
    if (p + 72 >= end || buf[p] !== QUOTE || buf[p + 72] !== QUOTE) return -1;
    if (buf[p + 1] !== 0x73 || buf[p + 2] !== 0x68 || buf[p + 3] !== 0x61 || buf[p + 4] !== 0x32 || buf[p + 5] !== 0x35 || buf[p + 6] !== 0x36 || buf[p + 7] !== COLON) return -1;
    for (let k = p + 8; k < p + 72; k++) {
      const c = buf[k];
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1;
    }
    this.value = (buf as RawBuffer).latin1Slice(p + 1, p + 72);
    return p + 73;
  }

  /** A layer named by its digest, as its index; -1 when it is not a known layer key. */
  private ref(buf: Buffer, p: number, end: number): number {
    const close = buf.indexOf(QUOTE, p + 1);
    if (close < 0 || close >= end) return -1;
    // A known key is a checked digest: no escapes, no quotes, so a hit is the whole string.
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
