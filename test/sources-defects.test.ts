// Issue 9 defects in the readers, each pinned by a test that failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LayerlabError, quote } from '../src/errors.js';
import { loadSource } from '../src/sources/load.js';
import { parseSnapshot } from '../src/sources/snapshot.js';
import { bufferStream, measureLayer } from '../src/sources/tar.js';
import { cli } from './helpers/cli.js';
import { fakeEngine } from './helpers/fake-engine.js';
import { makeLayout, makeTar, sha } from './helpers/oci.js';

const SNAPSHOT = 'fixtures/official-images/host.snapshot.json';

function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const isErr = (re: RegExp, code?: string) => (e: unknown) => e instanceof LayerlabError && re.test(e.describe()) && (code === undefined || e.code === code);

// --- 4: Engine API answers validated -------------------------------------------------------------

const HEX = 'a'.repeat(64);
const DIFF = 'sha256:' + 'b'.repeat(64);

let sockets = 0;

/** A fake Engine API on a unix socket (a fresh one each time); `patch` spoils one answer. */
async function spoiledEngine(dir: string, patch: { history?: unknown; image?: Record<string, unknown>; containers?: unknown }): Promise<{ sock: string; close: () => Promise<void> }> {
  const answers: Record<string, unknown> = {
    '/version': { Version: '99.0', ApiVersion: '1.99' },
    '/images/json?all=1': [{ Id: `sha256:${HEX}` }],
    [`/images/sha256%3A${HEX}/json`]: { Id: `sha256:${HEX}`, RepoTags: ['x:1'], Os: 'linux', Architecture: 'amd64', RootFS: { Type: 'layers', Layers: [DIFF] }, ...patch.image },
    [`/images/sha256%3A${HEX}/history`]: patch.history ?? [{ Id: `sha256:${HEX}`, Created: 1, CreatedBy: 'ADD x /', Size: 35 }],
    '/containers/json?all=1&size=1': patch.containers ?? [],
  };
  return fakeEngine(dir, answers, `docker-${++sockets}.sock`);
}

test('4: Engine API history sizes that are negative or huge are refused, naming the endpoint and field', async (t) => {
  const dir = tempDir(t, 'layerlab-engine-');
  const cases: [string, Parameters<typeof spoiledEngine>[1], RegExp][] = [
    ['negative history Size', { history: [{ Created: 1, Size: -35 }] }, /GET \/images\/sha256%3Aa+\/history with \$\[0\]\.Size = -35/],
    ['1e308 history Size', { history: [{ Created: 1, Size: 1e308 }] }, /\$\[0\]\.Size = 1e\+308/],
    ['fractional Created', { history: [{ Created: 1.5, Size: 3 }] }, /\$\[0\]\.Created = 1\.5/],
    ['negative image Size', { image: { Size: -1 } }, /GET \/images\/sha256%3Aa+\/json with \$\.Size = -1/],
    ['container SizeRw 1e308', { containers: [{ Id: 'c'.repeat(64), ImageID: `sha256:${HEX}`, State: 'running', SizeRw: 1e308 }] }, /GET \/containers\/json\?all=1&size=1 with \$\[0\]\.SizeRw/],
    ['container SizeRootFs -2', { containers: [{ Id: 'c'.repeat(64), ImageID: `sha256:${HEX}`, State: 'running', SizeRootFs: -2 }] }, /\$\[0\]\.SizeRootFs = -2/],
  ];
  for (const [name, patch, want] of cases) {
    const e = await spoiledEngine(dir, patch);
    try {
      await assert.rejects(loadSource(`docker://unix://${e.sock}`), (err: unknown) => isErr(want, "EINPUT")(err) || assert.fail(`${name}: ${(err as Error).message}`));
      const r = await cli('df', `docker://unix://${e.sock}`);
      assert.equal(r.code, 1, name);
      assert.doesNotMatch(r.stdout, /YB|NaN|-35B/, name);
    } finally {
      await e.close();
    }
  }
  const ok = await spoiledEngine(dir, {});
  try {
    const s = await loadSource(`docker://unix://${ok.sock}`);
    assert.equal(s.graph.layerSize[0], 35);
  } finally {
    await ok.close();
  }
});

// --- 5: an OCI layout without oci-layout ----------------------------------------------------------

test('5: a folder with index.json and blobs/ but no oci-layout is refused, saying what it is not (exit 1)', async (t) => {
  const { dir } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  rmSync(join(dir, 'oci-layout'));
  await assert.rejects(loadSource(dir), isErr(/is not an OCI layout: it has index\.json and blobs\/ but no oci-layout file/, 'EINPUT'));
  const r = await cli('df', dir);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, /Images\s+0/);
});

// --- 6: symlinks that escape, followed by entries written through them -------------------------

test('6: an entry written through a symlink that climbs out of the layer root is refused, naming archive, layer and entry', async (t) => {
  const link = { header: { name: 'link', type: 'symlink' as const, linkname: '../../../../etc', size: 0, mode: 0o777, mtime: new Date(0) } };
  const layer = await makeTar([link, { name: 'link/passwd', data: 'root::0:0::/:/bin/sh\n' }]);
  await assert.rejects(measureLayer(bufferStream(layer), { file: 'a.tar', path: 'blobs/sha256/x' }), (e: unknown) => e instanceof LayerlabError && e.place.file === 'a.tar' && e.place.path === 'blobs/sha256/x' && /"link"/.test(e.message));
  // Composed links: each looks inside on its own, together they climb out.
  const composed = await makeTar([
    { name: 'x/', data: '' },
    { header: { name: 'x/d', type: 'symlink', linkname: '..', size: 0, mode: 0o777, mtime: new Date(0) } },
    { header: { name: 'x/d/e', type: 'symlink', linkname: '../..', size: 0, mode: 0o777, mtime: new Date(0) } },
    { name: 'x/d/e/passwd', data: 'x' },
  ]);
  await assert.rejects(measureLayer(bufferStream(composed), {}), isErr(/climbs above the layer root/));
  // Through an OCI layout: the error names the layout and the layer blob.
  const { dir } = await makeLayout([{ files: [{ ok: 'x' }] }]);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifestPath = join(dir, 'blobs', 'sha256', idx.manifests[0].digest.slice(7));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const gz = gzipSync(layer);
  writeFileSync(join(dir, 'blobs', 'sha256', sha(gz).slice(7)), gz);
  manifest.layers[0] = { ...manifest.layers[0], digest: sha(gz), size: gz.length };
  const m2 = Buffer.from(JSON.stringify(manifest));
  writeFileSync(join(dir, 'blobs', 'sha256', sha(m2).slice(7)), m2);
  idx.manifests[0] = { ...idx.manifests[0], digest: sha(m2), size: m2.length };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(idx));
  await assert.rejects(loadSource(dir), (e: unknown) => e instanceof LayerlabError && e.place.file === dir && e.place.path === `blobs/sha256/${sha(gz).slice(7)}` && /link\/passwd|"link"/.test(e.message));
});

test('6: links that stay inside still load; absolute targets land under the layer root', async () => {
  const seen: string[] = [];
  const layer = await makeTar([
    { name: 'usr/', data: '' },
    { name: 'usr/lib/', data: '' },
    { header: { name: 'lib', type: 'symlink', linkname: 'usr/lib', size: 0, mode: 0o777, mtime: new Date(0) } },
    { name: 'lib/a.so', data: 'aa' },
    { header: { name: 'etc2', type: 'symlink', linkname: '/etc', size: 0, mode: 0o777, mtime: new Date(0) } },
    { name: 'etc2/passwd', data: 'p' },
  ]);
  const m = await measureLayer(bufferStream(layer), {}, [{ entry: (e) => void seen.push(e.resolvedPath) }]);
  assert.equal(m.size, 3);
  assert.deepEqual(seen.slice(-3), ['usr/lib/a.so', 'etc2', 'etc/passwd']);
});

// --- 8: go-containerregistry tarballs (crane pull, kaniko --tarPath) ----------------------------

/** The exact shape of go-containerregistry pkg/v1/tarball write.go: config `sha256:<hex>` first, layers `<hex>.tar.gz`, manifest.json last. */
async function craneTarball(): Promise<{ bytes: Buffer; id: string; layerDigest: string; layerGz: Buffer }> {
  const t = await makeTar([{ name: 'hello', data: 'hello from crane\n' }]);
  const gz = gzipSync(t);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2026-01-02T03:04:05Z', config: { Env: ['PATH=/bin'], Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [sha(t)] }, history: [{ created_by: 'COPY hello /' }], pad: 'x'.repeat(3000) }));
  const id = sha(config);
  const manifest = JSON.stringify([{ Config: id, RepoTags: ['registry.example/hello:latest'], Layers: [`${sha(gz).slice(7)}.tar.gz`] }]);
  const bytes = await makeTar([
    { header: { name: id, type: 'file', size: config.length, mode: 0o644 }, data: config },
    { header: { name: `${sha(gz).slice(7)}.tar.gz`, type: 'file', size: gz.length, mode: 0o644 }, data: gz },
    { header: { name: 'manifest.json', type: 'file', size: Buffer.byteLength(manifest), mode: 0o644 }, data: Buffer.from(manifest) },
  ]);
  return { bytes, id, layerDigest: sha(gz), layerGz: gz };
}

test('8: a go-containerregistry tarball (config sha256:<hex>, layers <hex>.tar.gz) loads; its blobs open by digest', async (t) => {
  const dir = tempDir(t, 'layerlab-crane-');
  const { bytes, id, layerDigest, layerGz } = await craneTarball();
  const file = join(dir, 'hello.tar');
  writeFileSync(file, bytes);
  const s = await loadSource(file);
  assert.equal(s.kind, 'docker-archive');
  assert.equal(s.graph.imageCount, 1);
  assert.equal(s.graph.images[0].id, id);
  assert.deepEqual(s.graph.images[0].repoTags, ['registry.example/hello:latest']);
  assert.equal(s.graph.layerSize[0], 'hello from crane\n'.length);
  assert.ok(s.blobs?.has(layerDigest));
  const chunks: Buffer[] = [];
  for await (const c of await s.blobs!.open(layerDigest)) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), layerGz);
});

test('8: a config larger than the metadata bound says what the bound is for', async (t) => {
  const dir = tempDir(t, 'layerlab-bigcfg-');
  const config = Buffer.alloc(17 * 1024 * 1024, 0x20);
  const id = sha(config);
  const manifest = JSON.stringify([{ Config: id, RepoTags: null, Layers: [] }]);
  const file = join(dir, 'big.tar');
  writeFileSync(file, await makeTar([{ name: id, data: config }, { name: 'manifest.json', data: manifest }]));
  await assert.rejects(loadSource(file), isErr(/config is 17825792 bytes, larger than the 16 MiB layerlab reads for a metadata file/));
});

// --- 9, 10: missing paths, devices, pipes, bounded reads ----------------------------------------

test('9: a missing path or a folder of nothing known exits 1 with a clear message, no stack', async (t) => {
  const dir = tempDir(t, 'layerlab-missing-');
  for (const cmd of ['df', 'rm', 'plan', 'dedup', 'bindings', 'prune']) {
    const r = await cli(cmd, join(dir, 'nope'), ...(cmd === 'rm' ? ['x'] : cmd === 'plan' ? ['--remove', 'x'] : []));
    assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /no such file or directory/, cmd);
    assert.doesNotMatch(r.stderr, /ENOENT|    at /, cmd);
  }
  const r = await cli('df', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is a directory but neither/);
  // Files of the wrong kind inside a layout or a data root.
  mkdirSync(join(dir, 'lay', 'blobs'), { recursive: true });
  mkdirSync(join(dir, 'lay', 'index.json'));
  writeFileSync(join(dir, 'lay', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  mkdirSync(join(dir, 'root', 'image', 'overlay2', 'imagedb', 'content'), { recursive: true });
  writeFileSync(join(dir, 'root', 'image', 'overlay2', 'imagedb', 'content', 'sha256'), '');
  for (const [sub, want] of [['lay', /index\.json: index is a directory, not a regular file/], ['root', /sha256: cannot list: ENOTDIR/]] as const) {
    const w = await cli('df', join(dir, sub));
    assert.equal(w.code, 1, `${sub}: ${w.stderr}`);
    assert.match(w.stderr, want);
    assert.doesNotMatch(w.stderr, /internal error|    at /);
  }
});

test('10: df /dev/zero is refused at once as a character device (exit 1)', async () => {
  const started = Date.now();
  const r = await cli('df', '/dev/zero');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/dev\/zero: is a character device/);
  assert.ok(Date.now() - started < 5000);
});

test('10: a snapshot is read from - (standard input) and from a pipe <(cat f)', { skip: false }, () => {
  const fromStdin = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'df', '-'], { input: readFileSync(SNAPSHOT), encoding: 'utf8' });
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.match(fromStdin.stdout, /^TYPE/);
  const fromPipe = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx src/cli/main.ts df <(cat ${SNAPSHOT})`], { encoding: 'utf8' });
  assert.equal(fromPipe.status, 0, fromPipe.stderr);
  assert.equal(fromPipe.stdout, fromStdin.stdout);
});

test('10: an index.json beyond the metadata bound is refused before it is read', async (t) => {
  const { dir } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.json'), Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
  await assert.rejects(loadSource(dir), isErr(/index is 16777217 bytes, larger than the 16 MiB/));
});

// --- 12: tar detected by header, not JSON by default --------------------------------------------

test('12: empty or truncated .tar files say they are not tar archives, not "not valid JSON"', async (t) => {
  const dir = tempDir(t, 'layerlab-trunc-');
  const real = readFileSync('fixtures/archives/scenario.docker-save.tar');
  const cases: [string, Buffer, RegExp][] = [
    ['empty.tar', Buffer.alloc(0), /not a tar or tar\.gz file: the file is empty/],
    ['short.tar', real.subarray(0, 100), /only 100 bytes, less than one tar header/],
    ['junk.tar.gz', Buffer.from('{"kind":"layerlab-snapshot"'), /not a tar or tar\.gz file/],
    ['cut.tar', real.subarray(0, 4096), /corrupt or truncated tar archive|not in the archive|neither a docker save/],
    ['cut-no-ext', real.subarray(0, 4096), /corrupt or truncated tar archive|not in the archive|neither a docker save/],
    ['empty', Buffer.alloc(0), /empty file/],
  ];
  for (const [name, bytes, want] of cases) {
    writeFileSync(join(dir, name), bytes);
    await assert.rejects(loadSource(join(dir, name)), (e: unknown) => e instanceof LayerlabError && want.test(e.message) && !/not valid JSON/.test(e.message), name);
  }
});

// --- 14: duplicate keys ---------------------------------------------------------------------------

test('14: duplicate JSON keys in a snapshot are refused with the JSON path', () => {
  const id = `sha256:${'1'.repeat(64)}`;
  const text = `{"kind":"layerlab-snapshot","version":1,"layers":[],"images":[{"id":"${id}","layers":[],"id":"${id}"}],"containers":[]}`;
  assert.throws(() => parseSnapshot(text, 'dup.json'), (e: unknown) => e instanceof LayerlabError && e.place.path === '$.images[0].id' && /duplicate key "id"/.test(e.message));
  const top = `{"kind":"layerlab-snapshot","version":1,"images":[],"images":[{"id":"${id}","layers":[]}]}`;
  assert.throws(() => parseSnapshot(top), (e: unknown) => e instanceof LayerlabError && e.place.path === '$.images');
  // A key inside a string value is not a key.
  parseSnapshot(`{"kind":"layerlab-snapshot","version":1,"meta":{"note":"\\"kind\\": 2, {\\"a\\":1,\\"a\\":2}"}}`);
});

// --- 11: echoed values are cut ----------------------------------------------------------------------

test('11: error messages cut huge echoed values', () => {
  assert.equal(quote('short'), '"short"');
  assert.equal(quote('é'.repeat(100), 10), '"éééééééééé"…(200 bytes)');
  const huge = 'x'.repeat(5_000_000);
  const docs = [
    `{"kind":"layerlab-snapshot","version":1,"${huge}":1}`,
    `{"kind":"layerlab-snapshot","version":1,"images":[{"id":"sha256:${huge}","layers":[]}]}`,
    `{"kind":"layerlab-snapshot","version":1,"images":[{"id":"sha256:${'1'.repeat(64)}","layers":[],"repoTags":["${huge}"]}]}`,
    `{"kind":"${huge}","version":1}`,
  ];
  for (const d of docs) {
    assert.throws(
      () => parseSnapshot(d, 'f.json'),
      (e: unknown) => e instanceof LayerlabError && e.describe().length < 400 && /…\(\d+ bytes\)/.test(e.describe()),
    );
  }
});

// --- loadSources keeps every source's notes -------------------------------------------------------

test('loadSources keeps each source and its notes', async () => {
  const { loadSources } = await import('../src/sources/load.js');
  const root = 'fixtures/docker-20.10-root/root';
  const r = await loadSources([SNAPSHOT, root]);
  assert.deepEqual(r.sources.map((s) => s.kind), ['snapshot', 'data-root']);
  assert.ok(r.sources[1].distribution?.diffIdByDigest instanceof Map);
  assert.ok(r.notes.some((n) => n.code === 'data-root-no-layer-blobs' && n.source === root));
  const ids = new Set([...r.sources[0].graph.images, ...r.sources[1].graph.images].map((i) => i.id));
  assert.equal(r.graph.imageCount, ids.size);
});

// --- 3 (the layout part): declared sizes checked against the blob even where layers are not read --

test('3: an OCI layout whose manifest declares a layer size its blob does not have is refused (registry view too)', async (t) => {
  for (const declared of [1e9, -5, 1e308]) {
    const { dir } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', idx.manifests[0].digest.slice(7)), 'utf8'));
    manifest.layers[0].size = declared;
    const m2 = Buffer.from(JSON.stringify(manifest));
    writeFileSync(join(dir, 'blobs', 'sha256', sha(m2).slice(7)), m2);
    idx.manifests[0] = { ...idx.manifests[0], digest: sha(m2), size: m2.length };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(idx));
    await assert.rejects(loadSource(dir), (e: unknown) => e instanceof LayerlabError && /descriptor says|expected a size in bytes/.test(e.message), String(declared));
  }
});
