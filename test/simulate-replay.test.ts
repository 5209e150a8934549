// recordSimulation (src/simulate/replay.ts), the log the live replay on real daemons is driven by:
// recording must not change the run, and the log must add up to the run's totals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulate } from '../src/simulate/engine.js';
import { KUBELET_DEFAULTS } from '../src/simulate/kubelet.js';
import { dfOf, recordSimulation } from '../src/simulate/replay.js';
import type { Universe } from '../src/model/universe.js';
import type { SimUniverse } from '../src/simulate/store.js';
import type { NodeSpec, SimConfig, Workload } from '../src/simulate/types.js';
import { tinyUniverse } from './helpers/sim-universe.js';

const node = (name: string, disk: number, runtime: 'docker' | 'containerd'): NodeSpec => ({ name, runtime, disk, bandwidth: 10, latency: 0.5, concurrentDownloads: 3, extractRate: 0, discardUnpackedLayers: false, cpu: 8000, memory: 32e9 });

const workload = (u: Universe) =>
  fc.array(fc.record({ dt: fc.integer({ min: 0, max: 300 }), image: fc.nat(u.imageCount - 1), duration: fc.integer({ min: 1, max: 300 }), node: fc.integer({ min: 0, max: 1 }) }), { minLength: 1, maxLength: 30 }).map((rows): Workload => {
    let t = 0;
    return { t: Float64Array.from(rows, (r) => (t += r.dt)), image: Int32Array.from(rows, (r) => r.image), duration: Float64Array.from(rows, (r) => r.duration), node: Int32Array.from(rows, (r) => r.node) };
  });

const config = (u: Universe, w: Workload, disk: number): SimConfig => ({
  universe: u,
  nodes: [node('d', disk, 'docker'), node('c', disk, 'containerd')],
  kubelet: { ...KUBELET_DEFAULTS, imageMinimumGCAge: 0 },
  gc: 'kubelet',
  scheduler: { kind: 'round-robin' },
  percentageOfNodesToScore: 0,
  distribution: { registryEgress: 0, mirrorCapacity: 0, peerToPeer: false },
  imagePullPolicy: 'IfNotPresent',
  workload: w,
  seed: 3,
});

test('recordSimulation: the same run as simulate, and its events add up to the totals', () => {
  fc.assert(
    fc.property(tinyUniverse().chain((u) => fc.tuple(fc.constant(u), workload(u), fc.integer({ min: 60, max: 200 }))), ([u, w, disk]) => {
      const cfg = config(u, w, disk);
      const { result, events } = recordSimulation(cfg);
      assert.deepEqual(result, simulate(cfg), 'recording changes nothing');
      const of = <K extends string>(kind: K) => events.filter((e) => e.kind === kind);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const pulls = events.flatMap((e) => (e.kind === 'pull' ? [e] : []));
      const removals = events.flatMap((e) => (e.kind === 'rmi' ? [e] : []));
      assert.equal(pulls.length, result.totals.pulls);
      assert.equal(sum(pulls.map((e) => e.effect.downloadBytes)), result.totals.bytesPulled);
      assert.equal(of('start').length, result.totals.pods - result.totals.failedPods);
      assert.equal(of('stop').length, of('start').length, 'every started pod stops');
      assert.equal(removals.length, result.totals.imagesRemoved);
      assert.equal(sum(removals.map((e) => e.freed)), result.totals.gcBytesFreed);
      assert.equal(sum(removals.map((e) => e.believed)), result.totals.gcBytesBelieved);
      for (let n = 0; n < cfg.nodes.length; n++) {
        const mine = events.filter((e) => e.node === n);
        if (mine.length) assert.equal(mine[mine.length - 1].after.diskUsed, result.nodes[n].finalDisk);
      }
      for (const e of events) {
        assert.ok(e.kind === 'rmi' || e.t >= 0);
        assert.deepEqual(dfOf(u, e.after.images).size, e.after.dfSize);
        // docker keeps no blobs: its store's disk is Docker's df rule plus the configs
        if (e.node === 0) assert.equal(e.after.diskUsed - e.after.configBytes, e.after.dfSize);
      }
    }),
    { numRuns: 150 },
  );
});

test('dfOf: each chain a present image stacks counts once, whatever images share it', () => {
  const u: SimUniverse = {
    imageCount: 2,
    imageRef: ['a:1', 'b:1'],
    imageConfigSize: Float64Array.of(3, 3),
    imageLayerStart: Uint32Array.of(0, 2, 4),
    refBlob: Uint32Array.of(0, 1, 0, 2),
    refChain: Uint32Array.of(0, 1, 0, 2),
    blobCount: 3,
    blobSize: Float64Array.of(5, 6, 7),
    blobDiff: Uint32Array.of(0, 1, 2),
    diffCount: 3,
    diffSize: Float64Array.of(100, 20, 30),
    chainCount: 3,
    chainParent: Int32Array.of(-1, 0, 0),
    chainDiff: Uint32Array.of(0, 1, 2),
  };
  assert.deepEqual(dfOf(u, [0, 1]), { chains: [0, 1, 2], size: 150 });
  assert.deepEqual(dfOf(u, [1]), { chains: [0, 2], size: 130 });
  assert.deepEqual(dfOf(u, []), { chains: [], size: 0 });
});
