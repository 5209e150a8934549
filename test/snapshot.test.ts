import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { sha256Digest } from '../src/model/digest.js';
import { parseSnapshot, serializeSnapshot, snapshotFromJson, snapshotToJson } from '../src/sources/snapshot.js';
import { systemDf } from '../src/analyze/df.js';
import { ImageGraph } from '../src/model/graph.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { snapshotDoc, type SnapshotDoc } from './helpers/arbitraries.js';

test('snapshot: save -> load is the identity (canonical documents)', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const { graph } = snapshotFromJson(doc);
      assert.deepEqual(JSON.parse(serializeSnapshot(graph)), doc);
    }),
    { numRuns: 200 },
  );
});

test('snapshot: index-style layer refs load to the same graph', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const { graph } = snapshotFromJson(doc);
      const viaIndex = parseSnapshot(serializeSnapshot(graph, {}, 'index')).graph;
      assert.deepEqual(snapshotToJson(viaIndex), snapshotToJson(graph));
      assert.deepEqual(systemDf(viaIndex), systemDf(graph));
    }),
  );
});

test('snapshot: the bundled fixtures load and round-trip byte for byte', () => {
  for (const f of ['fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-scenario/host.snapshot.json']) {
    const text = readFileSync(f, 'utf8');
    const { graph, meta } = parseSnapshot(text, f);
    assert.equal(serializeSnapshot(graph, meta), text, f);
  }
});

const D = (s: string) => sha256Digest(s);
const base = (): SnapshotDoc => ({
  kind: 'layerlab-snapshot',
  version: 1,
  layers: [{ diffId: D('l0'), size: 10 }, { diffId: D('l1'), size: 20 }],
  images: [
    { id: D('i0'), layers: [D('l0')], repoTags: ['base:1'] },
    { id: D('i1'), layers: [D('l0'), D('l1')], repoTags: ['app:1'], parent: D('i0') },
  ],
  containers: [{ id: D('c0').slice(7), image: D('i1'), state: 'running' }],
});

function expectError(mutate: (d: SnapshotDoc) => void, path: string, message: RegExp, code = 'EINPUT') {
  const doc = base();
  mutate(doc);
  assert.throws(
    () => snapshotFromJson(doc, 'host.json'),
    (e: unknown) => {
      assert.ok(e instanceof LayerlabError, String(e));
      assert.equal(e.place.path, path);
      assert.equal(e.place.file, 'host.json');
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('snapshot errors name the JSON path of the bad field', () => {
  expectError((d) => ((d.layers[1] as Record<string, unknown>).diffId = 'sha256:abc'), '$.layers[1].diffId', /digest length/, 'EDIGEST');
  expectError((d) => ((d.layers[1] as Record<string, unknown>).diffId = D('l0')), '$.layers[1].diffId', /duplicate layer: .* is already \$\.layers\[0\]/);
  expectError((d) => ((d.layers[0] as Record<string, unknown>).size = -1), '$.layers[0].size', /whole number >= 0/);
  expectError((d) => ((d.layers[0] as Record<string, unknown>).size = 1.5), '$.layers[0].size', /whole number >= 0/);
  expectError((d) => ((d.layers[0] as Record<string, unknown>).sise = 1), '$.layers[0].sise', /unknown field/);
  expectError((d) => (d.layers[0] = {}), '$.layers[0]', /needs a diffId, a digest, or both/);
  expectError((d) => (d.images[1].id = D('i0')), '$.images[1].id', /duplicate image ID: already \$\.images\[0\]/);
  expectError((d) => ((d.images[1].layers as string[])[1] = D('nope')), '$.images[1].layers[1]', /is not in \$\.layers/);
  expectError((d) => ((d.images[1].layers as unknown[])[1] = 7), '$.images[1].layers[1]', /not an index into \$\.layers/);
  expectError((d) => (d.images[1].repoTags = ['App:1']), '$.images[1].repoTags[0]', /must be lowercase/, 'EREF');
  expectError((d) => (d.images[1].repoTags = ['app']), '$.images[1].repoTags[0]', /expected name:tag/, 'EREF');
  expectError((d) => (d.images[1].parent = D('ghost')), '$.images[1].parent', /not in \$\.images/);
  expectError((d) => (d.images[0].parent = D('i1')), '$.images[0].parent', /cycle/);
  expectError((d) => (d.images[0].parent = D('i0')), '$.images[0].parent', /own parent/);
  expectError((d) => (d.images[0].created = 'yesterday'), '$.images[0].created', /Unix seconds/);
  expectError((d) => (d.containers[0].image = D('ghost')), '$.containers[0].image', /not in \$\.images/);
  expectError((d) => (d.containers[0].state = 'sleeping'), '$.containers[0].state', /expected one of created, running/);
  expectError((d) => (d.containers[0].id = 'abc'), '$.containers[0].id', /64-hex container ID/);
  expectError((d) => d.containers.push({ ...d.containers[0] }), '$.containers[1].id', /duplicate container ID/);
  expectError((d) => (d.version = 2), '$.version', /unsupported snapshot version 2/, 'EVERSION');
  expectError((d) => (d.kind = 'other'), '$.kind', /expected "layerlab-snapshot"/);
});

test('snapshot: invalid JSON names the line', () => {
  assert.throws(
    () => parseSnapshot('{\n  "kind": "layerlab-snapshot",\n  "version": 1,\n  oops\n}', 'x.json'),
    (e: unknown) => e instanceof LayerlabError && e.place.line === 4 && e.place.file === 'x.json' && /not valid JSON/.test(e.message),
  );
});

/** Every failure must be layerlab's typed error with a place; anything else is a crash. */
function typedOrOk(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `crashed with ${(e as Error)?.stack ?? e}`);
    assert.ok(e.place.path?.startsWith('$'), `no JSON path in ${e.describe()}`);
  }
}

test('fuzz: random JSON values give the typed error with a JSON path, never a crash', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => typedOrOk(() => snapshotFromJson(v))), { numRuns: 1000 });
  fc.assert(fc.property(fc.string(), (s) => typedOrOk(() => parseSnapshot(s))), { numRuns: 500 });
});

/** Replaces the value at a random path of a document with a random JSON value. */
function mutate(doc: unknown, choices: number[], replacement: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(doc));
  let node = copy;
  for (let depth = 0; depth < choices.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choices[depth] % keys.length];
    const child = node[key];
    if (depth === choices.length - 1 || child === null || typeof child !== 'object') {
      node[key] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

test('fuzz: mutated valid snapshots give the typed error with a JSON path, never a crash', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), (doc, path, value) => {
      typedOrOk(() => snapshotFromJson(mutate(doc, path, value)));
    }),
    { numRuns: 1000 },
  );
});

test('fuzz: truncated snapshot text gives the typed error, never a crash', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.nat(), (doc, cut) => {
      const text = JSON.stringify(doc);
      typedOrOk(() => parseSnapshot(text.slice(0, cut % text.length)));
    }),
    { numRuns: 300 },
  );
});

test('engine history: sizes map to layers in order; metadata-only entries skipped', async () => {
  const { layerSizesFromHistory } = await import('../src/sources/engine.js');
  const d = ['sha256:a', 'sha256:b'];
  // newest first, as the API returns it
  assert.deepEqual(layerSizesFromHistory(d, [{ Size: 0, CreatedBy: '/bin/sh -c #(nop)  CMD ["/x"]' }, { Size: 8192 }, { Size: 4096 }]), [4096, 8192]);
  // a real zero-size layer (COPY of an empty dir) beside a metadata entry
  assert.deepEqual(
    layerSizesFromHistory(d, [{ Size: 0, CreatedBy: '/bin/sh -c #(nop)  CMD ["/x"]' }, { Size: 0, CreatedBy: '/bin/sh -c #(nop) COPY dir:abc in /d ' }, { Size: 4096, CreatedBy: 'ADD file:x in /' }]),
    [4096, 0],
  );
  // cannot be decided: unknown rather than guessed
  assert.deepEqual(layerSizesFromHistory(d, [{ Size: 0, CreatedBy: 'RUN true' }, { Size: 0, CreatedBy: 'RUN x' }, { Size: 5 }]), [undefined, undefined]);
});

test('an impossible RFC 3339 time is refused naming the JSON path, as Go\'s time.Parse does; real ones load exactly', () => {
  expectError((d) => (d.images[0].created = '2024-02-30T00:00:00Z'), '$.images[0].created', /day out of range/);
  expectError((d) => (d.images[0].created = '2023-02-29T00:00:00Z'), '$.images[0].created', /day out of range/);
  expectError((d) => (d.images[0].created = '2024-13-01T00:00:00Z'), '$.images[0].created', /month out of range/);
  expectError((d) => (d.images[0].created = '2024-01-01T24:00:00Z'), '$.images[0].created', /hour out of range/);
  expectError((d) => (d.images[0].created = '2024-01-01T00:60:00Z'), '$.images[0].created', /minute out of range/);
  expectError((d) => (d.images[0].created = '2024-01-01T00:00:60Z'), '$.images[0].created', /second out of range/);
  expectError((d) => (d.containers[0].created = '2024-04-31T00:00:00Z'), '$.containers[0].created', /day out of range/);
  const at = (created: string) => {
    const doc = base();
    doc.images[0].created = created;
    return snapshotFromJson(doc).graph.images[0].created;
  };
  assert.equal(at('2024-02-29T23:59:59Z'), Date.UTC(2024, 1, 29, 23, 59, 59) / 1000);
  assert.equal(at('2024-03-01T01:30:00.999999999+01:30'), Date.UTC(2024, 2, 1) / 1000);
});

test('the chainID trie a loader makes as images come in is the one ImageGraph makes from the finished stacks', () => {
  const same = (g: ImageGraph) => {
    // The same columns, the trie left to ImageGraph.
    const rebuilt = new ImageGraph({ layerDiffId: [...g.layerDiffId], layerDigest: [...g.layerDigest], layerMediaType: g.layerMediaType as (string | undefined)[], layerSize: g.layerSize, layerCompressed: g.layerCompressed, images: g.imageColumns, stackStart: g.stackStart, stackLayer: g.stackLayer, containers: [...g.containers] });
    assert.deepEqual(Array.from(g.stackNode), Array.from(rebuilt.stackNode));
    assert.equal(g.chain.count, rebuilt.chain.count);
    assert.deepEqual([Array.from(g.chain.nodeParent), Array.from(g.chain.nodeLayer), Array.from(g.chain.nodeDepth)], [Array.from(rebuilt.chain.nodeParent), Array.from(rebuilt.chain.nodeLayer), Array.from(rebuilt.chain.nodeDepth)]);
  };
  fc.assert(
    fc.property(snapshotDoc({ maxImages: 30 }), (doc) => same(snapshotFromJson(doc).graph)),
    { numRuns: 200 },
  );
  // Images sharing bases, stacks longer than the loader's first guess, an image with no layers between.
  const g = syntheticGraph({ images: 2000, seed: 9 });
  same(parseSnapshot(serializeSnapshot(g, {}), 'x').graph);
  const doc = JSON.parse(serializeSnapshot(g, {})) as { layers: { diffId: string }[]; images: { layers: unknown[] }[] };
  doc.images[5].layers = [];
  doc.images[6].layers = doc.layers.slice(0, 150).map((l) => l.diffId);
  doc.images[7].layers = doc.layers.slice(0, 120).map((l) => l.diffId);
  same(snapshotFromJson(doc).graph);
});
