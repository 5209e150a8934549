import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ChunkIndex } from '../src/chunk/index-table.js';
import { chunkBytes, createChunker } from '../src/chunk/registry.js';
import { ChunkFeeder } from '../src/sources/dedup-visitors.js';
import { contentDedup } from '../src/sources/dedup-scan.js';
import { loadSources } from '../src/sources/load.js';
import { DEFAULT_CHUNK_ALGOS, type ContentDedup } from '../src/analyze/dedup-content.js';
import { makeLayout } from './helpers/oci.js';
import { cli } from './helpers/cli.js';

const digestOf = (b: Uint8Array) => createHash('sha256').update(b).digest();

test('ChunkIndex: duplicates are found, and the table stays under 48 bytes per distinct chunk', () => {
  const index = new ChunkIndex();
  const keys: Buffer[] = [];
  for (let i = 0; i < 50_000; i++) keys.push(randomBytes(32));
  let worst = 0;
  for (let i = 0; i < keys.length; i++) {
    assert.equal(index.add(keys[i], 1000 + (i % 7)), true);
    if (index.size > 64) worst = Math.max(worst, index.bytesPerChunk);
  }
  assert.equal(index.size, keys.length);
  for (let i = 0; i < keys.length; i += 97) assert.equal(index.add(keys[i], 1000 + (i % 7)), false, 'a second add is a duplicate');
  // Same digest prefix, other length: another chunk.
  assert.equal(index.add(keys[0], 999), true);
  assert.equal(index.has(keys[0], 999), true);
  assert.equal(index.has(randomBytes(32), 5), false);
  assert.ok(worst <= 40, `worst bytes per distinct chunk ${worst.toFixed(1)} (20-byte slots, load kept >= 0.5)`);
  assert.ok(Math.abs(index.bytes - index.bytesPerChunk * index.size) < 1e-6);
  assert.throws(() => index.add(keys[1], 0), RangeError);
  assert.throws(() => index.add(keys[1], 2 ** 32), RangeError);
});

/** Every chunk (digest hex, length) a feeder sees when `bytes` is pushed in the given pieces. */
function feed(spec: string, bytes: Uint8Array, cuts: number[]): string[] {
  const out: string[] = [];
  const f = new ChunkFeeder(createChunker(spec), (d, len, b) => out.push(`${Buffer.from(d).toString('hex')}:${len}:${digestOf(b()).toString('hex') === Buffer.from(d).toString('hex')}`), true);
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    f.push(bytes.subarray(at, c));
    at = c;
  }
  f.push(bytes.subarray(at));
  f.finish();
  return out;
}

test('property: chunk digests do not depend on how the stream is split into buffers (FastCDC 2020, Rabin, fixed)', () => {
  for (const spec of ['fastcdc2020:avg=256,min=64,max=1024', 'rabin:avg=256,min=64,max=1024', 'fixed:size=300']) {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 6000 }), fc.array(fc.nat(6000), { maxLength: 12 }), (bytes, splits) => {
        const whole = feed(spec, bytes, []);
        const split = feed(spec, bytes, splits.map((s) => s % (bytes.length + 1)));
        assert.deepEqual(split, whole);
        // The feeder's cuts are the chunker's, and each chunk's kept bytes hash to its digest.
        assert.deepEqual(whole.map((w) => Number(w.split(':')[1])), chunkBytes(spec, bytes).map((c) => c.length));
        assert.ok(whole.every((w) => w.endsWith(':true')));
      }),
      { numRuns: 60 },
    );
  }
});

const LEVELS = { levels: ['layer', 'file', 'chunk'] as const, algos: ['fixed:size=64', 'fastcdc2020:avg=256,min=64,max=1024', 'fixed:size=1m'], modes: ['per-file', 'stream'] as const, compress: true };

function checkInvariants(r: ContentDedup): void {
  for (const row of r.rows) {
    assert.ok(row.storedBytes <= row.logicalBytes, `${row.level} ${row.key} ${row.mode ?? ''}: stored ${row.storedBytes} <= logical ${row.logicalBytes}`);
    assert.ok(row.distinctUnits <= row.units);
    assert.equal(row.histogram.reduce((s, h) => s + h.count, 0), row.units);
  }
  const diff = r.rows.find((x) => x.key === 'diffID')!;
  const file = r.rows.find((x) => x.level === 'file')!;
  assert.ok(file.storedBytes <= diff.storedBytes, `file stored ${file.storedBytes} <= diffID stored ${diff.storedBytes}`);
  // Files smaller than a chunk are one chunk each (their digest is the file's, not hashed again): the same as whole-file dedup.
  const oneChunk = r.rows.find((x) => x.key === 'fixed:size=1048576' && x.mode === 'per-file');
  if (oneChunk) assert.deepEqual([oneChunk.storedBytes, oneChunk.distinctUnits, oneChunk.units], [file.storedBytes, file.distinctUnits, file.units]);
  // Per-file chunks cover exactly the file bytes, stream chunks exactly the tar bytes.
  for (const row of r.rows.filter((x) => x.level === 'chunk')) {
    assert.equal(row.logicalBytes, row.mode === 'stream' ? diff.logicalBytes : file.logicalBytes, `${row.key} ${row.mode}`);
  }
}

test('property: unique <= logical at every level, and file-level stored <= layer-level stored', async () => {
  const content = fc.oneof(fc.constantFrom('', 'a', 'same content\n'.repeat(40)), fc.string({ maxLength: 900 }));
  const layer = fc.dictionary(fc.constantFrom('a', 'b', 'etc/c', 'usr/d', 'usr/e'), content, { maxKeys: 4 });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(layer, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), async (images) => {
      const { dir } = await makeLayout(images.map((files, i) => ({ files, refName: `t:${i}` })));
      checkInvariants(await contentDedup(await loadSources([dir]), { ...LEVELS, levels: [...LEVELS.levels], modes: [...LEVELS.modes] }));
    }),
    { numRuns: 15 },
  );
});

test('dedup --level: a layer shared by two images is stored once; a copied file dedups at file level; JSON schema', async () => {
  const big = 'x'.repeat(5000) + 'y'.repeat(3000);
  const { dir } = await makeLayout([
    { files: [{ 'base/one': big }, { 'app/a': 'version 1 of the app\n'.repeat(50) }], refName: 'app:1' },
    { files: [{ 'base/one': big }, { 'app/a': 'version 2 of the app\n'.repeat(50), 'app/copy': big }], refName: 'app:2' },
  ]);
  const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=1k', '--format', 'json', dir);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContentDedup;
  assert.deepEqual(Object.keys(out), ['images', 'layerReferences', 'distinctLayers', 'layersRead', 'scanSeconds', 'rows', 'caveats']);
  assert.deepEqual([out.images, out.layerReferences, out.distinctLayers, out.layersRead], [2, 4, 3, 3]);
  assert.deepEqual(out.rows.map((x) => `${x.level} ${x.key} ${x.mode ?? ''}`), ['layer blob ', 'layer diffID ', 'file file ', `chunk fastcdc2020:avg=1024,min=256,max=4096,level=1,seed=0 per-file`, `chunk fastcdc2020:avg=1024,min=256,max=4096,level=1,seed=0 stream`]);
  const file = out.rows[2];
  assert.equal(file.logicalBytes, 8000 * 3 + 1050 * 2);
  assert.equal(file.storedBytes, 8000 + 1050 * 2, 'the base file and its copy stored once');
  assert.equal(file.units, 5);
  assert.equal(file.distinctUnits, 3);
  const blob = out.rows[0];
  assert.equal(blob.units, 4);
  assert.equal(blob.distinctUnits, 3);
  for (const row of out.rows.slice(3)) {
    assert.ok(row.storedGzipBytes! > 0 && row.storedZstdBytes! > 0, 'unique chunks compressed');
    assert.ok(row.storedGzipBytes! < row.storedBytes, 'repetitive chunks compress');
    assert.ok(row.indexBytes > 0 && row.mbPerSecond! >= 0);
  }
  checkInvariants(out);
  const table = await cli('dedup', '--level', 'file', dir);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^2 images, 4 layer references, 3 distinct layers, 3 layers read once in/);
  assert.match(table.stdout, /file +│ file/);
});

test('dedup --level: usage and input errors', async () => {
  const { dir } = await makeLayout([{ files: [{ a: 'a' }] }]);
  const bad = await cli('dedup', '--level', 'chunk', '--algo', 'nosuch:avg=1k', dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown algorithm "nosuch"/);
  const stray = await cli('dedup', '--algo', 'fixed:size=4k', dir);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--algo, --per-file, --stream and --no-compress go with --level/);
  const snapshot = await cli('dedup', '--level', 'file', 'fixtures/official-images/host.snapshot.json');
  assert.equal(snapshot.code, 1);
  assert.match(snapshot.stderr, /file and chunk dedup read layer bytes, and no layer of these images can be read/);
  const layerOnly = await cli('dedup', '--level', 'layer', '--format', 'json', 'fixtures/official-images/host.snapshot.json');
  assert.equal(layerOnly.code, 0, layerOnly.stderr);
  assert.equal(JSON.parse(layerOnly.stdout).rows.length, 2);
});

test('the default chunk ladder is fixed 4k/64k/1M and FastCDC 2020 8k/64k/512k', () => {
  assert.deepEqual(DEFAULT_CHUNK_ALGOS.map((a) => createChunker(a).spec.split(',')[0]), ['fixed:size=4096', 'fixed:size=65536', 'fixed:size=1048576', 'fastcdc2020:avg=8192', 'fastcdc2020:avg=65536', 'fastcdc2020:avg=524288']);
});

test('dedup --level: the same images as a docker save archive and as an OCI archive give the same rows below the blob row', async () => {
  const run = async (src: string) => {
    const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=8k', '--no-compress', '--format', 'json', src);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as ContentDedup).rows.map(({ seconds: _s, mbPerSecond: _m, ...rest }) => rest);
  };
  const docker = await run('fixtures/archives/scenario.docker-save.tar');
  const oci = await run('fixtures/archives/scenario.oci-archive.tar');
  assert.deepEqual(oci.slice(1), docker.slice(1));
  assert.ok(oci[0].storedBytes < docker[0].storedBytes, 'the OCI archive stores gzip blobs, docker save plain tars');
  assert.equal(docker[0].storedBytes, docker[1].storedBytes, 'docker save: the blob is the uncompressed tar');
  assert.equal(oci[3].storedGzipBytes, undefined, '--no-compress leaves the compressed sizes out');
});
