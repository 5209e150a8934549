// The self-contained report page: every figure rendered here from the analyses' results, the
// results embedded as JSON (cut to what is drawn when the page cannot draw everything), and a small script for tooltips (hover and keyboard focus).
import type { DedupComparison } from '../../analyze/dedup.js';
import type { SourceNote } from '../../sources/source.js';
import type { SystemDf } from '../../analyze/df.js';
import type { Plan } from '../../analyze/plan.js';
import { treeAccess, type AnyTree, type PrefixSharing } from '../../analyze/tree.js';
import { dedupFigure, dfFigure, heatmapFigure, planFigure, pullFigure, timeSeriesFigure, type PullReport, type TimeSeries } from './charts.js';
import { bytes, esc, htmlPage } from './markup.js';
import { nodeSharers, stackLayout, stacksFigure } from './stacks.js';
import { REPORT_CSS } from './style.js';
import { embeddedAnswers } from './embed.js';
import { treeFigure } from './tree-html.js';

/** Everything a report shows: analysis results exactly as the CLI prints them in JSON. */
export interface ReportData {
  title: string;
  sources: string[];
  /** `layerlab tree --format json` (either form: the columnar one is embedded as the same JSON). */
  tree: AnyTree;
  /** `layerlab df --format json`: the df answer and the source notes it shows. */
  df: SystemDf & { notes: (SourceNote & { source: string })[] };
  /** Common-prefix bytes among the largest images. */
  sharing: PrefixSharing;
  /** `layerlab dedup --format json` (its model comparison). */
  dedup?: DedupComparison;
  /** `layerlab plan --format json`. */
  plan?: Plan;
  /** `layerlab pull --format json`. */
  pull?: PullReport;
  /** Series over time, e.g. a simulation's disk use and bytes pulled. */
  series?: TimeSeries[];
}

/** How much is drawn before the page sums up the rest (keeps the DOM small at any scale). */
export interface ReportLimits {
  stacks: number;
  treeNodes: number;
}

/** Defaults that keep a 1,000-image page to a few thousand elements. */
export const DEFAULT_LIMITS: ReportLimits = { stacks: 40, treeNodes: 600 };

// Builds the tooltip from the embedded view; all numbers arrive formatted, the page computes nothing.
const SCRIPT = `(() => {
const view = JSON.parse(document.getElementById('layerlab-view').textContent);
const tip = document.getElementById('tip');
let current = null;
const row = (dl, k, v) => { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = v; dl.append(dt, dd); };
const mark = (n, on) => { for (const r of document.querySelectorAll('.layer[data-n="' + n + '"]')) r.classList.toggle('hl', on); };
function show(el) {
  if (current === el) return;
  hide();
  const l = view.layers[el.dataset.n];
  if (!l) return;
  current = el;
  const dl = document.createElement('dl');
  row(dl, 'size', l.size); row(dl, 'digest', l.digest); row(dl, 'diffID', l.diffId); row(dl, 'chainID', l.chainId);
  row(dl, 'shared by', l.sharers);
  tip.replaceChildren(dl);
  tip.hidden = false;
  const r = el.getBoundingClientRect();
  const w = tip.offsetWidth, h = tip.offsetHeight;
  let x = r.right + 8, y = r.top;
  if (x + w > innerWidth - 4) x = Math.max(4, r.left - w - 8);
  if (y + h > innerHeight - 4) y = Math.max(4, innerHeight - h - 4);
  tip.style.left = x + 'px'; tip.style.top = y + 'px';
  el.setAttribute('aria-describedby', 'tip');
  mark(el.dataset.n, true);
}
function hide() {
  if (!current) return;
  current.removeAttribute('aria-describedby');
  mark(current.dataset.n, false);
  current = null;
  tip.hidden = true;
}
document.addEventListener('pointerover', (e) => { const el = e.target.closest && e.target.closest('.layer'); if (el) show(el); else if (current && current !== document.activeElement) hide(); });
document.addEventListener('focusin', (e) => { if (e.target.classList && e.target.classList.contains('layer')) show(e.target); });
document.addEventListener('focusout', () => hide());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') hide(); });
addEventListener('beforeprint', () => { for (const d of document.querySelectorAll('details')) d.open = true; });
})();`;

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The tooltip's text per drawn layer, formatted here so the page only looks it up. */
function tooltipView(data: ReportData, nodes: Iterable<number>): Record<number, Record<string, string>> {
  const sharers = nodeSharers(data.tree, nodes, 12);
  const tree = treeAccess(data.tree);
  const out: Record<number, Record<string, string>> = {};
  for (const [k, who] of Object.entries(sharers)) {
    const n = tree.node(Number(k));
    const names = who.count > 12 ? `${who.labels.join(', ')} and ${who.count - 12} more` : who.labels.join(', ');
    out[Number(k)] = {
      size: bytes(n.size),
      digest: n.digest ?? 'unknown (not in this source)',
      diffId: n.diffId ?? 'unknown',
      chainId: n.chainId ?? 'unknown (a diffID below is unknown)',
      sharers: `${who.count} image${who.count === 1 ? '' : 's'}: ${names}`,
    };
  }
  return out;
}

/** The whole report as one HTML document: no external resource of any kind. */
export function reportHtml(data: ReportData, limits: ReportLimits = DEFAULT_LIMITS): string {
  const tree = treeAccess(data.tree);
  const layout = stackLayout(tree, limits.stacks);
  const drawn = new Set<number>();
  for (const i of layout.shown) for (let n = tree.imageNode(i); n >= 0; n = tree.parentOf(n)) drawn.add(n);
  const treeFig = treeFigure(data.tree, layout.colour, limits.treeNodes);
  const sections: [string, string, string][] = [
    ['stacks', 'Stacks', stacksFigure(data.tree, layout)],
    ['tree', 'Sharing tree', treeFig.html],
    ['heatmap', 'Shared bytes', heatmapFigure(data.tree, data.sharing)],
    ['df', 'docker system df', dfFigure(data.df)],
  ];
  if (data.dedup) sections.push(['dedup', 'Dedup ladder', dedupFigure(data.dedup)]);
  if (data.plan) sections.push(['plan', 'Removal plan', planFigure(data.plan)]);
  if (data.pull) sections.push(['pull', 'Pull timeline', pullFigure(data.pull)]);
  (data.series ?? []).forEach((s, k) => sections.push([`series-${k}`, s.title, timeSeriesFigure(s, `series-${k}`)]));
  let listed = 0;
  for (let i = 0; i < tree.imageCount; i++) if (tree.imageListed(i)) listed++;
  const lead = `${listed} images, ${tree.nodeCount} layers, ${bytes(tree.layersSize)} on disk (${tree.sizeBasis} sizes), from ${data.sources.map((s) => esc(s)).join(', ')}. Hover or Tab onto a layer to see its digest, diffID, chainID, size and which images share it.`;
  return htmlPage({
    title: data.title,
    css: REPORT_CSS,
    script: true,
    lead,
    nav: { label: 'Sections', links: sections.map(([id, name]) => [`#${id}`, name] as const) },
    main: sections.map((s) => s[2]).join('\n'),
    tail: `<div id="tip" role="tooltip" hidden></div>
<script type="application/json" id="layerlab-data">${scriptJson({ ...data, ...embeddedAnswers(data.tree, data.df, [...drawn, ...treeFig.nodes], [...layout.shown, ...data.sharing.images]) })}</script>
<script type="application/json" id="layerlab-view">${scriptJson({ layers: tooltipView(data, drawn) })}</script>
<script>${SCRIPT}</script>
`,
  });
}
