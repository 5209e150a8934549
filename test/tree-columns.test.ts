// The columnar tree against the first, object-per-node builder (kept here as the oracle): the same
// nodes, order and images on random graphs, the fixtures, and with node:crypto's hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { imageUsage } from '../src/analyze/df.js';
import { effectiveSizes } from '../src/analyze/sizes.js';
import { foldSmallLayers, layerTree, layerTreeOf, treeBranch, treeBranchOf, type LayerTree, type TreeImage, type TreeNode } from '../src/analyze/tree.js';
import type { ImageGraph } from '../src/model/graph.js';
import { EMPTY_LAYER_DIFF_ID, EMPTY_LAYER_GZIP_DIGEST } from '../src/model/identity.js';
import { loadSources } from '../src/sources/load.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { treeColumns } from '../src/analyze/tree-columns.js';
import { jsonPieces } from '../src/cli/io.js';
import { treeJsonPieces } from '../src/cli/tree.js';
import { sha256Of } from '../src/sources/hashing.js';
import { renderLayerTree, renderLayerTreePieces, short12, treeSize } from '../src/render/tree.js';
import { humanSize } from '../src/render/units.js';

const collator = new Intl.Collator();
const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** The builder as it was before the columns (main at c5dcab5). */
function oracleTree(graph: ImageGraph): LayerTree {
  const u = imageUsage(graph);
  const { size } = effectiveSizes(graph);
  const chain = graph.chain;
  const nodes: TreeNode[] = [];
  for (let k = 0; k < chain.count; k++) {
    const l = chain.nodeLayer[k];
    nodes.push({
      diffId: graph.layerDiffId[l],
      digest: graph.layerDigest[l],
      chainId: graph.chainIdOf(k),
      size: size[l],
      empty: graph.layerDiffId[l] === EMPTY_LAYER_DIFF_ID || graph.layerDigest[l] === EMPTY_LAYER_GZIP_DIGEST,
      parent: chain.nodeParent[k],
      children: [],
      images: [],
      users: u.nodeRefs[k],
    });
  }
  const roots: number[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const p = nodes[k].parent;
    if (p < 0) roots.push(k);
    else nodes[p].children.push(k);
  }
  const images: TreeImage[] = [];
  for (let i = 0; i < graph.imageCount; i++) {
    const s = graph.stackStart[i];
    const e = graph.stackStart[i + 1];
    const node = e > s ? graph.stackNode[e - 1] : -1;
    const parent = graph.imageParent[i];
    const parentTop = parent >= 0 && graph.stackStart[parent + 1] > graph.stackStart[parent] ? graph.stackNode[graph.stackStart[parent + 1] - 1] : -2;
    const img: TreeImage = {
      id: graph.imageId(i),
      tags: [...graph.tagsOf(i)],
      listed: u.listed[i] === 1,
      node,
      noOwnLayer: parent >= 0 && parentTop === node,
      containers: [...graph.containersOf(i)].map((c) => {
        const r = graph.containers[c];
        return r.name === undefined ? { id: r.id, state: r.state } : { id: r.id, name: r.name, state: r.state };
      }),
    };
    if (parent >= 0) img.parentId = graph.imageId(parent);
    if (img.listed) {
      img.size = u.size[i];
      img.shared = u.shared[i];
      img.unique = u.size[i] - u.shared[i];
    }
    images.push(img);
  }
  const label = (t: TreeImage) => (t.tags[0] ?? '\uffff') + t.id;
  const labels = images.map(label);
  const order = images.map((_, i) => i).sort((a, b) => Number(images[a].listed) - Number(images[b].listed) || collator.compare(labels[a], labels[b]));
  for (const i of order) if (images[i].node >= 0) nodes[images[i].node].images.push(i);
  const w = new Array<number>(nodes.length).fill(0);
  const post: number[] = [];
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    post.push(n);
    stack.push(...nodes[n].children);
  }
  for (let k = post.length - 1; k >= 0; k--) {
    const n = post[k];
    w[n] += nodes[n].images.length;
    if (nodes[n].parent >= 0) w[nodes[n].parent] += w[n];
  }
  const keys = nodes.map((n) => n.chainId ?? n.diffId ?? n.digest ?? '');
  const hex = Uint8Array.from(keys, (k) => (SHA256.test(k) ? 1 : 0));
  const byKey = (a: number, b: number) => (hex[a] & hex[b] ? (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0) : collator.compare(keys[a], keys[b]));
  const byWeight = (a: number, b: number) => w[b] - w[a] || byKey(a, b);
  roots.sort(byWeight);
  for (const n of nodes) n.children.sort(byWeight);
  return { nodes, roots, images, layersSize: u.layersSize, sizeBasis: u.basis };
}

const nodeHash = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

test('columnar tree = the object builder on random graphs (model hash and node:crypto hash)', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const graph = snapshotFromJson(doc).graph;
      const want = oracleTree(graph);
      assert.deepStrictEqual(layerTree(graph), want);
      assert.deepStrictEqual(layerTree(graph, nodeHash), want);
    }),
    { numRuns: 300 },
  );
});

test('columnar tree = the object builder on the fixtures', async () => {
  for (const source of ['fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-root/root', 'fixtures/docker-20.10-scenario/host.snapshot.json']) {
    const { graph } = await loadSources([source]);
    assert.deepStrictEqual(layerTree(graph, nodeHash), oracleTree(graph), source);
  }
});

test('tree from its columns: the same text and JSON as from the object tree (random graphs)', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const graph = snapshotFromJson(doc).graph;
      const columns = treeColumns(graph, sha256Of);
      const objects = oracleTree(graph);
      assert.equal([...renderLayerTreePieces(columns)].join(''), renderLayerTree(objects));
      const notes = [{ source: 'x.json', code: 'partial', text: 'a note' }];
      assert.equal([...treeJsonPieces(columns, notes)].join(''), [...jsonPieces({ ...objects, notes })].join(''));
      assert.equal([...treeJsonPieces(columns, [])].join(''), [...jsonPieces({ ...objects, notes: [] })].join(''));
    }),
    { numRuns: 200 },
  );
});

test('treeSize = humanSize (go-units %.4g) on sizes of every magnitude and at the rounding edges', () => {
  const edges = [0, 1, 999, 1000, 1001, 9999, 10_000, 99_995, 99_994, 999_949, 999_950, 999_999, 1_000_000, 1_234_500, 1_234_550, 2 ** 53 - 1, 1e21, 1e24, 1e27, 1.5e30];
  for (const s of edges) assert.equal(treeSize(s), humanSize(s), String(s));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (digits, f) => {
      const s = Math.floor(f * 10 ** digits);
      assert.equal(treeSize(s), humanSize(s), String(s));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(fc.property(fc.double({ min: 0, max: 1e30, noNaN: true }), (s) => assert.equal(treeSize(s), humanSize(s), String(s))), { numRuns: 20_000 });
});

test('tree from its columns: the same text and JSON as from the object tree (fixtures, one with blob digests only)', async () => {
  for (const source of ['fixtures/registry-manifests', 'fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-root/root', 'fixtures/docker-20.10-scenario/host.snapshot.json']) {
    const { graph } = await loadSources([source]);
    const columns = treeColumns(graph, sha256Of);
    const objects = oracleTree(graph);
    assert.equal([...renderLayerTreePieces(columns)].join(''), renderLayerTree(objects), source);
    assert.equal([...treeJsonPieces(columns, [])].join(''), [...jsonPieces({ ...objects, notes: [] })].join(''), source);
  }
});

test('short12 = the first 12 characters after a leading sha256: (the regex it replaced)', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => 'sha256:' + s), fc.string().map((s) => 'sha256:sha256:' + s)), (s) => assert.equal(short12(s), s.replace(/^sha256:/, '').slice(0, 12))));
  assert.equal(short12(undefined), '?');
});

test('treeBranchOf = treeBranch of the whole object tree, for every image, from either form (random graphs)', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.nat(40_000_000), (doc, minSize) => {
      const graph = snapshotFromJson(doc).graph;
      const columns = treeColumns(graph);
      const objects = layerTreeOf(columns);
      const folded = foldSmallLayers(objects, minSize);
      for (let i = 0; i < graph.imageCount; i++) {
        assert.deepStrictEqual(treeBranchOf(columns, i), treeBranch(objects, i));
        assert.deepStrictEqual(treeBranchOf(objects, i), treeBranch(objects, i));
        if (i < folded.images.length) assert.deepStrictEqual(treeBranchOf(folded, i), treeBranch(folded, i));
      }
    }),
    { numRuns: 200 },
  );
});
