// Totals and percentiles of a finished run.
import type { Network } from './network.js';
import type { NodeImageStore } from './store.js';
import type { NodeResult, PodColumns, SimResult } from './types.js';

/** Counters the engine keeps while running. */
export interface Counters {
  nodes: NodeResult[];
  qpsRejections: number;
  gcFailures: number;
  pulls: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Seconds rounded to the millisecond tick (no float noise in the output). */
const tick = (s: number): number => Math.round(s * 1000) / 1000;

export function summarize(c: Counters, stores: NodeImageStore[], net: Network, pods: PodColumns, timeline?: Array<[number, number, number]>): Omit<SimResult, 'series'> {
  let finalDisk = 0;
  stores.forEach((s, n) => {
    c.nodes[n].finalDisk = s.diskUsed();
    finalDisk += s.diskUsed();
  });
  const delays: number[] = [];
  let failed = 0;
  let delaySum = 0;
  let pullSum = 0;
  for (let p = 0; p < pods.arrive.length; p++) {
    if (pods.failure[p]) {
      failed++;
      continue;
    }
    const d = pods.start[p] - pods.arrive[p];
    delays.push(d);
    delaySum += d;
    pullSum += pods.pullTime[p];
  }
  const sorted = Float64Array.from(delays).sort();
  const sum = (f: (r: NodeResult) => number) => c.nodes.reduce((s, r) => s + f(r), 0);
  return {
    totals: {
      pods: pods.arrive.length,
      failedPods: failed,
      bytesPulled: sum((r) => r.bytesPulled),
      registryEgress: net.registryEgress,
      mirrorBytes: net.fromMirror,
      peerBytes: net.fromPeers,
      pulls: c.pulls,
      qpsRejections: c.qpsRejections,
      gcRuns: sum((r) => r.gcRuns),
      gcFailures: c.gcFailures,
      imagesRemoved: sum((r) => r.imagesRemoved),
      gcBytesFreed: sum((r) => r.gcBytesFreed),
      gcBytesBelieved: sum((r) => r.gcBytesBelieved),
      startDelay: { p50: tick(percentile(sorted, 50)), p90: tick(percentile(sorted, 90)), p99: tick(percentile(sorted, 99)), mean: tick(delays.length ? delaySum / delays.length : 0) },
      pullShare: delaySum > 0 ? Math.round((pullSum / delaySum) * 1e4) / 1e4 : 0,
    },
    nodes: c.nodes,
    pods,
    ...(timeline ? { timeline } : {}),
    finalDisk,
  };
}
