// The chapter's picture: each image a column of its layers, bottom first, height by size; a layer
// several images hold has one colour wherever it appears.
import { largestListed, treeAccess, type AnyTree } from '../../analyze/tree.js';
import { describeTreeLayer, short12, treeImageLabel } from '../tree.js';
import { bytes, esc, figure, px, svgImage, table, ticks } from './markup.js';

/** Distinct colours for shared layers (CSS classes c0..c11; the palette lives in the page's CSS). */
export const SHARED_COLOURS = 12;

/** Which images are drawn, which are summed up, and how each drawn layer is coloured. */
export interface StackLayout {
  /** Indices into tree.images of the drawn images (listed, largest first). */
  shown: number[];
  /** Listed images not drawn, and their bytes (df Size summed). */
  more: { images: number; bytes: number };
  /** Node index → colour class index for shared layers; unshared layers are absent. */
  colour: Map<number, number>;
}

/** Chain nodes of an image from the bottom layer up. */
export function imagePath(tree: AnyTree, image: number): number[] {
  const t = treeAccess(tree);
  const path: number[] = [];
  for (let n = t.imageNode(image); n >= 0; n = t.parentOf(n)) path.push(n);
  return path.reverse();
}

/** The listed images, largest first, cut to `max`; shared layers numbered in order of first appearance. */
export function stackLayout(tree: AnyTree, max: number): StackLayout {
  const t = treeAccess(tree);
  const { top: shown, others } = largestListed(t, max);
  const colour = new Map<number, number>();
  for (const i of shown) {
    for (const n of imagePath(t, i)) if (t.usersOf(n) > 1 && !colour.has(n)) colour.set(n, colour.size % SHARED_COLOURS);
  }
  return { shown, more: others, colour };
}

/**
 * For each drawn node, the listed images whose stacks hold it, as the tooltip names them: how many,
 * and the labels of the first `names` of them (in image order).
 */
export function nodeSharers(tree: AnyTree, nodes: Iterable<number>, names = Infinity): Record<number, { count: number; labels: string[] }> {
  const t = treeAccess(tree);
  const want = new Set(nodes);
  const out: Record<number, { count: number; labels: string[] }> = {};
  for (let i = 0; i < t.imageCount; i++) {
    if (!t.imageListed(i)) continue;
    let label: string | undefined;
    for (let n = t.imageNode(i); n >= 0; n = t.parentOf(n)) {
      if (!want.has(n)) continue;
      const o = (out[n] ??= { count: 0, labels: [] });
      o.count++;
      if (o.labels.length < names) o.labels.push((label ??= treeImageLabel(t.image(i))));
    }
  }
  return out;
}

const COL = 56;
const GAP = 18;
const CHART_H = 300;
const MIN_H = 3;
const LABEL_H = 110;
const AXIS_W = 64;

/** Accessible name of a drawn layer: what a screen reader says when Tab lands on it. */
function layerName(tree: AnyTree, n: number, image: string): string {
  return `${image}: ${describeTreeLayer(treeAccess(tree).node(n))}`;
}

/** The stacks as one SVG; every layer is focusable and names itself. */
export function stacksSvg(anyTree: AnyTree, layout: StackLayout, id = 'stacks'): string {
  const tree = treeAccess(anyTree);
  const max = Math.max(1, ...layout.shown.map((i) => tree.imageSize(i) ?? 0));
  const scale = CHART_H / max;
  const columns = layout.shown.map((i) => {
    const path = imagePath(tree, i);
    const heights = path.map((n) => Math.max(MIN_H, tree.sizeOf(n) * scale));
    return { i, path, heights, total: heights.reduce((a, b) => a + b, 0) };
  });
  const top = Math.max(CHART_H, ...columns.map((c) => c.total)) + 8;
  const width = Math.max(200, AXIS_W + columns.length * (COL + GAP) + GAP + 90); // room for the last slanted label
  const parts: string[] = [];
  for (const t of ticks(max)) {
    const y = top - t * scale;
    parts.push(`<line class="grid" x1="${AXIS_W - 4}" x2="${px(width)}" y1="${px(y)}" y2="${px(y)}"/><text class="tick" x="${AXIS_W - 8}" y="${px(y + 4)}" text-anchor="end">${esc(bytes(t))}</text>`);
  }
  columns.forEach((c, k) => {
    const x = AXIS_W + GAP + k * (COL + GAP);
    const label = treeImageLabel(tree.image(c.i));
    let y = top;
    parts.push(`<g class="stack" data-i="${c.i}">`);
    c.path.forEach((n, j) => {
      const h = c.heights[j];
      y -= h;
      const col = layout.colour.get(n);
      const cls = col === undefined ? 'layer u' : `layer c${col}`;
      parts.push(
        `<rect class="${cls}" x="${px(x)}" y="${px(y)}" width="${COL}" height="${px(h)}" tabindex="0" role="img" data-n="${n}" aria-label="${esc(layerName(tree, n, label))}"/>`,
      );
    });
    parts.push(`</g><text class="stack-label" transform="translate(${px(x + COL / 2)},${px(top + 8)}) rotate(40)">${esc(label.length > 22 ? label.slice(0, 21) + '…' : label)}</text>`);
  });
  return svgImage(id, width, top + LABEL_H, parts.join(''), 'stacks');
}

/** The stacks figure: picture, sentence summary, and a table of every drawn layer. */
export function stacksFigure(anyTree: AnyTree, layout: StackLayout): string {
  const tree = treeAccess(anyTree);
  const shared = layout.colour.size;
  const more = layout.more.images ? ` ${layout.more.images} smaller images (${bytes(layout.more.bytes)} in all) are not drawn; they are in the tables.` : '';
  const summary = `${layout.shown.length} images drawn as stacks of their layers, bottom layer first, height by size (tiny layers get a few pixels so they can be seen and focused). ${shared} layers are held by more than one image and have the same colour in every image that holds them; grey layers belong to one image.${more}`;
  const rows = layout.shown.flatMap((i) =>
    imagePath(tree, i).map((n, j) => {
      const node = tree.node(n);
      return [esc(treeImageLabel(tree.image(i))), String(j + 1), bytes(node.size), `<code>${esc(short12(node.diffId ?? node.digest))}</code>`, node.users > 1 ? `shared by ${node.users}` : 'unique'];
    }),
  );
  return figure({
    id: 'stacks',
    title: 'Images as stacks of layers',
    body: `<div class="scroll" tabindex="0" role="group" aria-label="Stacks (scrolls sideways)">${stacksSvg(tree, layout)}</div>`,
    summary,
    table: table(['Image', 'Layer (from the bottom)', 'Size', 'diffID', 'Sharing'], rows, [1, 2]),
  });
}
