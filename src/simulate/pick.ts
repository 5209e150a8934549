// Placing one pod: random, round-robin, or kube-scheduler's scoring over the nodes it samples
// (numFeasibleNodesToFind from a rotating start index), highest weighted sum, ties at random.
import { HostNodeStore } from '../analyze/node-store.js';
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
import { kubeletImageSizes } from './reference-store.js';
import type { NodeImageStore, SimUniverse } from './store.js';
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
  universe: SimUniverse;
  /** LeastAllocated's score of each node for one more pod (kept current as pods bind and end). */
  laScore: Int32Array;
  /** 1 for docker nodes. */
  docker: Uint8Array;
  /** Scratch: mark[n] === stamp for the nodes listing the pod's image. */
  mark: Int32Array;
  stamp: number;
  /** Scratch: the scores of the nodes of one scan. */
  scores: Float64Array;
}

/** The node for a pod of `image`. */
export function pickNode(spec: SchedulerSpec, percentage: number, s: SchedulerState, image: number): number {
  const N = s.nodes.length;
  if (spec.kind === 'random') return Math.floor(s.rnd() * N);
  if (spec.kind === 'round-robin') return s.rr++ % N;
  const k = nodesToScore(N, percentage);
  const start = s.nextStart;
  s.nextStart = (start + k) % N;
  const wIL = weightOf(spec, 'image-locality');
  const wLA = weightOf(spec, 'least-allocated');
  const wLY = weightOf(spec, 'layer-aware');
  // ImageLocality depends on the node only through whether it lists the image and its runtime's size.
  const numNodes = s.status.numNodes[image];
  const ilDocker = wIL * imageLocalityPriority(scaledImageScore(kubeletImageSizes(s.universe, 'docker')[image], numNodes, N), 1);
  const ilContainerd = wIL * imageLocalityPriority(scaledImageScore(kubeletImageSizes(s.universe, 'containerd')[image], numNodes, N), 1);
  const mark = s.mark;
  const stamp = ++s.stamp;
  if (wIL !== 0) for (const n of s.status.nodesListing(image)) mark[n] = stamp;
  const runtimeDocker = s.docker;
  // selectHost picks uniformly among the nodes of the best score (its reservoir sampling); one
  // draw after the scan gives the same distribution at one random number per pod.
  const scores = s.scores;
  let bestScore = -Infinity;
  let ties = 0;
  for (let j = 0; j < k; j++) {
    let n = start + j;
    if (n >= N) n -= N;
    let score = 0;
    if (wIL !== 0 && mark[n] === stamp) score += runtimeDocker[n] === 1 ? ilDocker : ilContainerd;
    if (wLA !== 0) score += wLA * s.laScore[n];
    if (wLY !== 0) score += wLY * layerAware(s, n, image);
    scores[j] = score;
    if (score > bestScore) {
      bestScore = score;
      ties = 1;
    } else if (score === bestScore) ties++;
  }
  let pick = ties > 1 ? Math.floor(s.rnd() * ties) : 0;
  for (let j = 0; j < k; j++) {
    if (scores[j] !== bestScore) continue;
    if (pick-- === 0) return start + j >= N ? start + j - N : start + j;
  }
  return -1;
}

function weightOf(spec: { weights: Array<[string, number]> }, plugin: string): number {
  let w = 0;
  for (const [p, x] of spec.weights) if (p === plugin) w += x;
  return w;
}

/** Node `n`'s bound pods changed by `delta`: its LeastAllocated score for the next pod. */
export function rebind(s: SchedulerState, n: number, delta: number): void {
  const pods = (s.bound[n] += delta) + 1;
  s.laScore[n] = leastAllocatedScore(pods * DEFAULT_MILLI_CPU_REQUEST, s.nodes[n].cpu, pods * DEFAULT_MEMORY_REQUEST, s.nodes[n].memory);
}

function layerAware(s: SchedulerState, n: number, image: number): number {
  const store = s.stores[n];
  const bytes = store instanceof HostNodeStore ? store.downloadBytes(image) : store.plan(image).downloadBytes;
  return layerAwareScore(bytes, s.full[image]);
}
