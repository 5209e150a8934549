import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dockerManifestJson, narratePush, planPush, registryStateOf, type LocalImage, type RegistryState } from '../src/analyze/push.js';
import { HostState, type V2Metadata } from '../src/analyze/host-state.js';
import { Universe } from '../src/model/universe.js';
import { sha256Digest } from '../src/model/digest.js';
import { parseNormalizedNamed } from '../src/model/reference.js';
import { cli } from './helpers/cli.js';

const diff = (i: number) => sha256Digest(`diff-${i}`);
const noMetadata = () => new HostState(new Universe());
const fresh = (): [HostState, RegistryState] => [noMetadata(), registryStateOf([])];
/** A host whose v2 metadata is exactly `entries`, as read from a data root. */
function withV2(entries: [string, V2Metadata[]][]): HostState {
  const h = noMetadata();
  for (const [d, ms] of entries) h.setV2(d, ms);
  h.metadata = 'read';
  return h;
}
const sizes = [50_000, 2_000_000, 20_000_000];

const localImages = fc.array(fc.array(fc.nat(6), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }).map((stacks) =>
  stacks.map(
    (stack, k): LocalImage => ({
      ref: parseNormalizedNamed(`127.0.0.1:5000/r${k}:1`),
      id: sha256Digest(`config-${k}-${stack}`),
      layers: stack.map((i) => ({ diffId: diff(i), size: sizes[i % 3] })),
    }),
  ),
);

test('push: a layer is uploaded at most once per repository, and once pushed anywhere in the registry it is never uploaded again', () => {
  fc.assert(
    fc.property(localImages, (images) => {
      const [host, reg] = fresh();
      const uploaded = new Set<string>();
      for (const img of images) {
        const p = planPush(host, reg, img);
        assert.deepEqual(p.layers.map((l) => l.diffId), [...new Set(img.layers.map((l) => l.diffId))], 'one line per diffID, bottom up');
        for (const l of p.layers) {
          if (l.status === 'Pushed') {
            assert.ok(!uploaded.has(l.diffId), `${l.diffId} uploaded twice`);
            uploaded.add(l.diffId);
          }
        }
      }
      // pushing everything again (same repositories): nothing is uploaded or mounted
      for (const img of images) assert.ok(planPush(host, reg, img).layers.every((l) => l.status === 'Layer already exists'));
    }),
  );
});

test('push: without the daemon\'s metadata nothing can be mounted or found, so everything is uploaded', () => {
  fc.assert(
    fc.property(localImages, (images) => {
      for (const img of images) {
        // `full` holds every blob of the image, and `known` knows their digests
        const [known, full] = fresh();
        planPush(known, full, img);
        const p = planPush(noMetadata(), full, img);
        assert.ok(p.layers.every((l) => l.status === 'Pushed'));
        assert.ok(planPush(known, full, img).layers.every((l) => l.status === 'Layer already exists'), 'the registry does hold them: a host that knows them uploads nothing');
      }
    }),
  );
});

test('push: mount candidates are the youngest, then the most path components in common; a small layer gets one try', () => {
  const reg = () => registryStateOf([
    { manifestDigest: 'm1', resolvedDigest: 'm1', repoTags: ['reg.example/a/x:1', 'reg.example/b/y:1'], repoDigests: [], config: { digest: 'c1' }, layers: [{ digest: 'sha256:' + 'a'.repeat(64), size: 10 }] },
  ]);
  const md = (repo: string) => ({ digest: 'sha256:' + 'a'.repeat(64), sourceRepository: repo });
  const image = (size: number): LocalImage => ({ ref: parseNormalizedNamed('reg.example/b/z:1'), id: 'sha256:' + 'c'.repeat(64), layers: [{ diffId: diff(1), size }] });
  const host = (): HostState => withV2([[diff(1), [md('reg.example/a/x'), md('reg.example/b/y'), md('reg.example/gone/q'), md('other.example/b/y')]]]);
  // b/y shares two components with b/z: first, though a/x and gone/q are younger or as young
  assert.equal(planPush(host(), registryStateOf([]), image(5_000_000)).layers[0].status, 'Pushed');
  const p = planPush(host(), reg(), image(5_000_000));
  assert.equal(p.layers[0].from, 'b/y');
  // a small layer: one mount attempt, the best candidate only
  const h = host();
  h.setV2(diff(1), [md('reg.example/a/x'), md('reg.example/b/gone')]);
  assert.equal(planPush(h, reg(), image(1000)).layers[0].status, 'Pushed', 'b/gone (closest path) fails and is the only try');
  const h2 = host();
  h2.setV2(diff(1), [md('reg.example/a/x'), md('reg.example/b/gone')]);
  assert.equal(planPush(h2, reg(), image(1_000_000)).layers[0].from, 'a/x', 'a middle layer gets three tries');
  assert.ok(!h2.v2.get(diff(1))!.some((m) => m.sourceRepository === 'reg.example/b/gone'), 'a failed mount candidate is forgotten');
});

test('push narration and Docker\'s manifest JSON', () => {
  const text = dockerManifestJson({ digest: 'sha256:' + '1'.repeat(64), size: 1470 }, [{ digest: 'sha256:' + '2'.repeat(64), size: 977 }]);
  assert.equal(
    text,
    `{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n   "config": {\n      "mediaType": "application/vnd.docker.container.image.v1+json",\n      "size": 1470,\n      "digest": "sha256:${'1'.repeat(64)}"\n   },\n   "layers": [\n      {\n         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",\n         "size": 977,\n         "digest": "sha256:${'2'.repeat(64)}"\n      }\n   ]\n}`,
  );
  const [host, reg] = fresh();
  const lines = narratePush(planPush(host, reg, { ref: parseNormalizedNamed('127.0.0.1:5000/a/b:v2'), id: sha256Digest('c'), layers: [{ diffId: diff(1) }, { diffId: diff(2) }] }));
  assert.equal(lines[0], 'The push refers to repository [127.0.0.1:5000/a/b]');
  assert.equal(lines[1], `${diff(2).slice(7, 19)}: Preparing`);
  assert.equal(lines.at(-1), 'v2: digest: (known after docker compresses the new layers)');
});

test('push CLI: a data root without metadata uploads its layers; a child then mounts its base; errors', async () => {
  const args = ['--from', 'fixtures/docker-20.10-root/root', '--registry', 'fixtures/official-images/manifests'];
  const r = await cli('push', ...args, '--format', 'json', 'base:1', 'app-b:1');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.metadata, 'read');
  assert.ok(doc.plans[0].layers.every((l: { status: string }) => l.status === 'Pushed'));
  assert.deepEqual(doc.plans[1].layers.map((l: { status: string; from?: string }) => l.from ?? l.status), ['library/base', 'library/base', 'Pushed']);
  const t = await cli('push', ...args, 'base:1');
  assert.match(t.stdout, /To upload: 2 layer\(s\), 1\.986MB before gzip/);
  const missing = await cli('push', ...args, 'nope:1');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /An image does not exist locally with the tag: nope/);
  assert.equal((await cli('push', '--from', 'x', 'base:1')).code, 2);
  assert.equal((await cli('push', ...args)).code, 2);
  assert.equal((await cli('push', ...args, 'UPPER:1')).code, 2);
});
