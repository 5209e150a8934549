// scanSourceLayers: each distinct layer of a source read once through its blobs, visitors per layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LayerlabError } from '../src/errors.js';
import { FILE_TYPES } from '../src/model/files.js';
import { FileIndexVisitor } from '../src/sources/file-index.js';
import { scanSourceLayers, type SourceLayer } from '../src/sources/layer-contents.js';
import { loadSource } from '../src/sources/load.js';
import { makeLayout } from './helpers/oci.js';

test('OCI layout: a layer two images share is read once; visitors per layer; diffIDs checked; progress in order', async () => {
  const { dir } = await makeLayout([
    { files: [{ 'etc/os': 'base' }, { 'app/a': 'aaaa' }], refName: 'a' },
    { files: [{ 'etc/os': 'base' }, { 'app/b': 'bb' }], refName: 'b' },
  ]);
  const s = await loadSource(dir);
  assert.equal(s.graph.layerCount, 3);
  const seen: SourceLayer[] = [];
  const indexes = new Map<number, FileIndexVisitor>();
  const progress: number[] = [];
  const facts = await scanSourceLayers(
    s,
    (layer) => {
      seen.push(layer);
      const v = new FileIndexVisitor();
      indexes.set(layer.index, v);
      return [v];
    },
    { onProgress: (p) => progress.push(p.done * 10 + p.total) },
  );
  assert.deepEqual(seen.map((l) => l.index), [0, 1, 2]);
  assert.deepEqual(progress, [13, 23, 33]);
  for (const l of seen) {
    assert.equal(l.digest, s.graph.layerDigest[l.index]);
    assert.equal(l.diffId, s.graph.layerDiffId[l.index]);
    assert.equal(facts.get(l.index)!.diffId, l.diffId);
    assert.equal(facts.get(l.index)!.compression, 'gzip');
  }
  const paths = [...indexes.values()].map((v) => v.files().path.join(','));
  assert.deepEqual(paths.sort(), ['app/a', 'app/b', 'etc/os']);
  const f = indexes.get(0)!.files();
  assert.equal(FILE_TYPES[f.type[0]], 'file');
  assert.match(f.digest[0]!, /^sha256:[0-9a-f]{64}$/);
});

test('a subset of layers, by graph index; duplicates read once; an unknown index is refused', async () => {
  const { dir } = await makeLayout([{ files: [{ a: '1' }, { b: '2' }, { c: '3' }] }]);
  const s = await loadSource(dir);
  const read: number[] = [];
  await scanSourceLayers(s, (l) => (read.push(l.index), []), { layers: [2, 0, 2] });
  assert.deepEqual(read, [0, 2]);
  await assert.rejects(scanSourceLayers(s, () => [], { layers: [7] }), (e: unknown) => e instanceof LayerlabError && e.message.includes('layer index 7'));
});

test('docker save (legacy, layers stored uncompressed and shared by symlink): opened by diffID, each once', async () => {
  const s = await loadSource('fixtures/archives/scenario.docker-save.tar');
  const read: SourceLayer[] = [];
  const facts = await scanSourceLayers(s, (l) => (read.push(l), [new FileIndexVisitor()]));
  assert.equal(read.length, new Set(s.graph.stackLayer).size);
  for (const l of read) assert.equal(facts.get(l.index)!.compression, 'none');
});

test('sources without layer bytes: a LayerlabError naming the source and saying why', async () => {
  const snap = await loadSource('fixtures/official-images/host.snapshot.json');
  await assert.rejects(
    scanSourceLayers(snap, () => []),
    (e: unknown) => e instanceof LayerlabError && e.code === 'EINPUT' && e.place.file === 'fixtures/official-images/host.snapshot.json' && /no layer contents: a layerlab snapshot/.test(e.message),
  );
});

test('a visitor that refuses an entry fails the scan with the source and layer named', async () => {
  const { dir } = await makeLayout([{ files: [{ a: '1' }] }]);
  const s = await loadSource(dir);
  await assert.rejects(
    scanSourceLayers(s, () => [{ entry: () => { throw new LayerlabError('EINPUT', 'no thanks'); } }]),
    (e: unknown) => e instanceof LayerlabError && e.message.includes('no thanks'),
  );
});
