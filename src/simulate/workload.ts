// Workloads: generated (Zipf-popular images, Poisson arrivals, exponential durations, deployment
// waves) and replayed (layerlab's JSON-lines trace; IBM's registry trace format as pulls per client).
import { LayerlabError } from '../errors.js';
import { prng } from '../sources/synthetic.js';
import type { UniverseBuilder } from './universe.js';
import type { Workload } from './types.js';

/** A deployment wave: a new tag of `image` (new top layers on its old base) rolled out over `pods` pods. */
export interface WaveSpec {
  /** Seconds from the start. */
  at: number;
  /** Reference of the base image (a universe image). */
  image: string;
  /** Top layers replaced by new ones. */
  newLayers: number;
  /** Compressed bytes of each new layer (uncompressed: the same times `ratio`). */
  layerSize: number;
  pods: number;
  /** Seconds the rollout takes (pods evenly spaced). */
  over: number;
}

export interface GeneratorSpec {
  pods: number;
  /** Seconds the arrivals span. */
  span: number;
  zipf: number;
  /** Mean pod run time, seconds (exponential). */
  podDuration: number;
  waves: WaveSpec[];
}

/** Adds the waves' new tags to the universe; returns their image ids, in wave order. */
export function addWaves(b: UniverseBuilder, waves: readonly WaveSpec[], where: (i: number) => string): number[] {
  return waves.map((w, k) => {
    const base = b.imageId(w.image);
    if (base === undefined) throw new LayerlabError('EINPUT', `no image ${w.image} in the catalog`, { path: `${where(k)}.image` });
    const blobs = b.blobsOf(base);
    const keep = blobs.slice(0, Math.max(0, blobs.length - w.newLayers));
    for (let j = 0; j < w.newLayers; j++) keep.push(b.blob(`wave${k}-layer${j}`, w.layerSize, `wave${k}-diff${j}`, w.layerSize));
    const repo = w.image.includes(':') ? w.image.slice(0, w.image.lastIndexOf(':')) : w.image;
    return b.image(`${repo}:wave${k + 1}`, 1500, keep);
  });
}

/** Pods of a generated workload, in arrival order. `images` are the catalog ids eligible (waves excluded). */
export function generate(spec: GeneratorSpec, images: number, waveImages: number[], seed: number): Workload {
  const rnd = prng(seed ^ 0x5eed);
  // Zipf over a seeded random ranking of the catalog.
  const rank = Int32Array.from({ length: images }, (_, i) => i);
  for (let i = images - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [rank[i], rank[j]] = [rank[j], rank[i]];
  }
  const cdf = new Float64Array(images);
  let acc = 0;
  for (let r = 0; r < images; r++) cdf[r] = acc += 1 / (r + 1) ** spec.zipf;
  const rows: Array<[number, number]> = [];
  let t = 0;
  const mean = spec.span / Math.max(1, spec.pods);
  for (let p = 0; p < spec.pods; p++) {
    t += -Math.log(1 - rnd()) * mean;
    const x = rnd() * acc;
    let lo = 0;
    let hi = images - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    rows.push([t, rank[lo]]);
  }
  spec.waves.forEach((w, k) => {
    for (let j = 0; j < w.pods; j++) rows.push([w.at + (w.pods > 1 ? (w.over * j) / (w.pods - 1) : 0), waveImages[k]]);
  });
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const n = rows.length;
  const out: Workload = { t: new Float64Array(n), image: new Int32Array(n), duration: new Float64Array(n), node: new Int32Array(n).fill(-1) };
  for (let p = 0; p < n; p++) {
    out.t[p] = Math.round(rows[p][0] * 1000) / 1000;
    out.image[p] = rows[p][1];
    out.duration[p] = Math.max(0.001, Math.round(-Math.log(1 - rnd()) * spec.podDuration * 1000) / 1000);
  }
  return out;
}

/** One event of a replay trace. */
export interface TraceEvent {
  t: number;
  image: string;
  duration: number;
  node?: string;
  pod?: string;
}

/** Parses layerlab's JSON-lines trace; errors name the file and line. */
export function parseTrace(text: string, file: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new LayerlabError('EINPUT', 'not a JSON object', { file, line: i + 1 });
    }
    const o = v as Record<string, unknown>;
    const bad = (what: string) => new LayerlabError('EINPUT', what, { file, line: i + 1 });
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('expected an object {"t", "image", "duration", "node"?, "pod"?}');
    if (typeof o.t !== 'number' || !(o.t >= 0)) throw bad('"t": expected seconds >= 0');
    if (typeof o.image !== 'string' || !o.image) throw bad('"image": expected an image reference');
    if (typeof o.duration !== 'number' || !(o.duration >= 0)) throw bad('"duration": expected seconds >= 0');
    if (o.node !== undefined && typeof o.node !== 'string') throw bad('"node": expected a node name');
    if (o.pod !== undefined && typeof o.pod !== 'string') throw bad('"pod": expected a pod name');
    if (out.length && o.t < out[out.length - 1].t) throw bad('"t": events must be in time order');
    out.push({ t: o.t, image: o.image, duration: o.duration, ...(o.node !== undefined ? { node: o.node as string } : {}), ...(o.pod !== undefined ? { pod: o.pod as string } : {}) });
  });
  return out;
}

/** A trace as a workload over the universe's images and the scenario's node names. */
export function traceWorkload(events: TraceEvent[], imageId: (ref: string) => number | undefined, nodeId: (name: string) => number | undefined, file: string): Workload {
  const n = events.length;
  const w: Workload = { t: new Float64Array(n), image: new Int32Array(n), duration: new Float64Array(n), node: new Int32Array(n), names: [] };
  events.forEach((e, i) => {
    const img = imageId(e.image);
    if (img === undefined) throw new LayerlabError('EINPUT', `"image": ${e.image} is not in the scenario's images`, { file, line: i + 1 });
    const node = e.node === undefined ? -1 : nodeId(e.node);
    if (node === undefined) throw new LayerlabError('EINPUT', `"node": no node named ${e.node} in the scenario`, { file, line: i + 1 });
    w.t[i] = e.t;
    w.image[i] = img;
    w.duration[i] = e.duration;
    w.node[i] = node;
    w.names!.push(e.pod);
  });
  return w;
}
