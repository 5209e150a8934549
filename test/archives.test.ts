import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { systemDf } from '../src/analyze/df.js';
import { LayerlabError } from '../src/errors.js';
import { readImageArchive } from '../src/sources/image-archive.js';
import { readOciLayout } from '../src/sources/oci-layout.js';
import { entryEscapes, measureLayer, bufferStream } from '../src/sources/tar.js';
import { loadSource } from '../src/sources/load.js';
import { makeLayout, makeTar, sha } from './helpers/oci.js';
import { tempDir } from './helpers/tmp.js';

const A = 'fixtures/archives/';
const made: string[] = [];
/** Removes every temp folder this file made once its tests are done. */
const cleanup = (...dirs: string[]) => void made.push(...dirs);
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const daemon = JSON.parse(readFileSync(A + 'system-df.json', 'utf8')) as { Images: { Id: string; RepoTags: string[]; Size: number; SharedSize: number }[] };
const SAVED = ['base:1', 'app-b:1', 'app-c:1', 'chain:1'];
const daemonRows = daemon.Images.filter((i) => i.RepoTags.some((t) => SAVED.includes(t)));
const sizes = (rows: { Size: number; SharedSize: number }[]) => rows.map((r) => `${r.Size}/${r.SharedSize}`).sort();

test('docker save archive (legacy, real): IDs, tags, Size and SharedSize equal the daemon\'s', async () => {
  const df = systemDf(await readImageArchive(A + 'scenario.docker-save.tar'));
  assert.equal(df.Images.length, 4);
  for (const w of daemonRows) {
    const g = df.Images.find((i) => i.Id === w.Id)!;
    assert.ok(g, w.Id);
    assert.deepEqual([...(g.RepoTags ?? [])].sort(), [...w.RepoTags].sort());
    assert.deepEqual([g.Size, g.SharedSize], [w.Size, w.SharedSize], w.RepoTags[0]);
  }
});

for (const f of ['scenario.oci', 'scenario.oci-archive.tar', 'scenario.docker25-shape.tar.gz']) {
  test(`${f} (skopeo's OCI copy of the same images): every image's sizes equal the daemon's`, async () => {
    const { graph } = await loadSource(A + f);
    const df = systemDf(graph);
    assert.deepEqual(sizes(df.Images), sizes(daemonRows));
    const layers = graph.layerDigest.filter(Boolean).length;
    if (!f.includes('docker25')) assert.equal(layers, graph.layerCount, 'blob digests recorded from the OCI manifests');
  });
}

test('OCI layout: ref.name annotations become tags; platform selection; attestations left out', async () => {
  const { dir, ids } = await makeLayout(
    [
      { files: [{ a: 'aaaa' }], platform: { os: 'linux', architecture: 'amd64' }, refName: 'v1' },
      { files: [{ a: 'aaaa' }, { b: 'bb' }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, refName: 'docker.io/library/web:2' },
    ],
    { attestation: true },
  );
  cleanup(dir);
  const amd = await readOciLayout(dir);
  assert.equal(amd.imageCount, 1);
  assert.equal(amd.images[0].id, ids[0]);
  assert.match(amd.images[0].repoTags![0], /^layerlab-oci-[a-z0-9._-]+:v1$/);
  assert.equal(amd.layerSize[0], 4);
  const arm = await readOciLayout(dir, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(arm.images.map((i) => i.repoTags), [['web:2']]);
  assert.deepEqual(Array.from(arm.layerSize), [4, 2]);
});

test('digest checks: a blob whose bytes do not match its name is refused, naming it', async () => {
  const { dir, blobs } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
  cleanup(dir);
  const layer = Object.keys(blobs).find((d) => blobs[d][0] === 0x1f)!;
  writeFileSync(join(dir, 'blobs', 'sha256', layer.slice(7)), gzipSync(await makeTar([{ name: 'a', data: 'evil' }])));
  await assert.rejects(readOciLayout(dir), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && e.message.includes(layer));
  const { dir: d2, blobs: b2 } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
  cleanup(d2);
  const config = Object.keys(b2).find((d) => b2[d].toString().includes('diff_ids'))!;
  writeFileSync(join(d2, 'blobs', 'sha256', config.slice(7)), b2[config].toString().replace('amd64', 'arm64'));
  await assert.rejects(readOciLayout(d2), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && e.place.path === `blobs/sha256/${config.slice(7)}`);
});

test('schema 1 manifests are refused with a clear error', async () => {
  const { dir } = await makeLayout([], { schema1: true });
  cleanup(dir);
  await assert.rejects(readOciLayout(dir), (e: unknown) => e instanceof LayerlabError && /schema 1 manifests are not supported/.test(e.message));
});

test('tar entries that escape the root are refused', async () => {
  assert.equal(entryEscapes('a/b/../c'), undefined);
  // moby's Unpack cleans each name and joins it under the root (pkg/archive/archive.go:
  // `hdr.Name = filepath.Clean(hdr.Name)`, then `filepath.Join(dest, hdr.Name)`): `/etc/passwd`
  // lands at `etc/passwd`, so docker load accepts it and so do we.
  assert.equal(entryEscapes('/etc/passwd'), undefined);
  assert.match(entryEscapes('a/../../x') ?? '', /escapes/);
  const dir = tempDir('layerlab-tar-');
  const cases: [string, Buffer][] = [
    ['dotdot.tar', await makeTar([{ name: '../evil', data: 'x' }])],
    ['link.tar', await makeTar([{ header: { name: 'manifest.json', type: 'symlink', linkname: '../../etc/passwd', size: 0, mode: 0o644, mtime: new Date(0) } }])],
  ];
  for (const [name, bytes] of cases) {
    writeFileSync(join(dir, name), bytes);
    await assert.rejects(readImageArchive(join(dir, name)), (e: unknown) => e instanceof LayerlabError && /escapes|outside/.test(e.message), name);
  }
  await assert.rejects(measureLayer(bufferStream(await makeTar([{ header: { name: 'x', type: 'link', linkname: '../../y', size: 0, mode: 0o644, mtime: new Date(0) } }])), {}), /hard link/);
});

test('layer size is the sum of entry sizes; a hard link counts once', async () => {
  const t = await makeTar([
    { name: 'dir/', data: '' },
    { name: 'dir/a', data: 'x'.repeat(100) },
    { header: { name: 'dir/b', type: 'link', linkname: 'dir/a', size: 0, mode: 0o644, mtime: new Date(0) } },
  ]);
  const plain = await measureLayer(bufferStream(t), {});
  assert.deepEqual([plain.size, plain.diffId, plain.compression], [100, sha(t), 'none']);
  const gz = gzipSync(t);
  const z = await measureLayer(bufferStream(gz), {});
  assert.deepEqual([z.size, z.diffId, z.blobDigest, z.blobSize, z.compression], [100, sha(t), sha(gz), gz.length, 'gzip']);
});

/** Any failure must be layerlab's typed error. */
async function typedOrOk(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `crashed with ${(e as Error)?.stack ?? e}`);
  }
}

test('fuzz: truncated and corrupted archives only ever give the typed error', async () => {
  const { dir } = await makeLayout([{ files: [{ a: 'aaaa' }, { b: 'bbbbbb' }] }]);
  const tmp = tempDir('layerlab-fuzz-');
  cpSync(dir, join(tmp, 'layout'), { recursive: true });
  const files = ['oci-layout', 'index.json'];
  const archive = await makeTar(files.map((f) => ({ name: f, data: readFileSync(join(dir, f)) })).concat(
    (await import('node:fs')).readdirSync(join(dir, 'blobs', 'sha256')).map((h) => ({ name: `blobs/sha256/${h}`, data: readFileSync(join(dir, 'blobs', 'sha256', h)) })),
  ));
  const path = join(tmp, 'a.tar');
  writeFileSync(path, archive);
  const good = await readImageArchive(path);
  assert.equal(good.imageCount, 1);
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.boolean(), async (cut, flips, truncate) => {
      const bytes = Buffer.from(archive);
      for (const [at, v] of flips) bytes[at % bytes.length] = v;
      writeFileSync(path, truncate ? bytes.subarray(0, cut % bytes.length) : bytes);
      await typedOrOk(() => readImageArchive(path));
    }),
    { numRuns: 150 },
  );
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (junk) => {
      writeFileSync(path, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(junk)]));
      await typedOrOk(() => readImageArchive(path));
    }),
    { numRuns: 100 },
  );
});

test('real Docker 25 save metadata ("manifests": null): read through to the missing layer; a forged layer is refused', async () => {
  const F = 'fixtures/docker-save-docker25/';
  const blob = (f: string) => readFileSync(F + f);
  const entries = [
    { name: 'oci-layout', data: blob('oci-layout.json') },
    { name: 'index.json', data: blob('index.json') },
    { name: 'manifest.json', data: blob('manifest.json') },
    { name: 'blobs/sha256/411caf340c828657e915a83ed561a79d2b8150dabad4dc079d881cbfe6f86afe', data: blob('blob-411caf34.oci-manifest.json') },
    { name: 'blobs/sha256/ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44', data: blob('blob-ee301c92.oci-config.json') },
  ];
  const dir = tempDir('layerlab-d25-');
  const path = join(dir, 'hello.tar');
  writeFileSync(path, await makeTar(entries));
  await assert.rejects(readImageArchive(path), (e: unknown) => e instanceof LayerlabError && e.message === 'layer is not in the archive' && e.place.path === 'blobs/sha256/12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43');
  writeFileSync(path, await makeTar([...entries, { name: 'blobs/sha256/12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43', data: await makeTar([{ name: 'hello', data: 'forged' }]) }]));
  await assert.rejects(readImageArchive(path), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && /expects diff_id sha256:1266/.test(e.message));
  const forgedConfig = entries.map((e) => (e.name.includes('ee301c92') ? { ...e, data: Buffer.from(e.data.toString().replace('arm64', 'amd64')) } : e));
  writeFileSync(path, await makeTar(forgedConfig));
  await assert.rejects(readImageArchive(path), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && /content does not match its name/.test(e.message));
});
