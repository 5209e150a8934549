// zstd layers (application/vnd.oci.image.layer.v1.tar+zstd): fixtures made by the zstd CLI
// (scripts/make-zstd-fixture.ts) read through scanLayer, whole and under any buffer splits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { fileEntryAt } from '../src/model/files.js';
import { FileIndexVisitor } from '../src/sources/file-index.js';
import { scanSourceLayers } from '../src/sources/layer-contents.js';
import { loadSource } from '../src/sources/load.js';
import { bufferStream, scanLayer } from '../src/sources/tar.js';
import { sha } from './helpers/oci.js';
import { tempDir } from './helpers/tmp.js';
import { zstdFixtureTar } from './helpers/zstd-fixture.js';

const ONE = readFileSync('fixtures/zstd/layer.tar.zst');
const TWO = readFileSync('fixtures/zstd/layer.2frames.tar.zst');

function splitStream(b: Buffer, cuts: number[]): Readable {
  const at = [...new Set(cuts.map((c) => c % b.length))].sort((x, y) => x - y);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    parts.push(b.subarray(prev, c));
    prev = c;
  }
  parts.push(b.subarray(prev));
  return Readable.from(parts.filter((p) => p.length > 0));
}

test('zstd layers made by the zstd CLI (one frame, two frames): diffID of the rebuilt tar, entries as in the tar', async () => {
  const plain = await zstdFixtureTar();
  for (const blob of [ONE, TWO]) {
    const v = new FileIndexVisitor();
    const facts = await scanLayer(bufferStream(blob), [v], { file: 'fixture' });
    assert.equal(facts.compression, 'zstd');
    assert.equal(facts.diffId, sha(plain));
    assert.equal(facts.blobDigest, sha(blob));
    assert.equal(facts.blobSize, blob.length);
    const f = v.files();
    const rows = Array.from({ length: f.count }, (_, i) => fileEntryAt(f, i));
    assert.deepEqual(rows.map((r) => `${r.path}:${r.type}`), ['etc:dir', 'etc/motd:file', 'data/noise.bin:file', 'data/twice.bin:file', 'data/link:symlink', 'data/hard:hardlink', 'etc/gone:file']);
    assert.equal(rows[2].size, 200 * 1024);
    assert.equal(rows[5].digest, rows[2].digest);
  }
});

test('zstd under any buffer splits gives the same diffID (fast-check)', async () => {
  const want = sha(await zstdFixtureTar());
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(fc.nat(), { maxLength: 40 }), async (two, cuts) => {
      const blob = two ? TWO : ONE;
      const facts = await scanLayer(splitStream(blob, cuts), [], {});
      assert.equal(facts.diffId, want);
    }),
    { numRuns: 25 },
  );
});

test('corrupt or truncated zstd, and a frame asking for a huge window: LayerlabErrors naming the layer', async () => {
  const where = { file: 'a.tar', path: 'blobs/sha256/x' };
  const isNamed = (e: unknown) => e instanceof LayerlabError && e.place.file === 'a.tar' && e.place.path === 'blobs/sha256/x';
  await assert.rejects(scanLayer(bufferStream(ONE.subarray(0, ONE.length >> 1)), [], where), isNamed);
  const flipped = Buffer.from(ONE);
  for (let i = 100; i < 400; i++) flipped[i] ^= 0x5a;
  await assert.rejects(scanLayer(bufferStream(flipped), [], where), isNamed);
  // Magic, frame header descriptor (no single segment), window descriptor exponent 31 - 10.
  const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (31 - 10) << 3, 0, 0, 0, 0]);
  await assert.rejects(scanLayer(bufferStream(huge), [], where), (e: unknown) => isNamed(e) && /window/.test((e as Error).message));
});

test('an OCI layout with a tar+zstd layer: loaded, measured, and its files indexed through scanSourceLayers', async () => {
  const dir = tempDir('layerlab-zstd-');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => (writeFileSync(join(dir, 'blobs', 'sha256', sha(b).slice(7)), b), sha(b));
  const plain = await zstdFixtureTar();
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha(plain)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: put(ONE), size: ONE.length }],
    }),
  );
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length }] }));
  const s = await loadSource(dir);
  assert.equal(s.graph.layerDiffId[0], sha(plain));
  assert.equal(s.graph.layerSize[0], 200 * 1024 + 128 * 1024 + 24);
  const v = new FileIndexVisitor();
  const facts = await scanSourceLayers(s, () => [v]);
  assert.equal(facts.get(0)!.compression, 'zstd');
  assert.ok(v.files().path.includes('data/noise.bin'));
});
