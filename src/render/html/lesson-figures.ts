// The lessons' own pictures (the others come from the report's building blocks): an image's
// identity walk, two builds' waste, and what each push did per layer.
import type { IdentityWalk, PushSummary, WasteComparison } from '../../learn/types.js';
import { bytes, esc, figure, px, svgImage, table } from './markup.js';

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

/** The layers bottom first, each with its blob digest, diffID and chainID; the config and image ID on top. */
export function identityFigure(w: IdentityWalk): string {
  const rowH = 34;
  const W = 660;
  const n = w.layers.length;
  const H = (n + 1) * rowH + 30;
  const out: string[] = [];
  const y = (k: number) => H - 10 - (k + 1) * rowH;
  w.layers.forEach((l, k) => {
    out.push(`<rect class="layer c${k % 12}" x="10" y="${y(k)}" width="150" height="${rowH - 4}"/>`);
    out.push(`<text x="18" y="${px(y(k) + 19)}" class="on-fill">layer ${k + 1}: ${esc(bytes(l.uncompressedSize))}</text>`);
    out.push(`<text x="175" y="${px(y(k) + 13)}">diffID ${esc(short(l.diffId))}  (sha256 of the tar)</text>`);
    out.push(`<text x="175" y="${px(y(k) + 27)}" class="tick">chainID ${esc(short(l.chainId))}${k === 0 ? '  (= diffID at the bottom)' : `  = sha256(chainID ${k} + " " + diffID ${k + 1})`}</text>`);
  });
  const cy = y(n);
  out.push(`<rect class="bar" x="10" y="${cy}" width="150" height="${rowH - 4}"/><text x="18" y="${px(cy + 19)}" class="on-fill">config: ${esc(bytes(w.configBytes))}</text>`);
  out.push(`<text x="175" y="${px(cy + 19)}">image ID ${esc(short(w.imageId))}  (sha256 of the config bytes)</text>`);
  const rows = w.layers.map((l, k) => [String(k + 1), `<code>${esc(l.blobDigest)}</code>`, esc(l.compression), `<code>${esc(l.diffId)}</code>`, l.diffId === l.configDiffId ? 'yes' : 'NO', `<code>${esc(l.chainId)}</code>`, bytes(l.uncompressedSize)]);
  return figure({
    id: 'identity',
    title: `${w.image}: identities computed from its bytes`,
    body: `<div class="scroll" tabindex="0" role="group" aria-label="Identity walk (scrolls sideways)">${svgImage('identity', W, H, out.join(''))}</div>`,
    summary: `${w.image} as ${w.layers.length} layers, bottom first, under its config. Each layer's diffID is the sha256 of its tar, computed here, and matches the config's list; each chainID hashes the chainID below with the layer's diffID; the image ID ${short(w.imageId)} is the sha256 of the ${bytes(w.configBytes)} config.`,
    table: table(['Layer', 'Blob digest', 'Compression', 'diffID (computed)', 'Config agrees', 'chainID', 'Size'], rows, [6]),
  });
}

/** Each build as a column of its layers, height by size; the layers holding wasted bytes marked. */
export function wasteFigure(w: WasteComparison): string {
  const W = 520;
  const chartH = 240;
  const max = Math.max(1, ...w.builds.map((b) => b.sizeBytes));
  const out: string[] = [];
  w.builds.forEach((b, k) => {
    const x = 60 + k * 200;
    let top = chartH + 10;
    // a copy is wasted in every layer but the last one that touches its path
    const wastedLayers = new Set(b.inefficiencies.flatMap((f) => f.layers.slice(0, -1)));
    b.layers.forEach((l, j) => {
      const h = Math.max(3, (l.size / max) * chartH);
      top -= h;
      const wasted = wastedLayers.has(j);
      out.push(`<rect class="${wasted ? 'bar-part' : j === 0 ? 'layer u' : 'bar'}" x="${x}" y="${px(top)}" width="120" height="${px(h)}"><title>${esc(`${b.name} layer ${j + 1}: ${bytes(l.size)} ${l.createdBy}`)}</title></rect>`);
    });
    out.push(`<text x="${x + 60}" y="${chartH + 28}" text-anchor="middle">${esc(b.name)}: ${esc(bytes(b.sizeBytes))}</text>`);
    out.push(`<text x="${x + 60}" y="${chartH + 44}" text-anchor="middle" class="tick">wasted ${esc(bytes(b.wastedBytes))}</text>`);
  });
  const rows = w.builds.flatMap((b) => b.layers.map((l, j) => [esc(b.name), String(j + 1), `<code>${esc(l.createdBy)}</code>`, bytes(l.size)]));
  return figure({
    id: 'waste',
    title: 'Two builds of the same files',
    body: svgImage('waste', W, chartH + 52, out.join('')) + '<p class="legend"><span class="key unique"></span>base layer <span class="key bar"></span>added files <span class="key bar-part"></span>a layer whose files a later layer deletes</p>',
    summary: w.builds.map((b) => `${b.name}: ${b.layers.length} layers, ${bytes(b.sizeBytes)}, ${bytes(b.wastedBytes)} wasted, efficiency ${(b.efficiency * 100).toFixed(2)} %`).join('; ') + '.',
    table: table(['Build', 'Layer', 'Created by', 'Size'], rows, [1, 3]),
  });
}

/** Per push, its layers split into already there, mounted from another repository, uploaded. */
export function pushFigure(p: PushSummary): string {
  const W = 560;
  const rowH = 34;
  const labelW = 170;
  const max = Math.max(1, ...p.pushes.map((x) => x.exists + x.mounted + x.pushed));
  const unit = (W - labelW - 20) / max;
  const out: string[] = [];
  p.pushes.forEach((x, k) => {
    const y = k * rowH + 6;
    out.push(`<text class="axis-label" x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(`${k + 1}. ${x.ref}`)}</text>`);
    let at = labelW;
    for (const [n, cls, what] of [[x.exists, 'exists', 'already exists'], [x.mounted, 'bar-part', 'mounted'], [x.pushed, 'bar', 'pushed']] as const) {
      if (n === 0) continue;
      out.push(`<rect class="${cls}" x="${px(at)}" y="${y}" width="${px(n * unit - 2)}" height="${rowH - 10}"><title>${esc(`${x.ref}: ${n} ${what}`)}</title></rect>`);
      at += n * unit;
    }
  });
  return figure({
    id: 'push',
    title: 'What each push did per layer',
    body: svgImage('push', W, p.pushes.length * rowH + 10, out.join('')) + '<p class="legend"><span class="key exists"></span>Layer already exists <span class="key bar-part"></span>Mounted from another repository <span class="key bar"></span>Pushed (uploaded)</p>',
    summary: p.pushes.map((x, k) => `push ${k + 1}, ${x.ref} to ${x.repository}: ${x.exists} already there, ${x.mounted} mounted${x.mountedFrom.length ? ` from ${x.mountedFrom.join(', ')}` : ''}, ${x.pushed} uploaded`).join('; ') + '.',
    table: table(['Push', 'Repository', 'Already exists', 'Mounted', 'Pushed'], p.pushes.map((x, k) => [esc(`${k + 1}. ${x.ref}`), esc(x.repository), String(x.exists), String(x.mounted), String(x.pushed)]), [2, 3, 4]),
  });
}
