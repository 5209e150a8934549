// Time model of a set of pulls: dockerd's download manager (a FIFO of blob transfers, at most
// `concurrency` at once, daemon-wide; a transfer shared by pulls that need the same chain),
// a link of fixed bandwidth shared equally by the transfers moving bytes, a fixed latency per
// request, and layers registered in order (a layer waits for its parent), optionally at an
// extraction rate. It estimates; what it counts (bytes, which blob downloads) is exact.
import type { HostState } from './host-state.js';
import { planPull, recordPull, type PullPlan, type RemoteImage } from './pull.js';

/** The link and daemon settings a pull schedule is timed with. */
export interface NetworkModel {
  /** Bytes per second of the link, shared by all transfers in flight. */
  bandwidth: number;
  /** Seconds per request round trip (manifest, config, each blob's first byte). */
  latency: number;
  /** dockerd's max-concurrent-downloads (3 unless configured). */
  concurrency: number;
  /** Uncompressed (else compressed) bytes per second written when registering a layer; 0: not modelled. */
  extractRate: number;
}

/** 100 Mbit/s, 50 ms round trips, dockerd's 3 concurrent downloads, extraction not modelled. */
export const DEFAULT_NETWORK: NetworkModel = { bandwidth: 12.5e6, latency: 0.05, concurrency: 3, extractRate: 0 };

export type PullMode = 'sequential' | 'parallel';

export interface LayerTiming {
  id12: string;
  /** When its transfer got a download slot and when its last byte arrived (downloads only). */
  downloadStart?: number;
  downloadEnd?: number;
  /** When the layer was registered (usable). */
  registered: number;
}

export interface PullTiming {
  ref: string;
  start: number;
  ready: number;
  downloadBytes: number;
  layers: LayerTiming[];
}

/** When each pull of a sequence starts and is ready, layer by layer, on one network. */
export interface PullSchedule {
  mode: PullMode;
  network: NetworkModel;
  pulls: PullTiming[];
  /** When the last image is ready. */
  total: number;
  firstReady: number;
  meanReady: number;
  downloadBytes: number;
}

interface Job {
  pull: number;
  layer: number;
  bytes: number;
  release: number;
  start?: number;
  latencyEnd?: number;
  remaining: number;
  end?: number;
}

/** Runs the FIFO of transfers with `concurrency` slots and processor-shared bandwidth. */
function runTransfers(jobs: Job[], net: NetworkModel): void {
  const queue = [...jobs].sort((a, b) => a.release - b.release); // stable: issue order within a release time
  const active: Job[] = [];
  let t = 0;
  let next = 0;
  const eps = 1e-9;
  while (next < queue.length || active.length) {
    while (active.length < net.concurrency && next < queue.length && queue[next].release <= t + eps) {
      const j = queue[next++];
      j.start = t;
      j.latencyEnd = t + net.latency;
      active.push(j);
    }
    const moving = active.filter((j) => j.latencyEnd! <= t + eps && j.remaining > eps);
    const rate = moving.length ? net.bandwidth / moving.length : 0;
    let dt = Infinity;
    for (const j of active) {
      if (j.latencyEnd! > t + eps) dt = Math.min(dt, j.latencyEnd! - t);
      else if (j.remaining > eps) dt = Math.min(dt, j.remaining / rate);
    }
    if (active.length < net.concurrency && next < queue.length) dt = Math.min(dt, Math.max(0, queue[next].release - t));
    if (dt === Infinity) dt = 0;
    for (const j of moving) j.remaining -= rate * dt;
    t += dt;
    for (let k = active.length - 1; k >= 0; k--) {
      const j = active[k];
      if (j.latencyEnd! <= t + eps && j.remaining <= eps * Math.max(1, net.bandwidth)) {
        j.end = t;
        active.splice(k, 1);
      }
    }
  }
}

/**
 * Times `plans` (made in this order on one host, so later ones know what earlier ones bring).
 * sequential: `docker pull a && docker pull b ...`; parallel: all pulls issued at once (compose
 * pull), sharing the daemon's download slots and any transfer of the same chain.
 */
export function simulatePulls(plans: PullPlan[], net: NetworkModel = DEFAULT_NETWORK, mode: PullMode = 'sequential'): PullSchedule {
  if (!(net.bandwidth > 0) || !(net.latency >= 0) || !(net.concurrency >= 1) || !(net.extractRate >= 0)) throw new RangeError('network model: bandwidth > 0, latency >= 0, concurrency >= 1, extractRate >= 0');
  const pulls: PullTiming[] = [];
  const extract = (bytes: number) => (net.extractRate > 0 ? bytes / net.extractRate : 0);
  const regByRefDigest = new Map<string, number>();
  const jobsOf = (i: number, start: number): Map<number, Job> => {
    const jobs = new Map<number, Job>();
    if (plans[i].imagePresent) return jobs;
    plans[i].layers.forEach((l, k) => {
      if (l.status === 'download') jobs.set(k, { pull: i, layer: k, bytes: l.downloadBytes, release: start + net.latency, remaining: l.downloadBytes });
    });
    return jobs;
  };
  const finish = (i: number, start: number, jobs: Map<number, Job>) => {
    const p = plans[i];
    const layersStart = start + net.latency;
    let prev = layersStart;
    const firstJobOfDigest = new Map<string, Job>();
    for (const [k, j] of jobs) if (!firstJobOfDigest.has(p.layers[k].digest)) firstJobOfDigest.set(p.layers[k].digest, j);
    const layers: LayerTiming[] = p.layers.map((l, k) => {
      const j = jobs.get(k);
      const bytes = l.uncompressedSize ?? l.size ?? 0;
      let registered: number;
      if (p.imagePresent || l.status === 'Already exists') registered = prev;
      else if (j) registered = Math.max(j.end!, prev) + extract(bytes);
      else if (l.plannedBy === p.ref) registered = Math.max(firstJobOfDigest.get(l.digest)?.end ?? prev, prev) + extract(bytes);
      else registered = Math.max(regByRefDigest.get(`${l.plannedBy}\n${l.digest}`) ?? prev, prev);
      prev = registered;
      if (!regByRefDigest.has(`${p.ref}\n${l.digest}`)) regByRefDigest.set(`${p.ref}\n${l.digest}`, registered);
      return { id12: l.id12, ...(j ? { downloadStart: j.start!, downloadEnd: j.end! } : {}), registered };
    });
    const ready = p.imagePresent ? start + net.latency : Math.max(prev, start + 2 * net.latency);
    pulls.push({ ref: p.ref, start, ready, downloadBytes: p.downloadBytes, layers });
  };
  if (mode === 'sequential') {
    let t = 0;
    plans.forEach((_, i) => {
      const jobs = jobsOf(i, t);
      runTransfers([...jobs.values()], net);
      finish(i, t, jobs);
      t = pulls[i].ready;
    });
  } else {
    const all = plans.map((_, i) => jobsOf(i, 0));
    runTransfers(all.flatMap((m) => [...m.values()]), net);
    all.forEach((jobs, i) => finish(i, 0, jobs));
  }
  const readies = pulls.map((p) => p.ready);
  return {
    mode,
    network: net,
    pulls,
    total: readies.length ? Math.max(...readies) : 0,
    firstReady: readies.length ? Math.min(...readies) : 0,
    meanReady: readies.length ? readies.reduce((s, x) => s + x, 0) / readies.length : 0,
    downloadBytes: plans.reduce((s, p) => s + p.downloadBytes, 0),
  };
}

export type PullOrder = 'given' | 'fastest-first';

export interface OrderedPulls {
  order: number[];
  plans: PullPlan[];
  schedule: PullSchedule;
  /** How the order was chosen, in words. */
  how: string;
}

/**
 * Plans and times `images` on `host` (which is then left holding them). `fastest-first` pulls
 * next, each time, the image that would be ready soonest given what is on the host by then: its
 * first pick is the image that can be ready first, so time-to-first-ready is minimal (exact);
 * for the mean time to ready it is a greedy heuristic (shortest job first). The total bytes do not
 * depend on the order: a layer downloads once whichever pull brings it.
 */
export function planPulls(host: HostState, images: RemoteImage[], net: NetworkModel = DEFAULT_NETWORK, mode: PullMode = 'sequential', order: PullOrder = 'given'): OrderedPulls {
  const chosen: number[] = [];
  if (order === 'given') images.forEach((_, i) => chosen.push(i));
  else {
    host.trial(() => {
      const left = new Set(images.map((_, i) => i));
      while (left.size) {
        let best = -1;
        let bestTime = Infinity;
        for (const i of left) {
          const time = simulatePulls([planPull(host, images[i], { record: false })], net).total;
          if (time < bestTime) [best, bestTime] = [i, time];
        }
        left.delete(best);
        chosen.push(best);
        planPull(host, images[best]); // later picks see what it brings (taken back after)
      }
    });
  }
  const plans = mode === 'sequential' ? chosen.map((i) => planPull(host, images[i])) : planAllAtOnce(host, chosen.map((i) => images[i]));
  return {
    order: chosen,
    plans,
    schedule: simulatePulls(plans, net, mode),
    how: order === 'given' ? 'in the order given' : 'fastest first: each next pull is the one that would be ready soonest (minimal time to the first ready image; a greedy heuristic for the others)',
  };
}

/**
 * Pulls issued at once each walk the host as it was (none sees what the others bring), and the
 * daemon shares a transfer between them when its key, the blob digests from the bottom up to
 * that layer, is the same (xfer transferKey): such a layer downloads once, by the first pull.
 */
function planAllAtOnce(host: HostState, images: RemoteImage[]): PullPlan[] {
  const plans = images.map((img) => planPull(host, img, { record: false }));
  const inFlight = new Map<string, string>();
  plans.forEach((p, i) => {
    let key = '';
    p.layers.forEach((l, k) => {
      key += images[i].layers[k].digest + ' ';
      if (l.status !== 'download') return;
      const by = inFlight.get(key);
      if (by !== undefined && by !== p.ref) {
        p.downloadBytes -= l.downloadBytes;
        p.layers[k] = { ...l, status: 'planned', plannedBy: by, downloadBytes: 0 };
      } else inFlight.set(key, p.ref);
    });
  });
  for (const img of images) recordPull(host, img); // the host now holds them all
  return plans;
}
