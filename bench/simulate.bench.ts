// Fleet simulation speed: pod starts per second and how the cost grows with nodes, catalog size
// and pods. Run: node --expose-gc --import tsx bench/simulate.bench.ts [--full]
// (--full adds the target: 1,000 nodes, 10,000 images, 1,000,000 pods in a day).
import { simulate } from '../src/simulate/engine.js';
import { KUBELET_DEFAULTS } from '../src/simulate/kubelet.js';
import type { NodeSpec } from '../src/simulate/types.js';
import { addGraph, UniverseBuilder } from '../src/simulate/universe.js';
import { generate } from '../src/simulate/workload.js';
import { syntheticGraph } from '../src/sources/synthetic.js';

const node = (i: number): NodeSpec => ({ name: `n${i}`, runtime: 'docker', disk: 100e9, bandwidth: 125e6, latency: 0.02, concurrentDownloads: 3, extractRate: 0, discardUnpackedLayers: false, cpu: 8000, memory: 32e9 });

function one(nodes: number, images: number, pods: number): string {
  const b = new UniverseBuilder();
  addGraph(b, syntheticGraph({ images, seed: 1 }));
  const u = b.build();
  const w = generate({ pods, span: 86400, zipf: 1, podDuration: 600, waves: [] }, u.imageCount, [], 1);
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const r = simulate({ universe: u, nodes: Array.from({ length: nodes }, (_, i) => node(i)), kubelet: KUBELET_DEFAULTS, gc: 'kubelet', scheduler: { kind: 'score', weights: [['least-allocated', 1], ['image-locality', 1]] }, percentageOfNodesToScore: 0, distribution: { registryEgress: 0, mirrorCapacity: 0, peerToPeer: false }, imagePullPolicy: 'IfNotPresent', workload: w, seed: 1 });
  const s = (performance.now() - t0) / 1000;
  const rss = process.memoryUsage().rss / 1e9;
  return `| ${nodes} | ${images} | ${pods} | ${s.toFixed(1)} | ${Math.round(pods / s)} | ${r.totals.pulls} | ${r.totals.gcRuns} | ${rss.toFixed(2)} |`;
}

const rows: Array<[number, number, number]> = [
  [100, 1000, 100_000],
  [300, 1000, 100_000],
  [1000, 1000, 100_000],
  [100, 10_000, 100_000],
  [100, 1000, 300_000],
];
if (process.argv.includes('--full')) rows.push([1000, 10_000, 1_000_000]);
console.log('| nodes | images | pods | seconds | pod starts/s | pulls | GC runs | RSS GB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [n, i, p] of rows) console.log(one(n, i, p));
