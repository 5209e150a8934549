// BlobProviders (layer bytes by digest) and the one-pass layer scan with visitors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { loadSource } from '../src/sources/load.js';
import { countJsonKeys, countParsedKeys, parseJsonStrict } from '../src/sources/json-strict.js';
import type { BlobProvider } from '../src/sources/source.js';
import { bufferStream, measureLayer, scanLayer, type LayerEntry } from '../src/sources/tar.js';
import { makeLayout, makeTar, sha } from './helpers/oci.js';

async function readBlob(blobs: BlobProvider, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await blobs.open(digest)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('OCI layout: one RegistryImage per manifest (resolvedDigest = index.json descriptor), blobs open verified', async (t) => {
  const { dir, ids, blobs } = await makeLayout([{ files: [{ a: 'aaaa' }, { b: 'bb' }], refName: 'v1' }]);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await loadSource(dir);
  assert.equal(s.kind, 'oci-layout');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  assert.equal(s.registryImages?.length, 1);
  const img = s.registryImages![0];
  assert.equal(img.resolvedDigest, index.manifests[0].digest);
  assert.equal(img.manifestDigest, index.manifests[0].digest);
  assert.equal(img.config.digest, ids[0]);
  assert.equal(img.layers.length, 2);
  assert.ok(img.repoDigests[0].endsWith(`@${img.resolvedDigest}`));
  for (const l of img.layers) {
    assert.ok(l.diffId?.startsWith('sha256:'));
    assert.deepEqual(await readBlob(s.blobs!, l.digest), blobs[l.digest]);
  }
  assert.equal(s.blobs!.has('sha256:../../../etc/passwd'), false);
  await assert.rejects(s.blobs!.open('sha256:../../../etc/passwd'), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST');
  // A blob changed after loading fails as it streams.
  const l0 = img.layers[0].digest;
  writeFileSync(join(dir, 'blobs', 'sha256', l0.slice(7)), gzipSync(Buffer.from('evil')));
  await assert.rejects(readBlob(s.blobs!, l0), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && e.message.includes(l0));
});

for (const f of ['scenario.docker-save.tar', 'scenario.oci-archive.tar', 'scenario.docker25-shape.tar.gz']) {
  test(`${f}: every layer and config opens by digest and hashes to it`, async () => {
    const s = await loadSource(`fixtures/archives/${f}`);
    assert.ok(s.blobs);
    const digests = new Set<string>();
    for (let l = 0; l < s.graph.layerCount; l++) if (s.graph.layerDigest[l]) digests.add(s.graph.layerDigest[l]!);
    // docker save stores layers uncompressed: the blob digest is the diffID.
    if (f.includes('docker-save')) for (let l = 0; l < s.graph.layerCount; l++) digests.add(s.graph.layerDiffId[l]!);
    for (const i of s.graph.images) digests.add(i.id);
    assert.ok(digests.size > 0);
    for (const d of digests) {
      assert.ok(s.blobs!.has(d), d);
      assert.equal(sha(await readBlob(s.blobs!, d)), d);
    }
  });
}

test('data root: configs open by digest; a layer captured without tar-split says why it cannot be read', async () => {
  const s = await loadSource('fixtures/docker-20.10-root/root');
  const id = s.graph.images[0].id;
  assert.equal(sha(await readBlob(s.blobs!, id)), id);
  const diff = s.graph.layerDiffId[0]!;
  assert.equal(s.blobs!.has(diff), false);
  await assert.rejects(s.blobs!.open(diff), /cannot be read: the data root has no tar-split record for it/);
});

test('scanLayer: visitors share one read; bodies reach data visitors; gzip told by magic even 1 byte at a time', async () => {
  const t = await makeTar([
    { header: { name: 'd/', type: 'directory', size: 0, mode: 0o755, mtime: new Date(0) } },
    { name: 'd/a', data: 'x'.repeat(70000) },
    { name: 'd/b', data: 'yy' },
  ]);
  const gz = gzipSync(t);
  const oneByte = Readable.from((function* () {
    for (let i = 0; i < gz.length; i++) yield gz.subarray(i, i + 1);
  })());
  const entries: string[] = [];
  const bodies = new Map<string, number>();
  let ended = '';
  const facts = await scanLayer(oneByte, [
    { entry: (e: LayerEntry) => void entries.push(`${e.type}:${e.path}:${e.size}`) },
    { data: (e: LayerEntry, c: Buffer) => void bodies.set(e.path, (bodies.get(e.path) ?? 0) + c.length), end: (f) => (ended = f.diffId) },
  ], {});
  assert.deepEqual(entries, ['directory:d:0', 'file:d/a:70000', 'file:d/b:2']);
  assert.deepEqual([...bodies], [['d/a', 70000], ['d/b', 2]]);
  assert.deepEqual([facts.compression, facts.diffId, facts.blobDigest, facts.blobSize, ended], ['gzip', sha(t), sha(gz), gz.length, sha(t)]);
  const m = await measureLayer(bufferStream(t), {});
  assert.equal(m.size, 70002);
});

test('scanLayer: a truncated zstd layer gets a clear error naming it (zstd layers read: test/files-zstd.test.ts)', async () => {
  const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
  await assert.rejects(scanLayer(bufferStream(zstd), [], { file: 'x', path: 'l' }), (e: unknown) => e instanceof LayerlabError && e.describe() === 'x: l: corrupt zstd stream: unexpected EOF');
});

const name = fc.constantFrom('a', 'b', 'c', '..', '.', 'a/b', 'a/..', '../a', '/a', '/', 'b/../..');
const op = fc.record({ kind: fc.constantFrom('symlink', 'file', 'link', 'directory'), name: fc.array(name, { minLength: 1, maxLength: 3 }), target: fc.array(name, { minLength: 1, maxLength: 3 }) });

test('fuzz: entries and symlinks in any order: refused with the typed error, or every entry lands inside the root', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
      const entries = ops.map((o) => {
        const n = o.name.join('/').replace(/^\/+/, '') || 'x';
        const target = o.target.join('/');
        if (o.kind === 'file') return { name: n, data: 'z' };
        if (o.kind === 'directory') return { header: { name: n + '/', type: 'directory' as const, size: 0, mode: 0o755, mtime: new Date(0) } };
        return { header: { name: n, type: o.kind as 'symlink' | 'link', linkname: target, size: 0, mode: 0o777, mtime: new Date(0) } };
      });
      const tarBytes = await makeTar(entries);
      const landed: string[] = [];
      try {
        await measureLayer(bufferStream(tarBytes), {}, [{ entry: (e) => void landed.push(e.resolvedPath) }]);
      } catch (e) {
        assert.ok(e instanceof LayerlabError, String(e));
        return;
      }
      for (const p of landed) assert.ok(!p.startsWith('/') && !p.split('/').includes('..'), p);
    }),
    { numRuns: 400 },
  );
});

test('fuzz: strict JSON counts keys as JSON.parse keeps them; a repeated key is always found', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = JSON.stringify(v, null, Math.random() < 0.5 ? 0 : 2);
      assert.equal(countJsonKeys(text), countParsedKeys(JSON.parse(text)));
      assert.deepEqual(parseJsonStrict(text), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue(), (o, extra) => {
      const key = Object.keys(o)[0];
      const text = JSON.stringify({ wrap: [o] }).replace(/\}\]\}$/, () => `,${JSON.stringify(key)}:${JSON.stringify(extra)}}]}`);
      assert.throws(() => parseJsonStrict(text), (e: unknown) => e instanceof LayerlabError && /duplicate key/.test(e.message) && e.place.path!.startsWith('$.wrap[0]'));
    }),
    { numRuns: 300 },
  );
});

test('fuzz: any bytes under an archive name, or none, give the typed error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 1500 }), fc.constantFrom('x.tar', 'x.tar.gz', 'x.tgz', 'x', 'x.json'), async (bytes, n) => {
      const p = join(dir, n);
      writeFileSync(p, bytes);
      try {
        await loadSource(p);
      } catch (e) {
        assert.ok(e instanceof LayerlabError, String((e as Error)?.stack ?? e));
      }
    }),
    { numRuns: 200 },
  );
});
