// The scenario file: parsed strictly, every error naming the JSON path, every default the
// Kubernetes/Docker one. Loading the images and trace files is the caller's (the CLI's) part;
// this module stays pure: it turns the parsed document plus loaded inputs into a SimConfig.
import { LayerlabError } from '../errors.js';
import { parseHumanSize, parseRate } from '../render/units.js';
import { KUBELET_DEFAULTS, type KubeletConfig } from './kubelet.js';
import type { SchedulerSpec, ScorePlugin } from './scheduler.js';
import type { DistributionSpec, GcPolicy, NodeSpec, PullPolicy } from './types.js';
import type { GeneratorSpec, WaveSpec } from './workload.js';

/** The scenario with every default filled in, before images and traces are loaded. */
export interface Scenario {
  images: { source: string } | { synthetic: number; seed: number };
  nodes: NodeSpec[];
  kubelet: KubeletConfig;
  gc: GcPolicy;
  scheduler: SchedulerSpec;
  percentageOfNodesToScore: number;
  distribution: DistributionSpec;
  imagePullPolicy?: PullPolicy;
  workload: { trace: string } | { ibmTrace: string; podDuration: number } | GeneratorSpec;
  seed: number;
}

type Obj = Record<string, unknown>;
const bad = (file: string, path: string, what: string) => new LayerlabError('EINPUT', what, { file, path });

function obj(v: unknown, file: string, path: string, keys: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(file, path, 'expected an object');
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw bad(file, `${path}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
  return v as Obj;
}

/** Bytes: a number, or a string as Docker parses sizes (decimal: 1GB = 10^9); "unlimited" where allowed. */
export function sizeField(v: unknown, file: string, path: string, unlimited = false): number {
  if (unlimited && v === 'unlimited') return Infinity;
  if (typeof v === 'number' && v >= 0 && Number.isFinite(v)) return v;
  const n = typeof v === 'string' ? parseHumanSize(v) : undefined;
  if (n === undefined) throw bad(file, path, `expected a size in bytes or like "100GB"${unlimited ? ' or "unlimited"' : ''}`);
  return n;
}

/** Seconds: a number, or a Go duration like "2m", "5m", "1h30m", "500ms". */
export function durationField(v: unknown, file: string, path: string): number {
  if (typeof v === 'number' && v >= 0 && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^(\d+(\.\d+)?(h|m|s|ms))+$/.test(v)) {
    let s = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) s += Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 0.001 }[m[2] as 'h']!;
    return s;
  }
  throw bad(file, path, 'expected seconds or a duration like "2m", "1h30m"');
}

function numField(v: unknown, file: string, path: string, min: number, max: number, integer = true): number {
  if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) throw bad(file, path, `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  return v;
}

function rateField(v: unknown, file: string, path: string): number {
  if (typeof v === 'number' && v > 0) return v;
  const r = typeof v === 'string' ? parseRate(v) : undefined;
  if (r === undefined) throw bad(file, path, 'expected bytes per second or a rate like "1Gbit", "100MB/s"');
  return r;
}

const NODE_KEYS = ['name', 'count', 'disk', 'runtime', 'bandwidth', 'latency', 'concurrentDownloads', 'extractRate', 'discardUnpackedLayers', 'cpu', 'memory'] as const;

function parseNodes(v: unknown, file: string): NodeSpec[] {
  const groups = Array.isArray(v) ? v : [v ?? {}];
  const out: NodeSpec[] = [];
  groups.forEach((g, gi) => {
    const path = Array.isArray(v) ? `$.nodes[${gi}]` : '$.nodes';
    const o = obj(g, file, path, NODE_KEYS);
    const count = o.count === undefined ? 1 : numField(o.count, file, `${path}.count`, 1, 1_000_000);
    const runtime = o.runtime ?? 'docker';
    if (runtime !== 'docker' && runtime !== 'containerd') throw bad(file, `${path}.runtime`, 'expected "docker" or "containerd"');
    if (o.name !== undefined && typeof o.name !== 'string') throw bad(file, `${path}.name`, 'expected a string');
    const base: Omit<NodeSpec, 'name'> = {
      runtime,
      disk: o.disk === undefined ? 100e9 : sizeField(o.disk, file, `${path}.disk`, true),
      bandwidth: o.bandwidth === undefined ? 125e6 : rateField(o.bandwidth, file, `${path}.bandwidth`),
      latency: o.latency === undefined ? 0.02 : durationField(o.latency, file, `${path}.latency`),
      concurrentDownloads: o.concurrentDownloads === undefined ? 3 : numField(o.concurrentDownloads, file, `${path}.concurrentDownloads`, 1, 1000),
      extractRate: o.extractRate === undefined ? 0 : rateField(o.extractRate, file, `${path}.extractRate`),
      discardUnpackedLayers: o.discardUnpackedLayers === undefined ? false : o.discardUnpackedLayers === true,
      cpu: o.cpu === undefined ? 8000 : Math.round(numField(o.cpu, file, `${path}.cpu`, 0.001, 1e6, false) * 1000),
      memory: o.memory === undefined ? 32e9 : sizeField(o.memory, file, `${path}.memory`),
    };
    const name = (o.name as string | undefined) ?? (count === 1 && !Array.isArray(v) ? 'node' : 'node');
    for (let i = 0; i < count; i++) out.push({ name: count === 1 && o.name ? name : `${name}${out.length + 1}`, ...base });
  });
  const seen = new Set<string>();
  out.forEach((n) => {
    if (seen.has(n.name)) throw bad(file, '$.nodes', `two nodes named ${n.name}`);
    seen.add(n.name);
  });
  return out;
}

const KUBELET_KEYS = Object.keys(KUBELET_DEFAULTS);

function parseKubelet(v: unknown, file: string): KubeletConfig {
  const o = obj(v ?? {}, file, '$.kubelet', KUBELET_KEYS);
  const k = { ...KUBELET_DEFAULTS };
  const p = (f: string) => `$.kubelet.${f}`;
  if (o.imageGCHighThresholdPercent !== undefined) k.imageGCHighThresholdPercent = numField(o.imageGCHighThresholdPercent, file, p('imageGCHighThresholdPercent'), 0, 100);
  if (o.imageGCLowThresholdPercent !== undefined) k.imageGCLowThresholdPercent = numField(o.imageGCLowThresholdPercent, file, p('imageGCLowThresholdPercent'), 0, 100);
  if (k.imageGCLowThresholdPercent > k.imageGCHighThresholdPercent) throw bad(file, p('imageGCLowThresholdPercent'), 'must not be above imageGCHighThresholdPercent (the kubelet refuses it)');
  for (const f of ['imageMinimumGCAge', 'imageMaximumGCAge', 'imageGCPeriod'] as const) if (o[f] !== undefined) k[f] = durationField(o[f], file, p(f));
  if (!(k.imageGCPeriod > 0)) throw bad(file, p('imageGCPeriod'), 'must be above 0');
  if (o.maxParallelImagePulls !== undefined) k.maxParallelImagePulls = numField(o.maxParallelImagePulls, file, p('maxParallelImagePulls'), 1, 1e6);
  // defaults.go: serializeImagePulls defaults to true unless maxParallelImagePulls >= 2.
  k.serializeImagePulls = !(k.maxParallelImagePulls >= 2);
  if (o.serializeImagePulls !== undefined) {
    if (typeof o.serializeImagePulls !== 'boolean') throw bad(file, p('serializeImagePulls'), 'expected true or false');
    if (o.serializeImagePulls && k.maxParallelImagePulls >= 2) throw bad(file, p('serializeImagePulls'), 'true is invalid with maxParallelImagePulls >= 2 (the kubelet refuses it)');
    k.serializeImagePulls = o.serializeImagePulls;
  }
  if (o.registryPullQPS !== undefined) k.registryPullQPS = numField(o.registryPullQPS, file, p('registryPullQPS'), 0, 1e9, false);
  if (o.registryBurst !== undefined) k.registryBurst = numField(o.registryBurst, file, p('registryBurst'), 0, 1e9);
  return k;
}

const PLUGINS: readonly ScorePlugin[] = ['image-locality', 'least-allocated', 'layer-aware'];

/** `"random"`, `"round-robin"`, a plugin name, or `{plugin: weight, ...}`; default: kube-scheduler's LeastAllocated + ImageLocality, weight 1 each. */
export function parseScheduler(v: unknown, file: string, path = '$.scheduler'): SchedulerSpec {
  if (v === undefined || v === 'default') return { kind: 'score', weights: [['least-allocated', 1], ['image-locality', 1]] };
  if (v === 'random' || v === 'round-robin') return { kind: v };
  if (typeof v === 'string' && (PLUGINS as readonly string[]).includes(v)) return { kind: 'score', weights: [[v as ScorePlugin, 1]] };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = obj(v, file, path, PLUGINS);
    const weights = Object.entries(o).map(([p, w]) => [p as ScorePlugin, numField(w, file, `${path}.${p}`, 0, 1e6, false)] as [ScorePlugin, number]);
    if (!weights.length) throw bad(file, path, 'expected at least one plugin weight');
    return { kind: 'score', weights };
  }
  throw bad(file, path, `expected "random", "round-robin", "default", one of ${PLUGINS.join(', ')}, or {plugin: weight}`);
}

function parseWorkload(v: unknown, file: string): Scenario['workload'] {
  const o = obj(v, file, '$.workload', ['trace', 'ibmTrace', 'pods', 'span', 'zipf', 'podDuration', 'waves']);
  if (o.trace !== undefined) {
    if (typeof o.trace !== 'string') throw bad(file, '$.workload.trace', 'expected a file name');
    return { trace: o.trace };
  }
  const podDuration = o.podDuration === undefined ? 600 : durationField(o.podDuration, file, '$.workload.podDuration');
  if (o.ibmTrace !== undefined) {
    if (typeof o.ibmTrace !== 'string') throw bad(file, '$.workload.ibmTrace', 'expected a file name');
    return { ibmTrace: o.ibmTrace, podDuration };
  }
  if (o.pods === undefined) throw bad(file, '$.workload', 'expected "trace", "ibmTrace", or a generator with "pods"');
  const wavesRaw = o.waves ?? [];
  if (!Array.isArray(wavesRaw)) throw bad(file, '$.workload.waves', 'expected an array');
  const waves: WaveSpec[] = wavesRaw.map((w, i) => {
    const p = `$.workload.waves[${i}]`;
    const x = obj(w, file, p, ['at', 'image', 'newLayers', 'layerSize', 'pods', 'over']);
    if (typeof x.image !== 'string') throw bad(file, `${p}.image`, 'expected an image reference');
    return {
      at: durationField(x.at ?? 0, file, `${p}.at`),
      image: x.image,
      newLayers: numField(x.newLayers ?? 1, file, `${p}.newLayers`, 0, 1000),
      layerSize: sizeField(x.layerSize ?? '50MB', file, `${p}.layerSize`),
      pods: numField(x.pods ?? 100, file, `${p}.pods`, 0, 1e8),
      over: durationField(x.over ?? '10m', file, `${p}.over`),
    };
  });
  return {
    pods: numField(o.pods, file, '$.workload.pods', 0, 1e8),
    span: o.span === undefined ? 86400 : durationField(o.span, file, '$.workload.span'),
    zipf: o.zipf === undefined ? 1 : numField(o.zipf, file, '$.workload.zipf', 0, 10, false),
    podDuration,
    waves,
  };
}

const TOP_KEYS = ['images', 'nodes', 'kubelet', 'gc', 'scheduler', 'percentageOfNodesToScore', 'distribution', 'imagePullPolicy', 'workload', 'seed', '$comment'];

/** Parses a scenario document (already JSON-parsed) from `file`. */
export function parseScenario(doc: unknown, file: string): Scenario {
  const o = obj(doc, file, '$', TOP_KEYS);
  let images: Scenario['images'];
  if (typeof o.images === 'string') images = { source: o.images };
  else if (typeof o.images === 'object' && o.images !== null) {
    const i = obj(o.images, file, '$.images', ['synthetic', 'seed']);
    images = { synthetic: numField(i.synthetic, file, '$.images.synthetic', 1, 5_000_000), seed: i.seed === undefined ? 1 : numField(i.seed, file, '$.images.seed', 0, 2 ** 32 - 1) };
  } else throw bad(file, '$.images', 'expected a SOURCE (path relative to the scenario) or {"synthetic": N}');
  const gc = o.gc ?? 'kubelet';
  if (gc !== 'kubelet' && gc !== 'layer-aware') throw bad(file, '$.gc', 'expected "kubelet" or "layer-aware"');
  const policy = o.imagePullPolicy;
  if (policy !== undefined && policy !== 'IfNotPresent' && policy !== 'Always') throw bad(file, '$.imagePullPolicy', 'expected "IfNotPresent" or "Always"');
  const d = obj(o.distribution ?? {}, file, '$.distribution', ['registryEgress', 'mirror', 'peerToPeer']);
  if (d.peerToPeer !== undefined && typeof d.peerToPeer !== 'boolean') throw bad(file, '$.distribution.peerToPeer', 'expected true or false');
  return {
    images,
    nodes: parseNodes(o.nodes, file),
    kubelet: parseKubelet(o.kubelet, file),
    gc,
    scheduler: parseScheduler(o.scheduler, file),
    percentageOfNodesToScore: o.percentageOfNodesToScore === undefined ? 0 : numField(o.percentageOfNodesToScore, file, '$.percentageOfNodesToScore', 0, 100),
    distribution: {
      registryEgress: d.registryEgress === undefined ? 0 : rateField(d.registryEgress, file, '$.distribution.registryEgress'),
      mirrorCapacity: d.mirror === undefined ? 0 : sizeField(d.mirror, file, '$.distribution.mirror'),
      peerToPeer: d.peerToPeer === true,
    },
    ...(policy ? { imagePullPolicy: policy } : {}),
    workload: parseWorkload(o.workload, file),
    seed: o.seed === undefined ? 1 : numField(o.seed, file, '$.seed', 0, 2 ** 32 - 1),
  };
}
