import type { HostState } from '../src/analyze/host-state.js';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { greedyFree, removalPlan } from '../src/analyze/plan.js';
import { removalHost } from '../src/analyze/removal.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { readDockerRoot } from '../src/sources/docker-root.js';
import { snapshotDoc, type SnapshotDoc } from './helpers/arbitraries.js';
import { withRepoDigests } from './helpers/repo-digests.js';
import { cli } from './helpers/cli.js';

/** Replays a plan's docker commands on a fresh simulated host; every step must succeed. */
function replay(graph: Parameters<typeof removalPlan>[0], plan: ReturnType<typeof removalPlan>): HostState {
  const host = removalHost(graph);
  for (const s of plan.steps) {
    const [, verb, ...args] = s.command.split(' ');
    if (verb === 'rm') {
      for (const a of args.filter((x) => x !== '-f')) assert.ok(host.removeContainer(a), `${s.command}: no such container ${a}`);
      continue;
    }
    let freed = 0;
    for (const a of args) {
      const r = host.rmi(a);
      assert.equal(r.error, undefined, `${s.command}: ${r.error}`);
      freed += r.freedBytes;
    }
    assert.equal(freed, s.freedBytes, `${s.command}: bytes`);
  }
  return host;
}

/** Every plan replays step by step; kept images stay; bytes add up; what an optimal plan claims holds. */
function checkPlans(doc: SnapshotDoc, k: number, withContainers: boolean, bytes: number): void {
  const graph = snapshotFromJson(doc).graph;
  const keep = graph.imageCount && k % 3 !== 0 ? [graph.images[k % graph.imageCount].id] : [];
  const before = removalHost(graph);
  for (const goal of [{ kind: 'free' as const, bytes }, { kind: 'prune' as const, all: true }, { kind: 'remove' as const, images: graph.images.map((m) => m.id) }]) {
    const plan = removalPlan(graph, goal, { keep, withContainers });
    const after = replay(graph, plan);
    assert.equal(plan.freedBytes, before.diskLayersSize() - after.diskLayersSize(), `${goal.kind}: freed = disk difference`);
    for (const id of keep) assert.ok(after.imageIds().includes(id), `${goal.kind}: kept image removed`);
    if (!withContainers) assert.ok(!plan.steps.some((s) => s.command.startsWith('docker rm ')), 'containers only with --with-containers');
    if (goal.kind === 'free' && plan.optimal) assert.ok(plan.freedBytes >= bytes);
    // The plan never names a reference its own earlier commands removed.
    for (const b of plan.blocked) assert.doesNotMatch(b.reason, /No such image/, `${goal.kind}: ${b.image}`);
    if (withContainers && keep.length === 0 && goal.kind !== 'free') {
      // Nothing protected: every image goes (remove), or exactly what docker image prune -a deletes.
      assert.deepEqual(plan.blocked, [], goal.kind);
      assert.equal(plan.reachedGoal, true, goal.kind);
      const pruned = removalHost(graph);
      pruned.prune(true);
      assert.deepEqual(after.imageIds().sort(), goal.kind === 'remove' ? [] : pruned.imageIds().sort(), `${goal.kind}: images left`);
    }
  }
}

test('plan: every step replays without conflict; kept images and running containers stay; bytes add up', () => {
  fc.assert(fc.property(snapshotDoc(), fc.nat(), fc.boolean(), fc.nat(200_000), checkPlans), { numRuns: 150 });
});

test('plan on pulled images (tag + digest references): every step replays, nothing is named twice', () => {
  fc.assert(fc.property(withRepoDigests(snapshotDoc()), fc.nat(), fc.boolean(), fc.nat(200_000), checkPlans), { numRuns: 150 });
});

test('plan on the official-images example (every image pulled: tag + digest): --remove, --free, --prune -a', async () => {
  const F = 'fixtures/official-images/host.snapshot.json';
  const { graph } = snapshotFromJson(JSON.parse(readFileSync(F, 'utf8')));
  const redis = removalPlan(graph, { kind: 'remove', images: ['redis'] });
  assert.deepEqual(redis.blocked, []);
  assert.equal(redis.reachedGoal, true);
  // untagging redis:latest drops redis@sha256:… too (moby ImageDelete): one argument
  assert.deepEqual(redis.steps.map((s) => s.command), ['docker rmi redis:latest']);
  replay(graph, redis);
  const free = await cli('plan', F, '--free', '100MB');
  assert.equal(free.code, 0, free.stdout);
  assert.match(free.stdout, /Goal: free at least 100MB: reached/);
  const prune = removalPlan(graph, { kind: 'prune', all: true });
  assert.deepEqual(prune.blocked, []);
  const after = replay(graph, prune);
  const pruned = removalHost(graph);
  const real = pruned.prune(true);
  assert.ok(real.reclaimedBytes > 0);
  assert.equal(prune.freedBytes, real.reclaimedBytes, 'frees what docker image prune -a reclaims');
  assert.deepEqual(after.imageIds().sort(), pruned.imageIds().sort());
});

test('plan --free on the captured daemon host: exact search, fewest images', () => {
  const { graph } = readDockerRoot('fixtures/docker-20.10-root/root');
  const p = removalPlan(graph, { kind: 'free', bytes: 5000 });
  assert.equal(p.optimal, true);
  assert.deepEqual(p.steps.map((s) => s.command), ['docker rmi chain:1']);
  const blocked = removalPlan(graph, { kind: 'remove', images: ['base:1'] });
  assert.equal(blocked.reachedGoal, false);
  // each child once, by its first reference (app-c:1, not also team/app-c:2)
  assert.equal(blocked.blocked[0].reason, 'image has dependent child images (app-b:1, app-c:1)');
});

test('plan CLI: table, sh, usage errors', async () => {
  const R = 'fixtures/docker-20.10-root/root';
  const t = await cli('plan', R, '--free', '5kB');
  assert.equal(t.code, 0);
  assert.match(t.stdout, /docker rmi chain:1\s+5kB\s+5kB/);
  const sh = await cli('plan', '--format', 'sh', R, '--prune', '-a', '--with-containers');
  assert.match(sh.stdout, /^#!\/bin\/sh\n# layerlab plan: docker image prune -a; frees /);
  assert.equal((await cli('plan', R)).code, 2);
  assert.equal((await cli('plan', R, '--free', 'lots')).code, 2);
  assert.equal((await cli('plan', R, '--remove', 'x', '--prune')).code, 2);
});

for (const [label, docs] of [['', snapshotDoc({ maxImages: 14 })], [' (tag + digest references)', withRepoDigests(snapshotDoc({ maxImages: 14 }))]] as const) {
  test(`plan --free greedy${label}: re-trying only the images a step affected gives the same plan as re-trying all of them`, () => {
    fc.assert(
      fc.property(docs, fc.nat(), fc.boolean(), fc.nat(400_000), (doc, k, withContainers, bytes) => {
        const graph = snapshotFromJson(doc).graph;
        const opts = { withContainers };
        const run = (incremental: boolean) => {
          const host = removalHost(graph);
          const keep = new Set(graph.imageCount && k % 3 === 0 ? [host.universe.imageOf(graph.images[k % graph.imageCount].id)!] : []);
          const universe = host.images().filter((i) => !keep.has(i) && (withContainers || host.containersOf(i).length === 0));
          return greedyFree(graph, host, universe, bytes, opts, keep, incremental);
        };
        assert.deepEqual(run(true), run(false));
      }),
      { numRuns: 300 },
    );
  });
}
