// Digest → index lookups for loading huge snapshots. A `Map<string, number>` needs a string per
// lookup and keeps every key as a heap string; a snapshot line names each layer by a 71-character
// digest, and making (and collecting) tens of millions of such strings was most of the cost of
// loading. This table keeps `sha256:<64 hex>` keys as their 32 raw bytes in one typed array
// (outside the heap) and is looked up by the key's characters wherever they are: a JS string, or
// bytes in the read buffer. Other keys (other algorithms, upper-case hex) are kept as strings.

import { ABSENT, mixHash32, NOT_SHA256 } from '../model/digest-bytes.js';
import type { LazyDigests } from '../model/graph.js';

/** A slot holds its entry plus one (0: empty, so a new table needs no fill); read back, an empty slot is EMPTY. */
const EMPTY = -1;
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x61 + c] = 10 + c;
/** `sha256:` as character codes. */
const PREFIX = [0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x3a];
const SHA256_LENGTH = 71;


/** Hash of a sha256 key from its first and last 8 hex digits (random in real digests). */
function shaHash(a: number, b: number): number {
  return mixHash32(a ^ Math.imul(b, 0x9e3779b1));
}

function hashString(key: string, sha: boolean): number {
  const len = key.length;
  if (sha) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < 8; k++) {
      a = (a << 4) | HEX[key.charCodeAt(7 + k)];
      b = (b << 4) | HEX[key.charCodeAt(len - 8 + k)];
    }
    return shaHash(a, b);
  }
  let h = len;
  for (let k = 0; k < len; k++) h = Math.imul(h ^ key.charCodeAt(k), 0x01000193);
  return mixHash32(h);
}

function hashBytes(buf: Uint8Array, start: number, end: number, sha: boolean): number {
  if (sha) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < 8; k++) {
      a = (a << 4) | HEX[buf[start + 7 + k]];
      b = (b << 4) | HEX[buf[end - 8 + k]];
    }
    return shaHash(a, b);
  }
  let h = end - start;
  for (let k = start; k < end; k++) h = Math.imul(h ^ buf[k], 0x01000193);
  return mixHash32(h);
}

/** A table's storage as another thread takes it (see {@link DigestTable.share}). */
export interface SharedDigestTable {
  raw: Uint8Array;
  values: Int32Array;
  slots: Int32Array;
  mask: number;
  count: number;
  other: [number, string][];
}

/** Open-addressing hash table from digest strings to non-negative indices. */
export class DigestTable {
  /** Raw bytes of entry e's sha256 digest at e*32 (unused for other keys). */
  private raw: Uint8Array;
  /** `raw` as words. */
  private rawWords: Int32Array;
  /** Keys that are not lower-case sha256 digests, by entry. */
  private other = new Map<number, string>();
  private values: Int32Array;
  private count = 0;
  /** Entries before this one are in the lookup slots; the rest were appended and wait for {@link indexPending}. */
  private indexed = 0;
  /**
   * Two numbers per slot: the entry index plus one (0: empty) and the entry's hash, side by side so a probe
   * touches one cache line and most never touch the key.
   */
  private slots: Int32Array;
  /** Number of slots minus one. */
  private mask: number;

  /** With `shared`, the storage is in SharedArrayBuffers, so that {@link share} hands it to another thread without a copy. */
  constructor(
    expected = 1024,
    private readonly shared = false,
  ) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = this.ints(cap * 2);
    this.mask = cap - 1;
    this.raw = this.bytes(Math.max(expected, 64) * 32);
    this.rawWords = new Int32Array(this.raw.buffer);
    this.values = this.ints(Math.max(expected, 64));
  }

  private ints(n: number): Int32Array {
    return this.shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
  }

  private bytes(n: number): Uint8Array {
    return this.shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
  }

  /**
   * The indexed table's storage, for lookups on another thread ({@link adopt}) while this one
   * adds nothing (an add that grows the table makes new storage, which the other does not see).
   */
  share(): SharedDigestTable {
    if (!this.shared) throw new Error('DigestTable: share of a table not made shared');
    if (this.indexed !== this.count) this.unindexed();
    return { raw: this.raw, values: this.values, slots: this.slots, mask: this.mask, count: this.count, other: [...this.other] };
  }

  /** Takes another thread's table (see {@link share}) in place of this one's contents, for lookups. */
  adopt(t: SharedDigestTable): void {
    this.raw = t.raw;
    // Divided, not shifted: a table of 2^26 keys or more holds 2 GiB or more of raw keys.
    this.rawWords = new Int32Array(t.raw.buffer, t.raw.byteOffset, t.raw.length / 4);
    this.values = t.values;
    this.slots = t.slots;
    this.mask = t.mask;
    this.count = this.indexed = t.count;
    this.other = new Map(t.other);
  }

  get size(): number {
    return this.count;
  }

  /** How many keys fit before the storage grows (as sized at construction, or since grown). */
  get capacity(): number {
    return this.values.length;
  }

  /** The value stored for `key`, or -1. */
  get(key: string): number {
    const e = this.find(key);
    return e < 0 ? -1 : this.values[e];
  }

  /** The value stored for the latin-1 bytes `buf[start, end)`, or -1; no string is made. */
  getBytes(buf: Uint8Array, start: number, end: number): number {
    if (this.indexed !== this.count) this.unindexed();
    const sha = isShaBytes(buf, start, end);
    const h = hashBytes(buf, start, end, sha);
    const slots = this.slots;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = slots[2 * s] - 1;
      if (e === EMPTY) return -1;
      if (slots[2 * s + 1] !== h) continue;
      if (sha) {
        if (this.other.has(e)) continue;
        const raw = this.raw;
        let k = 0;
        for (let o = e * 32, p = start + 7; k < 32; k++, o++, p += 2) if (((HEX[buf[p]] << 4) | HEX[buf[p + 1]]) !== raw[o]) break;
        if (k === 32) return this.values[e];
      } else {
        const key = this.other.get(e);
        if (key === undefined || key.length !== end - start) continue;
        let k = 0;
        while (k < key.length && key.charCodeAt(k) === buf[start + k]) k++;
        if (k === key.length) return this.values[e];
      }
    }
  }

  /** Entry number of the key last added (by any add method). */
  lastEntry = -1;

  /**
   * Stores `value` for the `sha256:<64 lower-case hex>` key in `buf[start, start + 71)` (the
   * caller checked its form) unless the key is there; the value already stored, or -1 when added.
   */
  addShaBytesIfAbsent(buf: Uint8Array, start: number, value: number): number {
    const prev = this.getBytes(buf, start, start + SHA256_LENGTH);
    if (prev >= 0) return prev;
    const e = (this.lastEntry = this.count++);
    this.ensure(this.count);
    const raw = this.raw;
    for (let k = 0, o = e * 32, p = start + 7; k < 32; k++, o++, p += 2) raw[o] = (HEX[buf[p]] << 4) | HEX[buf[p + 1]];
    this.values[e] = value;
    this.place(e, hashBytes(buf, start, start + SHA256_LENGTH, true));
    return -1;
  }

  /**
   * The value stored for the `sha256:<64 lower-case hex>` key whose text starts at buf[start]
   * (71 bytes, read in full), or -1. Text of another form is not found here: keys that are not
   * such digests are looked up with {@link getBytes}.
   */
  getSha256(buf: Uint8Array, start: number): number {
    if (this.indexed !== this.count) this.unindexed();
    for (let k = 0; k < 7; k++) if (buf[start + k] !== PREFIX[k]) return -1;
    const h = hashBytes(buf, start, start + SHA256_LENGTH, true);
    const slots = this.slots;
    const raw = this.raw;
    const others = this.other.size !== 0;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = slots[2 * s] - 1;
      if (e === EMPTY) return -1;
      if (slots[2 * s + 1] !== h || (others && this.other.has(e))) continue;
      // A character that is not lower-case hex decodes to a negative number: never equal to a byte.
      let k = 0;
      for (let o = e * 32, p = start + 7; k < 32; k++, o++, p += 2) if (((HEX[buf[p]] << 4) | HEX[buf[p + 1]]) !== raw[o]) break;
      if (k === 32) return this.values[e];
    }
  }

  /**
   * Appends the sha256 digest whose 32 raw bytes words[at, at + 8) hold (in memory order), with
   * `value`; its entry number. It is not found, and nothing else may be added or looked up, until
   * {@link indexPending}: indexing many keys in one tight loop lets the processor wait for several
   * slot cache misses at once, where one key at a time between record scans waits for each.
   */
  appendWords(words: Int32Array, at: number, value: number): number {
    const e = (this.lastEntry = this.count++);
    if (this.count > this.values.length) this.growStorage();
    const raw = this.rawWords;
    for (let k = 0, o = e * 8; k < 8; k++) raw[o + k] = words[at + k];
    this.values[e] = value;
    return e;
  }

  /**
   * The value stored for the sha256 digest whose 32 raw bytes are `raw` (`words` is the same
   * memory as 8 words), or -1: a ref decoded once is compared a word at a time, not re-decoded
   * from its text for every candidate.
   */
  getRaw(raw: Uint8Array, words: Int32Array): number {
    if (this.indexed !== this.count) this.unindexed();
    const h = shaHash((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3], (raw[28] << 24) | (raw[29] << 16) | (raw[30] << 8) | raw[31]);
    const slots = this.slots;
    const others = this.other.size !== 0;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = slots[2 * s] - 1;
      if (e === EMPTY) return -1;
      if (slots[2 * s + 1] !== h || (others && this.other.has(e))) continue;
      if (this.wordsEqual(words, e)) return this.values[e];
    }
  }

  /** Whether entry e's key is the sha256 digest whose raw bytes `words` holds (see {@link getRaw}). */
  isRawAt(words: Int32Array, e: number): boolean {
    if (e < 0 || e >= this.count || (this.other.size !== 0 && this.other.has(e))) return false;
    return this.wordsEqual(words, e);
  }

  private wordsEqual(words: Int32Array, e: number): boolean {
    const r = this.rawWords;
    const o = e * 8;
    return r[o] === words[0] && r[o + 1] === words[1] && r[o + 2] === words[2] && r[o + 3] === words[3] && r[o + 4] === words[4] && r[o + 5] === words[5] && r[o + 6] === words[6] && r[o + 7] === words[7];
  }

  /** Whether the 71 bytes at buf[start] are the text of entry e's key (a sha256 digest). */
  isSha256At(buf: Uint8Array, start: number, e: number): boolean {
    if (e < 0 || e >= this.count || (this.other.size !== 0 && this.other.has(e))) return false;
    for (let k = 0; k < 7; k++) if (buf[start + k] !== PREFIX[k]) return false;
    const raw = this.raw;
    for (let k = 0, o = e * 32, p = start + 7; k < 32; k++, o++, p += 2) if (((HEX[buf[p]] << 4) | HEX[buf[p + 1]]) !== raw[o]) return false;
    return true;
  }

  /** The value stored with entry e. */
  valueAt(e: number): number {
    return this.values[e];
  }

  /**
   * Makes the appended entries findable, in the order they were appended. Stops at the first
   * whose key is in the table already and returns its entry (the value stored for the key before
   * is then {@link duplicateValue}); -1 when there was none.
   */
  indexPending(): number {
    if (this.indexed === this.count) return -1;
    while (this.count * 2 > this.mask + 1) this.grow();
    const raw = this.raw;
    const slots = this.slots;
    const mask = this.mask;
    const others = this.other.size !== 0;
    for (let e = this.indexed; e < this.count; e++) {
      const o = e * 32;
      const h = shaHash((raw[o] << 24) | (raw[o + 1] << 16) | (raw[o + 2] << 8) | raw[o + 3], (raw[o + 28] << 24) | (raw[o + 29] << 16) | (raw[o + 30] << 8) | raw[o + 31]);
      let s = h & mask;
      for (; slots[2 * s] !== 0; s = (s + 1) & mask) {
        const x = slots[2 * s] - 1;
        if (slots[2 * s + 1] !== h || (others && this.other.has(x))) continue;
        let k = 0;
        while (k < 32 && raw[x * 32 + k] === raw[o + k]) k++;
        if (k === 32) {
          this.indexed = e;
          this.duplicateValue = this.values[x];
          return e;
        }
      }
      slots[2 * s] = e + 1;
      slots[2 * s + 1] = h;
    }
    this.indexed = this.count;
    return -1;
  }

  /** See {@link indexPending}. */
  duplicateValue = -1;

  /** Stores `value` for `key` (which must not be in the table yet); returns the key's entry number. */
  add(key: string, value: number): number {
    const e = (this.lastEntry = this.count++);
    this.ensure(this.count);
    const sha = isShaString(key);
    if (sha) {
      const raw = this.raw;
      for (let k = 0, o = e * 32, p = 7; k < 32; k++, o++, p += 2) raw[o] = (HEX[key.charCodeAt(p)] << 4) | HEX[key.charCodeAt(p + 1)];
    } else this.other.set(e, key);
    this.values[e] = value;
    this.place(e, hashString(key, sha));
    return e;
  }

  /** Stores `value` for `key` unless it is there; returns the value already stored, or -1 when added. */
  addIfAbsent(key: string, value: number): number {
    const e = this.find(key);
    if (e >= 0) return this.values[e];
    this.add(key, value);
    return -1;
  }

  /** Changes the value of a key already in the table (adds it when absent). */
  set(key: string, value: number): void {
    const e = this.find(key);
    if (e < 0) this.add(key, value);
    else this.values[e] = value;
  }

  /** The key of entry e (entries number 0.. in the order keys were added). */
  keyOf(e: number): string {
    const o = this.other.get(e);
    if (o !== undefined) return o;
    return 'sha256:' + Buffer.from(this.raw.buffer, this.raw.byteOffset + e * 32, 32).toString('hex');
  }

  /** The raw sha256 keys, entry e's at e * 32 (meaningless for entries {@link isOther} says are not sha256). */
  rawKeys(): Uint8Array {
    return this.raw;
  }

  /** Whether entry e's key is not a lower-case sha256 digest (kept as a string). */
  isOther(e: number): boolean {
    return this.other.size !== 0 && this.other.has(e);
  }

  /**
   * Drops the lookup slots once no more lookups will come; {@link keyOf} keeps working (a loaded
   * graph keeps the raw keys to make digest strings on demand).
   */
  release(): void {
    this.slots = new Int32Array(0);
    this.mask = 0;
    // Copied to its used length only when that frees more than half: the copy (130 MB for 4M
    // keys) costs time, and the pages past the used length were never written, so they take no
    // memory (a zeroed buffer this large is mapped on first touch); a table sized up front from
    // its input's length (SnapshotLoader) is most often a fifth or so larger than it needed.
    const used = this.count * 32;
    if (used < this.raw.length / 2) {
      this.raw = this.raw.slice(0, used);
      this.rawWords = new Int32Array(this.raw.buffer);
    }
  }

  /** The entry of `key`, or -1. */
  private find(key: string): number {
    if (this.indexed !== this.count) this.unindexed();
    const sha = isShaString(key);
    const h = hashString(key, sha);
    const slots = this.slots;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = slots[2 * s] - 1;
      if (e === EMPTY) return -1;
      if (slots[2 * s + 1] !== h) continue;
      if (sha) {
        if (this.other.has(e)) continue;
        const raw = this.raw;
        let k = 0;
        for (let o = e * 32, p = 7; k < 32; k++, o++, p += 2) if (((HEX[key.charCodeAt(p)] << 4) | HEX[key.charCodeAt(p + 1)]) !== raw[o]) break;
        if (k === 32) return e;
      } else if (this.other.get(e) === key) return e;
    }
  }

  private ensure(n: number): void {
    if (this.indexed !== n - 1) throw new Error('DigestTable: an add before indexPending');
    this.indexed = n;
    if (n > this.values.length) this.growStorage();
    if (n * 2 > this.mask + 1) this.grow();
  }

  private growStorage(): void {
    const values = this.ints(this.values.length * 2);
    values.set(this.values);
    this.values = values;
    const raw = this.bytes(values.length * 32);
    raw.set(this.raw);
    this.raw = raw;
    this.rawWords = new Int32Array(raw.buffer);
  }

  private unindexed(): never {
    throw new Error('DigestTable: a lookup before indexPending');
  }

  private place(e: number, h: number): void {
    let s = h & this.mask;
    while (this.slots[2 * s] !== 0) s = (s + 1) & this.mask;
    this.slots[2 * s] = e + 1;
    this.slots[2 * s + 1] = h;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = this.ints(old.length * 2);
    this.mask = old.length - 1;
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.place(old[s] - 1, old[s + 1]);
  }
}

function isShaString(key: string): boolean {
  if (key.length !== SHA256_LENGTH) return false;
  for (let k = 0; k < 7; k++) if (key.charCodeAt(k) !== PREFIX[k]) return false;
  for (let k = 7; k < SHA256_LENGTH; k++) {
    const c = key.charCodeAt(k);
    if (c > 255 || HEX[c] < 0) return false;
  }
  return true;
}

function isShaBytes(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== SHA256_LENGTH) return false;
  for (let k = 0; k < 7; k++) if (buf[start + k] !== PREFIX[k]) return false;
  for (let k = start + 7; k < end; k++) if (HEX[buf[k]] < 0) return false;
  return true;
}

/** Digests of a column as entries of `table` plus one (0 where absent), made into strings on first use. */
export function lazyDigests(table: DigestTable, entries: Uint32Array): LazyDigests {
  return {
    length: entries.length,
    strings: () => Array.from(entries, (e) => (e === 0 ? undefined : table.keyOf(e - 1))),
    // The raw keys as they are: each entry's 32 bytes at entry * 32 (see DigestTable.keyOf).
    bytes: () => ({
      length: entries.length,
      raw: table.rawKeys(),
      offsetOf: (r) => (entries[r] === 0 ? ABSENT : table.isOther(entries[r] - 1) ? NOT_SHA256 : (entries[r] - 1) * 32),
      stringOf: (r) => (entries[r] === 0 ? undefined : table.keyOf(entries[r] - 1)),
    }),
  };
}
