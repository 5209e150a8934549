import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { LayerlabError, quote } from '../errors.js';
import { sha256AsciiHex } from './sha256-ascii.js';

/** A content digest `algorithm:hex`, validated (see {@link parseDigest}). */
export type Digest = string;

/** Hex length of each supported algorithm (those go-digest registers). */
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
// The grammar of distribution/reference's digestPat; anything matching it with an unknown
// algorithm is "unsupported", anything else is "invalid format" (go-digest's two errors).
const DIGEST_SHAPE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const LOWER_HEX = /^[0-9a-f]+$/;

/**
 * Why a string is not a digest, or undefined when it is one. Mirrors go-digest's Validate; the
 * message starts with go-digest's own error text (before any `:` detail).
 */
export function digestProblem(s: string): string | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0 || colon === s.length - 1) return 'invalid checksum digest format: expected "algorithm:hex"';
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  const want = HEX_LENGTH[algorithm];
  if (want === undefined) {
    return DIGEST_SHAPE.test(s)
      ? `unsupported digest algorithm: "${algorithm}" (sha256, sha384, sha512 are supported)`
      : 'invalid checksum digest format: expected "algorithm:hex"';
  }
  if (hex.length !== want) return `invalid checksum digest length: ${algorithm} needs ${want} hex characters, got ${hex.length}`;
  if (!LOWER_HEX.test(hex)) return 'invalid checksum digest format: hex must be lowercase 0-9a-f';
  return undefined;
}

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && digestProblem(s) === undefined;
}

/** Validates a digest and returns it; throws `EDIGEST` naming what is wrong. */
export function parseDigest(s: string, place: { file?: string; path?: string } = {}): Digest {
  const problem = digestProblem(s);
  if (problem) throw new LayerlabError('EDIGEST', `${problem} (got ${quote(s)})`, place);
  return s;
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Docker's short ID: the first 12 hex characters, algorithm dropped. */
export function shortId(idOrDigest: string): string {
  const hex = idOrDigest.includes(':') ? digestHex(idOrDigest) : idOrDigest;
  return hex.slice(0, 12);
}

/** `sha256:<hex>` of bytes (a string is hashed as UTF-8). */
export function sha256Digest(data: Uint8Array | string): Digest {
  // chainIDs (2M per prune -a of 1M images): short ASCII strings hashed without a byte copy
  const fast = typeof data === 'string' && data.length <= 4096 ? sha256AsciiHex(data) : undefined;
  if (fast !== undefined) return `sha256:${fast}`;
  return 'sha256:' + bytesToHex(sha256(typeof data === 'string' ? asciiOrUtf8(data) : data));
}

// chainIDs hash millions of short ASCII strings: copying the codes into one reused buffer beats
// a TextEncoder call and a new array each (sha256 reads the bytes before the next call).
let scratch = new Uint8Array(256);
function asciiOrUtf8(s: string): Uint8Array {
  if (s.length > scratch.length) scratch = new Uint8Array(s.length * 2);
  const out = scratch;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x7f) return utf8ToBytes(s);
    out[k] = c;
  }
  return out.subarray(0, s.length);
}
