import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { chunkBytes, createChunker } from '../src/chunk/registry.js';
import { GEAR, seededGear } from '../src/chunk/tables.js';
import { referenceFastcdc2016, referenceFastcdc2020 } from '../src/chunk/reference.js';

const IMAGE = readFileSync('fixtures/fastcdc/SekienAkashita.jpg');
const VECTORS = JSON.parse(readFileSync('fixtures/fastcdc/vectors.json', 'utf8')) as {
  cases: { variant: string; normalization: number; min: number; avg: number; max: number; seed: number; chunks?: [number, number, string][]; lengths?: number[] }[];
};
const CRATE = JSON.parse(readFileSync('fixtures/fastcdc/crate-tests.json', 'utf8')) as {
  cases: { variant: string; normalization: number; min: number; avg: number; max: number; seed: number; input: string; chunks: [string, number][] }[];
};

const specOf = (c: { variant: string; normalization: number; min: number; avg: number; max: number; seed: number }) =>
  `fastcdc${c.variant.slice(1)}:min=${c.min},avg=${c.avg},max=${c.max},level=${c.normalization},seed=${c.seed}`;

test('fixture image is the crate test image (sha256 from vectors.json)', () => {
  assert.equal(createHash('sha256').update(IMAGE).digest('hex'), 'd9e749d9367fc908876749d6502eb212fee88c9a94892fb07da5ef3ba8bc39ed');
  assert.equal(IMAGE.length, 109466);
});

test('gear table: MD5-derived entries equal fastcdc-rs GEAR and GEAR_LS', () => {
  // First, second, a middle and the last entry of the crate's GEAR and GEAR_LS tables.
  assert.equal(GEAR[0], 0x3b5d3c7d207e37dcn);
  assert.equal(GEAR[1], 0x784d68ba91123086n);
  assert.equal(GEAR[128], 0xc0ce47f889336346n);
  assert.equal(GEAR[255], 0xaabd2b2a451504e1n);
  const { gearLs } = seededGear(0n);
  assert.equal(gearLs[0], 0x76ba78fa40fc6fb8n);
  assert.equal(gearLs[255], 0x557a56548a2a09c2n);
});

for (const c of VECTORS.cases) {
  test(`vectors.json ${specOf(c)}: boundaries${c.chunks ? ' and 64-bit fingerprints' : ''} exactly`, () => {
    const got = chunkBytes(specOf(c), IMAGE);
    if (c.chunks) assert.deepEqual(got.map((g) => [g.offset, g.length, String(g.hash)]), c.chunks);
    if (c.lengths) assert.deepEqual(got.map((g) => g.length), c.lengths);
  });
}

for (const c of CRATE.cases) {
  test(`fastcdc-rs unit test ${specOf(c)} on ${c.input}`, () => {
    const input = c.input === 'zeros:10240' ? new Uint8Array(10240) : IMAGE;
    const got = chunkBytes(specOf(c), input);
    assert.deepEqual(got.map((g) => [String(g.hash), g.length]), c.chunks);
  });
}

test('the BigInt reference ports give the same vectors (so they can judge the wasm)', () => {
  for (const c of VECTORS.cases) {
    const ref = c.variant === 'v2020' ? referenceFastcdc2020 : referenceFastcdc2016;
    const got = ref(IMAGE, { min: c.min, avg: c.avg, max: c.max, level: c.normalization, seed: BigInt(c.seed) });
    if (c.chunks) assert.deepEqual(got.map((g) => [g.offset, g.length, String(g.hash)]), c.chunks);
    if (c.lengths) assert.deepEqual(got.map((g) => g.length), c.lengths);
  }
});

test('vectors hold when the image arrives one byte, 7 bytes, 4095 bytes at a time', () => {
  for (const c of VECTORS.cases) {
    const expected = chunkBytes(specOf(c), IMAGE);
    for (const step of [1, 7, 4095]) {
      const chunker = createChunker(specOf(c));
      const ends: number[] = [];
      const hashes: bigint[] = [];
      const take = (n: number) => {
        for (let i = 0; i < n; i++) (ends.push(chunker.cuts.ends[i]), hashes.push(chunker.cuts.hashes[i]));
      };
      for (let off = 0; off < IMAGE.length; off += step) take(chunker.push(IMAGE.subarray(off, off + step)));
      take(chunker.finish());
      assert.deepEqual(ends, expected.map((e) => e.offset + e.length), `${specOf(c)} step ${step}`);
      assert.deepEqual(hashes, expected.map((e) => e.hash));
    }
  }
});
