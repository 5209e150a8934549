// Words and tables for `layerlab simulate`.
import type { SimResult, SimTotals } from '../simulate/types.js';
import type { GraphGaps } from '../simulate/universe.js';
import { DEFAULT_CONFIG_SIZE } from '../simulate/universe.js';
import { POD_FAILURES } from '../simulate/types.js';
import { tabwrite } from './tabwriter.js';
import { humanSize } from './units.js';

const sec = (s: number): string => `${s.toFixed(3)}s`;

/** A remark about the simulation's inputs, shaped as every command's `notes` (SOURCE, code, params, sentence). */
export interface SimulationNote {
  source: string;
  code: string;
  params: Record<string, string | number | boolean>;
  message: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * What stood in for sizes the images SOURCE does not give: `disk-in-compressed-bytes` (layers
 * without an uncompressed size, counted on disk at their blob size), `download-in-uncompressed-bytes`
 * (layers without a blob size, downloaded at their uncompressed size), `config-size-guessed`.
 */
export function gapNotes(source: string, gaps: GraphGaps): SimulationNote[] {
  const out: SimulationNote[] = [];
  if (gaps.uncompressedUnknown) {
    out.push({ source, code: 'disk-in-compressed-bytes', params: { layers: gaps.uncompressedUnknown }, message: `disk use is counted in compressed bytes: ${plural(gaps.uncompressedUnknown, 'layer')} have no uncompressed size and the source holds no layer bytes to measure (an archive, an OCI layout or registry:// does)` });
  }
  if (gaps.compressedUnknown) {
    out.push({ source, code: 'download-in-uncompressed-bytes', params: { layers: gaps.compressedUnknown }, message: `registry downloads are counted in uncompressed bytes: ${plural(gaps.compressedUnknown, 'layer')} have no compressed (blob) size in this source` });
  }
  if (gaps.configUnknown) {
    out.push({ source, code: 'config-size-guessed', params: { images: gaps.configUnknown, bytes: DEFAULT_CONFIG_SIZE }, message: `image config sizes are not known: ${plural(gaps.configUnknown, 'image')} are charged ${DEFAULT_CONFIG_SIZE} B each (a typical config)` });
  }
  return out;
}

/** The JSON answer: totals, notes (what stood in for unknown sizes), per node, the fleet over time (`series`: columns t, diskUsed, bytesPulled, registryEgress), per pod (seconds, bytes). */
export function simulationJson(r: SimResult, nodeNames: readonly string[], imageRefs: readonly string[], podNames?: readonly (string | undefined)[], notes: readonly SimulationNote[] = []): unknown {
  const p = r.pods;
  const pods = [];
  for (let i = 0; i < p.arrive.length; i++) {
    pods.push({
      pod: podNames?.[i] ?? `pod-${i + 1}`,
      image: imageRefs[p.image[i]],
      node: p.node[i] >= 0 ? nodeNames[p.node[i]] : null,
      arrive: p.arrive[i],
      queueWait: p.queueWait[i],
      pullTime: p.pullTime[i],
      bytes: p.bytes[i],
      startDelay: p.start[i] >= 0 ? Math.round((p.start[i] - p.arrive[i]) * 1000) / 1000 : null,
      failure: p.failure[i] ? POD_FAILURES[p.failure[i]] : null,
    });
  }
  return { totals: r.totals, notes, nodes: r.nodes, series: r.series, pods };
}

const TOTAL_ROWS: Array<[string, (t: SimTotals) => string]> = [
  ['pods', (t) => String(t.pods)],
  ['failed pods', (t) => String(t.failedPods)],
  ['pulls', (t) => String(t.pulls)],
  ['bytes pulled', (t) => humanSize(t.bytesPulled)],
  ['registry egress', (t) => humanSize(t.registryEgress)],
  ['from mirror', (t) => humanSize(t.mirrorBytes)],
  ['from peers', (t) => humanSize(t.peerBytes)],
  ['QPS rejections', (t) => String(t.qpsRejections)],
  ['GC runs', (t) => String(t.gcRuns)],
  ['images removed', (t) => String(t.imagesRemoved)],
  ['GC freed (kubelet believes)', (t) => humanSize(t.gcBytesBelieved)],
  ['GC freed (really)', (t) => humanSize(t.gcBytesFreed)],
  ['start delay p50', (t) => sec(t.startDelay.p50)],
  ['start delay p90', (t) => sec(t.startDelay.p90)],
  ['start delay p99', (t) => sec(t.startDelay.p99)],
  ['pulling share of delay', (t) => `${(t.pullShare * 100).toFixed(1)}%`],
];

/** Totals, then one row per node. */
export function renderSimulation(r: SimResult): string {
  const totals = tabwrite(TOTAL_ROWS.map(([k, f]) => [k, f(r.totals)]));
  const header = ['NODE', 'PODS', 'PULLS', 'PULLED', 'GC RUNS', 'REMOVED', 'FREED BELIEVED', 'FREED REALLY', 'PEAK DISK', 'FINAL DISK'];
  const rows = r.nodes.map((n) => [n.name, String(n.pods), String(n.pulls), humanSize(n.bytesPulled), String(n.gcRuns), String(n.imagesRemoved), humanSize(n.gcBytesBelieved), humanSize(n.gcBytesFreed), humanSize(n.peakDisk), humanSize(n.finalDisk)]);
  const over = r.totals.gcBytesBelieved - r.totals.gcBytesFreed;
  const note = over > 0 ? `\nThe kubelet counted ${humanSize(over)} more as freed than left the disk: removed images shared layers with images that stayed.\n` : '';
  return `${totals}\n${tabwrite([header, ...rows])}${note}`;
}

/** Several runs side by side: one column per value of the compared key. */
export function renderComparison(key: string, runs: ReadonlyArray<{ value: string; result: SimResult }>): string {
  const header = ['', ...runs.map((x) => `${key}=${x.value}`)];
  return tabwrite([header, ...TOTAL_ROWS.map(([k, f]) => [k, ...runs.map((x) => f(x.result.totals))])]);
}

/** `--timeline`: each node's disk use at every GC period; with `--compare`, a first column names the run. */
export function timelineCsv(runs: ReadonlyArray<{ value: string; result: SimResult; names: readonly string[] }>, compared: boolean): string {
  const lines = [compared ? 'run,t,node,disk' : 't,node,disk'];
  for (const r of runs) {
    const run = compared ? `${csvField(r.value)},` : '';
    for (const [t, n, d] of r.result.timeline ?? []) lines.push(`${run}${t},${csvField(r.names[n])},${d}`);
  }
  return lines.join('\n') + '\n';
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
