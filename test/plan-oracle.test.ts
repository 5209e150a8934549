import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { removalPlan, type PlanGoal } from '../src/analyze/plan.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { withRepoDigests } from './helpers/repo-digests.js';
import { removalPlan as oraclePlan } from './helpers/plan-oracle.js';

// The planner works over image indexes, tries each removal once (kept, or taken back when refused)
// and counts bytes without records; the oracle is the planner before that (string IDs, a trial
// then a replay, records with chainIDs). Every goal, with and without --keep and containers,
// must give the same plan: steps, bytes, blocked images and their reasons, method.
const goals = (images: string[], bytes: number, pick: number): PlanGoal[] => [
  { kind: 'free', bytes },
  { kind: 'prune', all: true },
  { kind: 'prune', all: false },
  { kind: 'remove', images: images.filter((_, i) => (pick >> i) & 1) },
];

for (const [label, docs] of [
  ['', snapshotDoc({ maxImages: 18 })],
  [' (tag + digest references)', withRepoDigests(snapshotDoc({ maxImages: 18 }))],
] as const) {
  test(`plan over image indexes = the string-ID planner it replaced${label}: every goal, --keep, --with-containers`, () => {
    fc.assert(
      fc.property(docs, fc.nat(), fc.boolean(), fc.nat(600_000), fc.nat(), (doc, k, withContainers, bytes, pick) => {
        const graph = snapshotFromJson(doc).graph;
        const ids = graph.images.map((m) => m.id);
        const keep = ids.length && k % 3 !== 0 ? [ids[k % ids.length].slice(7, 19)] : [];
        for (const goal of goals([...ids, 'no-such:image'], bytes, pick)) {
          const opts = { keep, withContainers };
          assert.deepEqual(removalPlan(graph, goal, opts), oraclePlan(graph, goal, opts), `${goal.kind}`);
        }
      }),
      { numRuns: 250 },
    );
  });
}
