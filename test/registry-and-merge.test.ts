import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, cpSync, rmSync, truncateSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { systemDf } from '../src/analyze/df.js';
import { compareDedupModels } from '../src/analyze/dedup.js';
import { LayerlabError } from '../src/errors.js';
import { mergeGraphs } from '../src/model/merge.js';
import { parseRegistrySource, readRegistryFolder } from '../src/sources/registry.js';
import { parseSnapshot, snapshotFromJson } from '../src/sources/snapshot.js';
import { readImageArchive } from '../src/sources/image-archive.js';
import { readOciLayout } from '../src/sources/oci-layout.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

test('registry folder of repo-info manifests gives the bundled snapshot\'s df', () => {
  const r = readRegistryFolder('fixtures/official-images/manifests');
  const snap = parseSnapshot(readFileSync('fixtures/official-images/host.snapshot.json', 'utf8')).graph;
  assert.deepEqual(systemDf(r.graph), systemDf(snap));
});

test('registry folder of raw registry bytes (quay test data): platform selected, digests from the bytes', () => {
  const dir = tempDir('layerlab-reg-');
  for (const f of readdirSync('fixtures/registry-manifests')) if (f.endsWith('.json')) cpSync(join('fixtures/registry-manifests', f), join(dir, f));
  const r = readRegistryFolder(dir);
  assert.equal(r.graph.imageCount, 4);
  assert.ok(r.graph.images.every((m) => m.platform === 'linux/amd64'));
  const blob = compareDedupModels(r.graph).models.find((m) => m.model === 'blob')!;
  assert.equal(blob.available, true);
  assert.ok(blob.storedBytes < blob.logicalBytes, 'nginx 1.22 and 1.23.1 share blobs');
  const arm = readRegistryFolder(dir, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(arm.graph.imageCount, 0, 'only amd64 manifests are in the folder');
  // the indexes name arm64/v8 manifests the folder lacks: said, not read as an empty registry
  assert.deepEqual(arm.notes.map((n) => [n.code, n.params.count]), [['other-platforms-left-out', 4], ['named-manifests-missing', 4]]);
});

test('registry folder: schema 1 refused, attestations counted and left out', () => {
  const dir = tempDir('layerlab-reg-');
  writeFileSync(join(dir, 's1.json'), JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
  assert.throws(() => readRegistryFolder(dir), (e: unknown) => e instanceof LayerlabError && /schema 1/.test(e.message) && e.place.file === join(dir, 's1.json'));
  const d2 = tempDir('layerlab-reg-');
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: 'sha256:' + 'a'.repeat(64), size: 1 }, layers: [{ digest: 'sha256:' + 'b'.repeat(64), size: 10 }] });
  writeFileSync(join(d2, 'm.json'), manifest);
  const md = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
  writeFileSync(join(d2, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: md, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }] }));
  const r = readRegistryFolder(d2);
  assert.equal(r.graph.imageCount, 0);
  assert.deepEqual(r.notes.map((n) => [n.code, n.params.count]), [['attestations-left-out', 1]]);
});

test('registry:// accepts only loopback', () => {
  assert.deepEqual(parseRegistrySource('registry://127.0.0.1:5000/team/app:v1'), { host: '127.0.0.1', port: 5000, repository: 'team/app', tag: 'v1' });
  assert.deepEqual(parseRegistrySource('registry://localhost:5000'), { host: 'localhost', port: 5000 });
  for (const bad of ['registry://10.1.2.3:5000', 'registry://example.com:443/x', 'registry://127.0.0.1']) assert.throws(() => parseRegistrySource(bad), LayerlabError, bad);
});

test('merge: a graph merged with itself or with nothing new changes no df', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const g = snapshotFromJson(doc).graph;
      const withoutContainers = snapshotFromJson({ ...doc, containers: [] }).graph;
      assert.deepEqual(systemDf(mergeGraphs([g, withoutContainers])), systemDf(g));
    }),
  );
});

test('merge: the docker save and OCI copies of the same images unify their layers by diffID', async () => {
  const saved = await readImageArchive('fixtures/archives/scenario.docker-save.tar');
  const oci = await readOciLayout('fixtures/archives/scenario.oci');
  const merged = mergeGraphs([saved, oci]);
  assert.equal(merged.layerCount, saved.layerCount);
  assert.ok(merged.layerDigest.every((d) => d !== undefined), 'blob digests learnt from the OCI copy');
  const r = await cli('df', '--format', 'json', 'fixtures/archives/scenario.docker-save.tar', 'fixtures/archives/scenario.oci');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).LayersSize, systemDf(saved).LayersSize);
});

test('merge: conflicting facts about one layer are an error', () => {
  const mk = (size: number) => snapshotFromJson({ kind: 'layerlab-snapshot', version: 1, layers: [{ diffId: 'sha256:' + 'c'.repeat(64), size }], images: [], containers: [] }).graph;
  assert.throws(() => mergeGraphs([mk(1), mk(2)], ['a.json', 'b.json']), (e: unknown) => e instanceof LayerlabError && /size 1 elsewhere, 2 in b\.json/.test(e.message));
});

/** A copy of the scenario OCI layout whose base-1 manifest declares `size` for its first layer. */
function layoutWithLayerSize(size: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-oci-size-'));
  cpSync('fixtures/archives/scenario.oci', dir, { recursive: true });
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number; annotations: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'base-1')!;
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs/sha256', entry.digest.slice(7)), 'utf8'));
  manifest.layers[0].size = size;
  const text = JSON.stringify(manifest).replace('"size":1e+308', '"size":1e308');
  const hex = createHash('sha256').update(text).digest('hex');
  writeFileSync(join(dir, 'blobs/sha256', hex), text);
  entry.digest = `sha256:${hex}`;
  entry.size = Buffer.byteLength(text);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

test('registry, pull --from, push --registry on an OCI layout: declared layer sizes are validated and checked against the blob', async () => {
  for (const size of [1e9, -5, 1e308, 1.5]) {
    const dir = layoutWithLayerSize(size);
    try {
      for (const argv of [
        ['registry', dir],
        ['pull', '--from', dir, 'scenario.oci:base-1'],
        ['push', '--from', 'fixtures/docker-20.10-root/root', '--registry', dir, 'base:1'],
      ]) {
        const r = await cli(...argv);
        assert.equal(r.code, 1, `${argv[0]} with size ${size}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, size === 1e9 ? /has \d+ bytes, but its descriptor says 1000000000/ : /layers\[0\]\.size: expected a size in bytes/, `${argv[0]} ${size}`);
        assert.match(r.stderr, /blobs\/sha256\//, 'names the manifest blob');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('registry folder: config and layer sizes are whole numbers from 0 to 2^53', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-reg-'));
  try {
    for (const [where, bad] of [['config', -5], ['config', 1e308], ['layers', 2 ** 53 + 2], ['layers', 0.5]] as const) {
      const config = { digest: 'sha256:' + 'a'.repeat(64), size: where === 'config' ? bad : 10 };
      const layers = [{ digest: 'sha256:' + 'b'.repeat(64), size: where === 'layers' ? bad : 10 }];
      writeFileSync(join(dir, 'm.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers }));
      assert.throws(
        () => readRegistryFolder(dir),
        (e: unknown) => e instanceof LayerlabError && e.place.path === (where === 'config' ? '$.config.size' : '$.layers[0].size') && /expected a size in bytes/.test(e.message),
        `${where} ${bad}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry, pull --from, push --registry: a missing path or a regular file is a clear error, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-reg-'));
  try {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'hello');
    for (const [where, what] of [[join(dir, 'missing'), /no such file or directory/], [file, /not a registry source/]] as const) {
      for (const argv of [
        ['registry', where],
        ['pull', '--from', where, 'x:1'],
        ['push', '--from', 'fixtures/docker-20.10-root/root', '--registry', where, 'base:1'],
      ]) {
        const r = await cli(...argv);
        assert.equal(r.code, 1, `${argv.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, what);
        assert.ok(r.stderr.includes(where), 'names the path');
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry folder: a .json file over the metadata cap is refused before it is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-reg-'));
  try {
    writeFileSync(join(dir, 'big.json'), '');
    truncateSync(join(dir, 'big.json'), 17 * 1024 * 1024);
    assert.throws(() => readRegistryFolder(dir), (e: unknown) => e instanceof LayerlabError && /larger than 16777216 bytes/.test(e.message) && e.place.file === join(dir, 'big.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A loopback server answering every request with `status` and `headers`. */
async function answering(status: number, headers: Record<string, string>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, headers);
    res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `registry://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('registry://: a redirect or an authentication challenge says it is not supported and what the registry asked for', async () => {
  const long = 'x'.repeat(5000);
  for (const [status, headers, want] of [
    [307, { Location: 'https://elsewhere.example/v2/' }, /redirects are not supported \(307 to https:\/\/elsewhere\.example\/v2\/\)/],
    [401, { 'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="reg"' }, /authentication is not supported \(401, the registry asks for: Bearer realm="https:\/\/auth\.example\/token",service="reg"\)/],
    [401, { 'WWW-Authenticate': `Basic realm="${long}"` }, /authentication is not supported .*…/],
  ] as const) {
    const srv = await answering(status, headers);
    try {
      const r = await cli('registry', srv.url);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.ok(r.stderr.length < 600, 'echoed headers are cut');
    } finally {
      await srv.close();
    }
  }
});

test('registry: an OCI layout without its oci-layout file is not read as a folder of registry documents', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-oci-'));
  try {
    cpSync('fixtures/archives/scenario.oci', dir, { recursive: true });
    rmSync(join(dir, 'oci-layout'));
    const r = await cli('registry', dir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /is not an OCI layout: it has index\.json and blobs\/ but no oci-layout file .* and it is not a folder of registry documents either/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry://: a digest reference and a repository or tag the distribution grammar refuses are usage errors, before any request', () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof LayerlabError && e.code === 'EUSAGE' && re.test(e.message);
  assert.throws(() => parseRegistrySource(`registry://127.0.0.1:5055/team/base@sha256:${'0'.repeat(64)}`), usage(/digest/));
  assert.throws(() => parseRegistrySource('registry://127.0.0.1:5055/team/UPPER'), usage(/lowercase|invalid repository/));
  assert.throws(() => parseRegistrySource('registry://127.0.0.1:5055/team//x'), usage(/invalid repository/));
  assert.throws(() => parseRegistrySource('registry://127.0.0.1:5055/team/x:-bad'), usage(/invalid tag/));
  assert.throws(() => parseRegistrySource('registry://127.0.0.1:5055/team/x?q=1'), usage(/invalid repository/));
  assert.deepEqual(parseRegistrySource('registry://127.0.0.1:5055/a.b/c_d/e-f__g:V1.0_x'), { host: '127.0.0.1', port: 5055, repository: 'a.b/c_d/e-f__g', tag: 'V1.0_x' });
});
