// SHA-256 of a short ASCII string, as lower-case hex: what every chainID costs (`sha256(parent + " "
// + diffID)`, 143 bytes), 2M times for a prune -a, tree or report of 1M images. The general hasher
// (@noble/hashes) builds a hash object, a DataView and a byte array per call; this one reads the
// string's char codes straight into 32-bit words and keeps its state in locals. The model runs in
// the browser too, so node:crypto is no option. Non-ASCII input is left to the general hasher.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
let words = new Int32Array(64);
const HEX = '0123456789abcdef';
const out = new Uint16Array(64);

/** Lower-case hex SHA-256 of `s` when every char is ASCII, else undefined. */
export function sha256AsciiHex(s: string): string | undefined {
  const n = s.length;
  const blocks = (n + 9 + 63) >>> 6;
  if (words.length < blocks * 16) words = new Int32Array(blocks * 32);
  const m = words;
  m.fill(0, 0, blocks * 16);
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c > 127) return undefined;
    m[k >>> 2] |= c << (24 - ((k & 3) << 3));
  }
  m[n >>> 2] |= 0x80 << (24 - ((n & 3) << 3));
  // The bit length in the last two words (strings here are far below 2^29 bytes).
  m[blocks * 16 - 1] = n << 3;
  m[blocks * 16 - 2] = Math.floor(n / 0x20000000);
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85 | 0; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a | 0;
  H[4] = 0x510e527f; H[5] = 0x9b05688c | 0; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  for (let b = 0; b < blocks; b++) compress(m, b * 16);
  for (let w = 0; w < 8; w++) {
    const v = H[w];
    for (let k = 0; k < 8; k++) out[w * 8 + k] = HEX.charCodeAt((v >>> (28 - 4 * k)) & 15);
  }
  return String.fromCharCode.apply(null, out as unknown as number[]);
}

function compress(m: Int32Array, at: number): void {
  for (let i = 0; i < 16; i++) W[i] = m[at + i];
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (s1 + W[i - 7] + s0 + W[i - 16]) | 0;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
}
