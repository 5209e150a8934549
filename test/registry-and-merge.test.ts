import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { systemDf } from '../src/analyze/df.js';
import { compareDedupModels } from '../src/analyze/dedup.js';
import { LayerlabError } from '../src/errors.js';
import { mergeGraphs } from '../src/model/merge.js';
import { parseRegistrySource, readRegistryFolder } from '../src/sources/registry.js';
import { parseSnapshot, snapshotFromJson } from '../src/sources/snapshot.js';
import { readImageArchive, readOciLayout } from '../src/sources/image-archive.js';
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
  assert.equal(arm.otherPlatforms, 4);
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
  assert.equal(r.attestations, 1);
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
