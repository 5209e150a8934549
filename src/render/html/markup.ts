// Building blocks every page and picture uses: the page shell, escaping, numbers in SVG, a figure
// with its text alternative and table fallback. Pure string functions, so lessons and the report
// share them.
import { humanSize } from '../units.js';

/** Text escaped for HTML/SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate rounded to 0.1 px, so SVG text stays short. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** Bytes as go-units prints them (4 digits). */
export function bytes(n: number): string {
  return humanSize(n);
}

/** A table: header cells and rows of already-escaped cell HTML; numeric columns right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const cls = (k: number) => (numeric.includes(k) ? ' class="num"' : '');
  return `<table><thead><tr>${head.map((h, k) => `<th scope="col"${cls(k)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, k) => (k === 0 ? `<th scope="row">${c}</th>` : `<td${cls(k)}>${c}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** What a chart needs around it: a heading, the picture, a text alternative, and a table fallback. */
export interface FigureParts {
  id: string;
  title: string;
  /** The picture (SVG or HTML). */
  body: string;
  /** The text alternative: what the picture shows, in sentences. */
  summary: string;
  /** The same numbers as a table (HTML). */
  table: string;
}

/** A `<figure>` section: heading, picture, text alternative (also the SVG's description), table in a `<details>`. */
export function figure(p: FigureParts): string {
  return `<section class="figure" id="${esc(p.id)}" aria-labelledby="${esc(p.id)}-h">
<h2 id="${esc(p.id)}-h">${esc(p.title)}</h2>
<figure>
<div class="pic">${p.body}</div>
<figcaption id="${esc(p.id)}-desc">${esc(p.summary)}</figcaption>
</figure>
<details class="fallback"><summary>${esc(p.title)} as a table</summary>${p.table}</details>
</section>`;
}

/** An `<svg>` that is one image to assistive technology, labelled by its figure's heading and caption. */
export function svgImage(id: string, width: number, height: number, content: string, extraClass = ''): string {
  return `<svg class="chart ${extraClass}" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-labelledby="${esc(id)}-h" aria-describedby="${esc(id)}-desc" xmlns="http://www.w3.org/2000/svg">${content}</svg>`;
}

/** Round ticks for an axis from 0 to max: about `count` of them. */
export function ticks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) out.push(v);
  return out;
}

/** What a self-contained page is made of; everything but `title` and the link names is HTML. */
export interface PageParts {
  title: string;
  css: string;
  /** Allow inline scripts (the CSP refuses every script otherwise). */
  script: boolean;
  /** The paragraph under the heading. */
  lead: string;
  /** The table of contents: a label, and `[href, name]` per link (none: no nav). */
  nav?: { label: string; links: readonly (readonly [string, string])[] };
  main: string;
  /** After `<main>`, each element on its own line (tooltip, embedded data, script). */
  tail?: string;
}

/** One HTML document that loads nothing: its CSP allows inline styles, data: images and, if asked, inline scripts. */
export function htmlPage(p: PageParts): string {
  const nav = p.nav ? `<nav aria-label="${esc(p.nav.label)}"><ul>${p.nav.links.map(([href, name]) => `<li><a href="${esc(href)}">${esc(name)}</a></li>`).join('')}</ul></nav>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';${p.script ? " script-src 'unsafe-inline';" : ''} img-src data:">
<title>${esc(p.title)}</title>
<style>${p.css}</style>
</head>
<body>
<header><h1>${esc(p.title)}</h1><p class="lead">${p.lead}</p>
${nav}</header>
<main>
${p.main}
</main>
${p.tail ?? ''}</body>
</html>
`;
}
