// Dedup over ten million images counts about twenty million distinct blobs: more keys than a V8
// Map holds (2^24), so the models count digests as bytes. A unit test cannot build 2^24 layers;
// these check the byte counting against the Map it replaced on random graphs, and that no layer
// digest string is made on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareDedupModels } from '../src/analyze/dedup.js';
import { distinctDigests } from '../src/analyze/distinct-digests.js';
import { imageUsage } from '../src/analyze/df.js';
import { effectiveSizes } from '../src/analyze/sizes.js';
import { imageLabel, mostSharedLayers, pairwiseShared } from '../src/analyze/sharing.js';
import { digestBytesOfRows, digestBytesOfStrings } from '../src/model/digest-bytes.js';
import { GraphBuilder, ImageGraph, type LazyDigests } from '../src/model/graph.js';
import { DigestTable, lazyDigests } from '../src/sources/digest-table.js';

const hex = (n: number) => n.toString(16).padStart(64, '0');
/** Digests from a small pool (so they repeat): sha256 ones that differ in a single byte, and a few sha512. */
const digestArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => `sha256:${hex(n * 0x1000001)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => `sha512:${String(n).repeat(128)}`) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

/** The blob model as it was: a Map by digest string, the last layer's compressed size winning. */
function mapOracle(digest: readonly (string | undefined)[], compressed: Float64Array, rows: readonly number[]): { count: number; sum: number } {
  const seen = new Map<string, number>();
  for (const r of rows) if (digest[r] !== undefined) seen.set(digest[r]!, compressed[r]);
  let sum = 0;
  for (const v of seen.values()) sum += v;
  return { count: seen.size, sum };
}

/** The same column as bytes three ways: from strings, from a loader's DigestTable, from columnar rows. */
function byteViews(digest: readonly (string | undefined)[]) {
  const table = new DigestTable();
  const entries = new Uint32Array(digest.length);
  digest.forEach((d, r) => {
    if (d === undefined) return;
    const at = table.get(d);
    entries[r] = (at >= 0 ? at : table.add(d, table.size)) + 1;
  });
  table.release();
  const views = [digestBytesOfStrings(digest), lazyDigests(table, entries).bytes!()];
  if (digest.every((d) => d === undefined || d.startsWith('sha256:'))) {
    const raw = new Uint8Array(digest.length * 32);
    digest.forEach((d, r) => d && raw.set(Buffer.from(d.slice(7), 'hex'), r * 32));
    views.push(digestBytesOfRows(raw, digest.length, (r) => digest[r] !== undefined));
  }
  return views;
}

test('distinct digests: the byte table counts and sums as the Map by string did', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ d: digestArb, c: fc.integer({ min: 0, max: 1e12 }), pick: fc.boolean() }), { maxLength: 300 }),
      (layers) => {
        const digest = layers.map((l) => l.d);
        const compressed = Float64Array.from(layers, (l) => l.c);
        const rows = layers.flatMap((l, r) => (l.pick ? [r] : []));
        const want = mapOracle(digest, compressed, rows);
        for (const view of byteViews(digest)) {
          assert.deepEqual(distinctDigests(view, Uint32Array.from(rows), rows.length, compressed), want);
          for (let r = 0; r < digest.length; r++) assert.equal(view.stringOf(r), digest[r]);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('distinct digests: thousands of digests sharing all but their last bytes stay distinct', () => {
  const digest = Array.from({ length: 5000 }, (_, r) => `sha256:${hex(r % 3001)}`);
  const compressed = Float64Array.from(digest, (_, r) => r);
  const rows = digest.map((_, r) => r);
  assert.deepEqual(distinctDigests(digestBytesOfStrings(digest), rows, rows.length, compressed), mapOracle(digest, compressed, rows));
});

/** A random graph whose digest columns can be handed to ImageGraph lazily. */
const graphArb = fc
  .record({
    layers: fc.array(fc.record({ diffId: digestArb, digest: digestArb, size: fc.option(fc.constantFrom(0, 1, 5, 1e9), { nil: undefined }), compressedSize: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }) }), { minLength: 1, maxLength: 40 }),
    stacks: fc.array(fc.array(fc.nat(), { maxLength: 8 }), { maxLength: 25 }),
  })
  .map(({ layers, stacks }) => {
    // A layer needs an identity; the graph keys layers by diffID, else by digest.
    const ls = layers.map((l, k) => (l.diffId === undefined && l.digest === undefined ? { ...l, diffId: `sha256:${hex(0xabc000 + k)}` } : l));
    const seen = new Set<string>();
    const unique = ls.filter((l) => {
      const key = (l.diffId ?? l.digest)!;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { layers: unique, stacks: stacks.map((s) => s.map((x) => x % unique.length)) };
  });

function buildGraph(g: { layers: { diffId?: string; digest?: string; size?: number; compressedSize?: number }[]; stacks: number[][] }): ImageGraph {
  const b = new GraphBuilder();
  for (const l of g.layers) b.addLayer(l);
  g.stacks.forEach((s, i) => b.addImage({ id: `sha256:${hex(0xfeed0000 + i)}`, repoTags: i % 3 ? [`r${i}:t`] : [] }, s));
  return b.build();
}

/** The graph again, its digest columns lazy (strings counted when made) and readable as bytes. */
function spiedGraph(graph: ImageGraph, counter: { strings: number }): ImageGraph {
  const lazy = (c: readonly (string | undefined)[]): LazyDigests => ({ length: c.length, strings: () => (counter.strings++, [...c]), bytes: () => digestBytesOfStrings(c) });
  return new ImageGraph({
    layerDiffId: lazy(graph.layerDiffId),
    layerDigest: lazy(graph.layerDigest),
    layerMediaType: graph.layerMediaType as (string | undefined)[],
    layerSize: graph.layerSize,
    layerCompressed: graph.layerCompressed,
    images: graph.imageColumns,
    stackStart: graph.stackStart,
    stackLayer: graph.stackLayer,
    containers: [...graph.containers],
  });
}

test('dedup models: the same comparison from lazy byte digests, and no layer digest string made', () => {
  fc.assert(
    fc.property(graphArb, (g) => {
      const graph = buildGraph(g);
      const counter = { strings: 0 };
      const lazy = spiedGraph(buildGraph(g), counter);
      const got = compareDedupModels(lazy);
      assert.deepEqual(got, compareDedupModels(graph));
      const used = [...new Set(graph.stackLayer)].sort((a, b) => a - b).filter((l) => !Number.isNaN(graph.layerCompressed[l]));
      const want = mapOracle(graph.layerDigest, graph.layerCompressed, used);
      assert.equal(got.distinctBlobs, want.count);
      if (got.models[3].available) assert.equal(got.models[3].storedBytes, want.sum);
      assert.equal(counter.strings, 0, 'compareDedupModels made the layer digest strings');
    }),
    { numRuns: 200 },
  );
});

/** mostSharedLayers' ranking as it was: every candidate sorted, ties broken on layerKey strings. */
function sortedSharedLayers(graph: ImageGraph, top: number): number[] {
  const { size } = effectiveSizes(graph);
  const users = new Uint32Array(graph.layerCount);
  for (let i = 0; i < graph.imageCount; i++) for (const l of new Set(graph.stackOf(i))) users[l]++;
  const candidates: number[] = [];
  for (let l = 0; l < graph.layerCount; l++) if (users[l] > 1) candidates.push(l);
  candidates.sort((a, b) => size[b] * (users[b] - 1) - size[a] * (users[a] - 1) || users[b] - users[a] || (graph.layerKey(a) < graph.layerKey(b) ? -1 : 1));
  return candidates.slice(0, top);
}

test('most-shared layers and image pairs: the top of a full sort, with no layer digest string and no image list made', () => {
  fc.assert(
    fc.property(graphArb, fc.nat({ max: 12 }), fc.nat({ max: 8 }), (g, top, limit) => {
      const graph = buildGraph(g);
      const counter = { strings: 0 };
      const lazy = spiedGraph(buildGraph(g), counter);
      Object.defineProperty(lazy, 'images', { get: () => assert.fail('the image list was made') });
      const shared = mostSharedLayers(lazy, top);
      const want = sortedSharedLayers(graph, top);
      assert.deepEqual(shared.map((s) => [s.diffId, s.digest]), want.map((l) => [graph.layerDiffId[l] ?? null, graph.layerDigest[l] ?? null]));
      assert.deepEqual(shared, mostSharedLayers(graph, top));
      const pairs = pairwiseShared(lazy, limit);
      assert.deepEqual(pairs, pairwiseShared(graph, limit));
      const u = imageUsage(graph);
      const chosen = [...graph.imageColumns.parent.keys()].filter((i) => u.listed[i]).sort((a, b) => u.size[b] - u.size[a] || a - b).slice(0, limit);
      const labels = new Set(chosen.map((i) => imageLabel(graph, i)));
      assert.equal(pairs.considered, chosen.length);
      for (const p of pairs.pairs) assert.ok(labels.has(p.a) && labels.has(p.b));
      assert.equal(counter.strings, 0, 'the layer digest strings were made');
    }),
    { numRuns: 200 },
  );
});

test('dedup from a loaded snapshot and an Arrow export: the models and most-shared layers of the string graph, no digest string made', async () => {
  const { syntheticGraph } = await import('../src/sources/synthetic.js');
  const { serializeSnapshot } = await import('../src/sources/snapshot.js');
  const { writeColumnar } = await import('../src/sources/columnar.js');
  const { loadSource } = await import('../src/sources/load.js');
  const { tempDir } = await import('./helpers/tmp.js');
  const { join } = await import('node:path');
  const { writeFileSync } = await import('node:fs');
  const graph = syntheticGraph({ images: 3000, seed: 7, containers: 10 });
  const dir = tempDir('layerlab-dedup-digests-');
  writeFileSync(join(dir, 'set.json'), serializeSnapshot(graph));
  await writeColumnar(graph, 'arrow', join(dir, 'arrow'));
  for (const source of ['set.json', 'arrow']) {
    const loaded = (await loadSource(join(dir, source))).graph;
    const spy = Object.create(loaded, {
      layerDiffId: { get: () => assert.fail(`${source}: diffID strings made`) },
      layerDigest: { get: () => assert.fail(`${source}: digest strings made`) },
    }) as ImageGraph;
    assert.deepEqual(compareDedupModels(spy), compareDedupModels(graph), source);
    assert.deepEqual(mostSharedLayers(spy, 25), mostSharedLayers(graph, 25), source);
  }
});
