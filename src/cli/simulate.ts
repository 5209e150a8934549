import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LayerlabError, quote } from '../errors.js';
import { renderComparison, renderSimulation, simulationJson } from '../render/simulate.js';
import { parseJsonStrict } from '../sources/json-strict.js';
import { loadSources } from '../sources/load.js';
import { syntheticGraph } from '../sources/synthetic.js';
import { simulate } from '../simulate/engine.js';
import { convertIbmTrace, parseIbmTrace } from '../simulate/ibm.js';
import { parseScenario, type Scenario } from '../simulate/scenario.js';
import type { SimConfig, SimResult, Workload } from '../simulate/types.js';
import { addGraph, UniverseBuilder } from '../simulate/universe.js';
import { addWaves, generate, parseTrace, traceWorkload } from '../simulate/workload.js';
import { formatOption } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

/** Loads what a scenario names (images, trace files; paths relative to the scenario) into a run. */
export async function loadScenario(s: Scenario, file: string): Promise<{ config: SimConfig; podNames?: (string | undefined)[] }> {
  const at = (p: string) => (isAbsolute(p) || p.includes('://') ? p : resolve(dirname(file), p));
  const b = new UniverseBuilder();
  if ('source' in s.images) addGraph(b, (await loadSources([at(s.images.source)])).graph);
  else addGraph(b, syntheticGraph({ images: s.images.synthetic, seed: s.images.seed }));
  let nodes = s.nodes;
  let workload: Workload;
  const wl = s.workload;
  if ('trace' in wl) {
    const events = parseTrace(readText(at(wl.trace)), wl.trace);
    const names = new Map(nodes.map((n, i) => [n.name, i]));
    workload = traceWorkload(events, (ref) => b.imageId(ref), (n) => names.get(n), wl.trace);
  } else if ('ibmTrace' in wl) {
    const pulls = convertIbmTrace(parseIbmTrace(readText(at(wl.ibmTrace)), wl.ibmTrace), b);
    const clients = [...new Set(pulls.map((p) => p.client))];
    nodes = clients.map((c) => ({ ...s.nodes[0], name: c }));
    const idx = new Map(clients.map((c, i) => [c, i]));
    workload = { t: Float64Array.from(pulls, (p) => p.t), image: Int32Array.from(pulls, (p) => p.image), duration: new Float64Array(pulls.length).fill(wl.podDuration), node: Int32Array.from(pulls, (p) => idx.get(p.client)!) };
  } else {
    const catalog = b.imageCount;
    const waves = addWaves(b, wl.waves, (k) => `$.workload.waves[${k}]`);
    workload = generate(wl, catalog, waves, s.seed);
  }
  const config: SimConfig = { universe: b.build(), nodes, kubelet: s.kubelet, gc: s.gc, scheduler: s.scheduler, percentageOfNodesToScore: s.percentageOfNodesToScore, distribution: s.distribution, ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}), workload, seed: s.seed };
  return { config, ...(workload.names ? { podNames: workload.names } : {}) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read: ${(e as Error).message}`, { file: path });
  }
}

/** Sets a dotted `key` (e.g. `kubelet.imageGCHighThresholdPercent`) in a copy of the scenario document. */
function withValue(doc: unknown, key: string, raw: string): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare word stays a string
  }
  const parts = key.split('.');
  let o = copy;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
  return copy;
}

/**
 * The values of `--compare KEY=...`: a JSON array (each element a value; objects such as a weighted
 * scheduler kept whole, shown as compact JSON), else comma-separated words or JSON scalars.
 */
export function compareValues(list: string): string[] {
  if (!list.trimStart().startsWith('[')) return list.split(',');
  let parsed: unknown;
  try {
    parsed = JSON.parse(list);
  } catch (e) {
    throw usageError(`--compare: the values are not a JSON array (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw usageError('--compare: expected a non-empty JSON array of values');
  return parsed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

export const simulateCommand = defineCommand(
  {
    name: 'simulate',
    summary: 'Simulate a fleet pulling, running and garbage-collecting images over time',
    description: `Run SCENARIO.json: nodes that pull images by their runtime's rule (docker: layers present by
chainID are "Already exists"; containerd: snapshot present, blob present = unpack only), the
kubelet's puller (serializeImagePulls, maxParallelImagePulls, registryPullQPS/registryBurst,
back-off to 300 s) and image GC (image_gc_manager.go), a scheduler (kube-scheduler's
LeastAllocated + ImageLocality by default), a workload (generated or a trace), and what-ifs
(registry egress cap, a mirror, peer-to-peer). The README documents every scenario field.
Same scenario and seed give byte-identical output.`,
    positionals: [{ name: 'SCENARIO.json' }],
    options: {
      seed: { type: 'number', value: 'S', description: 'PRNG seed (overrides the scenario\'s)', min: 0, max: 2 ** 32 - 1 },
      compare: { type: 'string', value: 'KEY=V1,V2,...', description: 'run once per value of a scenario key (dotted path) on the same seeded workload; one table. Values: comma-separated, or a JSON array (KEY=["a",{"b":1}]) for objects' },
      format: formatOption(['table', 'json'], { json: 'totals, per node and per pod (seconds, bytes)' }),
      timeline: { type: 'string', value: 'FILE.csv', description: 'write each node\'s disk use at every GC period' },
    },
  },
  async ({ values, positionals }, io) => {
    const file = positionals[0];
    if (file === undefined) throw usageError('simulate needs SCENARIO.json; see layerlab simulate --help');
    const doc = parseJsonStrict(readText(file), file);
    const runs: Array<{ value: string; doc: unknown }> = [];
    let key = '';
    if (values.compare !== undefined) {
      const eq = values.compare.indexOf('=');
      if (eq <= 0 || eq === values.compare.length - 1) throw usageError(`--compare takes KEY=V1,V2,... (got ${quote(values.compare)})`);
      key = values.compare.slice(0, eq);
      for (const v of compareValues(values.compare.slice(eq + 1))) runs.push({ value: v, doc: withValue(doc, key, v) });
    } else runs.push({ value: '', doc });
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    const results: Array<{ value: string; result: SimResult; names: string[]; refs: readonly string[]; podNames?: (string | undefined)[] }> = [];
    for (const run of runs) {
      const scenario = parseScenario(run.doc, file);
      if (values.seed !== undefined) scenario.seed = values.seed;
      const { config, podNames } = await loadScenario(scenario, file);
      config.timeline = values.timeline !== undefined && runs.length === 1;
      if (tty) config.progress = (f) => io.stderr(`\r${run.value ? run.value + ' ' : ''}[${'#'.repeat(Math.round(f * 30)).padEnd(30)}] ${Math.round(f * 100)}%`);
      const result = simulate(config);
      if (tty) io.stderr('\r\x1b[K');
      results.push({ value: run.value, result, names: config.nodes.map((n) => n.name), refs: config.universe.imageRef, ...(podNames ? { podNames } : {}) });
    }
    if (values.timeline !== undefined) {
      const r = results[0];
      const lines = ['t,node,disk', ...(r.result.timeline ?? []).map(([t, n, d]) => `${t},${r.names[n]},${d}`)];
      writeFileSync(values.timeline, lines.join('\n') + '\n');
    }
    if (runs.length > 1) {
      if (values.format === 'json') io.stdout(JSON.stringify({ compare: key, runs: results.map((x) => ({ value: x.value, totals: x.result.totals })) }, null, 2) + '\n');
      else io.stdout(renderComparison(key, results));
      return 0;
    }
    const r = results[0];
    if (values.format === 'json') io.stdout(JSON.stringify(simulationJson(r.result, r.names, r.refs, r.podNames), null, 2) + '\n');
    else io.stdout(renderSimulation(r.result));
    return 0;
  },
);
