// The streamed tree renderer and the collator-based ordering against the first versions, kept here as oracles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { foldSmallLayers, layerTree, type LayerTree, type TreeImage } from '../src/analyze/tree.js';
import { describeTreeImage, describeTreeLayer, renderLayerTree, renderLayerTreePieces, short12 } from '../src/render/tree.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';

type Line = { text: string; run?: string[]; children: Line[] };
function imageLine(img: TreeImage, tree: LayerTree): Line {
  return {
    text: '◆ ' + describeTreeImage(img, tree),
    children: img.containers.map((c) => ({ text: `▷ container ${c.name ?? short12(c.id)} ${short12(c.id)} (${c.state})`, children: [] })),
  };
}
function nodeLine(tree: LayerTree, k: number): Line {
  const run: string[] = [];
  let n = tree.nodes[k];
  const text = '■ ' + describeTreeLayer(n);
  while (n.images.length === 0 && n.children.length === 1) {
    n = tree.nodes[n.children[0]];
    run.push('■ ' + describeTreeLayer(n));
  }
  return { text, run, children: [...n.images.map((i) => imageLine(tree.images[i], tree)), ...n.children.map((c) => nodeLine(tree, c))] };
}
function draw(line: Line, prefix: string, last: boolean, out: string[]): void {
  out.push(prefix + (last ? '└── ' : '├── ') + line.text);
  const next = prefix + (last ? '    ' : '│   ');
  for (const r of line.run ?? []) out.push(next + r);
  line.children.forEach((c, k) => draw(c, next, k === line.children.length - 1, out));
}
/** The recursive renderer, without its header line. */
function oracleBody(tree: LayerTree): string {
  const top: Line[] = [...tree.roots.map((r) => nodeLine(tree, r)), ...tree.images.filter((i) => i.node < 0).map((i) => imageLine(i, tree))];
  const out: string[] = [];
  top.forEach((l, k) => draw(l, '', k === top.length - 1, out));
  return out.map((l) => l + '\n').join('');
}

test('tree text in pieces = the recursive renderer; children and images in localeCompare order', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.nat(40_000_000), (doc, minSize) => {
      const graph = snapshotFromJson(doc).graph;
      for (const tree of [layerTree(graph), foldSmallLayers(layerTree(graph), minSize)]) {
        const text = renderLayerTree(tree);
        assert.equal(text.slice(text.indexOf('\n') + 1), oracleBody(tree));
        assert.equal([...renderLayerTreePieces(tree)].join(''), text);
      }
      {
        // Sorted on the whole tree (folding keeps that order under other keys).
        const tree = layerTree(graph);
        const key = (k: number) => tree.nodes[k].chainId ?? tree.nodes[k].diffId ?? tree.nodes[k].digest ?? '';
        const weight = (k: number): number => tree.nodes[k].images.length + tree.nodes[k].children.reduce((s, c) => s + weight(c), 0);
        for (const list of [tree.roots, ...tree.nodes.map((n) => n.children)]) {
          const sorted = [...list].sort((a, b) => weight(b) - weight(a) || key(a).localeCompare(key(b)));
          assert.deepEqual(list, sorted);
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('tree text in pieces: a tree of more lines than one piece comes in several, the same text', () => {
  const images = Array.from({ length: 3000 }, (_, k) => ({ id: `sha256:${k.toString(16).padStart(64, '0')}`, layers: [`sha256:${'1'.repeat(64)}`, `sha256:${(k + 16).toString(16).padStart(64, 'f')}`], repoTags: [`r/x:t${k}`] }));
  const layers = [{ diffId: `sha256:${'1'.repeat(64)}`, size: 10 }, ...images.map((i) => ({ diffId: i.layers[1], size: 5 }))];
  const graph = snapshotFromJson({ kind: 'layerlab-snapshot', version: 1, layers, images, containers: [] }).graph;
  const tree = layerTree(graph);
  const pieces = [...renderLayerTreePieces(tree)];
  assert.ok(pieces.length > 1);
  const text = pieces.join('');
  assert.equal(text.slice(text.indexOf('\n') + 1), oracleBody(tree));
});
