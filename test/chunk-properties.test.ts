import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { chunkBytes, createChunker } from '../src/chunk/registry.js';
import { referenceFastcdc2016, referenceFastcdc2020, referenceGear, referenceRabin, type ReferenceOptions } from '../src/chunk/reference.js';
import { polMod, RABIN_DEFAULT_POLYNOMIAL } from '../src/chunk/tables.js';
import type { Chunker, ChunkRecord } from '../src/chunk/types.js';

interface Case {
  spec: string;
  reference: (bytes: Uint8Array) => ChunkRecord[];
  /** Shortest chunk but the last: FastCDC 2020 starts scanning at min/2*2. */
  minLength: number;
  maxLength: number;
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

function sizes(avgMin: number, avgMax: number, minFloor: number, maxFloor: number) {
  return fc.integer({ min: avgMin, max: avgMax }).chain((avg) =>
    fc.record({
      avg: fc.constant(avg),
      min: fc.integer({ min: minFloor, max: avg }),
      max: fc.integer({ min: Math.max(avg, maxFloor), max: Math.max(avg, maxFloor) * 8 }),
    }),
  );
}

const fastcdcCase = (variant: '2016' | '2020'): fc.Arbitrary<Case> =>
  fc.record({ s: sizes(256, 4096, 64, 1024), level: fc.integer({ min: 0, max: 3 }), seed: fc.oneof(fc.constant(0n), u64) }).map(({ s, level, seed }) => {
    const o: ReferenceOptions = { ...s, level, seed };
    const ref = variant === '2016' ? referenceFastcdc2016 : referenceFastcdc2020;
    return { spec: `fastcdc${variant}:min=${s.min},avg=${s.avg},max=${s.max},level=${level},seed=${seed}`, reference: (b) => ref(b, o), minLength: variant === '2020' ? s.min - (s.min % 2) : s.min, maxLength: s.max };
  });

const gearCase: fc.Arbitrary<Case> = fc.record({ s: sizes(64, 4096, 1, 1), seed: fc.oneof(fc.constant(0n), u64) }).map(({ s, seed }) => ({
  spec: `gear:avg=${s.avg},min=${s.min},max=${s.max},seed=${seed}`,
  reference: (b) => referenceGear(b, { ...s, seed }),
  minLength: s.min,
  maxLength: s.max,
}));

const rabinCase: fc.Arbitrary<Case> = fc
  .record({ window: fc.integer({ min: 1, max: 64 }), avg: fc.integer({ min: 64, max: 4096 }), poly: fc.oneof(fc.constant(RABIN_DEFAULT_POLYNOMIAL), fc.bigInt({ min: 1n << 9n, max: (1n << 54n) - 1n })) })
  .chain(({ window, avg, poly }) =>
    fc.record({ min: fc.integer({ min: Math.min(window, avg), max: avg }), max: fc.integer({ min: Math.max(avg, window), max: avg * 8 }) }).map(({ min, max }) => {
      const lo = Math.max(min, window);
      const o: ReferenceOptions = { min: lo, avg: Math.max(avg, lo), max: Math.max(max, avg, lo), window, poly };
      return { spec: `rabin:window=${window},avg=${o.avg},min=${o.min},max=${o.max},poly=0x${poly.toString(16)}`, reference: (b: Uint8Array) => referenceRabin(b, o), minLength: o.min, maxLength: o.max };
    }),
  );

const fixedCase: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 5000 }).map((size) => ({
  spec: `fixed:size=${size}`,
  reference: (b) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => ({ offset: i * size, length: Math.min(size, b.length - i * size), hash: null })),
  minLength: size,
  maxLength: size,
}));

const anyCase = fc.oneof(fastcdcCase('2016'), fastcdcCase('2020'), gearCase, rabinCase, fixedCase);

/** Random bytes mixed with runs of one byte value, which force max-size cuts. */
const data = fc
  .array(fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.record({ b: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 0, max: 6000 }) }).map(({ b, n }) => new Uint8Array(n).fill(b))), { maxLength: 8 })
  .map((parts) => Buffer.concat(parts));

const splits = fc.array(fc.nat(), { maxLength: 12 });

function streamChunks(chunker: Chunker, bytes: Uint8Array, cutsAt: number[]): ChunkRecord[] {
  const points = [...new Set(cutsAt.map((c) => (bytes.length ? c % (bytes.length + 1) : 0)))].sort((a, b) => a - b);
  const out: ChunkRecord[] = [];
  let offset = 0;
  const take = (n: number) => {
    for (let i = 0; i < n; i++) {
      const end = chunker.cuts.ends[i];
      out.push({ offset, length: end - offset, hash: chunker.fingerprints ? chunker.cuts.hashes[i] : null });
      offset = end;
    }
  };
  let from = 0;
  for (const p of [...points, bytes.length]) {
    take(chunker.push(bytes.subarray(from, p)));
    from = p;
  }
  take(chunker.finish());
  return out;
}

test('chunkers: streaming in any buffer splits equals the reference on one buffer (wasm = reference, hashes included)', () => {
  fc.assert(
    fc.property(anyCase, data, splits, (c, bytes, at) => {
      assert.deepEqual(streamChunks(createChunker(c.spec), bytes, at), c.reference(bytes), c.spec);
    }),
    { numRuns: 150 },
  );
});

test('chunkers: lengths within [min, max] but the last, chunks tile the input, sha256 of the pieces = input', () => {
  fc.assert(
    fc.property(anyCase, data, (c, bytes) => {
      const chunks = chunkBytes(c.spec, bytes);
      let offset = 0;
      const rebuilt = createHash('sha256');
      chunks.forEach((ch, i) => {
        assert.equal(ch.offset, offset);
        assert.ok(ch.length > 0 && ch.length <= c.maxLength, `${c.spec}: chunk ${i} length ${ch.length}`);
        if (i < chunks.length - 1) assert.ok(ch.length >= c.minLength, `${c.spec}: chunk ${i} length ${ch.length} < ${c.minLength}`);
        rebuilt.update(bytes.subarray(ch.offset, ch.offset + ch.length));
        offset += ch.length;
      });
      assert.equal(offset, bytes.length);
      assert.equal(rebuilt.digest('hex'), createHash('sha256').update(bytes).digest('hex'));
    }),
    { numRuns: 150 },
  );
});

test('chunkers: two chunkers fed alternately (one shared wasm instance) each give their own result', () => {
  fc.assert(
    fc.property(anyCase, anyCase, data, splits, (a, b, bytes, at) => {
      const ca = createChunker(a.spec);
      const cb = createChunker(b.spec);
      const points = [...new Set(at.map((x) => x % (bytes.length + 1)))].sort((x, y) => x - y);
      const got: [number[], number[]] = [[], []];
      let from = 0;
      for (const p of [...points, bytes.length]) {
        for (const [i, c] of [ca, cb].entries()) {
          const n = c.push(bytes.subarray(from, p));
          for (let k = 0; k < n; k++) got[i].push(c.cuts.ends[k]);
        }
        from = p;
      }
      for (const [i, c] of [ca, cb].entries()) {
        const n = c.finish();
        for (let k = 0; k < n; k++) got[i].push(c.cuts.ends[k]);
      }
      const ends = (r: ChunkRecord[]) => r.map((x) => x.offset + x.length);
      assert.deepEqual(got[0], ends(a.reference(bytes)));
      assert.deepEqual(got[1], ends(b.reference(bytes)));
    }),
    { numRuns: 60 },
  );
});

test('chunkers: reset starts a new stream; a chunker is reusable', () => {
  const c = createChunker('fastcdc2020:min=64,avg=256,max=1024');
  const bytes = new Uint8Array(20000).map((_, i) => (i * 2654435761) >>> 24);
  const first = chunkBytes(c, bytes);
  c.push(bytes.subarray(0, 777));
  c.reset();
  assert.deepEqual(chunkBytes(c, bytes), first);
  assert.deepEqual(chunkBytes(c, new Uint8Array(0)), []);
});

test('chunkers: more cuts in one block than the kernel reports per call (gear, max=64, 600 kB)', () => {
  const bytes = new Uint8Array(600_000);
  for (let i = 0, x = 1; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const got = chunkBytes('gear:avg=64,min=1,max=64', bytes);
  assert.ok(got.length > 9000);
  assert.deepEqual(got, referenceGear(bytes, { avg: 64, min: 1, max: 64 }));
});

test('rabin: restic/chunker chunks2 vector (4 x 512 KiB of zeros, window 64, 1 MiB average)', () => {
  const bytes = new Uint8Array(4 * 512 * 1024);
  const got = chunkBytes('rabin:window=64,min=512k,avg=1m,max=8m,poly=0x3DA3358B4DC173', bytes);
  assert.deepEqual(got.map((c) => [c.length, c.hash]), Array(4).fill([512 * 1024, 0n]));
  const digest = createHash('sha256').update(bytes.subarray(0, 512 * 1024)).digest('hex');
  assert.equal(digest, '07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541');
});

test('rabin: the fingerprint at every cut is the window bytes as a GF(2) polynomial mod P (brute force)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2000, maxLength: 20000 }), fc.integer({ min: 1, max: 64 }), (bytes, window) => {
      const chunks = chunkBytes(`rabin:window=${window},avg=128,min=64,max=1024`, bytes);
      for (const c of chunks.slice(0, -1)) {
        const end = c.offset + c.length;
        const win = bytes.subarray(end - window, end);
        const asNumber = BigInt('0x' + (Buffer.from(win).toString('hex') || '0'));
        assert.equal(c.hash, polMod(asNumber, RABIN_DEFAULT_POLYNOMIAL));
      }
    }),
    { numRuns: 40 },
  );
});
