// Reclaimable bytes per image for a host of 100 k images and 200 k containers: one linear pass,
// against the naive way (re-analyse the host without each image), measured on a sample of images
// in the same run and projected to all of them.
import { ImageGraph } from '../src/model/graph.js';
import { imageUsage } from '../src/analyze/df.js';
import { removalHost, reclaimablePerImage } from '../src/analyze/removal.js';
import { greedyFree, removalPlan } from '../src/analyze/plan.js';
import { syntheticColumns } from '../src/sources/synthetic.js';
import { imageMetaList } from '../src/model/image-columns.js';
import { measure } from './common.js';

export interface RemovalBenchResult {
  images: number;
  containers: number;
  refs: number;
  onePassMs: number;
  onePassRme: number;
  naivePerImageMs: number;
  naiveSample: number;
  naiveProjectedMs: number;
  rmiMs: number;
  planPruneAllMs: number;
  planPruneAllRme: number;
  planSteps: number;
  /** plan --free (greedy): bytes asked, steps taken, ms re-trying only affected images vs all of them. */
  free: { bytes: number; steps: number; incrementalMs: number; incrementalRme: number; retryAllMs: number; retryAllRme: number };
  /** plan --free until every removable image is gone: steps and ms (incremental only). */
  freeAll: { steps: number; ms: number };
}

export async function runRemovalBench(images: number, containers: number, sample = 20): Promise<RemovalBenchResult> {
  const cols = syntheticColumns({ images, containers, seed: 3 });
  const graph = new ImageGraph(cols);
  const metas = imageMetaList(cols.images);
  // Naive: for image i, rebuild the host without it and diff the layer totals.
  const without = (skip: number) => {
    const keep = metas.map((_, i) => i).filter((i) => i !== skip);
    const stackStart = new Uint32Array(keep.length + 1);
    const parts: Uint32Array[] = [];
    keep.forEach((i, k) => {
      const s = cols.stackLayer.subarray(cols.stackStart[i], cols.stackStart[i + 1]);
      parts.push(s);
      stackStart[k + 1] = stackStart[k] + s.length;
    });
    const stackLayer = new Uint32Array(stackStart[keep.length]);
    let o = 0;
    for (const p of parts) {
      stackLayer.set(p, o);
      o += p.length;
    }
    const skipped = metas[skip].id;
    return new ImageGraph({ ...cols, images: keep.map((i) => metas[i]), stackStart, stackLayer, containers: cols.containers.filter((c) => c.image !== skipped) });
  };
  const full = imageUsage(graph).layersSize;
  let pick = 0;
  const [one, naive] = await measure(
    {
      'one pass': () => reclaimablePerImage(graph),
      'naive, one image': () => full - imageUsage(without((pick = (pick + 7919) % images))).layersSize,
    },
    sample,
  );
  const t0 = performance.now();
  const host = removalHost(graph);
  host.rmi(graph.images[0].id.slice(7), { force: true });
  const rmiMs = performance.now() - t0;
  let planSteps = 0;
  const [plan] = await measure({ 'plan prune -a': () => (planSteps = removalPlan(graph, { kind: 'prune', all: true }).steps.length) }, 3);
  // plan --free, greedy (the host has far more than 12 candidates): both variants give the same plan.
  const freeBytes = images >= 100_000 ? 5e11 : 5e10;
  const greedy = (incremental: boolean) => {
    const h = removalHost(graph);
    const universe = h.images().filter((i) => h.containersOf(i).length === 0);
    return greedyFree(graph, h, universe, freeBytes, {}, new Set(), incremental);
  };
  const a = greedy(true);
  const b = greedy(false);
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('incremental and re-try-all greedy plans differ');
  const [inc, all] = await measure({ incremental: () => greedy(true), 'retry all': () => greedy(false) }, 2);
  const tf = performance.now();
  const h = removalHost(graph);
  const everything = greedyFree(graph, h, h.images().filter((i) => h.containersOf(i).length === 0), Infinity, {}, new Set());
  const freeAllMs = performance.now() - tf;
  return {
    images,
    containers,
    refs: graph.referenceCount,
    onePassMs: one.meanMs,
    onePassRme: one.rme,
    naivePerImageMs: naive.meanMs,
    naiveSample: naive.samples,
    naiveProjectedMs: naive.meanMs * images,
    rmiMs,
    planPruneAllMs: plan.meanMs,
    planPruneAllRme: plan.rme,
    planSteps,
    free: { bytes: freeBytes, steps: a.steps.length, incrementalMs: inc.meanMs, incrementalRme: inc.rme, retryAllMs: all.meanMs, retryAllRme: all.rme },
    freeAll: { steps: everything.steps.length, ms: freeAllMs },
  };
}
