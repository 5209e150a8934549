// The removal host over a universe that adopts its graph's ids (Universe.ofGraph) against the
// one that interns every layer and image by string (new Universe({ graphs })), kept as the oracle:
// the same answers to every rmi / rm / prune sequence and the same state after each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HostState } from '../src/analyze/host-state.js';
import { familiarKey } from '../src/analyze/host-refs.js';
import { removalHost } from '../src/analyze/removal.js';
import { GraphBuilder, type ImageGraph } from '../src/model/graph.js';
import { sha256Digest } from '../src/model/digest.js';
import { familiarString, parseNormalizedNamed } from '../src/model/reference.js';
import { Universe } from '../src/model/universe.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { withRepoDigests } from './helpers/repo-digests.js';

const oracleHost = (graph: ImageGraph) => HostState.fromGraph(new Universe({ graphs: [graph] }), graph);

/** The graph with its references spelled as a caller may give them (`docker.io/library/…`), which the host must parse. */
function respelled(graph: ImageGraph): ImageGraph {
  const b = new GraphBuilder();
  for (let l = 0; l < graph.layerCount; l++) {
    b.addLayer({ diffId: graph.layerDiffId[l], digest: graph.layerDigest[l], size: graph.layerSize[l], compressedSize: graph.layerCompressed[l] });
  }
  const spell = (r: string) => (r.includes('/') ? r : `docker.io/library/${r}`);
  for (let i = 0; i < graph.imageCount; i++) {
    const m = graph.image(i);
    b.addImage({ ...m, ...(m.repoTags ? { repoTags: m.repoTags.map(spell) } : {}), ...(m.repoDigests ? { repoDigests: m.repoDigests.map(spell) } : {}) }, graph.stackOf(i));
  }
  for (const c of graph.containers) b.addContainer(c);
  return b.build();
}

type Op = { kind: 'rmi'; pick: number; how: number; force: boolean; noPrune: boolean } | { kind: 'rm'; pick: number } | { kind: 'prune'; all: boolean };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('rmi' as const), pick: fc.nat(), how: fc.nat(4), force: fc.boolean(), noPrune: fc.boolean() }),
  fc.record({ kind: fc.constant('rm' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('prune' as const), all: fc.boolean() }),
);

function argOf(graph: ImageGraph, pick: number, how: number): string {
  const i = pick % graph.imageCount;
  const id = graph.imageId(i);
  const refs = [...graph.tagsOf(i), ...graph.digestsOf(i)];
  if (how === 0 && refs.length) return refs[pick % refs.length];
  if (how === 1) return id.slice(7, 7 + 1 + (pick % 14));
  if (how === 2) return id;
  if (how === 3) return id.slice(7);
  return refs.length ? `${refs[0].split(/[:@]/)[0]}:nosuchtag` : 'nosuch:image';
}

function run(h: HostState, graph: ImageGraph, o: Op): unknown {
  if (o.kind === 'rmi') return h.rmi(argOf(graph, o.pick, o.how), { force: o.force, noPrune: o.noPrune });
  if (o.kind === 'rm') return h.removeContainersOf(argOf(graph, o.pick, 0));
  return h.prune(o.all);
}

function sameAsOracle(graph: ImageGraph, ops: Op[]): void {
  const fast = removalHost(graph);
  assert.equal(fast.universe.adopted, graph, 'every layer has a unique diffID and digest: the ids are adopted');
  const slow = oracleHost(graph);
  assert.equal(fast.fingerprint(), slow.fingerprint());
  // Lookups on another host, so that the host under the operations starts with its first (scanning) lookups.
  const probe = removalHost(graph);
  for (let i = 0; i < graph.imageCount; i++) {
    for (const r of [...graph.tagsOf(i), ...graph.digestsOf(i)]) {
      const ref = parseNormalizedNamed(r);
      assert.equal(probe.imageByRef(ref), slow.imageByRef(ref), r);
    }
    assert.equal(fast.hasTag(i), slow.refsOf(i).some((r) => r.tag !== undefined));
    assert.equal(fast.refCount(i), slow.refsOf(i).length);
    assert.deepEqual(fast.familiarRefs(i), slow.familiarRefs(i));
    assert.deepEqual(fast.bindings(graph.imageId(i)), slow.bindings(graph.imageId(i)));
  }
  for (const o of ops) {
    assert.deepEqual(run(fast, graph, o), run(slow, graph, o), JSON.stringify(o));
    assert.equal(fast.fingerprint(), slow.fingerprint(), JSON.stringify(o));
    assert.equal(fast.layersSize(), slow.layersSize());
    assert.equal(fast.diskLayersSize(), slow.diskLayersSize());
    for (let i = 0; i < graph.imageCount; i++) assert.deepEqual(fast.bindings(graph.imageId(i)), slow.bindings(graph.imageId(i)));
  }
  // A trial on the adopted host takes everything back, references included.
  const before = fast.fingerprint();
  fast.trial(() => ops.forEach((o) => run(fast, graph, o)));
  assert.equal(fast.fingerprint(), before);
}

test('removal host on adopted graph ids = the host that interns every layer by string (rmi, rm, prune sequences)', () => {
  fc.assert(
    fc.property(withRepoDigests(snapshotDoc()), fc.array(op, { maxLength: 10 }), fc.boolean(), (doc, ops, respell) => {
      // Blob digests for the layers the arbitrary leaves without (each layer's own, so they stay unique).
      const layers = doc.layers.map((l) => (l.digest ? l : { ...l, digest: sha256Digest(`blob-${String(l.diffId)}`) }));
      const graph = snapshotFromJson({ ...doc, layers }).graph;
      if (graph.imageCount === 0) return;
      sameAsOracle(respell ? respelled(graph) : graph, ops);
    }),
    { numRuns: 150 },
  );
});

test('a graph with a layer lacking its digest, two layers with one blob, or one diffID twice, is interned by string as before', () => {
  const b = new GraphBuilder();
  const d = (c: string) => `sha256:${c.repeat(64)}` as const;
  const l0 = b.addLayer({ diffId: d('1') as never, digest: d('a') as never, size: 10 });
  const l1 = b.addLayer({ diffId: d('2') as never, size: 20 });
  const l2 = b.addLayer({ diffId: d('3') as never, digest: d('a') as never, size: 30 });
  b.addImage({ id: d('e') as never, repoTags: ['x:1'] }, [l0, l1]);
  b.addImage({ id: d('f') as never, repoTags: ['y:1'] }, [l0, l2]);
  const graph = b.build();
  const host = removalHost(graph);
  assert.equal(host.universe.adopted, undefined);
  assert.equal(host.fingerprint(), oracleHost(graph).fingerprint());
  assert.deepEqual(host.rmi('x:1'), oracleHost(graph).rmi('x:1'));
  const twice = new GraphBuilder();
  const a = twice.addLayer({ diffId: d('4') as never, digest: d('b') as never, size: 1 });
  const b2 = twice.addLayer({ diffId: d('4') as never, digest: d('c') as never, size: 2 });
  twice.addImage({ id: d('e') as never, repoTags: ['x:1'] }, [a]);
  twice.addImage({ id: d('f') as never, repoTags: ['y:1'] }, [b2]);
  const g2 = twice.build();
  assert.equal(removalHost(g2).universe.adopted, undefined);
  assert.equal(removalHost(g2).fingerprint(), oracleHost(g2).fingerprint());
});

test('familiarKey: a stored reference taken as it is only when it is already familiar', () => {
  const samples = [
    'img0a:v0', 'a/b/c:1.0', 'a/b@sha256:' + 'c'.repeat(64), 'a:1@sha256:' + 'd'.repeat(64), 'library/ubuntu:22.04', 'library/a/b:1',
    'docker.io/library/ubuntu:1', 'docker.io/x/y:2', 'localhost/x:1', 'localhost:5000/x:1', 'my.reg/x:1', 'my-reg/x:1', 'x__y:tag', 'x-y/z_w:T_1.2-3',
    'x', 'index.docker.io/x/y:3', 'a.b:1', 'a.b/c:1',
  ];
  for (const s of samples) assert.equal(familiarKey(s), familiarString(parseNormalizedNamed(s)), s);
  const component = fc.stringMatching(/^[a-z0-9]{1,4}([._-][a-z0-9]{1,3})?$/);
  fc.assert(
    fc.property(fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(fc.stringMatching(/^\w[\w.-]{0,5}$/)), fc.option(fc.constantFrom('library', 'docker.io', 'localhost', 'a.b', 'h:5000')), (path, tag, prefix) => {
      const s = `${prefix ? prefix + '/' : ''}${path.join('/')}${tag ? ':' + tag : ''}`;
      let want: string;
      try {
        want = familiarString(parseNormalizedNamed(s));
      } catch {
        return;
      }
      assert.equal(familiarKey(s), want, s);
    }),
  );
});

test('adopted host = interned host when images share a reference (one tag listed on several images of a snapshot)', () => {
  fc.assert(
    fc.property(withRepoDigests(snapshotDoc()), fc.array(op, { maxLength: 10 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (doc, ops, picks) => {
      const layers = doc.layers.map((l) => (l.digest ? l : { ...l, digest: sha256Digest(`blob-${String(l.diffId)}`) }));
      const refsOf = (m: Record<string, unknown>, key: string) => (m[key] as string[] | undefined) ?? [];
      const shared = doc.images.flatMap((m) => [...refsOf(m, 'repoTags'), ...refsOf(m, 'repoDigests')]);
      if (shared.length === 0 || doc.images.length < 2) return;
      // Some images also list another image's reference (the later one holds it, as when set in order).
      const images = doc.images.map((m, i) => {
        const r = shared[picks[i % picks.length] % shared.length];
        if (picks[i % picks.length] % 2 || r.includes('@')) return m;
        return { ...m, repoTags: [...new Set([...refsOf(m, 'repoTags'), r])] };
      });
      const graph = snapshotFromJson({ ...doc, layers, images }).graph;
      sameAsOracle(graph, [...ops, { kind: 'prune', all: true }]);
    }),
    { numRuns: 200 },
  );
});

test('removal host: a chainID hasher given by the caller (node:crypto in the CLI) names the same deleted layers, and is used', async () => {
  const { createHash } = await import('node:crypto');
  const { syntheticGraph } = await import('../src/sources/synthetic.js');
  const graph = syntheticGraph({ images: 300, seed: 7 });
  const plain = removalHost(graph).prune(true);
  // A graph of its own: the universe (and its memoised chainIDs) is one per graph.
  const again = syntheticGraph({ images: 300, seed: 7 });
  let calls = 0;
  const hashed = removalHost(again, (s) => {
    calls++;
    return 'sha256:' + createHash('sha256').update(s).digest('hex');
  }).prune(true);
  assert.ok(calls > 0, 'the hasher given is the one chainIDs are made with');
  assert.deepEqual(hashed, plain);
  assert.ok(plain.records.some((r) => 'deleted' in r && r.deleted), 'layers were deleted and named');
});
