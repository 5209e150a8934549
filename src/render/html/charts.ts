// The report's other pictures, each a pure function from an analysis result (as the CLI prints
// it in JSON) to a figure: SVG, a sentence summary, and the same numbers as a table.
import type { DedupComparison } from '../../analyze/dedup.js';
import type { SystemDf } from '../../analyze/df.js';
import type { Plan } from '../../analyze/plan.js';
import type { PullSchedule } from '../../analyze/pull-schedule.js';
import type { PullPlan } from '../../analyze/pull.js';
import { treeAccess, type AnyTree, type PrefixSharing } from '../../analyze/tree.js';
import { treeImageLabel } from '../tree.js';
import { bytes, esc, figure, px, svgImage, table, ticks } from './markup.js';

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** Horizontal bars with a byte axis; each bar may show a second, overlaid part (e.g. reclaimable). */
function barsSvg(id: string, bars: { label: string; value: number; part?: number; cls?: string }[], labelW = 150): string {
  const W = 640;
  const rowH = 30;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plotW = W - labelW - 20;
  const x = (v: number) => labelW + (v / max) * plotW;
  const out: string[] = [];
  for (const t of ticks(max)) out.push(`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="0" y2="${bars.length * rowH}"/><text class="tick" x="${px(x(t))}" y="${bars.length * rowH + 14}" text-anchor="middle">${esc(bytes(t))}</text>`);
  bars.forEach((b, k) => {
    const y = k * rowH + 5;
    out.push(`<text class="axis-label" x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(cut(b.label, 24))}</text>`);
    out.push(`<rect class="${b.cls ?? 'bar'}" x="${labelW}" y="${y}" width="${px(x(b.value) - labelW)}" height="${rowH - 10}"/>`);
    if (b.part !== undefined) out.push(`<rect class="bar-part" x="${labelW}" y="${y + 5}" width="${px(x(b.part) - labelW)}" height="${rowH - 20}"/>`);
  });
  return svgImage(id, W, bars.length * rowH + 22, out.join(''));
}

/** `docker system df` totals: SIZE per type as a bar, RECLAIMABLE inside it. */
export function dfFigure(df: SystemDf): string {
  const bars = [
    { label: `Images (${df.ImagesUsage.TotalCount})`, value: df.ImagesUsage.TotalSize, part: df.ImagesUsage.Reclaimable },
    { label: `Containers (${df.ContainersUsage.TotalCount})`, value: df.ContainersUsage.TotalSize, part: df.ContainersUsage.Reclaimable },
  ];
  const rows = [
    ['Images', String(df.ImagesUsage.TotalCount), String(df.ImagesUsage.ActiveCount), bytes(df.ImagesUsage.TotalSize), bytes(df.ImagesUsage.Reclaimable)],
    ['Containers', String(df.ContainersUsage.TotalCount), String(df.ContainersUsage.ActiveCount), bytes(df.ContainersUsage.TotalSize), bytes(df.ContainersUsage.Reclaimable)],
  ];
  return figure({
    id: 'df',
    title: 'docker system df',
    body: barsSvg('df', bars) + '<p class="legend"><span class="key bar"></span>SIZE <span class="key bar-part"></span>RECLAIMABLE</p>',
    summary: `Images take ${bytes(df.ImagesUsage.TotalSize)} (${df.ImagesUsage.TotalCount} images, ${df.ImagesUsage.ActiveCount} used by containers), of which ${bytes(df.ImagesUsage.Reclaimable)} is reclaimable (${df.ReclaimableRule === 'current' ? 'Docker 29.4 and later' : 'Docker 20.10 to 28'} rule). Containers' writable layers take ${bytes(df.ContainersUsage.TotalSize)}, ${bytes(df.ContainersUsage.Reclaimable)} reclaimable.`,
    table: table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], rows.map((r) => r.map(esc)), [1, 2, 3, 4]),
  });
}

/** Pairwise common-prefix bytes as a heatmap: darker is more shared; the diagonal is each image's size. */
export function heatmapFigure(tree: AnyTree, s: PrefixSharing): string {
  const t = treeAccess(tree);
  const labels = s.images.map((i) => treeImageLabel(t.image(i)));
  const n = labels.length;
  const withOthers = s.others.images > 0;
  const cell = n > 20 ? 16 : 26;
  const left = 170;
  const topPad = 120;
  const offDiag = s.bytes.flatMap((r, a) => r.filter((_, b) => a !== b));
  const max = Math.max(1, ...offDiag, ...(withOthers ? s.others.bytes : []));
  const level = (v: number) => (v <= 0 ? 0 : 1 + Math.min(4, Math.floor((v / max) * 5)));
  const out: string[] = [];
  const cols = withOthers ? [...labels, `${s.others.images} other images`] : labels;
  cols.forEach((l, b) => out.push(`<text class="axis-label" transform="translate(${px(left + b * cell + cell / 2)},${topPad - 6}) rotate(-50)">${esc(cut(l, 22))}</text>`));
  labels.forEach((l, a) => {
    const y = topPad + a * cell;
    out.push(`<text class="axis-label" x="${left - 6}" y="${px(y + cell * 0.7)}" text-anchor="end">${esc(cut(l, 24))}</text>`);
    const row = withOthers ? [...s.bytes[a], s.others.bytes[a]] : s.bytes[a];
    row.forEach((v, b) => {
      const cls = a === b ? 'cell diag' : `cell h${level(v)}`;
      const other = b === n ? `${s.others.images} other images` : labels[b];
      out.push(`<rect class="${cls}" x="${left + b * cell}" y="${y}" width="${cell - 1}" height="${cell - 1}"><title>${esc(a === b ? `${labels[a]}: ${bytes(v)}` : `${labels[a]} and ${other}: ${bytes(v)} shared`)}</title></rect>`);
    });
  });
  const W = left + cols.length * cell + 10;
  const H = topPad + n * cell + 10;
  const pairs: string[][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (s.bytes[a][b] > 0) pairs.push([esc(labels[a]), esc(labels[b]), bytes(s.bytes[a][b])]);
  if (withOthers) labels.forEach((l, a) => pairs.push([esc(l), `any of ${s.others.images} other images`, bytes(s.others.bytes[a])]));
  const sharing = pairs.length - (withOthers ? n : 0);
  return figure({
    id: 'heatmap',
    title: 'Bytes shared between images',
    body: `<div class="scroll" tabindex="0" role="group" aria-label="Heatmap (scrolls sideways)">${svgImage('heatmap', W, H, out.join(''), 'heatmap')}</div>`,
    summary: `Each cell is the size of the layer stack two images have in common from the bottom (what a Docker host stores once for both); darker is more. The diagonal is each image's own size. ${n} images shown${withOthers ? `, the largest; the last column sums up the ${s.others.images} others` : ''}; ${sharing} of ${(n * (n - 1)) / 2} pairs share something.`,
    table: table(['Image', 'With', 'Shared bytes'], pairs, [2]),
  });
}

/** The dedup ladder: bytes stored under each model, from nothing shared to a registry's blobs. */
export function dedupFigure(d: DedupComparison): string {
  const models = d.models.filter((m) => m.available);
  const bars = models.map((m) => ({ label: `${m.model}: ${m.key}`, value: m.storedBytes, cls: `bar m-${m.model}` }));
  return figure({
    id: 'dedup',
    title: 'Dedup ladder',
    body: barsSvg('dedup', bars, 230),
    summary: `Storage of ${d.images} images under each dedup model: ${models.map((m) => `${m.model} ${bytes(m.storedBytes)} (${m.ratio.toFixed(2)}x)`).join(', ')}.`,
    table: table(['Model', 'Deduplicates on', 'Who does it', 'Stored', 'Saved', 'Ratio'], d.models.map((m) => [esc(m.model), esc(m.key), esc(m.whoDoesIt), m.available ? bytes(m.storedBytes) : 'n/a', m.available ? bytes(m.savedBytes) : 'n/a', m.available ? m.ratio.toFixed(2) + 'x' : 'n/a']), [3, 4, 5]),
  });
}

/** A removal plan as a waterfall: each step's bar starts where the bytes freed so far end. */
export function planFigure(p: Plan): string {
  const W = 640;
  const labelW = 230;
  const rowH = 28;
  const max = Math.max(1, p.freedBytes, ...p.steps.map((s) => s.cumulativeBytes));
  const x = (v: number) => labelW + (v / max) * (W - labelW - 20);
  const out: string[] = [];
  for (const t of ticks(max)) out.push(`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="0" y2="${p.steps.length * rowH}"/><text class="tick" x="${px(x(t))}" y="${p.steps.length * rowH + 14}" text-anchor="middle">${esc(bytes(t))}</text>`);
  p.steps.forEach((s, k) => {
    const y = k * rowH + 4;
    const from = s.cumulativeBytes - s.freedBytes;
    out.push(`<text class="axis-label" x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(cut(s.command, 34))}</text>`);
    out.push(`<rect class="bar" x="${px(x(from))}" y="${y}" width="${px(Math.max(1, x(s.cumulativeBytes) - x(from)))}" height="${rowH - 8}"/>`);
    if (k > 0) out.push(`<line class="connector" x1="${px(x(from))}" x2="${px(x(from))}" y1="${y - 8}" y2="${y}"/>`);
  });
  return figure({
    id: 'plan',
    title: 'Removal plan: bytes freed per step',
    body: svgImage('plan', W, p.steps.length * rowH + 22, out.join('')),
    summary: `${p.steps.length} steps (${p.method}) free ${bytes(p.freedBytes)} in all${p.reachedGoal ? '' : '; the goal is not reached'}${p.blocked.length ? `; ${p.blocked.length} images cannot go` : ''}.`,
    table: table(['Step', 'Command', 'Frees', 'Freed so far'], p.steps.map((s, k) => [String(k + 1), `<code>${esc(s.command)}</code>`, bytes(s.freedBytes), bytes(s.cumulativeBytes)]), [2, 3]),
  });
}

/** What `layerlab pull --format json` prints. */
export interface PullReport {
  metadata?: string;
  order: string[];
  plans: PullPlan[];
  schedule: PullSchedule;
}

/** A pull as a timeline per layer: a bar while it downloads; a grey mark where it already existed. */
export function pullFigure(r: PullReport): string {
  const W = 680;
  const labelW = 210;
  const rowH = 18;
  const rows = r.schedule.pulls.flatMap((p, k) => p.layers.map((l, j) => ({ ref: p.ref, l, plan: r.plans[k]?.layers[j] })));
  const end = Math.max(1e-9, r.schedule.total, ...rows.map((x) => x.l.registered));
  const x = (t: number) => labelW + (t / end) * (W - labelW - 20);
  const out: string[] = [];
  for (const t of ticks(end)) out.push(`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="0" y2="${rows.length * rowH}"/><text class="tick" x="${px(x(t))}" y="${rows.length * rowH + 14}" text-anchor="middle">${esc(t.toFixed(t < 10 ? 1 : 0))}s</text>`);
  rows.forEach((row, k) => {
    const y = k * rowH + 3;
    out.push(`<text class="axis-label small" x="${labelW - 6}" y="${y + 10}" text-anchor="end">${esc(cut(`${row.ref} ${row.l.id12}`, 32))}</text>`);
    if (row.l.downloadStart !== undefined && row.l.downloadEnd !== undefined) {
      out.push(`<rect class="bar" x="${px(x(row.l.downloadStart))}" y="${y}" width="${px(Math.max(1, x(row.l.downloadEnd) - x(row.l.downloadStart)))}" height="${rowH - 6}"/>`);
    } else out.push(`<rect class="exists" x="${px(x(row.l.registered) - 3)}" y="${y}" width="6" height="${rowH - 6}"/>`);
  });
  const downloads = rows.filter((x) => x.l.downloadStart !== undefined).length;
  return figure({
    id: 'pull',
    title: 'Pull timeline per layer',
    body: svgImage('pull', W, rows.length * rowH + 22, out.join('')) + '<p class="legend"><span class="key bar"></span>downloading <span class="key exists"></span>already on the host (Already exists, or brought by an earlier pull)</p>',
    summary: `${r.order.join(', ')}: ${downloads} of ${rows.length} layers download, ${bytes(r.schedule.downloadBytes)} in ${r.schedule.total.toFixed(2)} s (${r.schedule.mode}); the first image is ready at ${r.schedule.firstReady.toFixed(2)} s.`,
    table: table(
      ['Image', 'Layer', 'Status', 'Bytes', 'Start (s)', 'End (s)'],
      rows.map((row) => [esc(row.ref), `<code>${esc(row.l.id12)}</code>`, esc(row.plan?.status ?? ''), bytes(row.plan?.downloadBytes ?? 0), row.l.downloadStart?.toFixed(2) ?? '', (row.l.downloadEnd ?? row.l.registered).toFixed(2)]),
      [3, 4, 5],
    ),
  });
}

/** A series over time (e.g. a simulation's disk use and bytes pulled): one line per named value. */
export interface TimeSeries {
  title: string;
  /** Unit of the values: bytes are printed as sizes. */
  unit: 'bytes' | 'count';
  /** Seconds since the start, ascending, each with a value per line name. */
  points: { t: number; values: Record<string, number> }[];
}

/** A time series as a line chart (step lines: a value holds until the next point). */
export function timeSeriesFigure(s: TimeSeries, id = 'series'): string {
  const W = 640;
  const H = 220;
  const left = 70;
  const names = [...new Set(s.points.flatMap((p) => Object.keys(p.values)))];
  const tMax = Math.max(1e-9, ...s.points.map((p) => p.t));
  const vMax = Math.max(1, ...s.points.flatMap((p) => Object.values(p.values)));
  const x = (t: number) => left + (t / tMax) * (W - left - 20);
  const y = (v: number) => H - 20 - (v / vMax) * (H - 40);
  const fmt = (v: number) => (s.unit === 'bytes' ? bytes(v) : String(v));
  const out: string[] = [];
  for (const v of ticks(vMax)) out.push(`<line class="grid" x1="${left}" x2="${W - 20}" y1="${px(y(v))}" y2="${px(y(v))}"/><text class="tick" x="${left - 6}" y="${px(y(v) + 4)}" text-anchor="end">${esc(fmt(v))}</text>`);
  names.forEach((name, k) => {
    let d = '';
    let prev: number | undefined;
    for (const p of s.points) {
      const v = p.values[name];
      if (v === undefined) continue;
      d += prev === undefined ? `M${px(x(p.t))},${px(y(v))}` : `H${px(x(p.t))}V${px(y(v))}`;
      prev = v;
    }
    out.push(`<path class="line s${k % 6}" d="${d}"/>`);
  });
  const legend = names.map((n, k) => `<span class="key line s${k % 6}"></span>${esc(n)}`).join(' ');
  const last = s.points[s.points.length - 1];
  return figure({
    id,
    title: s.title,
    body: svgImage(id, W, H, out.join('')) + `<p class="legend">${legend}</p>`,
    summary: `${s.title} over ${tMax.toFixed(1)} s, ${s.points.length} points${last ? `; at the end ${names.map((n) => `${n} ${fmt(last.values[n] ?? 0)}`).join(', ')}` : ''}.`,
    table: table(['Time (s)', ...names], s.points.map((p) => [p.t.toFixed(2), ...names.map((n) => (p.values[n] === undefined ? '' : fmt(p.values[n])))]), names.map((_, k) => k + 1)),
  });
}
