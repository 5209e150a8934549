// Reading layers for dedup goes through scanSourceLayers (src/sources/layer-contents.ts), the one
// way files, waste and dedup read each distinct layer once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContentDedup } from '../src/analyze/dedup-content.js';
import { indexSourceLayers } from '../src/sources/layer-contents.js';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';

const rowsOf = async (...args: string[]) => {
  const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=8k', '--no-compress', '--format', 'json', ...args);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContentDedup;
  return { out, rows: out.rows.map(({ seconds: _s, mbPerSecond: _m, ...rest }) => rest) };
};

test('docker save of the containerd store shape (blobs/sha256/<gzip digest>, manifest.json by path): layers found by diffID', async () => {
  const s = await loadSource('fixtures/archives/scenario.docker25-shape.tar.gz');
  const indexed = await indexSourceLayers(s);
  assert.equal(indexed.size, s.graph.layerCount);
  for (const [i, l] of indexed) {
    assert.equal(l.facts.diffId, s.graph.layerDiffId[i]);
    assert.equal(l.facts.compression, 'gzip');
  }
});

test('dedup --level file/chunk reads the Docker 25 shape, and agrees with docker save and the OCI archive below the blob row', async () => {
  const d25 = await rowsOf('fixtures/archives/scenario.docker25-shape.tar.gz');
  const oci = await rowsOf('fixtures/archives/scenario.oci-archive.tar');
  const save = await rowsOf('fixtures/archives/scenario.docker-save.tar');
  assert.equal(d25.out.layersRead, d25.out.distinctLayers);
  assert.deepEqual(d25.rows.slice(1), save.rows.slice(1));
  assert.deepEqual(d25.rows, oci.rows, 'the same gzip blobs as the OCI archive');
});

test('dedup over two sources reads a layer they share once', async () => {
  const one = await rowsOf('fixtures/archives/scenario.oci-archive.tar');
  const two = await rowsOf('fixtures/archives/scenario.oci-archive.tar', 'fixtures/archives/scenario.docker25-shape.tar.gz');
  assert.equal(two.out.layersRead, one.out.layersRead);
  assert.equal(two.out.distinctLayers, one.out.distinctLayers);
});

test('each file byte is hashed once by the dedup visitors: with a per-file chunker the file identity is its chunk recipe, and the file row is unchanged', async () => {
  const { DedupRows } = await import('../src/sources/dedup-visitors.js');
  const { scanLayer } = await import('../src/sources/tar.js');
  const tarStream = (await import('tar-stream')).default;
  const { randomBytes } = await import('node:crypto');
  const big = randomBytes(200_000);
  const files: [string, Buffer][] = [['a', big], ['b', Buffer.from(big)], ['c', randomBytes(3000)], ['d', Buffer.concat([big, Buffer.from('x')])], ['e', Buffer.alloc(0)], ['f', randomBytes(3000)]];
  const pack = tarStream.pack();
  for (const [name, b] of files) pack.entry({ name, size: b.length }, b);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const layer = Buffer.concat(chunks);
  const fileBytes = files.reduce((s, [, b]) => s + b.length, 0);
  const run = async (algos: string[]) => {
    const rows = new DedupRows({ file: true, algos, modes: ['per-file'], compress: false });
    await scanLayer((await import('node:stream')).Readable.from([layer]), rows.visitors(1), { path: 't' });
    return rows;
  };
  const alone = await run([]);
  const withChunks = await run(['fastcdc2020:avg=16k', 'fixed:size=1m']);
  assert.equal(alone.hashedBytes, fileBytes, 'file row alone: one sha256 of each file');
  // The lead chunker hashes every byte once; fixed 1m sees each file as one chunk, which the lead's
  // one-chunk files (c, f) hand over; a, b and d are several FastCDC chunks, so fixed 1m hashes them.
  assert.equal(withChunks.hashedBytes, fileBytes + 200_000 * 2 + 200_001);
  const fileRow = (r: typeof alone) => { const { seconds: _s, mbPerSecond: _m, ...rest } = r.rows()[0]; return rest; };
  assert.deepEqual(fileRow(withChunks), fileRow(alone));
  assert.deepEqual([fileRow(alone).units, fileRow(alone).distinctUnits, fileRow(alone).storedBytes], [5, 4, 200_000 + 200_001 + 6000]);
});

test('a layer read from a source is hashed once per form: the provider verifies the blob, the scan adds the diffID only when the blob is compressed', async () => {
  const { scanLayer, scanStats } = await import('../src/sources/tar.js');
  for (const [file, compressed] of [['fixtures/archives/scenario.docker-save.tar', false], ['fixtures/archives/scenario.oci-archive.tar', true]] as const) {
    const s = await loadSource(file);
    const l = 0;
    const blob = s.graph.layerDigest[l] ?? s.graph.layerDiffId[l]!;
    const before = scanStats.hashedBytes;
    const facts = await scanLayer(await s.blobs!.open(blob), [], { file });
    const tarBytes = s.graph.layerSize[l];
    assert.equal(facts.blobDigest, blob);
    assert.equal(facts.diffId, s.graph.layerDiffId[l]);
    assert.ok(tarBytes > 0);
    // The scan's own hashing: nothing for the blob (verified by the provider), the tar when it was compressed.
    assert.equal(scanStats.hashedBytes - before, compressed ? facts.blobSize * 0 + (await tarLength(s, blob)) : 0, file);
  }
  // A blob that does not match its digest still fails the scan.
  const s = await loadSource('fixtures/archives/scenario.oci-archive.tar');
  const { VerifyingStream } = await import('../src/sources/hashing.js');
  const { Readable } = await import('node:stream');
  const wrong = Readable.from([Buffer.from('not the blob')]).pipe(new VerifyingStream(s.graph.layerDigest[0]!, { file: 'x' }));
  await assert.rejects(scanLayer(wrong, [], { file: 'x' }), /EDIGEST|content does not match/);
});

async function tarLength(s: Awaited<ReturnType<typeof loadSource>>, blob: string): Promise<number> {
  const { createGunzip } = await import('node:zlib');
  let n = 0;
  for await (const c of (await s.blobs!.open(blob)).pipe(createGunzip())) n += (c as Buffer).length;
  return n;
}
