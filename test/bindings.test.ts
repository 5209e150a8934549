import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imageBindings } from '../src/analyze/bindings.js';
import { removalHost } from '../src/analyze/removal.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { cli } from './helpers/cli.js';

test('bindings: dangling is untagged without children, containers and children are the graph\'s, an rmi that succeeds frees at least the image alone', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const graph = snapshotFromJson(doc).graph;
      const rows = imageBindings(graph, graph.images.map((_, i) => i));
      rows.forEach((b, i) => {
        const m = graph.images[i];
        const children = graph.images.filter((x) => x.parent === m.id).map((x) => x.id);
        assert.deepEqual([...b.children].sort(), children.sort());
        assert.equal(b.dangling, b.references.length === 0 && children.length === 0);
        assert.equal(b.intermediate, b.references.length === 0 && children.length > 0);
        assert.deepEqual(b.containers.map((c) => c.id).sort(), graph.containers.filter((c) => c.image === m.id).map((c) => c.id).sort());
        const again = removalHost(graph).rmi(m.id.slice(7));
        assert.equal(b.rmi.ok, again.error === undefined);
        if (b.rmi.ok) assert.ok(b.rmi.freedBytes >= b.reclaimable, `${m.id}: rmi frees ${b.rmi.freedBytes} < alone ${b.reclaimable}`);
        if (children.length) assert.ok(!b.rmi.ok && b.rmi.conflict === 'hard', 'a parent cannot go');
      });
    }),
    { numRuns: 200 },
  );
});

test('bindings CLI on a real data root: states, intermediate vs dangling, rmi verdicts', async () => {
  const root = 'fixtures/docker-20.10-root/root';
  const r = await cli('bindings', '--format', 'json', root);
  assert.equal(r.code, 0, r.stderr);
  const answer = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(answer), ['images', 'notes']);
  const rows = answer.images as { id: string; references: string[]; dangling: boolean; intermediate: boolean; containers: { name: string; state: string }[]; reclaimable: number; rmi: { ok: boolean; freedBytes?: number; conflict?: string; error?: string } }[];
  const byRef = (ref: string) => rows.find((x) => x.references.includes(ref))!;
  assert.deepEqual(byRef('app-b:1').containers.map((c) => [c.name, c.state]), [['running', 'running']]);
  assert.equal(byRef('app-b:1').rmi.conflict, 'hard');
  assert.match(byRef('solo:1').rmi.error!, /image is being used by stopped container/);
  const dangling = rows.filter((x) => x.dangling);
  assert.equal(dangling.length, 1);
  // docker rmi of the dangling image also deletes its untagged build parent: 700 bytes, where the image alone frees none
  assert.deepEqual([dangling[0].reclaimable, dangling[0].rmi.freedBytes], [0, 700]);
  assert.equal(rows.filter((x) => x.intermediate).length, 6);
  const d = await cli('bindings', '--dangling', root);
  assert.equal(d.code, 0);
  assert.equal(d.stdout.trim().split('\n').length, 2);
  assert.equal(d.stderr, '', 'a data root\'s notes (no layer blobs, container sizes) do not concern bindings');
  assert.match(d.stdout, /<none> \(dangling\).*ok, frees 700B/);
  const some = await cli('bindings', '--format', 'json', root, 'chain:1', dangling[0].id.slice(7, 19));
  assert.equal(JSON.parse(some.stdout).images.length, 2);
  const missing = await cli('bindings', root, 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error: No such image: nope/);
  assert.equal((await cli('bindings')).code, 2);
});
