import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HostNodeStore } from '../src/analyze/node-store.js';
import type { Universe } from '../src/model/universe.js';
import { UniverseBuilder } from '../src/simulate/universe.js';
import { simulate } from '../src/simulate/engine.js';
import { KUBELET_DEFAULTS } from '../src/simulate/kubelet.js';
import { simulatePulls } from '../src/analyze/pull-schedule.js';
import { Network } from '../src/simulate/network.js';
import type { NodeImageStore, PullEffect } from '../src/simulate/store.js';
import type { NodeSpec, SimConfig, Workload } from '../src/simulate/types.js';
import { tinyUniverse } from './helpers/sim-universe.js';

const node = (name: string, disk: number, runtime: 'docker' | 'containerd' = 'docker'): NodeSpec => ({ name, runtime, disk, bandwidth: 10, latency: 0.5, concurrentDownloads: 3, extractRate: 0, discardUnpackedLayers: false, cpu: 8000, memory: 32e9 });

/** A store that records what the engine does to it and checks the invariants as it goes. */
class Watched extends HostNodeStore {
  grown = 0;
  freed = 0;
  blobsFetched: number[] = [];
  constructor(u: Universe, spec: NodeSpec, readonly capacity: number) {
    super(u, spec.runtime, { discardUnpackedLayers: spec.discardUnpackedLayers });
  }
  override pull(image: number, now: number): PullEffect {
    const e = super.pull(image, now);
    this.grown += e.diskGrowth;
    this.blobsFetched.push(...e.blobs);
    assert.ok(this.diskUsed() <= this.capacity, 'disk above capacity');
    return e;
  }
  override rmi(image: number): number {
    assert.equal(this.inUse(image), false, 'an image in use was removed');
    const f = super.rmi(image);
    this.freed += f;
    return f;
  }
}

const workloadArb = (u: Universe, nodes: number) =>
  fc.array(fc.record({ dt: fc.integer({ min: 0, max: 400 }), image: fc.nat(u.imageCount - 1), duration: fc.integer({ min: 1, max: 1200 }), node: fc.integer({ min: -1, max: nodes - 1 }) }), { minLength: 1, maxLength: 40 }).map((rows): Workload => {
    let t = 0;
    const ts = rows.map((r) => (t += r.dt));
    return { t: Float64Array.from(ts), image: Int32Array.from(rows, (r) => r.image), duration: Float64Array.from(rows, (r) => r.duration), node: Int32Array.from(rows, (r) => r.node) };
  });

const run = (u: Universe, nodes: NodeSpec[], w: Workload, extra: Partial<SimConfig> = {}) => {
  const stores: Watched[] = [];
  const result = simulate({ universe: u, nodes, kubelet: { ...KUBELET_DEFAULTS, imageMinimumGCAge: 0 }, gc: 'kubelet', scheduler: { kind: 'score', weights: [['least-allocated', 1], ['image-locality', 1]] }, percentageOfNodesToScore: 0, distribution: { registryEgress: 0, mirrorCapacity: 0, peerToPeer: false }, workload: w, seed: 7, makeStore: (spec, uu) => {
    const s = new Watched(uu, spec, spec.disk);
    stores.push(s);
    return s;
  }, ...extra });
  return { result, stores };
};

test('fleet properties: disk never above capacity, images in use never removed, bytes conserved, a serialized puller runs one pull at a time', () => {
  fc.assert(
    fc.property(
      tinyUniverse().chain((u) => fc.tuple(fc.constant(u), workloadArb(u, 2), fc.integer({ min: 60, max: 400 }), fc.boolean())),
      ([u, w, disk, containerd]) => {
        const nodes = [node('a', disk, containerd ? 'containerd' : 'docker'), node('b', disk)];
        const { result, stores } = run(u, nodes, w, { imagePullPolicy: 'IfNotPresent' });
        stores.forEach((s, n) => {
          assert.equal(s.grown - s.freed, s.diskUsed(), 'Σ pulled − Σ really freed = final − initial');
          assert.ok(result.nodes[n].peakDisk <= disk);
          // serialized: pull intervals of one node do not overlap
          const spans: Array<[number, number]> = [];
          for (let p = 0; p < w.t.length; p++) if (result.pods.node[p] === n && result.pods.bytes[p] > 0) spans.push([result.pods.start[p] - result.pods.pullTime[p], result.pods.start[p]]);
          spans.sort((x, y) => x[0] - y[0]);
          for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1] - 1e-9, 'two pulls at once on a serialized node');
        });
        for (let p = 0; p < w.t.length; p++) assert.ok(result.pods.failure[p] === 1 || result.pods.start[p] >= result.pods.arrive[p]);
      },
    ),
    { numRuns: 150 },
  );
});

test('unlimited disk: no GC, and each node fetches each layer at most once by the runtime rule (docker: per blob stack; containerd: per blob)', () => {
  fc.assert(
    fc.property(tinyUniverse().chain((u) => fc.tuple(fc.constant(u), workloadArb(u, 3))), ([u, w]) => {
      const { result, stores } = run(u, [node('a', Infinity), node('b', Infinity), node('c', Infinity, 'containerd')], w, { imagePullPolicy: 'IfNotPresent' });
      assert.equal(result.totals.gcRuns, 0);
      assert.equal(result.totals.imagesRemoved, 0);
      // Docker (moby xfer LayerDownloadManager): once one layer of a pull is missing, every layer
      // above it downloads, known or not. With nothing ever removed, a blob is fetched again only
      // under a blob stack (the blobs below it, and it) that was never pulled before.
      const stacksOf = new Map<number, Set<string>>();
      for (let i = 0; i < u.imageCount; i++) {
        let key = '';
        for (let r = u.imageLayerStart[i]; r < u.imageLayerStart[i + 1]; r++) {
          key += `${u.refBlob[r]},`;
          let set = stacksOf.get(u.refBlob[r]);
          if (!set) stacksOf.set(u.refBlob[r], (set = new Set()));
          set.add(key);
        }
      }
      for (const s of stores) {
        const times = new Map<number, number>();
        for (const b of s.blobsFetched) times.set(b, (times.get(b) ?? 0) + 1);
        for (const [b, k] of times) assert.ok(k <= (s.runtime === 'docker' ? stacksOf.get(b)!.size : 1), `blob ${b} fetched ${k} times`);
      }
    }),
    { numRuns: 150 },
  );
});

test('determinism: the same configuration and seed give the same result', () => {
  fc.assert(
    fc.property(tinyUniverse().chain((u) => fc.tuple(fc.constant(u), workloadArb(u, 2))), fc.constantFrom<SimConfig['scheduler']>({ kind: 'random' }, { kind: 'score', weights: [['layer-aware', 1]] }), ([u, w], scheduler) => {
      const a = run(u, [node('a', 200), node('b', 200)], w, { scheduler }).result;
      const b = run(u, [node('a', 200), node('b', 200)], w, { scheduler }).result;
      assert.deepEqual(a, b);
    }),
    { numRuns: 60 },
  );
});

test('parallel pulls stay within maxParallelImagePulls', () => {
  fc.assert(
    fc.property(tinyUniverse(8).chain((u) => fc.tuple(fc.constant(u), workloadArb(u, 1))), ([u, w]) => {
      const { result } = run(u, [node('a', Infinity)], w, { imagePullPolicy: 'Always', kubelet: { ...KUBELET_DEFAULTS, serializeImagePulls: false, maxParallelImagePulls: 2, registryPullQPS: 0 } });
      assert.ok(result.nodes[0].peakPulls <= 2, `${result.nodes[0].peakPulls} pulls at once`);
    }),
    { numRuns: 100 },
  );
});

test('one pull of up to 3 blobs on an idle node is ready when pull-schedule.ts says', () => {
  const b = new UniverseBuilder();
  b.image('x:1', 0, [b.blob('b0', 30e6, 'd0', 30e6), b.blob('b1', 70e6, 'd1', 70e6)]);
  const u = b.build();
  const spec = { ...node('a', Infinity), bandwidth: 12.5e6, latency: 0.05 };
  const s: NodeImageStore = new HostNodeStore(u, 'docker');
  const ready = new Network(u, [spec], { registryEgress: 0, mirrorCapacity: 0, peerToPeer: false }).pull(0, 0, s.plan(0), false);
  const plan = { ref: 'x:1', imagePresent: false, downloadBytes: 100e6, layers: [30e6, 70e6].map((b, k) => ({ id12: `l${k}`, digest: `sha256:${k}`, status: 'download' as const, downloadBytes: b, size: b })) };
  const schedule = simulatePulls([plan as never], { bandwidth: 12.5e6, latency: 0.05, concurrency: 3, extractRate: 0 });
  assert.ok(Math.abs(schedule.total - ready) < 1e-6, `${schedule.total} vs ${ready}`);
});

test('kubelet GC on a full node: removes the LRU image, and believes more freed than really left when layers are shared', () => {
  // Two images over one 60-byte base: removing one frees its top only, while the kubelet counts its whole size.
  const b = new UniverseBuilder();
  const [b0, b1, b2, b3] = [b.blob('b0', 60, 'd0', 60), b.blob('b1', 10, 'd1', 10), b.blob('b2', 10, 'd2', 10), b.blob('b3', 20, 'd3', 20)];
  b.image('a:1', 0, [b0, b1]);
  b.image('b:1', 0, [b0, b2]);
  b.image('c:1', 0, [b3]);
  const u = b.build();
  const w: Workload = { t: Float64Array.from([0, 10, 700, 1000]), image: Int32Array.from([0, 1, 2, 2]), duration: Float64Array.from([30, 30, 30, 30]), node: Int32Array.from([0, 0, 0, 0]) };
  const { result } = run(u, [{ ...node('a', 100), bandwidth: 1e6 }], w, { imagePullPolicy: 'IfNotPresent' });
  // At 5m: 80 of 100 used = 80% < 85: nothing. Pod 3 needs 20 more: 100 fits exactly (no GC before it).
  assert.equal(result.totals.failedPods, 0);
  // At 15m (the last pod, at 1000 s, keeps the run going past it): usage 100% -> free 100*20/100 - 0 = 20: a:1 goes first (lastUsed zero, earlier firstDetected); believed 70, really 10.
  assert.equal(result.nodes[0].imagesRemoved, 1);
  assert.equal(result.totals.gcBytesBelieved, 70);
  assert.equal(result.totals.gcBytesFreed, 10);
});

test('layer-aware GC evicts in another order than the kubelet: the image that really frees most first, not the least recently used', () => {
  // a:1 and b:1 share a 60-byte base; c:1 stands alone (20). At 15m the node is full and must free 20.
  const b = new UniverseBuilder();
  const [b0, b1, b2, b3] = [b.blob('b0', 60, 'd0', 60), b.blob('b1', 10, 'd1', 10), b.blob('b2', 10, 'd2', 10), b.blob('b3', 20, 'd3', 20)];
  b.image('a:1', 0, [b0, b1]);
  b.image('b:1', 0, [b0, b2]);
  b.image('c:1', 0, [b3]);
  const u = b.build();
  const w: Workload = { t: Float64Array.from([0, 10, 700, 1000]), image: Int32Array.from([0, 1, 2, 2]), duration: Float64Array.from([30, 30, 30, 30]), node: Int32Array.from([0, 0, 0, 0]) };
  const kubelet = run(u, [{ ...node('a', 100), bandwidth: 1e6 }], w, { imagePullPolicy: 'IfNotPresent' }).result;
  const aware = run(u, [{ ...node('a', 100), bandwidth: 1e6 }], w, { imagePullPolicy: 'IfNotPresent', gc: 'layer-aware' }).result;
  // the kubelet: a:1 (least recently used) goes, believed 70, really 10
  assert.deepEqual([kubelet.totals.imagesRemoved, kubelet.totals.gcBytesBelieved, kubelet.totals.gcBytesFreed], [1, 70, 10]);
  // layer-aware: c:1 really frees 20 (a:1 or b:1 alone free 10: their base stays), so it goes alone, and is pulled again at 1000 s
  assert.deepEqual([aware.totals.imagesRemoved, aware.totals.gcBytesBelieved, aware.totals.gcBytesFreed], [1, 20, 20]);
  assert.equal(aware.totals.pulls, kubelet.totals.pulls + 1);
});
