// Inputs and outputs of a fleet simulation (what scenario.ts parses and engine.ts runs).
import type { KubeletConfig } from './kubelet.js';
import type { SchedulerSpec } from './scheduler.js';
import type { Universe } from '../model/universe.js';
import type { NodeImageStore, Runtime } from './store.js';

/** One node: its runtime, disk, link and allocatable resources. */
export interface NodeSpec {
  name: string;
  runtime: Runtime;
  /** Bytes of the image filesystem; Infinity: unlimited (no GC). */
  disk: number;
  /** Bytes per second of the node's link. */
  bandwidth: number;
  /** Seconds per registry round trip. */
  latency: number;
  /** Blob downloads at once (dockerd and containerd: 3). */
  concurrentDownloads: number;
  /** Uncompressed bytes per second written while unpacking; 0: not modelled. */
  extractRate: number;
  discardUnpackedLayers: boolean;
  /** Allocatable millicores and memory bytes (LeastAllocated's capacity). */
  cpu: number;
  memory: number;
}

/** How blobs reach nodes: the origin registry (optionally egress-capped), a mirror, peers. */
export interface DistributionSpec {
  /** Origin registry egress, bytes per second shared by every node; 0: unlimited. */
  registryEgress: number;
  /** A pull-through mirror holding this many bytes of blobs (LRU); 0: none. */
  mirrorCapacity: number;
  /** Peer-to-peer: a blob any node has fetched is served by peers, not the registry. */
  peerToPeer: boolean;
}

/** Pod arrivals in time order (seconds); node −1: the scheduler places it. */
export interface Workload {
  t: Float64Array;
  image: Int32Array;
  duration: Float64Array;
  node: Int32Array;
  /** Pod names when the trace gives them. */
  names?: (string | undefined)[];
}

export type PullPolicy = 'IfNotPresent' | 'Always';
export type GcPolicy = 'kubelet' | 'layer-aware';

/** Everything one run needs. */
export interface SimConfig {
  /** The catalog (a UniverseBuilder's, or any model Universe): every node's host state lives in it. */
  universe: Universe;
  nodes: NodeSpec[];
  kubelet: KubeletConfig;
  gc: GcPolicy;
  scheduler: SchedulerSpec;
  percentageOfNodesToScore: number;
  distribution: DistributionSpec;
  /** undefined: Kubernetes' default per image (`:latest` or no tag: Always; else IfNotPresent). */
  imagePullPolicy?: PullPolicy;
  workload: Workload;
  seed: number;
  /** Record each node's disk use at every GC period. */
  timeline?: boolean;
  /** Makes a node's store (default: the host state's node store, analyze/node-store.ts). */
  makeStore?: (node: NodeSpec, universe: Universe) => NodeImageStore;
  /** Called now and then with the fraction of pods done. */
  progress?: (done: number) => void;
}

/** Per node totals. */
export interface NodeResult {
  name: string;
  pods: number;
  pulls: number;
  /** Most pulls in flight at once (the puller's limit bounds it). */
  peakPulls: number;
  bytesPulled: number;
  gcRuns: number;
  imagesRemoved: number;
  gcBytesFreed: number;
  gcBytesBelieved: number;
  peakDisk: number;
  finalDisk: number;
}

/** Fleet totals; delays in seconds. */
export interface SimTotals {
  pods: number;
  failedPods: number;
  bytesPulled: number;
  registryEgress: number;
  mirrorBytes: number;
  peerBytes: number;
  pulls: number;
  qpsRejections: number;
  gcRuns: number;
  gcFailures: number;
  imagesRemoved: number;
  gcBytesFreed: number;
  gcBytesBelieved: number;
  startDelay: { p50: number; p90: number; p99: number; mean: number };
  /** Σ start delay spent pulling ÷ Σ start delay (Slacker's "pull share"). */
  pullShare: number;
}

/** Per pod, in arrival order (typed columns: a million pods cost megabytes). Times in seconds; start −1: never started. */
export interface PodColumns {
  arrive: Float64Array;
  node: Int32Array;
  image: Int32Array;
  queueWait: Float64Array;
  pullTime: Float64Array;
  bytes: Float64Array;
  start: Float64Array;
  /** 0 ok, 1 the pull did not fit on the disk, 2 never started before the run ended. */
  failure: Uint8Array;
}

/** The fleet over time, one point at every GC period and one at the end (columns of equal length). */
export interface SimSeries {
  /** Seconds since the start. */
  t: number[];
  /** Bytes on every node's disk together. */
  diskUsed: number[];
  /** Bytes pulled so far (all nodes). */
  bytesPulled: number[];
  /** Bytes the origin registry served so far. */
  registryEgress: number[];
}

export interface SimResult {
  totals: SimTotals;
  series: SimSeries;
  nodes: NodeResult[];
  pods: PodColumns;
  /** [seconds, node, disk bytes] rows when asked for. */
  timeline?: Array<[number, number, number]>;
  /** Σ bytes pulled − Σ really freed = final − initial disk (checked by the tests). */
  finalDisk: number;
}

export const POD_FAILURES = ['', 'the pull did not fit on the disk', 'not started when the run ended'] as const;
