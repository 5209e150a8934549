// The fleet simulation: one deterministic event loop over integer millisecond ticks. Pods arrive
// (in workload order), are placed by the scheduler, wait for the kubelet's puller (serialized or
// up to maxParallelImagePulls, throttled by registryPullQPS), pull through the node's store,
// run, stop; every imageGCPeriod each kubelet runs its image GC.
import { prng } from '../sources/synthetic.js';
import { HostNodeStore } from '../analyze/node-store.js';
import { SparseTimes } from '../analyze/sparse-counts.js';
import { EventQueue } from './heap.js';
import { garbageCollect, pullBackoff, TokenBuckets, type GcCandidate } from './kubelet.js';
import { Network } from './network.js';
import { pickNode, rebind, type SchedulerState } from './pick.js';
import { NodeStatusImages } from './scheduler.js';
import type { NodeImageStore } from './store.js';
import { summarize, type Counters } from './summary.js';
import type { PodColumns, SimConfig, SimResult, SimSeries } from './types.js';

const PULL_DONE = 0;
const POD_END = 1;
const RETRY = 2;
const ms = (s: number): number => Math.round(s * 1000);

/** Kubernetes' default pull policy: Always for `:latest` or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(ref: string): 'Always' | 'IfNotPresent' {
  if (ref.includes('@')) return 'IfNotPresent';
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon <= slash || ref.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Runs `cfg` to the end of its workload (and of the pods it started). */
export function simulate(cfg: SimConfig): SimResult {
  const { universe: u, nodes, kubelet: k, workload: w } = cfg;
  const N = nodes.length;
  const P = w.t.length;
  const period = ms(k.imageGCPeriod);
  const rnd = prng(cfg.seed);
  const stores: NodeImageStore[] = nodes.map((n) => (cfg.makeStore ? cfg.makeStore(n, u) : new HostNodeStore(u, n.runtime, { discardUnpackedLayers: n.discardUnpackedLayers })));
  const status = new NodeStatusImages(N, u.imageCount, (n, i) => stores[n].imageSize(i));
  const limit = k.serializeImagePulls ? 1 : k.maxParallelImagePulls > 0 ? k.maxParallelImagePulls : Infinity;
  const buckets = new TokenBuckets(N, k.registryPullQPS, k.registryBurst);
  const net = new Network(u, nodes, cfg.distribution);
  const policyAlways = new Uint8Array(u.imageCount);
  for (let i = 0; i < u.imageCount; i++) policyAlways[i] = (cfg.imagePullPolicy ?? defaultPullPolicy(u.imageRef[i])) === 'Always' ? 1 : 0;
  // Kubelet image records (detect times in ms; absent lastUsed: never seen in use, Go's zero time),
  // per node for the images it holds only: a node costs what it holds, not the catalog.
  const firstDetected = nodes.map(() => new SparseTimes());
  const lastUsed = nodes.map(() => new SparseTimes());
  const pods: PodColumns = {
    arrive: w.t,
    node: new Int32Array(P).fill(-1),
    image: w.image,
    queueWait: new Float64Array(P),
    pullTime: new Float64Array(P),
    bytes: new Float64Array(P),
    start: new Float64Array(P).fill(-1),
    failure: new Uint8Array(P),
  };
  const podNext = new Int32Array(P).fill(-1);
  const podFailures = new Uint8Array(P);
  const podWaitFrom = new Float64Array(P);
  const bound = new Int32Array(N);
  // Pulls: node, image, first waiting pod, enqueue time.
  const pullNode: number[] = [];
  const pullImage: number[] = [];
  const pullHead: number[] = [];
  const pullQueued: number[] = [];
  const pullStarted: number[] = [];
  const pullBytes: number[] = [];
  const pulling = nodes.map(() => new Map<number, number>());
  const queue: number[][] = nodes.map(() => []);
  const qHead = new Int32Array(N);
  const active = new Int32Array(N);
  const c: Counters = { nodes: nodes.map((n) => ({ name: n.name, pods: 0, pulls: 0, peakPulls: 0, bytesPulled: 0, gcRuns: 0, imagesRemoved: 0, gcBytesFreed: 0, gcBytesBelieved: 0, peakDisk: 0, finalDisk: 0 })), qpsRejections: 0, gcFailures: 0, pulls: 0 };
  const timeline: Array<[number, number, number]> | undefined = cfg.timeline ? [] : undefined;
  const q = new EventQueue();
  const sched: SchedulerState = { rr: 0, nextStart: 0, rnd, status, stores, bound, nodes, full: fullSizes(u), universe: u, laScore: new Int32Array(N), docker: Uint8Array.from(nodes, (x) => (x.runtime === 'docker' ? 1 : 0)), mark: new Int32Array(N), stamp: 0, scores: new Float64Array(N) };
  for (let n = 0; n < N; n++) rebind(sched, n, 0);

  const startPod = (pod: number, now: number): void => {
    const n = pods.node[pod];
    stores[n].containerStart(pods.image[pod], now / 1000);
    pods.start[pod] = now / 1000;
    c.nodes[n].pods++;
    q.push(now + ms(w.duration[pod]), POD_END, pod);
  };
  const failPod = (pod: number, code: number): void => {
    pods.failure[pod] = code;
    rebind(sched, pods.node[pod], -1);
  };
  const ensureImage = (pod: number, now: number): void => {
    const n = pods.node[pod];
    const img = pods.image[pod];
    const inFlight = pulling[n].get(img);
    if (inFlight !== undefined) {
      podNext[pod] = pullHead[inFlight];
      pullHead[inFlight] = pod;
      return;
    }
    if (!policyAlways[img] && stores[n].hasImage(img)) return startPod(pod, now);
    const p = pullNode.length;
    pullNode.push(n);
    pullImage.push(img);
    pullHead.push(pod);
    pullQueued.push(now);
    pullStarted.push(0);
    pullBytes.push(0);
    podNext[pod] = -1;
    pulling[n].set(img, p);
    queue[n].push(p);
    startPulls(n, now);
  };
  const startPulls = (n: number, now: number): void => {
    while (active[n] < limit && qHead[n] < queue[n].length) {
      const p = queue[n][qHead[n]++];
      if (qHead[n] > 1024 && qHead[n] * 2 > queue[n].length) {
        queue[n] = queue[n].slice(qHead[n]);
        qHead[n] = 0;
      }
      startPull(p, n, now);
    }
  };
  const forWaiters = (p: number, f: (pod: number) => void): void => {
    for (let pod = pullHead[p]; pod >= 0; ) {
      const next = podNext[pod];
      f(pod);
      pod = next;
    }
  };
  const startPull = (p: number, n: number, now: number): void => {
    const img = pullImage[p];
    const store = stores[n];
    pullStarted[p] = now;
    if (!buckets.tryAccept(n, now / 1000)) {
      // ErrImagePull at once ("pull QPS exceeded"); each pod retries after its back-off.
      c.qpsRejections++;
      pulling[n].delete(img);
      forWaiters(p, (pod) => q.push(now + ms(pullBackoff(++podFailures[pod])), RETRY, pod));
      return;
    }
    const present = store.hasImage(img);
    const effect = store.plan(img);
    if (!present && store.diskUsed() + effect.diskGrowth > nodes[n].disk) {
      pulling[n].delete(img);
      forWaiters(p, (pod) => failPod(pod, 1));
      return;
    }
    if (!present) store.pull(img, now / 1000, effect);
    const d = store.diskUsed();
    if (d > c.nodes[n].peakDisk) c.nodes[n].peakDisk = d;
    if (++active[n] > c.nodes[n].peakPulls) c.nodes[n].peakPulls = active[n];
    c.pulls++;
    c.nodes[n].pulls++;
    c.nodes[n].bytesPulled += effect.downloadBytes;
    pullBytes[p] = effect.downloadBytes;
    const ready = net.pull(n, now / 1000, effect, present);
    q.push(Math.max(now, ms(ready)), PULL_DONE, p);
  };
  const pullDone = (p: number, now: number): void => {
    const n = pullNode[p];
    const img = pullImage[p];
    active[n]--;
    pulling[n].delete(img);
    if (!firstDetected[n].has(img)) firstDetected[n].set(img, Math.ceil(now / period) * period);
    status.add(n, img);
    let first = true;
    forWaiters(p, (pod) => {
      const from = Math.max(pullQueued[p], ms(podWaitFrom[pod]));
      pods.queueWait[pod] = Math.max(0, pullStarted[p] - from) / 1000;
      pods.pullTime[pod] = (now - Math.max(pullStarted[p], from)) / 1000;
      if (first) pods.bytes[pod] = pullBytes[p];
      first = false;
      startPod(pod, now);
    });
    startPulls(n, now);
  };
  const podEnd = (pod: number, now: number): void => {
    const n = pods.node[pod];
    const img = pods.image[pod];
    stores[n].containerStop(img, now / 1000);
    rebind(sched, n, -1);
    // The kubelet marks lastUsed at each detection (every period) that sees a container running.
    const seen = (Math.ceil(now / period) - 1) * period;
    if (seen >= ms(pods.start[pod]) && seen > (lastUsed[n].get(img) ?? -Infinity)) lastUsed[n].set(img, seen);
  };
  const series: SimSeries = { t: [], diskUsed: [], bytesPulled: [], registryEgress: [] };
  const sample = (now: number): void => {
    let disk = 0;
    let pulled = 0;
    for (let n = 0; n < N; n++) {
      disk += stores[n].diskUsed();
      pulled += c.nodes[n].bytesPulled;
    }
    series.t.push(now / 1000);
    series.diskUsed.push(disk);
    series.bytesPulled.push(pulled);
    series.registryEgress.push(net.registryEgress);
  };
  const gcTick = (now: number): void => {
    sample(now);
    for (let n = 0; n < N; n++) {
      const store = stores[n];
      if (timeline) timeline.push([now / 1000, n, store.diskUsed()]);
      const cap = nodes[n].disk;
      if (!Number.isFinite(cap)) continue;
      const usage = 100 - Math.trunc(((cap - store.diskUsed()) * 100) / cap);
      if (usage < k.imageGCHighThresholdPercent && !(k.imageMaximumGCAge > 0)) continue;
      const candidates: GcCandidate[] = [];
      let present: number[] | undefined;
      const listable = (): number[] => (present ??= store.images().filter((i) => !pulling[n].has(i) && store.hasImage(i)));
      for (const img of store.images()) {
        const detected = firstDetected[n].get(img);
        if (store.inUse(img) || pulling[n].has(img) || detected === undefined) continue;
        candidates.push({ image: img, size: store.imageSize(img), lastUsed: (lastUsed[n].get(img) ?? -Infinity) / 1000, firstDetected: detected / 1000 });
      }
      const stat = c.nodes[n];
      const decision = garbageCollect(k, now / 1000, 0, candidates, cap, () => cap - store.diskUsed(), (img) => {
        const freed = store.rmi(img);
        firstDetected[n].delete(img);
        lastUsed[n].delete(img);
        status.remove(n, img, () => listable().filter((i) => store.hasImage(i)));
        stat.imagesRemoved++;
        stat.gcBytesFreed += freed;
        stat.gcBytesBelieved += store.imageSize(img);
        return freed;
      }, cfg.gc === 'layer-aware' ? (img) => store.freeable(img) : undefined);
      if (decision.amountToFree > 0) stat.gcRuns++;
      if (decision.failed) c.gcFailures++;
    }
  };

  let nextArrival = 0;
  let nextTick = period;
  const ev = [0, 0, 0, 0];
  let lastProgress = 0;
  let lastEvent = 0;
  for (;;) {
    const tArr = nextArrival < P ? ms(w.t[nextArrival]) : Infinity;
    const tq = q.peekTime();
    const pendingWork = nextArrival < P || q.length > 0;
    if (!pendingWork) break;
    const tNext = Math.min(tArr, tq);
    if (nextTick < tNext) {
      // GC_TICK sorts after every other kind: at an equal tick the others run first.
      gcTick(nextTick);
      nextTick += period;
      continue;
    }
    if (tArr < tq) {
      // ARRIVE sorts after PULL_DONE, POD_END and RETRY of the same tick.
      const pod = nextArrival++;
      const n = w.node[pod] >= 0 ? w.node[pod] : pickNode(cfg.scheduler, cfg.percentageOfNodesToScore, sched, pods.image[pod]);
      pods.node[pod] = n;
      rebind(sched, n, 1);
      podWaitFrom[pod] = w.t[pod];
      ensureImage(pod, tArr);
      if (cfg.progress && nextArrival - lastProgress >= 65536) {
        lastProgress = nextArrival;
        cfg.progress(nextArrival / P);
      }
      continue;
    }
    q.pop(ev);
    const [now, kind, a] = ev;
    lastEvent = now;
    if (kind === PULL_DONE) pullDone(a, now);
    else if (kind === POD_END) podEnd(a, now);
    else if (kind === RETRY) {
      podWaitFrom[a] = now / 1000;
      ensureImage(a, now);
    }
  }
  for (let pod = 0; pod < P; pod++) if (pods.start[pod] < 0 && pods.failure[pod] === 0) pods.failure[pod] = 2;
  if (!series.t.length || lastEvent / 1000 > series.t[series.t.length - 1]) sample(lastEvent);
  return { ...summarize(c, stores, net, pods, timeline), series };
}

/** Bytes of each image when nothing is present: config plus every distinct blob. */
function fullSizes(u: SimConfig['universe']): Float64Array {
  const out = new Float64Array(u.imageCount);
  for (let i = 0; i < u.imageCount; i++) {
    const seen = new Set<number>();
    let s = u.imageConfigSize[i];
    for (let r = u.imageLayerStart[i]; r < u.imageLayerStart[i + 1]; r++) if (!seen.has(u.refBlob[r])) {
      seen.add(u.refBlob[r]);
      s += u.blobSize[u.refBlob[r]];
    }
    out[i] = s;
  }
  return out;
}
