import { closeSync, createReadStream, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LayerlabError, quote } from '../errors.js';
import { gapNotes, renderComparison, renderSimulation, simulationJson, timelineCsv } from '../render/simulate.js';
import { readBounded } from '../sources/bounded.js';
import { parseJsonStrict } from '../sources/json-strict.js';
import { scanSourceLayers, type LayerScanProgress } from '../sources/layer-contents.js';
import { loadSource, probe } from '../sources/load.js';
import { compressionOf, forEachTarEntry, sizeVisitor } from '../sources/tar.js';
import type { ImageGraph } from '../model/graph.js';
import { syntheticGraph } from '../sources/synthetic.js';
import { simulate } from '../simulate/engine.js';
import { convertIbmTrace, parseIbmTrace } from '../simulate/ibm.js';
import { parseScenario, type Scenario } from '../simulate/scenario.js';
import type { SimConfig, SimResult, Workload } from '../simulate/types.js';
import { addGraph, UniverseBuilder, type KnownSizes } from '../simulate/universe.js';
import { addWaves, generate, parseTrace, traceWorkload } from '../simulate/workload.js';
import { formatOption, notesFor, writeNotes, type ShownNote } from './common.js';
import { writeAtomically } from './generate.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

/** A scenario's images SOURCE loaded once, with the sizes the graph lacks measured or read beside it. */
export interface ScenarioImages {
  graph: ImageGraph;
  known: KnownSizes;
  /** The source's own notes that bear on a simulation (images left out, layer bytes). */
  notes: ShownNote[];
}

/** Where loadScenario finds relative paths, reports measuring progress, and keeps loaded images between runs. */
export interface LoadScenarioOptions {
  /** Folder relative paths are resolved in (default: the scenario file's). */
  dir?: string;
  /** Called while layers are measured (`done` of `total`). */
  progress?: (done: number, total: number) => void;
  /** Images already loaded, by resolved SOURCE (the runs of --compare load each SOURCE once). */
  cache?: Map<string, Promise<ScenarioImages>>;
}

/** Source kinds whose blobs hold layer bytes to measure. */
const MEASURABLE = new Set(['registry', 'oci-layout', 'oci-archive', 'docker-archive', 'data-root']);

/**
 * Loads SOURCE for a simulation: layers whose uncompressed size the source does not say (registry://
 * knows only blob sizes) are measured from its blobs, each distinct layer read once; config sizes
 * come from the manifests (registry, OCI), a data root's config files, or the config blob itself
 * (docker save).
 */
export async function loadScenarioImages(arg: string, progress?: (done: number, total: number) => void): Promise<ScenarioImages> {
  const src = await loadSource(arg);
  const g = src.graph;
  const layerSize = new Map<number, number>();
  const unknown = [...new Set(g.stackLayer)].filter((l) => !(g.layerSize[l] >= 0));
  if (unknown.length && src.blobs && MEASURABLE.has(src.kind)) {
    const measured = new Map<number, ReturnType<typeof sizeVisitor>>();
    await scanSourceLayers(
      src,
      (l) => {
        const v = sizeVisitor();
        measured.set(l.index, v);
        return [v];
      },
      { layers: unknown, ...(progress ? { onProgress: (p: LayerScanProgress) => progress(p.done, p.total) } : {}) },
    );
    for (const [l, v] of measured) layerSize.set(l, v.size);
  }
  const configSize = new Map<string, number>(src.configSizes ?? []);
  for (const img of src.registryImages ?? []) if (img.config.size !== undefined) configSize.set(img.config.digest, img.config.size);
  if (src.kind === 'docker-archive') for (const [id, n] of await archiveConfigSizes(arg, g.images.map((m) => m.id))) if (!configSize.has(id)) configSize.set(id, n);
  for (const meta of g.images) {
    if (!configSize.has(meta.id) && src.blobs?.has(meta.id)) configSize.set(meta.id, await byteLength(await src.blobs.open(meta.id)));
  }
  return { graph: g, known: { layerSize, configSize }, notes: notesFor([src], ['image-set', 'layer-bytes']) };
}

/**
 * The size of each config a `docker save` archive holds under its digest's name (`blobs/sha256/HEX`,
 * or `HEX.json` before Docker 25), from one pass over the entry headers: opening each through the
 * archive's blobs would read the archive up to it once per image.
 */
async function archiveConfigSizes(file: string, ids: readonly string[]): Promise<Map<string, number>> {
  const byName = new Map<string, string>();
  for (const id of ids) {
    const hex = id.replace(/^sha256:/, '');
    byName.set(`blobs/sha256/${hex}`, id);
    byName.set(`${hex}.json`, id);
  }
  const out = new Map<string, number>();
  const raw = createReadStream(file);
  const input = compressionOf(probe(file).head) === 'gzip' ? raw.pipe(createGunzip()) : raw;
  await forEachTarEntry(input, file, async (h) => {
    const id = byName.get(h.name.replace(/^\.\//, ''));
    if (id !== undefined && h.size !== undefined) out.set(id, h.size);
  });
  return out;
}

async function byteLength(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}

/** Loads what a scenario names (images, trace files; paths relative to the scenario) into a run; `notes` says what stood in for unknown sizes. */
export async function loadScenario(s: Scenario, file: string, opts: LoadScenarioOptions = {}): Promise<{ config: SimConfig; podNames?: (string | undefined)[]; notes: ShownNote[] }> {
  const dir = opts.dir ?? dirname(file);
  const at = (p: string) => (isAbsolute(p) || p.includes('://') ? p : resolve(dir, p));
  const b = new UniverseBuilder();
  const notes: ShownNote[] = [];
  if ('source' in s.images) {
    const arg = at(s.images.source);
    let images = opts.cache?.get(arg);
    if (!images) {
      images = loadScenarioImages(arg, opts.progress);
      opts.cache?.set(arg, images);
    }
    const { graph, known, notes: sourceNotes } = await images;
    notes.push(...sourceNotes, ...gapNotes(arg, addGraph(b, graph, known)));
  } else addGraph(b, syntheticGraph({ images: s.images.synthetic, seed: s.images.seed }));
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
  return { config, ...(workload.names ? { podNames: workload.names } : {}), notes };
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
Same scenario and seed give byte-identical output. SCENARIO.json may be - (standard input; its
paths are then relative to the current directory). Layer sizes the images SOURCE does not say are
measured from its blobs (registry://) before the run; what cannot be known is said in a note.`,
    positionals: [{ name: 'SCENARIO.json' }],
    options: {
      seed: { type: 'number', value: 'S', description: 'PRNG seed (overrides the scenario\'s)', min: 0, max: 2 ** 32 - 1 },
      compare: { type: 'string', value: 'KEY=V1,V2,...', description: 'run once per value of a scenario key (dotted path) on the same seeded workload; one table. Values: comma-separated, or a JSON array (KEY=["a",{"b":1}]) for objects' },
      format: formatOption(['table', 'json'], { json: 'totals, per node and per pod (seconds, bytes)' }),
      timeline: { type: 'string', value: 'FILE.csv', description: 'write each node\'s disk use at every GC period (with --compare, a first column names the run); "-": the CSV on stdout instead of the table or JSON' },
    },
  },
  async ({ values, positionals }, io) => {
    const file = positionals[0];
    if (file === undefined) throw usageError('simulate needs SCENARIO.json; see layerlab simulate --help');
    // Checked before the run: a long simulation must not end in a file it cannot write.
    if (values.timeline !== undefined && values.timeline !== '-') checkWritable(values.timeline);
    const fromStdin = file === '-';
    if (fromStdin && !io.stdin) throw usageError('simulate -: there is no standard input to read the scenario from here');
    const label = fromStdin ? 'stdin' : file;
    const text = fromStdin ? (await readBounded('-', SCENARIO_LIMIT, 'scenario', io.stdin)).toString('utf8') : readText(file);
    const doc = parseJsonStrict(text, label);
    const runs: Array<{ value: string; doc: unknown }> = [];
    let key = '';
    if (values.compare !== undefined) {
      const eq = values.compare.indexOf('=');
      if (eq <= 0 || eq === values.compare.length - 1) throw usageError(`--compare takes KEY=V1,V2,... (got ${quote(values.compare)})`);
      key = values.compare.slice(0, eq);
      for (const v of compareValues(values.compare.slice(eq + 1))) runs.push({ value: v, doc: withValue(doc, key, v) });
    } else runs.push({ value: '', doc });
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    const cache = new Map<string, Promise<ScenarioImages>>();
    const notes = new Map<string, ShownNote>();
    const results: Array<{ value: string; result: SimResult; names: string[]; refs: readonly string[]; podNames?: (string | undefined)[] }> = [];
    for (const run of runs) {
      const scenario = parseScenario(run.doc, label);
      if (values.seed !== undefined) scenario.seed = values.seed;
      const measuring = tty ? (done: number, total: number) => io.stderr(`\rmeasuring layers ${done}/${total}${done === total ? '\r\x1b[K' : ''}`) : undefined;
      const loaded = await loadScenario(scenario, label, { cache, ...(fromStdin ? { dir: process.cwd() } : {}), ...(measuring ? { progress: measuring } : {}) });
      for (const n of loaded.notes) notes.set(JSON.stringify(n), n);
      const { config, podNames } = loaded;
      config.timeline = values.timeline !== undefined;
      if (tty) config.progress = (f) => io.stderr(`\r${run.value ? run.value + ' ' : ''}[${'#'.repeat(Math.round(f * 30)).padEnd(30)}] ${Math.round(f * 100)}%`);
      const result = simulate(config);
      if (tty) io.stderr('\r\x1b[K');
      results.push({ value: run.value, result, names: config.nodes.map((n) => n.name), refs: config.universe.imageRef, ...(podNames ? { podNames } : {}) });
    }
    const shown = [...notes.values()];
    writeNotes(io, shown);
    if (values.timeline !== undefined) {
      const csv = timelineCsv(results, runs.length > 1 || values.compare !== undefined);
      // `-` is standard output, as for report -o and generate -o: the CSV is then the whole answer.
      if (values.timeline === '-') {
        io.stdout(csv);
        return 0;
      }
      writeAtomically(values.timeline, csv);
    }
    if (runs.length > 1) {
      if (values.format === 'json') io.stdout(JSON.stringify({ compare: key, runs: results.map((x) => ({ value: x.value, totals: x.result.totals })), notes: shown }, null, 2) + '\n');
      else io.stdout(renderComparison(key, results));
      return 0;
    }
    const r = results[0];
    if (values.format === 'json') io.stdout(JSON.stringify(simulationJson(r.result, r.names, r.refs, r.podNames, shown), null, 2) + '\n');
    else io.stdout(renderSimulation(r.result));
    return 0;
  },
);

/** A scenario is a small document; standard input is read up to this. */
const SCENARIO_LIMIT = 64 * 1024 * 1024;

/** Fails as writing would (missing folder, a directory, no permission) by creating and removing the file's temporary sibling. */
function checkWritable(file: string): void {
  const why = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a parent is not a directory' : (e as Error).message;
  };
  try {
    if (statSync(file).isDirectory()) throw new LayerlabError('EIO', 'cannot write: is a directory', { file });
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new LayerlabError('EIO', `cannot write: ${why(e)}`, { file });
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    closeSync(openSync(tmp, 'w'));
    unlinkSync(tmp);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot write: ${why(e)}`, { file });
  }
}
