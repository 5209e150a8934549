// layerlab's df against what a real dockerd 20.10.24 answered, and docker CLI 28.2.2 printed, for
// the same host (fixtures/docker-20.10-scenario, captured by hand; see its PROVENANCE.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { imagesReclaimable, systemDf } from '../src/analyze/df.js';
import { renderDfSummary, renderDfVerbose } from '../src/render/df.js';
import { parseSnapshot } from '../src/sources/snapshot.js';

const dir = 'fixtures/docker-20.10-scenario/';
const read = (f: string) => readFileSync(dir + f, 'utf8');
const graph = parseSnapshot(read('host.snapshot.json'), 'host.snapshot.json').graph;

test('df JSON equals the daemon\'s /system/df field by field', () => {
  const want = JSON.parse(read('system-df.json'));
  const got = systemDf(graph, 'legacy');
  assert.equal(got.LayersSize, want.LayersSize);
  assert.equal(got.Images.length, want.Images.length);
  for (const [k, w] of (want.Images as Record<string, unknown>[]).entries()) {
    const g = got.Images[k] as unknown as Record<string, unknown>;
    for (const field of ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'VirtualSize', 'Labels', 'Containers']) {
      assert.deepEqual(g[field], w[field], `Images[${k}].${field}`);
    }
    assert.equal(g.UniqueSize, (w.Size as number) - (w.SharedSize as number));
  }
  for (const [k, w] of (want.Containers as Record<string, unknown>[]).entries()) {
    const g = got.Containers[k] as unknown as Record<string, unknown>;
    for (const field of ['Id', 'Names', 'Image', 'ImageID', 'Command', 'Created', 'State', 'Status', 'SizeRootFs']) {
      assert.deepEqual(g[field], w[field], `Containers[${k}].${field}`);
    }
  }
});

test('df table equals `docker system df` (legacy rule, as Docker 20.10 prints it)', () => {
  const docker = read('system-df.txt').split('\n');
  const ours = renderDfSummary(systemDf(graph, 'legacy')).split('\n');
  assert.deepEqual(ours.slice(0, 3), docker.slice(0, 3));
  assert.equal(ours[1], 'Images          4         2         16.29kB   7.096kB (43%)');
});

test('df -v images and containers sections equal `docker system df -v` byte for byte', () => {
  const docker = read('system-df-v.txt');
  const ours = renderDfVerbose(systemDf(graph, 'legacy'), 1795715247);
  assert.equal(ours, docker.slice(0, docker.indexOf('\nLocal Volumes space usage:')));
});

test('current rule (Docker >= 29.4) on the same host: unique size of images without containers', () => {
  const df = systemDf(graph, 'current');
  // app-c:1 (3000 unique) and base:1 (0 unique) have no container.
  assert.equal(df.ImagesUsage.Reclaimable, 3000);
  assert.equal(df.ImagesUsage.TotalSize, 16288);
});

test('hidden build parents are not counted as sharing (verified on the daemon)', () => {
  const appB = systemDf(graph).Images.find((i) => i.RepoTags?.includes('app-b:1'))!;
  // app-b's own 8192-byte layer is also its untagged build parent's top layer, yet not shared.
  assert.equal(appB.SharedSize, 4096);
  assert.equal(appB.UniqueSize, 8192);
});

test('the shared design doc\'s RECLAIMABLE vector under both rules', () => {
  // LayersSize 15360; images (4096, shared 1024, 1 container), (8192, 2048, 0), (3072, 1024, 0).
  // The doc calls 8192 the old rule's answer, but docker/cli's old formatter (and the daemon
  // fixture above: 7.096kB (43%)) compute LayersSize - unique of images with containers =
  // 15360 - 3072 = 12288; 8192 is what the new rule gives. We follow the source and the daemon.
  const images = [
    { Size: 4096, SharedSize: 1024, Containers: 1 },
    { Size: 8192, SharedSize: 2048, Containers: 0 },
    { Size: 3072, SharedSize: 1024, Containers: 0 },
  ];
  assert.equal(imagesReclaimable(images, 15360, 'legacy'), 12288);
  assert.equal(imagesReclaimable(images, 15360, 'current'), 8192);
});
