// The report drawn from the columnar tree against the same page drawn from the object tree, and
// its selections (largest images, sharers) against the sorts they replace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { systemDf } from '../src/analyze/df.js';
import { treeColumns } from '../src/analyze/tree-columns.js';
import { largestListed, layerTreeOf, prefixSharing, type LayerTree } from '../src/analyze/tree.js';
import { sha256Of } from '../src/sources/hashing.js';
import { reportHtml } from '../src/render/html/page.js';
import { imagePath, nodeSharers } from '../src/render/html/stacks.js';
import { treeImageLabel } from '../src/render/tree.js';
import { loadSources } from '../src/sources/load.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';

function bySize(tree: LayerTree): number[] {
  const listed = tree.images.map((_, i) => i).filter((i) => tree.images[i].listed);
  return listed.sort((a, b) => (tree.images[b].size ?? 0) - (tree.images[a].size ?? 0) || a - b);
}

test('largest listed images and sharers = sorting every image and listing every sharer (random graphs)', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.integer({ min: 0, max: 12 }), (doc, max) => {
      const graph = snapshotFromJson(doc).graph;
      const columns = treeColumns(graph);
      const tree = layerTreeOf(columns);
      const sorted = bySize(tree);
      const { top, others } = largestListed(columns, max);
      assert.deepEqual(top, sorted.slice(0, max));
      assert.deepEqual(others, { images: sorted.length - top.length, bytes: sorted.slice(max).reduce((s, i) => s + (tree.images[i].size ?? 0), 0) });
      assert.deepEqual(prefixSharing(columns, max), prefixSharing(tree, max));
      const nodes = tree.nodes.map((_, k) => k).filter((k) => k % 2 === 0);
      const want: Record<number, { count: number; labels: string[] }> = {};
      tree.images.forEach((img, i) => {
        if (!img.listed) return;
        for (const n of imagePath(tree, i)) if (n % 2 === 0) ((want[n] ??= { count: 0, labels: [] }).count++, want[n].labels.push(treeImageLabel(img)));
      });
      assert.deepEqual(nodeSharers(columns, nodes), want);
      for (const w of Object.values(want)) w.labels = w.labels.slice(0, 2);
      assert.deepEqual(nodeSharers(columns, nodes, 2), want);
    }),
    { numRuns: 300 },
  );
});

test('report page from the columns = from the objects (random graphs, fixtures, small limits that cut)', async () => {
  const page = (tree: Parameters<typeof reportHtml>[0]['tree'], graph: Parameters<typeof systemDf>[0], limits: { stacks: number; treeNodes: number }) =>
    reportHtml({ title: 't', sources: ['s'], tree, df: { ...systemDf(graph), notes: [] }, sharing: prefixSharing(tree, Math.min(limits.stacks, 30)) }, limits);
  fc.assert(
    fc.property(snapshotDoc(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 }), (doc, stacks, treeNodes) => {
      const graph = snapshotFromJson(doc).graph;
      const columns = treeColumns(graph, sha256Of);
      for (const limits of [{ stacks, treeNodes }, { stacks: 40, treeNodes: 600 }]) assert.equal(page(columns, graph, limits), page(layerTreeOf(columns), graph, limits));
    }),
    { numRuns: 150 },
  );
  for (const source of ['fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-root/root', 'fixtures/docker-20.10-scenario/host.snapshot.json']) {
    const { graph } = await loadSources([source]);
    const columns = treeColumns(graph);
    for (const limits of [{ stacks: 3, treeNodes: 5 }, { stacks: 40, treeNodes: 600 }]) assert.equal(page(columns, graph, limits), page(layerTreeOf(columns), graph, limits), source);
  }
});
