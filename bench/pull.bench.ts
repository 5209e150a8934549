// Pull plans for every image of synthetic sets (10 k .. 1 M images) against a host holding
// 1,000 images of the set: per-plan cost must not grow with the set (a plan is linear in the
// image's layers). Baseline in the same run: the obvious planner that gathers the host's chains
// from its images before each plan (linear in the host).
import { extendChainId } from '../src/model/identity.js';
import { planPull, pullHostFromGraph, type RemoteImage } from '../src/analyze/pull.js';
import type { HostState } from '../src/analyze/host-state.js';
import { GraphBuilder, type GraphColumns } from '../src/model/graph.js';
import { imageIdOf } from '../src/model/image-columns.js';
import { syntheticColumns } from '../src/sources/synthetic.js';
import { measure } from './common.js';

export interface PullBenchRow {
  images: number;
  refs: number;
  meanMs: number;
  rme: number;
  nsPerPlan: number;
  nsPerLayer: number;
  downloadBytes: number;
}

export interface PullBenchResult {
  hostImages: number;
  rows: PullBenchRow[];
  naiveNsPerPlan: number;
  naiveSample: number;
  layerlabNsPerPlanOnSample: number;
}

const remoteOf = (cols: GraphColumns, i: number, ref: RemoteImage['ref']): RemoteImage => {
  const layers: RemoteImage['layers'] = [];
  for (let k = cols.stackStart[i]; k < cols.stackStart[i + 1]; k++) {
    const l = cols.stackLayer[k];
    layers.push({ digest: cols.layerDigest[l] ?? cols.layerDiffId[l]!, size: cols.layerCompressed[l] || cols.layerSize[l], diffId: cols.layerDiffId[l] });
  }
  const id = imageIdOf(cols.images, i);
  return { ref, digest: id, configDigest: id, layers };
};

export async function runPullBench(sizes: number[], hostImages = 1000, log: (s: string) => void = () => {}): Promise<PullBenchResult> {
  const ref = { kind: 'named', domain: 'docker.io', path: 'library/bench', tag: '1' } as RemoteImage['ref'];
  const rows: PullBenchRow[] = [];
  let naive = { ns: 0, sample: 0, layerlabNs: 0 };
  for (const n of sizes) {
    const cols = syntheticColumns({ images: n, seed: 5 });
    // the host: 1,000 images spread over the set, pulled from this registry (blob metadata known)
    const host: HostState = pullHostFromGraph(new GraphBuilder().build(), new Map());
    const hostIdx: number[] = [];
    for (let h = 0; h < hostImages; h++) hostIdx.push(Math.floor((h * n) / hostImages));
    for (const i of hostIdx) planPull(host, remoteOf(cols, i, ref));
    const remotes = Array.from({ length: n }, (_, i) => remoteOf(cols, i, ref));
    let bytes = 0;
    const [m] = await measure(
      {
        'plan every image': () => {
          bytes = 0;
          for (const r of remotes) bytes += planPull(host, r, { record: false }).downloadBytes;
        },
      },
      n >= 1_000_000 ? 3 : 5,
    );
    const refs = cols.stackLayer.length;
    rows.push({ images: n, refs, meanMs: m.meanMs, rme: m.rme, nsPerPlan: (m.meanMs * 1e6) / n, nsPerLayer: (m.meanMs * 1e6) / refs, downloadBytes: bytes });
    log(`pull plans: ${n} images in ${m.meanMs.toFixed(0)} ms`);
    if (n === sizes[0]) {
      // naive: gather the host's chains from its images' stacks before each plan
      const hostRemotes = hostIdx.map((i) => remotes[i]);
      const sample = remotes.slice(0, 40);
      const naivePlan = (r: RemoteImage) => {
        const chains = new Set<string>();
        for (const h of hostRemotes) {
          let c: string | undefined;
          for (const l of h.layers) chains.add((c = extendChainId(c, l.diffId!)));
        }
        let c: string | undefined;
        let download = 0;
        let missing = false;
        for (const l of r.layers) {
          if (!missing) {
            c = extendChainId(c, l.diffId!);
            if (chains.has(c)) continue;
            missing = true;
          }
          download += l.size ?? 0;
        }
        return download;
      };
      const [nv, ll] = await measure(
        {
          naive: () => sample.forEach((r) => naivePlan(r)),
          // the same plans, repeated so that the measured time is not mostly warm-up
          layerlab: () => {
            for (let k = 0; k < 250; k++) for (const r of sample) planPull(host, r, { record: false });
          },
        },
        3,
      );
      for (const r of sample) if (naivePlan(r) !== planPull(host, r, { record: false }).downloadBytes) throw new Error('naive and layerlab pull plans disagree');
      naive = { ns: (nv.meanMs * 1e6) / sample.length, sample: sample.length, layerlabNs: (ll.meanMs * 1e6) / (250 * sample.length) };
    }
  }
  return { hostImages, rows, naiveNsPerPlan: naive.ns, naiveSample: naive.sample, layerlabNsPerPlanOnSample: naive.layerlabNs };
}
