import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { syntheticColumns, syntheticGraph } from '../src/sources/synthetic.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { chainIds } from '../src/model/identity.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';
import { GraphBuilder, ImageGraph } from '../src/model/graph.js';
import { ChainTrie } from '../src/model/chain-trie.js';

test('synthetic: the same seed gives the same set, another seed another', () => {
  const a = serializeSnapshot(syntheticGraph({ images: 500, seed: 3 }));
  assert.equal(serializeSnapshot(syntheticGraph({ images: 500, seed: 3 })), a);
  assert.notEqual(serializeSnapshot(syntheticGraph({ images: 500, seed: 4 })), a);
});

test('synthetic: containers with no image to bind to are refused with a clear error, not a crash', () => {
  assert.throws(() => syntheticGraph({ images: 0, containers: 2 }), { name: 'RangeError', message: /containers need at least one image/ });
  assert.equal(syntheticGraph({ images: 0, containers: 0 }).imageCount, 0);
});

test('synthetic: Docker-Hub shape (about 8 references and 2 distinct layers per image, median layer < 4 MB compressed)', () => {
  const g = syntheticGraph({ images: 20000, seed: 1 });
  assert.equal(g.imageCount, 20000);
  const refsPerImage = g.referenceCount / g.imageCount;
  const layersPerImage = g.layerCount / g.imageCount;
  assert.ok(refsPerImage > 7 && refsPerImage < 9, `refs/image ${refsPerImage}`);
  assert.ok(layersPerImage > 1.7 && layersPerImage < 2.4, `layers/image ${layersPerImage}`);
  const compressed = Array.from(g.layerCompressed).sort((x, y) => x - y);
  const median = compressed[compressed.length >> 1];
  const p90 = compressed[Math.floor(compressed.length * 0.9)];
  assert.ok(median > 3e6 && median < 5e6, `median ${median}`);
  assert.ok(p90 > 45e6 && p90 < 85e6, `p90 ${p90}`);
});

test('graph: trie nodes are equal exactly when real chainIDs are equal', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const { graph } = snapshotFromJson(doc);
      const nodeOf = new Map<string, number>();
      graph.images.forEach((m, i) => {
        const diffs = Array.from(graph.stackOf(i), (l) => graph.layerDiffId[l]!);
        const chains = chainIds(diffs);
        const nodes = graph.stackNode.subarray(graph.stackStart[i], graph.stackStart[i + 1]);
        chains.forEach((c, k) => {
          const known = nodeOf.get(c);
          if (known === undefined) nodeOf.set(c, nodes[k]);
          else assert.equal(nodes[k], known, `${m.id} position ${k}`);
          assert.equal(graph.chainIdOf(nodes[k]), c);
        });
      });
      assert.equal(nodeOf.size, graph.chain.count);
    }),
  );
});

test('graph: layer -> images index lists each user once', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const { graph } = snapshotFromJson(doc);
      const { start, images } = graph.layerImages();
      for (let l = 0; l < graph.layerCount; l++) {
        const users = Array.from(images.subarray(start[l], start[l + 1]));
        const want = graph.images.map((_, i) => i).filter((i) => graph.stackOf(i).includes(l));
        assert.deepEqual(users, want);
      }
    }),
  );
});

test('graph: image -> containers and image -> children indexes agree with the records', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const { graph } = snapshotFromJson(doc);
      graph.images.forEach((m, i) => {
        const containers = Array.from(graph.containersOf(i), (k) => graph.containers[k].id);
        assert.deepEqual(containers, doc.containers.filter((c) => c.image === m.id).map((c) => c.id));
        assert.equal(containers.length, graph.imageContainerCount[i]);
        const children = Array.from(graph.childrenOf(i), (k) => graph.images[k].id);
        assert.deepEqual(children, doc.images.filter((d) => d.parent === m.id).map((d) => d.id));
        assert.equal(children.length, graph.imageChildCount[i]);
      });
    }),
  );
});

test('graph: chain nodes taken from the previous image equal a walk of the trie per reference', () => {
  // Few layers, so neighbouring stacks share prefixes, are prefixes of each other, or differ at 0.
  const stacks = fc.array(fc.array(fc.nat(3), { maxLength: 6 }), { maxLength: 30 });
  fc.assert(
    fc.property(stacks, (list) => {
      const b = new GraphBuilder();
      for (let l = 0; l < 4; l++) b.addLayer({ diffId: `sha256:${String(l).repeat(64)}` });
      list.forEach((s, i) => b.addImage({ id: `sha256:${i.toString(16).padStart(64, 'a')}` }, s));
      const graph = b.build();
      // The reference: nodes numbered in order of first use, keyed by (parent, layer) in a Map.
      const ids = new Map<string, number>();
      const parents: number[] = [];
      const layers: number[] = [];
      const depths: number[] = [];
      const expected: number[] = [];
      for (const s of list) {
        let parent = -1;
        for (const l of s) {
          let n = ids.get(`${parent},${l}`);
          if (n === undefined) {
            ids.set(`${parent},${l}`, (n = parents.length));
            parents.push(parent);
            layers.push(l);
            depths.push(parent < 0 ? 0 : depths[parent] + 1);
          }
          expected.push((parent = n));
        }
      }
      assert.deepEqual(Array.from(graph.stackNode), expected);
      assert.equal(graph.chain.count, parents.length);
      assert.deepEqual(Array.from(graph.chain.nodeParent), parents);
      assert.deepEqual(Array.from(graph.chain.nodeLayer), layers);
      assert.deepEqual(Array.from(graph.chain.nodeDepth), depths);
    }),
  );
});

test('graph builder: layers added with and without digest strings keep their columns aligned', () => {
  const b = new GraphBuilder();
  b.addLayerFields(1, NaN, 'm');
  b.addLayer({ diffId: `sha256:${'1'.repeat(64)}`, size: 2, digest: `sha256:${'2'.repeat(64)}`, compressedSize: 3 });
  b.addLayerFields(NaN, 4, undefined);
  assert.equal(b.layerCount, 3);
  const c = b.columns();
  assert.deepEqual(c.layerDiffId, [undefined, `sha256:${'1'.repeat(64)}`, undefined]);
  assert.deepEqual(c.layerDigest, [undefined, `sha256:${'2'.repeat(64)}`, undefined]);
  assert.deepEqual(c.layerMediaType, ['m', undefined, undefined]);
  assert.deepEqual(Array.from(c.layerSize), [1, 2, NaN]);
  assert.deepEqual(Array.from(c.layerCompressed), [NaN, 3, 4]);
});

test('chain trie: child and find agree with a map of (parent, layer), through regrowth', () => {
  // A small trie and many parents per layer: the layer column, the hash and both regrow.
  const step = fc.tuple(fc.nat(40), fc.nat(3));
  fc.assert(
    fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
      const trie = new ChainTrie(1);
      const ids = new Map<string, number>();
      for (const [layer, back] of steps) {
        const parent = Math.max(-1, trie.count - 1 - back * 7);
        assert.equal(trie.find(parent, layer), ids.get(`${parent},${layer}`) ?? -1);
        const n = trie.child(parent, layer);
        if (!ids.has(`${parent},${layer}`)) ids.set(`${parent},${layer}`, n);
        assert.equal(n, ids.get(`${parent},${layer}`));
        assert.equal(trie.nodeParent[n], parent);
        assert.equal(trie.nodeLayer[n], layer);
      }
      for (const [k, n] of ids) {
        const [parent, layer] = k.split(',').map(Number);
        assert.equal(trie.find(parent, layer), n);
      }
      assert.equal(trie.count, ids.size);
    }),
  );
});

test('layerDigestBytes is made once per graph: the removal host names diffs through it per layer (plan --prune -a was quadratic)', () => {
  const graph = new ImageGraph(syntheticColumns({ images: 50, seed: 5 }));
  for (const which of ['diffId', 'digest'] as const) {
    const first = graph.layerDigestBytes(which);
    assert.equal(graph.layerDigestBytes(which), first);
    for (let l = 0; l < graph.layerCount; l++) assert.equal(first.stringOf(l), which === 'diffId' ? graph.layerDiffId[l] : graph.layerDigest[l]);
  }
});
