// Placing one pod: random, round-robin, or kube-scheduler's scoring over the nodes it samples
// (numFeasibleNodesToFind from a rotating start index), highest weighted sum, ties at random.
import { ArrayStore } from './array-store.js';
import {
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  imageLocalityPriority,
  layerAwareScore,
  leastAllocatedScore,
  nodesToScore,
  scaledImageScore,
  type NodeStatusImages,
  type SchedulerSpec,
} from './scheduler.js';
import type { NodeImageStore } from './store.js';
import type { NodeSpec } from './types.js';

/** What the scheduler reads and keeps between pods. */
export interface SchedulerState {
  rr: number;
  nextStart: number;
  rnd: () => number;
  status: NodeStatusImages;
  stores: NodeImageStore[];
  /** Pods bound to each node and not finished (what NodeResourcesFit counts as requested). */
  bound: Int32Array;
  nodes: NodeSpec[];
  /** Each image's bytes when nothing of it is present. */
  full: Float64Array;
}

/** The node for a pod of `image`. */
export function pickNode(spec: SchedulerSpec, percentage: number, s: SchedulerState, image: number): number {
  const N = s.nodes.length;
  if (spec.kind === 'random') return Math.floor(s.rnd() * N);
  if (spec.kind === 'round-robin') return s.rr++ % N;
  const k = nodesToScore(N, percentage);
  const start = s.nextStart;
  s.nextStart = (start + k) % N;
  let best = -1;
  let bestScore = -Infinity;
  let ties = 0;
  for (let j = 0; j < k; j++) {
    const n = (start + j) % N;
    let score = 0;
    for (const [plugin, weight] of spec.weights) score += weight * pluginScore(plugin, s, n, image);
    if (score > bestScore) {
      best = n;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore) {
      ties++;
      if (Math.floor(s.rnd() * ties) === 0) best = n; // selectHost's reservoir sampling
    }
  }
  return best;
}

function pluginScore(plugin: string, s: SchedulerState, n: number, image: number): number {
  if (plugin === 'image-locality') {
    const listed = s.status.onNode[n][image] === 1;
    const sum = listed ? scaledImageScore(s.stores[n].imageSize(image), s.status.numNodes[image], s.nodes.length) : 0;
    return imageLocalityPriority(sum, 1);
  }
  if (plugin === 'least-allocated') {
    const pods = s.bound[n] + 1;
    return leastAllocatedScore(pods * DEFAULT_MILLI_CPU_REQUEST, s.nodes[n].cpu, pods * DEFAULT_MEMORY_REQUEST, s.nodes[n].memory);
  }
  const store = s.stores[n];
  const bytes = store instanceof ArrayStore ? store.downloadBytes(image) : store.plan(image).downloadBytes;
  return layerAwareScore(bytes, s.full[image]);
}
