import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { systemDf } from '../src/analyze/df.js';
import { foldSmallLayers, layerTree, treeBranch, type LayerTree } from '../src/analyze/tree.js';
import { loadSources } from '../src/sources/load.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { cli } from './helpers/cli.js';

const OFFICIAL = 'fixtures/official-images/host.snapshot.json';
const ROOT = 'fixtures/docker-20.10-root/root';
const SCENARIO = 'fixtures/docker-20.10-scenario/host.snapshot.json';

// Goldens were checked by hand against the fixtures' PROVENANCE (which image was built FROM what,
// which steps add no layer) and `docker system df -v`; UPDATE_GOLDEN=1 rewrites them.
const GOLDENS: [string, string[]][] = [
  ['tree-official.txt', [OFFICIAL]],
  ['tree-official-min-1MB.txt', ['--min-size', '1MB', OFFICIAL]],
  ['tree-root.txt', [ROOT]],
  ['tree-root-app-b.txt', ['--image', 'app-b:1', ROOT]],
  ['tree-scenario.txt', [SCENARIO]],
];

for (const [file, args] of GOLDENS) {
  test(`tree golden: layerlab tree ${args.join(' ')}`, async () => {
    const r = await cli('tree', ...args);
    assert.equal(r.code, 0, r.stderr);
    const path = `test/golden/${file}`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, r.stdout);
    assert.equal(r.stdout, readFileSync(path, 'utf8'));
  });
}

async function treeOf(source: string): Promise<{ tree: LayerTree; df: ReturnType<typeof systemDf> }> {
  const { graph } = await loadSources([source]);
  return { tree: layerTree(graph), df: systemDf(graph) };
}

test('tree: a CMD-only top step adds no layer, and the image sits on its untagged build parent\'s layer (docker-20.10-scenario)', async () => {
  const { tree } = await treeOf(SCENARIO);
  const appB = tree.images.find((i) => i.tags.includes('app-b:1'))!;
  const parent = tree.images.find((i) => i.id === appB.parentId)!;
  assert.equal(appB.noOwnLayer, true);
  assert.equal(parent.listed, false, 'the build parent is hidden by docker images');
  assert.deepEqual(parent.tags, []);
  assert.equal(parent.node, appB.node, 'both end on the same layer');
  assert.equal(tree.nodes[appB.node].size, 8192);
  // df does not count the hidden parent: the 8192-byte layer is app-b's alone, UNIQUE.
  assert.equal(tree.nodes[appB.node].users, 1);
  assert.equal(appB.unique, 8192);
  assert.equal(parent.size, undefined);
  const out = (await cli('tree', SCENARIO)).stdout;
  assert.match(out, /◆ <untagged build parent>  5ce768258033  hidden by docker images, not counted by df\n/);
  assert.match(out, /◆ app-b:1  6042ca63f005  SIZE 12.29kB  SHARED 4.096kB  UNIQUE 8.192kB  \(adds no layer: its top layer is its parent 5ce768258033's\)\n/);
});

test('tree: an image built on a no-op top layer makes it SHARED, so its UNIQUE is 0 (docker-20.10-root app-b:1 under chain:1)', async () => {
  const { tree } = await treeOf(ROOT);
  const appB = tree.images.find((i) => i.tags.includes('app-b:1'))!;
  const chain = tree.images.find((i) => i.tags.includes('chain:1'))!;
  assert.equal(appB.noOwnLayer, true);
  assert.equal(tree.nodes[chain.node].parent, appB.node, 'chain:1 is one layer on top of app-b:1');
  assert.equal(tree.nodes[appB.node].users, 2);
  assert.equal(appB.unique, 0);
  assert.deepEqual(appB.containers.map((c) => c.state), ['running']);
});

test('tree: every listed image carries df\'s SIZE, SHARED and UNIQUE; every image ends on the node of its top layer', async () => {
  for (const source of [OFFICIAL, ROOT, SCENARIO]) {
    const { tree, df } = await treeOf(source);
    const listed = tree.images.filter((i) => i.listed);
    assert.equal(listed.length, df.Images.length, source);
    for (const row of df.Images) {
      const img = tree.images.find((i) => i.id === row.Id)!;
      assert.deepEqual([img.size, img.shared, img.unique], [row.Size, row.SharedSize, row.UniqueSize], `${source} ${row.Id}`);
    }
    const placed = tree.nodes.flatMap((n, k) => n.images.map((i) => [i, k]));
    assert.equal(placed.length, tree.images.length);
    for (const [i, k] of placed) assert.equal(tree.images[i].node, k);
  }
});

function bytes(t: LayerTree): number {
  return t.nodes.reduce((s, n) => s + n.size + (n.folded?.bytes ?? 0), 0);
}

test('tree: folding keeps every image, every branch and every byte; a branch keeps exactly its image\'s path (random hosts)', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.nat(100_000), (doc, min) => {
      const graph = snapshotFromJson(doc).graph;
      const tree = layerTree(graph);
      const folded = foldSmallLayers(tree, min);
      assert.equal(bytes(folded), bytes(tree));
      assert.equal(folded.images.length, tree.images.length);
      assert.equal(folded.roots.length, tree.roots.length);
      const branchPoints = (t: LayerTree) => t.nodes.filter((n) => n.children.length > 1 || n.images.length > 0).length;
      assert.equal(branchPoints(folded), branchPoints(tree));
      for (const n of folded.nodes) if (n.folded) assert.ok(n.folded.bytes < min * n.folded.layers || n.folded.layers === 0);
      for (let i = 0; i < tree.images.length; i++) {
        if (tree.images[i].node < 0) continue;
        const b = treeBranch(tree, i);
        const depth = (t: LayerTree, n: number): number => (n < 0 ? 0 : 1 + depth(t, t.nodes[n].parent));
        assert.equal(b.nodes.length, depth(tree, tree.images[i].node));
        assert.ok(b.images.some((x) => x.id === tree.images[i].id));
      }
    }),
    { numRuns: 200 },
  );
});

test('tree: errors — unknown --image exits 1 naming it, a bad --min-size exits 2', async () => {
  const r = await cli('tree', '--image', 'nope:9', SCENARIO);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such image: "nope:9"/);
  for (const bad of ['-1', 'lots']) {
    const u = await cli('tree', '--min-size', bad, SCENARIO);
    assert.equal(u.code, 2, bad);
    assert.match(u.stderr, /--min-size takes a size like 10kB/);
  }
});

test('tree --format json is the LayerTree itself, with the source notes', async () => {
  const r = await cli('tree', '--format', 'json', SCENARIO);
  const { tree } = await treeOf(SCENARIO);
  assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify({ ...tree, notes: [] })));
});
