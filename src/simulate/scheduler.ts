// kube-scheduler's scoring as the simulation needs it: ImageLocality
// (pkg/scheduler/framework/plugins/imagelocality/image_locality.go), NodeResourcesFit's
// LeastAllocated (noderesources/least_allocated.go) with the scheduler's non-zero default
// requests, the adaptive percentageOfNodesToScore, and a layer-aware score; combined by weights
// as a scheduler profile combines plugins, ties broken at random as selectHost does.

const MB = 1024 * 1024;
/** ImageLocality's bounds: 23 MiB, and 1000 MiB per container. */
export const IMAGE_LOCALITY_MIN = 23 * MB;
export const IMAGE_LOCALITY_MAX_PER_CONTAINER = 1000 * MB;
/** framework.MaxNodeScore. */
export const MAX_NODE_SCORE = 100;
/** The kubelet lists at most this many images (largest first) in the node status (nodeStatusMaxImages). */
export const NODE_STATUS_MAX_IMAGES = 50;
/** Requests the scheduler assumes for a container that states none (DefaultMilliCPURequest, DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * MB;

/** scaledImageScore: the image's size times the fraction of nodes that list it. */
export function scaledImageScore(size: number, numNodes: number, totalNodes: number): number {
  return Math.trunc(size * (numNodes / totalNodes));
}

/** calculatePriority: the summed scaled sizes clamped to [23 MiB, 1000 MiB × containers], scaled to 0..100. */
export function imageLocalityPriority(sumScores: number, numContainers: number): number {
  const max = IMAGE_LOCALITY_MAX_PER_CONTAINER * numContainers;
  const s = Math.min(max, Math.max(IMAGE_LOCALITY_MIN, sumScores));
  return Math.trunc((MAX_NODE_SCORE * (s - IMAGE_LOCALITY_MIN)) / (max - IMAGE_LOCALITY_MIN));
}

/** ImageLocality's score of a node for a pod's containers: each image the node lists, as (size, numNodes). */
export function imageLocalityScore(listed: ReadonlyArray<{ size: number; numNodes: number } | undefined>, totalNodes: number): number {
  let sum = 0;
  for (const s of listed) if (s) sum += scaledImageScore(s.size, s.numNodes, totalNodes);
  return imageLocalityPriority(sum, listed.length);
}

/** leastRequestedScore of one resource: (capacity − requested) × 100 / capacity, 0 when over. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over cpu and memory, weights 1 and 1 (the default resources). */
export function leastAllocatedScore(milliCpu: number, cpuCapacity: number, memory: number, memoryCapacity: number): number {
  return Math.trunc((leastRequestedScore(milliCpu, cpuCapacity) + leastRequestedScore(memory, memoryCapacity)) / 2);
}

/**
 * numFeasibleNodesToFind with percentageOfNodesToScore unset (0): all nodes below 100; else
 * 50 − nodes/125 percent, at least 5 percent and at least 100 nodes.
 */
export function nodesToScore(total: number, percentage = 0): number {
  if (total < 100) return total;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.trunc(total / 125));
  if (pct >= 100) return total;
  return Math.max(100, Math.trunc((total * pct) / 100));
}

/** Layer-aware score: the share of the image the node would not have to download, 0..100. */
export function layerAwareScore(downloadBytes: number, fullBytes: number): number {
  if (fullBytes <= 0) return MAX_NODE_SCORE;
  return Math.trunc((MAX_NODE_SCORE * (fullBytes - downloadBytes)) / fullBytes);
}

/** The scoring plugins a profile can weigh. */
export type ScorePlugin = 'image-locality' | 'least-allocated' | 'layer-aware';
/** A scheduler: a pick rule, or weighted plugins. */
export type SchedulerSpec = { kind: 'random' } | { kind: 'round-robin' } | { kind: 'score'; weights: Array<[ScorePlugin, number]> };

/**
 * The node status image list of every node (at most 50 largest per node) and, per image, how many
 * nodes list it: what the scheduler's ImageStateSummary holds.
 */
export class NodeStatusImages {
  /** Per node: listed image ids, largest first (ties by id). */
  readonly listed: number[][];
  readonly numNodes: Int32Array;
  /** Per image: the nodes that list it (sparse: at most 50 entries per node in all). */
  private readonly listing = new Map<number, number[]>();
  private static readonly NONE: readonly number[] = [];
  constructor(
    readonly nodes: number,
    readonly images: number,
    private readonly sizeOf: (node: number, image: number) => number,
  ) {
    this.listed = Array.from({ length: nodes }, () => []);
    this.numNodes = new Int32Array(images);
  }

  /** Node `n` lists `image`. */
  lists(n: number, image: number): boolean {
    return this.listed[n].includes(image);
  }

  /** The nodes that list `image`, in no particular order. */
  nodesListing(image: number): readonly number[] {
    return this.listing.get(image) ?? NodeStatusImages.NONE;
  }

  private before(n: number, a: number, b: number): boolean {
    const sa = this.sizeOf(n, a);
    const sb = this.sizeOf(n, b);
    return sa !== sb ? sa > sb : a < b;
  }

  private mark(n: number, image: number, on: boolean): void {
    let nodes = this.listing.get(image);
    if (on) {
      if (!nodes) this.listing.set(image, (nodes = []));
      nodes.push(n);
      this.numNodes[image]++;
      return;
    }
    const at = nodes!.indexOf(n);
    nodes![at] = nodes![nodes!.length - 1];
    nodes!.pop();
    if (!nodes!.length) this.listing.delete(image);
    this.numNodes[image]--;
  }

  /** Node `n` now holds `image` (pull done). */
  add(n: number, image: number): void {
    const list = this.listed[n];
    if (list.includes(image)) return;
    if (list.length === NODE_STATUS_MAX_IMAGES && !this.before(n, image, list[list.length - 1])) return;
    let i = list.length;
    while (i > 0 && this.before(n, image, list[i - 1])) i--;
    list.splice(i, 0, image);
    this.mark(n, image, true);
    if (list.length > NODE_STATUS_MAX_IMAGES) this.mark(n, list.pop()!, false);
  }

  /** Node `n` no longer holds `image`; the list refills from `present` (the node's images). */
  remove(n: number, image: number, present: () => readonly number[]): void {
    const list = this.listed[n];
    const at = list.indexOf(image);
    if (at < 0) return;
    list.splice(at, 1);
    this.mark(n, image, false);
    if (list.length === NODE_STATUS_MAX_IMAGES - 1) {
      let best = -1;
      for (const i of present()) if (i !== image && !list.includes(i) && (best < 0 || this.before(n, i, best))) best = i;
      if (best >= 0) this.add(n, best);
    }
  }
}
