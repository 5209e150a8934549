import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { registryView, viewRef, type ViewImage } from '../src/analyze/registry-view.js';
import { planPull, pullHostFromGraph } from '../src/analyze/pull.js';
import { GraphBuilder } from '../src/model/graph.js';
import { sha256Digest } from '../src/model/digest.js';
import { parseNormalizedNamed } from '../src/model/reference.js';
import { cli } from './helpers/cli.js';

const blob = (i: number) => sha256Digest(`blob-${i}`);
const images = fc.array(fc.array(fc.nat(7), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }).map((stacks) =>
  stacks.map((s, k): ViewImage => ({ manifestDigest: sha256Digest(`m${k}`), repoTags: [`img${k}:1`], repoDigests: [], layers: s.map((i) => ({ digest: blob(i), size: 100 + i * 10 })) })),
);

test('registry view: dedup never stores more; ideal pull given the others = unique bytes <= Docker\'s <= size', () => {
  fc.assert(
    fc.property(images, (imgs) => {
      const v = registryView(imgs);
      assert.ok(v.storedWithDedup <= v.storedWithoutDedup);
      const distinct = new Set(imgs.flatMap((i) => i.layers.map((l) => l.digest)));
      assert.equal(v.storedWithDedup, [...distinct].reduce((s, d) => s + imgs.flatMap((i) => i.layers).find((l) => l.digest === d)!.size!, 0));
      for (const r of v.rows) {
        assert.equal(r.pullIdeal, r.unique);
        assert.ok(r.pullIdeal <= r.pullDocker && r.pullDocker <= r.size);
      }
    }),
  );
});

test('registry view with a chosen host agrees with the pull planner', () => {
  fc.assert(
    fc.property(images, fc.array(fc.nat(5), { maxLength: 3 }), (imgs, hostPick) => {
      const hostRefs = [...new Set(hostPick.filter((k) => k < imgs.length).map((k) => viewRef(imgs[k])))];
      const v = registryView(imgs, hostRefs);
      const remote = (img: ViewImage, k: number) => ({ ref: parseNormalizedNamed(viewRef(img)), digest: sha256Digest(`m${k}`), configDigest: sha256Digest(`c${k}`), layers: img.layers });
      imgs.forEach((img, k) => {
        const host = pullHostFromGraph(new GraphBuilder().build(), new Map());
        imgs.forEach((h, j) => hostRefs.includes(viewRef(h)) && planPull(host, remote(h, j)));
        const p = planPull(host, remote(img, k), { record: false });
        assert.equal(v.rows[k].pullDocker, p.downloadBytes, viewRef(img));
        assert.equal(v.rows[k].pullIdeal, p.idealDownloadBytes, viewRef(img));
      });
    }),
  );
});

test('registry CLI on the official images: redis onto a host that has nginx', async () => {
  const r = await cli('registry', '--format', 'json', '--host', 'nginx:stable-trixie', 'fixtures/official-images/manifests');
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  const row = (ref: string) => v.rows.find((x: { ref: string }) => x.ref === ref);
  assert.equal(row('nginx:stable-trixie').onHost, true);
  // redis shares the trixie base layer with nginx: everything else downloads
  const pull = JSON.parse((await cli('pull', '--format', 'json', '--from', 'fixtures/official-images/manifests', 'nginx:stable-trixie', 'redis')).stdout);
  assert.equal(row('redis:latest').pullDocker, pull.plans[1].downloadBytes);
  assert.ok(row('redis:latest').pullDocker < row('redis:latest').size);
  assert.equal(row('alpine:latest').pullDocker, row('alpine:latest').size);
  const t = await cli('registry', 'fixtures/official-images/manifests');
  assert.match(t.stdout, /Stored: 1\.319GB with blob dedup, 1\.682GB without \(22% saved by sharing blobs\)/);
  assert.equal((await cli('registry')).code, 2);
  assert.equal((await cli('registry', '--host', 'nosuch:1', 'fixtures/official-images/manifests')).code, 1);
});
