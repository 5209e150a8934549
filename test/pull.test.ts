import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { narratePull, planPull, pullHostFromGraph, type RemoteImage } from '../src/analyze/pull.js';
import { GraphBuilder } from '../src/model/graph.js';
import { sha256Digest } from '../src/model/digest.js';
import { parseNormalizedNamed } from '../src/model/reference.js';
import { readOciLayout } from '../src/sources/oci-layout.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';
import { cli } from './helpers/cli.js';

const empty = () => pullHostFromGraph(new GraphBuilder().build(), new Map());
const blob = (i: number) => sha256Digest(`blob-${i}`);
const diff = (i: number) => sha256Digest(`diff-${i}`);

/** Random remote images over a small pool of layers, so they share blobs at various positions. */
const remoteImages = fc.array(fc.array(fc.nat(6), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }).map((stacks) =>
  stacks.map(
    (stack, k): RemoteImage => ({
      ref: parseNormalizedNamed(`img${k}:1`),
      digest: sha256Digest(`manifest-${k}-${stack.join(',')}`),
      configDigest: sha256Digest(`config-${k}-${stack.join(',')}`),
      layers: stack.map((i) => ({ digest: blob(i), size: 1000 + i, diffId: diff(i) })),
    }),
  ),
);

test('pull: bytes to download <= cold bytes, ideal <= Docker\'s rule', () => {
  fc.assert(
    fc.property(remoteImages, (images) => {
      const host = empty();
      for (const img of images) {
        const p = planPull(host, img);
        assert.ok(p.downloadBytes <= p.coldBytes);
        assert.ok(p.idealDownloadBytes <= p.downloadBytes);
      }
    }),
  );
});

test('pull: an image already present is up to date and reads nothing', () => {
  fc.assert(
    fc.property(remoteImages, (images) => {
      const host = empty();
      for (const img of images) planPull(host, img);
      for (const img of images) {
        const again = planPull(host, img);
        assert.equal(again.imagePresent, true);
        assert.equal(again.downloadBytes, 0);
        assert.equal(again.upToDate, images.filter((x) => x.ref.path === img.ref.path).at(-1)!.configDigest === img.configDigest);
        assert.ok(!narratePull(again, true).some((l) => /Pull complete|Already exists/.test(l)));
      }
    }),
  );
});

test('pull A then B: B downloads exactly its layers from the first one whose chain the host lacks', () => {
  fc.assert(
    fc.property(remoteImages, (images) => {
      const [a, b] = [images[0], images[images.length - 1]];
      fc.pre(a.configDigest !== b.configDigest);
      const host = empty();
      planPull(host, a);
      const p = planPull(host, b);
      // the longest prefix of B that is a prefix of A is there; above it every blob downloads, once
      let k = 0;
      while (k < b.layers.length && k < a.layers.length && a.layers[k].digest === b.layers[k].digest) k++;
      assert.deepEqual(p.layers.map((l) => l.status !== 'download'), b.layers.map((_, i) => i < k || b.layers.slice(k, i).some((x) => x.digest === b.layers[i].digest)));
      assert.ok(p.layers.every((l, i) => (i < k ? l.status === 'planned' && l.plannedBy === 'img0:1' : true)));
    }),
  );
});

test('pull: without a cache limit, the order of a multi-pull never changes the ideal total', () => {
  fc.assert(
    fc.property(remoteImages, (images) => {
      const total = (xs: RemoteImage[]) => {
        const h = empty();
        return xs.reduce((s, x) => s + planPull(h, x).idealDownloadBytes, 0);
      };
      assert.equal(total([...images].reverse()), total(images));
    }),
  );
});

test('pull CLI on the official images: redis after nginx finds the trixie base (docker narration)', async () => {
  const r = await cli('pull', '--format', 'docker', '--from', 'fixtures/official-images/manifests', 'nginx:stable-trixie', 'redis');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const redis = lines.slice(lines.indexOf('Using default tag: latest'));
  assert.deepEqual(redis.slice(0, 3), ['Using default tag: latest', 'latest: Pulling from library/redis', '6b37362b3da7: Already exists']);
  assert.equal(redis.filter((l) => l.endsWith(': Pull complete')).length, 6);
  assert.ok(redis.includes('Status: Downloaded newer image for redis:latest'));
  assert.ok(redis.includes('docker.io/library/redis:latest'));
  const t = await cli('pull', '--from', 'fixtures/official-images/manifests', 'nginx:stable-trixie', 'redis');
  assert.match(t.stdout, /Compressed bytes to download: .* \(Docker's rule\)/);
  assert.equal((await cli('pull', 'redis')).code, 2);
  assert.equal((await cli('pull', '--from', 'fixtures/official-images/manifests', 'nosuch:1')).code, 1);
});

test('pull --from an OCI layout: the index descriptor digest is the Digest line, later images find the shared base', async () => {
  const r = await cli('pull', '--format', 'json', '--from', 'fixtures/archives/scenario.oci', 'scenario.oci:base-1', 'scenario.oci:app-b-1');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const index = JSON.parse(readFileSync('fixtures/archives/scenario.oci/index.json', 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  assert.equal(doc.plans[0].digest, index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'base-1')!.digest);
  assert.deepEqual(doc.plans[1].layers.map((l: { status: string }) => l.status), ['planned', 'planned', 'download']);
  assert.ok(doc.plans[1].layers.every((l: { diffId?: string }) => l.diffId), 'diffIDs read from the configs');
  const broken = mkdtempSync(join(tmpdir(), 'layerlab-oci-'));
  try {
    writeFileSync(join(broken, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(broken, 'index.json'), '{"manifests":[{"digest":"sha256:nothex"}]}');
    const bad = await cli('pull', '--from', broken, 'x:1');
    assert.equal(bad.code, 1);
    // the layout, the JSON path in its index.json, and the bad value
    assert.ok(bad.stderr.includes(`${broken}: $.manifests[0].digest: `), bad.stderr);
    assert.match(bad.stderr, /descriptor digest "sha256:nothex" is not a digest/);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

test('pull --into a host: blob metadata is inferred from every registry image the host pulled, not only the ones pulled now', async () => {
  const oci = JSON.parse(serializeSnapshot(await readOciLayout('fixtures/archives/scenario.oci'))) as { images: { repoTags?: string[]; repoDigests?: string[] }[] };
  const index = JSON.parse(readFileSync('fixtures/archives/scenario.oci/index.json', 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  const appB = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'app-b-1')!.digest;
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-pull-host-'));
  try {
    const host = (repoDigest: string) => {
      const file = join(dir, `${repoDigest.split('@')[0]}.json`);
      const images = oci.images.filter((m) => m.repoTags?.includes('scenario.oci:app-b-1')).map((m) => ({ ...m, repoDigests: [repoDigest] }));
      writeFileSync(file, JSON.stringify({ ...oci, images }));
      return file;
    };
    // the host pulled app-b from this registry: app-c's base layers are there (docker: Already exists)
    const r = await cli('pull', '--format', 'json', '--from', 'fixtures/archives/scenario.oci', '--into', host(`scenario.oci@${appB}`), 'scenario.oci:app-c-1');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.metadata, 'inferred');
    assert.deepEqual(doc.plans[0].layers.map((l: { status: string }) => l.status), ['Already exists', 'Already exists', 'download']);
    // the same image with a RepoDigest of another repository tells nothing about this registry's blobs
    const other = JSON.parse((await cli('pull', '--format', 'json', '--from', 'fixtures/archives/scenario.oci', '--into', host(`elsewhere@${appB}`), 'scenario.oci:app-c-1')).stdout);
    assert.deepEqual(other.plans[0].layers.map((l: { status: string }) => l.status), ['download', 'download', 'download']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
