// Byte-level readers for the records layerlab itself writes (JSON.stringify of a layer or an
// image: no spaces, keys in a fixed order, plain strings). A record is scanned into the fields
// of a FastRecords (no object per record, digests decoded to raw bytes, an image's digest layer
// refs looked up in the layer table straight from the bytes) with no side effect, so that
// anything else (spaces, escapes, other key orders, unknown keys, fractions, refs not found) can
// make it give up: the record then goes through JSON.parse and the strict checks instead. It only
// ever accepts what that path accepts, and SnapshotLoader gives the same result from its fields.
import type { DigestTable } from './digest-table.js';
import type { Obj } from './snapshot-loader.js';

/** Node's Buffer has these (toString calls them after argument checks); typed here to skip the checks per string. */
export type RawBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

const QUOTE = 0x22;
/** How many refs of the previous image are remembered. */
const PREV_MAX = 128;
/** A remembered ref: its 71 characters and closing quote, as 9 little-endian doubles. */
const REF_WORDS = 9;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RBRACE = 0x7d;

/** Two hex characters (as a little-endian 16-bit read gives them) → their byte, or -1. */
const HEX2 = new Int16Array(65536).fill(-1);
{
  const digits = '0123456789abcdef';
  for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) HEX2[digits.charCodeAt(a) | (digits.charCodeAt(b) << 8)] = (a << 4) | b;
}
/** Words are assembled so that their bytes lie in memory in digest order, as Int32Array stores them. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A key as written (`"name":`): its length, its whole 8-byte words as little-endian doubles and
 * the bytes after them. Key text is printable ASCII, so as a double each word is finite and not
 * zero, and == on such doubles is equality of the 8 bytes: a key is matched in a few loads, not
 * byte by byte (which was about two fifths of scanning a layer record).
 */
interface Key {
  length: number;
  words: number[];
  tail: number[];
}
const keys = (names: string[]): Key[] =>
  names.map((n) => {
    const b = Buffer.from(`${JSON.stringify(n)}:`, 'latin1');
    const whole = LITTLE_ENDIAN ? b.length >> 3 : 0;
    const words: number[] = [];
    for (let w = 0; w < whole; w++) words.push(b.readDoubleLE(8 * w));
    return { length: b.length, words, tail: [...b.subarray(8 * whole)] };
  });
const LAYER_KEYS = keys(['diffId', 'size', 'digest', 'compressedSize', 'mediaType']);
const IMAGE_KEYS = keys(['id', 'layers', 'repoTags', 'repoDigests', 'created', 'platform', 'parent']);

/** Scans one record of layerlab's own shape into its fields; `end` is where it stopped. */
export class FastRecords {
  end = 0;
  // A layer: raw sha256 bytes of diffId at 0 and digest at 32 (when present), sizes (-1: absent).
  hasDiffId = false;
  hasDigest = false;
  readonly raw = new Uint8Array(96);
  /** `raw` as words (DigestTable.appendWords copies them). */
  readonly rawWords = new Int32Array(this.raw.buffer);
  /** raw[64..96): the ref being looked up (an image's ID stays at 0). */
  private readonly refRaw = this.raw.subarray(64);
  private readonly refWords = new Int32Array(this.raw.buffer, 64, 8);
  size = -1;
  compressedSize = -1;
  mediaType: string | undefined = undefined;
  // An image: its ID's raw bytes in `raw` at 0, layer indices, reference strings as written.
  private refBuf = new Int32Array(256);
  refCount = 0;
  readonly repoTags: string[] = [];
  readonly repoDigests: string[] = [];
  /**
   * With `spansOnly`, repoTags and repoDigests stay empty and each string is kept as its bytes'
   * span instead: start, end, and 1 when not ASCII (the reading thread copies the bytes, and the
   * main thread makes the strings, once).
   */
  spansOnly = false;
  spans = new Int32Array(48);
  spanCount = 0;
  /** How many of the spans are repo tags (the rest are repo digests). */
  tagSpans = 0;
  created = -1;
  platform: string | undefined = undefined;
  /** Offset in the scanned buffer of the parent digest's first character, -1 when absent. */
  parentAt = -1;
  /** Offset of the image ID's first character. */
  idAt = -1;

  private str: string | undefined = undefined;
  private num = 0;
  private layer = 0;
  /** The previous image's first PREV_MAX refs and their layers. */
  private readonly prevWords = new Float64Array(PREV_MAX * REF_WORDS);
  private readonly prevLayer = new Int32Array(PREV_MAX);
  private prevCount = 0;
  /** The last media type's bytes and string: a million layers share a handful. */
  private mediaBytes = new Uint8Array(0);
  /** mediaBytes' whole 8-byte words, as doubles (compared as the refs are, see {@link ref}). */
  private mediaWords = new Float64Array(0);
  private mediaString = '';
  private dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private dvOf: Uint8Array | undefined;
  private readonly layerKeys: DigestTable;
  /** Per layer, its identity key's entry in layerKeys plus one (set once the layers are read). */
  keyEntry: Uint32Array = new Uint32Array(0);
  /** The highest layer an image named so far. */
  private maxLayer = -1;
  constructor(layerKeys: DigestTable) {
    this.layerKeys = layerKeys;
  }

  /** Scans a layer record at `p` (buf[p] is `{`); false when it is not in layerlab's own shape. */
  layerRecord(buf: Buffer, p: number, end: number): boolean {
    this.hasDiffId = this.hasDigest = false;
    this.size = this.compressedSize = -1;
    this.mediaType = undefined;
    p++;
    for (let next = 0, first = true; ; first = false) {
      if (p >= end) return false;
      if (buf[p] === RBRACE) break;
      if (!first) {
        if (buf[p] !== COMMA) return false;
        p++;
      }
      let k = next;
      while (k < LAYER_KEYS.length && !this.matches(buf, p, end, LAYER_KEYS[k])) k++;
      if (k === LAYER_KEYS.length) return false;
      next = k + 1;
      p += LAYER_KEYS[k].length;
      if (k === 0) {
        p = this.digest(buf, p, end, 0);
        this.hasDiffId = true;
      } else if (k === 2) {
        p = this.digest(buf, p, end, 32);
        this.hasDigest = true;
      } else if (k === 4) {
        p = this.mediaTypeAt(buf, p, end);
      } else {
        p = this.number(buf, p, end);
        if (k === 1) this.size = this.num;
        else this.compressedSize = this.num;
      }
      if (p < 0) return false;
    }
    this.end = p + 1;
    return this.hasDiffId || this.hasDigest;
  }

  /** Scans an image record at `p`; false when it is not in layerlab's own shape, or a ref is not a known layer. */
  imageRecord(buf: Buffer, p: number, end: number, layerCount: number): boolean {
    this.idAt = this.parentAt = this.created = -1;
    // Emptied by pop: setting an array's length is a slow builtin call.
    this.refCount = 0;
    while (this.repoTags.length !== 0) this.repoTags.pop();
    while (this.repoDigests.length !== 0) this.repoDigests.pop();
    this.spanCount = this.tagSpans = 0;
    this.platform = undefined;
    let hasLayers = false;
    p++;
    for (let next = 0, first = true; ; first = false) {
      if (p >= end) return false;
      if (buf[p] === RBRACE) break;
      if (!first) {
        if (buf[p] !== COMMA) return false;
        p++;
      }
      let k = next;
      while (k < IMAGE_KEYS.length && !this.matches(buf, p, end, IMAGE_KEYS[k])) k++;
      if (k === IMAGE_KEYS.length) return false;
      next = k + 1;
      p += IMAGE_KEYS[k].length;
      switch (k) {
        case 0:
          this.idAt = p + 1;
          p = this.digest(buf, p, end, 0);
          break;
        case 1:
          hasLayers = true;
          p = this.refList(buf, p, end, layerCount);
          break;
        case 2:
          p = this.spansOnly ? this.stringSpans(buf, p, end) : this.strings(buf, p, end, this.repoTags);
          this.tagSpans = this.spanCount;
          break;
        case 3:
          p = this.spansOnly ? this.stringSpans(buf, p, end) : this.strings(buf, p, end, this.repoDigests);
          break;
        case 4:
          p = this.number(buf, p, end);
          this.created = this.num;
          break;
        case 5:
          p = this.string(buf, p, end);
          this.platform = this.str;
          break;
        default:
          this.parentAt = p + 1;
          p = this.digest(buf, p, end, -1);
      }
      if (p < 0) return false;
    }
    this.end = p + 1;
    return this.idAt >= 0 && hasLayers;
  }

  /** The scanned image's layers (a view that the next scan overwrites). */
  refs(): Int32Array {
    return this.refBuf.subarray(0, this.refCount);
  }

  private growRefs(): void {
    const next = new Int32Array(this.refBuf.length * 2);
    next.set(this.refBuf);
    this.refBuf = next;
  }

  /**
   * The scanned record as the object JSON.parse would give (digest refs as layer indices), for a
   * record that must wait until the sections before it are read.
   */
  toObject(kind: 'layers' | 'images', buf: Buffer): Obj {
    const hex = (at: number) => 'sha256:' + Buffer.from(this.raw.subarray(at, at + 32)).toString('hex');
    const opt = (n: number) => (n < 0 ? undefined : n);
    if (kind === 'layers') {
      return { diffId: this.hasDiffId ? hex(0) : undefined, size: opt(this.size), digest: this.hasDigest ? hex(32) : undefined, compressedSize: opt(this.compressedSize), mediaType: this.mediaType } as Obj;
    }
    const at = (p: number) => (buf as RawBuffer).latin1Slice(p, p + 71);
    const fromSpans = (from: number, to: number) => {
      const out: string[] = [];
      for (let k = from; k < to; k++) {
        const s = this.spans;
        out.push(s[3 * k + 2] === 0 ? (buf as RawBuffer).latin1Slice(s[3 * k], s[3 * k + 1]) : (buf as RawBuffer).utf8Slice(s[3 * k], s[3 * k + 1]));
      }
      return out;
    };
    const repoTags = this.spansOnly ? fromSpans(0, this.tagSpans) : [...this.repoTags];
    const repoDigests = this.spansOnly ? fromSpans(this.tagSpans, this.spanCount) : [...this.repoDigests];
    return { id: at(this.idAt), layers: Array.from(this.refs()), repoTags, repoDigests, created: opt(this.created), platform: this.platform, parent: this.parentAt < 0 ? undefined : at(this.parentAt) } as Obj;
  }

  /**
   * `"sha256:<64 lowercase hex>"` exactly (other digests take the checked path), decoded into
   * raw[to..to+32) unless `to` < 0; the index after it, or -1.
   */
  private digest(buf: Buffer, p: number, end: number, to: number): number {
    if (p + 72 >= end || buf[p] !== QUOTE || buf[p + 72] !== QUOTE) return -1;
    if (buf[p + 1] !== 0x73 || buf[p + 2] !== 0x68 || buf[p + 3] !== 0x61 || buf[p + 4] !== 0x32 || buf[p + 5] !== 0x35 || buf[p + 6] !== 0x36 || buf[p + 7] !== COLON) return -1;
    const dv = this.view(buf);
    const words = this.rawWords;
    let bad = 0;
    for (let k = 0, q = p + 8; k < 8; k++, q += 8) {
      const b0 = HEX2[dv.getUint16(q, true)];
      const b1 = HEX2[dv.getUint16(q + 2, true)];
      const b2 = HEX2[dv.getUint16(q + 4, true)];
      const b3 = HEX2[dv.getUint16(q + 6, true)];
      // A pair that is not lower-case hex is -1: the sign bit says so.
      bad |= b0 | b1 | b2 | b3;
      if (to >= 0) words[(to >> 2) + k] = LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    }
    return bad < 0 ? -1 : p + 73;
  }

  /** Whether `key` is written at buf[p]. */
  private matches(buf: Buffer, p: number, end: number, key: Key): boolean {
    if (p + key.length > end) return false;
    const words = key.words;
    if (words.length !== 0) {
      const dv = this.view(buf);
      for (let w = 0; w < words.length; w++) if (words[w] !== dv.getFloat64(p + 8 * w, true)) return false;
    }
    const tail = key.tail;
    const at = p + 8 * words.length;
    for (let k = 0; k < tail.length; k++) if (buf[at + k] !== tail[k]) return false;
    return true;
  }

  private view(buf: Buffer): DataView {
    if (buf !== this.dvOf) {
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.dvOf = buf;
    }
    return this.dv;
  }

  private refList(buf: Buffer, p: number, end: number, layerCount: number): number {
    if (buf[p] !== LBRACKET) return -1;
    p++;
    if (buf[p] === RBRACKET) {
      this.prevCount = 0;
      return p + 1;
    }
    for (let k = 0; ; k++) {
      if (p >= end) return -1;
      if (buf[p] === QUOTE) p = this.ref(buf, p, end, k);
      else {
        p = this.number(buf, p, end);
        if (p >= 0 && this.num >= layerCount) return -1;
        this.layer = this.num;
      }
      if (p < 0) return -1;
      if (this.refCount === this.refBuf.length) this.growRefs();
      this.refBuf[this.refCount++] = this.layer;
      if (buf[p] === RBRACKET) break;
      if (buf[p] !== COMMA) return -1;
      p++;
    }
    this.prevCount = Math.min(this.refCount, PREV_MAX);
    return p + 1;
  }

  /**
   * A layer named by its digest, into this.layer; -1 when it is not a known layer key. Neighbouring
   * images mostly share their lower layers, so the k-th ref is first compared with the previous
   * image's k-th (cache-hot words) before the table is searched.
   */
  private ref(buf: Buffer, p: number, end: number, k: number): number {
    const close = p + 72;
    // A known key is a checked digest: no escapes, no quotes, so a hit is the whole string. Keys
    // that are not `sha256:<64 hex>` (rare) are left to the checked path.
    if (close >= end || buf[close] !== QUOTE) return -1;
    if (k >= PREV_MAX) {
      this.layer = this.lookup(buf, p + 1, end);
      return this.layer < 0 ? -1 : close + 1;
    }
    const dv = this.view(buf);
    const prev = this.prevWords;
    const o = k * REF_WORDS;
    if (k < this.prevCount) {
      // Compared as doubles, 8 bytes a load. A remembered ref is digest text (bytes 0x22..0x7a):
      // as a double it is finite, positive and not zero, and for such values == is bit equality.
      let j = 0;
      while (j < REF_WORDS && prev[o + j] === dv.getFloat64(p + 1 + 8 * j, true)) j++;
      if (j === REF_WORDS) {
        this.layer = this.prevLayer[k];
        return close + 1;
      }
    }
    const l = this.lookup(buf, p + 1, end);
    if (l < 0) return -1;
    for (let j = 0; j < REF_WORDS; j++) prev[o + j] = dv.getFloat64(p + 1 + 8 * j, true);
    this.prevLayer[k] = l;
    this.layer = l;
    return close + 1;
  }

  /**
   * The layer whose key is the text at buf[at]: the layer after the highest one named so far
   * when it is that one (a snapshot lists layers in the order images first use them, so a ref
   * that is not the previous image's is most often the next new layer), else by the table.
   */
  private lookup(buf: Buffer, at: number, end: number): number {
    // Decoded once (a text that is not `sha256:<64 lower-case hex>` is no key of this table).
    if (this.digest(buf, at - 1, end, 64) < 0) return -1;
    const next = this.maxLayer + 1;
    let l: number;
    if (next < this.keyEntry.length && this.layerKeys.isRawAt(this.refWords, this.keyEntry[next] - 1)) l = next;
    else l = this.layerKeys.getRaw(this.refRaw, this.refWords);
    if (l > this.maxLayer) this.maxLayer = l;
    return l;
  }

  /** A whole number >= 0 without sign, fraction or exponent, at most 15 digits, into this.num. */
  private number(buf: Buffer, p: number, end: number): number {
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
    this.num = v;
    return p;
  }

  /** The closing quote of a string without escapes or control characters at p, or -1; this.num is non-zero when it is not ASCII. */
  private stringEnd(buf: Buffer, p: number, end: number): number {
    if (buf[p] !== QUOTE) return -1;
    let high = 0;
    let k = p + 1;
    for (; k < end; k++) {
      const c = buf[k];
      if (c === QUOTE) break;
      if (c < 0x20 || c === 0x5c) return -1;
      high |= c;
    }
    this.num = high & 0x80;
    return k < end ? k : -1;
  }

  /** A string into this.str; the index after it, or -1. */
  private string(buf: Buffer, p: number, end: number): number {
    const k = this.stringEnd(buf, p, end);
    if (k < 0) return -1;
    this.str = this.num === 0 ? (buf as RawBuffer).latin1Slice(p + 1, k) : (buf as RawBuffer).utf8Slice(p + 1, k);
    return k + 1;
  }

  private mediaTypeAt(buf: Buffer, p: number, end: number): number {
    // Most often the last media type again: its bytes (checked when first seen, so no quote or
    // escape among them) and then the closing quote are the whole string; no scan needed.
    const n = this.mediaBytes.length;
    if (n !== 0 && p + n + 1 < end && buf[p] === QUOTE && buf[p + n + 1] === QUOTE) {
      const dv = this.view(buf);
      const words = this.mediaWords;
      let j = 0;
      while (j < words.length && words[j] === dv.getFloat64(p + 1 + 8 * j, true)) j++;
      if (j === words.length) {
        const m = this.mediaBytes;
        let t = 8 * j;
        while (t < n && m[t] === buf[p + 1 + t]) t++;
        if (t === n) {
          this.mediaType = this.mediaString;
          return p + n + 2;
        }
      }
    }
    const k = this.stringEnd(buf, p, end);
    if (k < 0) return -1;
    const m = this.mediaBytes;
    let same = m.length === k - p - 1;
    for (let j = 0; same && j < m.length; j++) same = m[j] === buf[p + 1 + j];
    if (!same) {
      this.mediaString = this.num === 0 ? (buf as RawBuffer).latin1Slice(p + 1, k) : (buf as RawBuffer).utf8Slice(p + 1, k);
      this.mediaBytes = Uint8Array.from(buf.subarray(p + 1, k));
      // Little-endian words, as DataView reads them above (none on a big-endian machine: the bytes are compared one by one).
      this.mediaWords = LITTLE_ENDIAN ? new Float64Array(this.mediaBytes.buffer, 0, this.mediaBytes.length >> 3) : new Float64Array(0);
    }
    this.mediaType = this.mediaString;
    return k + 1;
  }

  /** As {@link strings}, keeping spans (see {@link spansOnly}). */
  private stringSpans(buf: Buffer, p: number, end: number): number {
    if (buf[p] !== LBRACKET) return -1;
    p++;
    if (buf[p] === RBRACKET) return p + 1;
    for (;;) {
      const k = this.stringEnd(buf, p, end);
      if (k < 0 || k + 1 >= end) return -1;
      if (3 * this.spanCount + 3 > this.spans.length) {
        const next = new Int32Array(this.spans.length * 2);
        next.set(this.spans);
        this.spans = next;
      }
      const s = 3 * this.spanCount++;
      this.spans[s] = p + 1;
      this.spans[s + 1] = k;
      this.spans[s + 2] = this.num === 0 ? 0 : 1;
      p = k + 1;
      if (buf[p] === RBRACKET) return p + 1;
      if (buf[p] !== COMMA) return -1;
      p++;
    }
  }

  private strings(buf: Buffer, p: number, end: number, into: string[]): number {
    if (buf[p] !== LBRACKET) return -1;
    p++;
    if (buf[p] === RBRACKET) return p + 1;
    for (;;) {
      p = this.string(buf, p, end);
      if (p < 0 || p >= end) return -1;
      into.push(this.str as string);
      if (buf[p] === RBRACKET) return p + 1;
      if (buf[p] !== COMMA) return -1;
      p++;
    }
  }
}
