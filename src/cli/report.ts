import { readFileSync } from 'node:fs';
import { compareDedupModels } from '../analyze/dedup.js';
import { systemDf } from '../analyze/df.js';
import type { Plan } from '../analyze/plan.js';
import { prefixSharing } from '../analyze/tree.js';
import { treeColumns } from '../analyze/tree-columns.js';
import { LayerlabError } from '../errors.js';
import type { PullReport, TimeSeries } from '../render/html/charts.js';
import { DEFAULT_LIMITS, reportHtml } from '../render/html/page.js';
import { humanSize } from '../render/units.js';
import { parseJsonStrict } from '../sources/json-strict.js';
import { loadSources } from '../sources/load.js';
import { loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeNotes } from './common.js';
import { writeAtomically } from './generate.js';
import { defineCommand } from './options.js';
import { sha256Of } from '../sources/hashing.js';

type Shape = 'string' | 'number' | 'array' | 'object';

// Checks the fields the pictures read, so a wrong file fails with its JSON path, not in the page.
function need(v: unknown, shape: Shape, path: string, file: string): void {
  const ok = shape === 'array' ? Array.isArray(v) : shape === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === shape && (shape !== 'number' || Number.isFinite(v));
  if (!ok) throw new LayerlabError('EINPUT', `expected ${shape === 'array' || shape === 'object' ? `an ${shape}` : `a ${shape}`}`, { file, path });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read: ${(e as Error).message}`, { file });
  }
  return parseJsonStrict(text, file);
}

/** A removal plan as `layerlab plan --format json` wrote it. */
export function readPlanJson(file: string): Plan {
  const doc = readJson(file) as Record<string, unknown>;
  need(doc, 'object', '$', file);
  need(doc.steps, 'array', '$.steps', file);
  (doc.steps as Record<string, unknown>[]).forEach((s, k) => {
    need(s, 'object', `$.steps[${k}]`, file);
    need(s.command, 'string', `$.steps[${k}].command`, file);
    for (const f of ['freedBytes', 'cumulativeBytes']) need(s[f], 'number', `$.steps[${k}].${f}`, file);
  });
  need(doc.freedBytes, 'number', '$.freedBytes', file);
  need(doc.method, 'string', '$.method', file);
  need(doc.blocked, 'array', '$.blocked', file);
  return doc as unknown as Plan;
}

/** A simulation's fleet over time, from `layerlab simulate --format json` output: disk use, and bytes pulled beside registry egress. */
export function readSimulationJson(file: string): TimeSeries[] {
  const doc = readJson(file) as Record<string, unknown>;
  need(doc, 'object', '$', file);
  need(doc.series, 'object', '$.series', file);
  const s = doc.series as Record<string, unknown>;
  const cols = ['t', 'diskUsed', 'bytesPulled', 'registryEgress'] as const;
  for (const c of cols) {
    need(s[c], 'array', `$.series.${c}`, file);
    const col = s[c] as unknown[];
    if (col.length !== (s.t as unknown[]).length) throw new LayerlabError('EINPUT', `expected as many values as $.series.t (${(s.t as unknown[]).length})`, { file, path: `$.series.${c}` });
    col.forEach((v, k) => need(v, 'number', `$.series.${c}[${k}]`, file));
  }
  const col = (c: (typeof cols)[number]) => s[c] as number[];
  return [
    { title: 'Fleet disk use', unit: 'bytes', points: col('t').map((t, k) => ({ t, values: { 'disk used': col('diskUsed')[k] } })) },
    { title: 'Bytes pulled', unit: 'bytes', points: col('t').map((t, k) => ({ t, values: { 'pulled by nodes': col('bytesPulled')[k], 'registry egress': col('registryEgress')[k] } })) },
  ];
}

/** A pull plan and its schedule as `layerlab pull --format json` wrote them. */
export function readPullJson(file: string): PullReport {
  const doc = readJson(file) as Record<string, unknown>;
  need(doc, 'object', '$', file);
  need(doc.order, 'array', '$.order', file);
  need(doc.plans, 'array', '$.plans', file);
  need(doc.schedule, 'object', '$.schedule', file);
  const sch = doc.schedule as Record<string, unknown>;
  for (const f of ['total', 'firstReady', 'downloadBytes']) need(sch[f], 'number', `$.schedule.${f}`, file);
  need(sch.mode, 'string', '$.schedule.mode', file);
  need(sch.pulls, 'array', '$.schedule.pulls', file);
  (sch.pulls as Record<string, unknown>[]).forEach((p, k) => {
    need(p, 'object', `$.schedule.pulls[${k}]`, file);
    need(p.ref, 'string', `$.schedule.pulls[${k}].ref`, file);
    need(p.layers, 'array', `$.schedule.pulls[${k}].layers`, file);
    (p.layers as Record<string, unknown>[]).forEach((l, j) => {
      const at = `$.schedule.pulls[${k}].layers[${j}]`;
      need(l, 'object', at, file);
      need(l.id12, 'string', `${at}.id12`, file);
      need(l.registered, 'number', `${at}.registered`, file);
      for (const f of ['downloadStart', 'downloadEnd']) if (l[f] !== undefined) need(l[f], 'number', `${at}.${f}`, file);
    });
  });
  return doc as unknown as PullReport;
}

export const reportCommand = defineCommand(
  {
    name: 'report',
    summary: 'One self-contained HTML page of pictures: stacks, sharing tree, heatmap, df; plans on request',
    description: `Write one HTML file that needs nothing else (no network, opens from disk): every image as a
stack of its layers (height by size, a shared layer the same colour wherever it appears; hover or
Tab onto a layer for its digest, diffID, chainID, size and sharers), the sharing tree, bytes
shared between every pair of images, and \`docker system df\` totals. Each picture has a text
alternative and a table. The analyses' results are embedded as JSON.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      output: { type: 'string', short: 'o', value: 'FILE', description: 'where to write the page (- for stdout)', default: 'report.html' },
      title: { type: 'string', value: 'TEXT', description: 'page title', default: 'layerlab report' },
      dedup: { type: 'boolean', description: 'add the dedup ladder (what layerlab dedup computes)' },
      plan: { type: 'string', value: 'FILE', description: 'add a removal plan as a waterfall: the output of layerlab plan --format json' },
      pull: { type: 'string', value: 'FILE', description: 'add a pull timeline per layer: the output of layerlab pull --format json' },
      simulation: { type: 'string', value: 'FILE', description: 'add a fleet\'s disk use and bytes pulled over time: the output of layerlab simulate --format json' },
      'max-stacks': { type: 'number', value: 'N', description: 'draw at most N images as stacks (the largest) and sum up the rest', min: 1, max: 500, default: DEFAULT_LIMITS.stacks },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const plan = values.plan === undefined ? undefined : readPlanJson(values.plan);
    const pull = values.pull === undefined ? undefined : readPullJson(values.pull);
    const series = values.simulation === undefined ? undefined : readSimulationJson(values.simulation);
    const { graph, sources } = await loadSources(positionals, loadOptionsOf(values.platform, io));
    const notes = notesFor(sources, ['image-set']);
    // Columns, not an object per node and image: the page draws a few hundred of a million.
    const tree = treeColumns(graph, sha256Of);
    const max = values['max-stacks'];
    const html = reportHtml(
      {
        title: values.title,
        sources: positionals,
        tree,
        df: { ...systemDf(graph), notes },
        sharing: prefixSharing(tree, Math.min(max, 30)),
        ...(values.dedup ? { dedup: compareDedupModels(graph) } : {}),
        ...(plan ? { plan } : {}),
        ...(pull ? { pull } : {}),
        ...(series ? { series } : {}),
      },
      { ...DEFAULT_LIMITS, stacks: max },
    );
    if (values.output === '-') io.stdout(html);
    else {
      writeAtomically(values.output, html);
      io.stderr(`wrote ${values.output} (${humanSize(Buffer.byteLength(html))})\n`);
    }
    writeNotes(io, notes);
    return 0;
  },
);
