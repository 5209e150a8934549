import type { LayerTree, TreeImage, TreeNode } from '../analyze/tree.js';
import { humanSize } from './units.js';

/** 12 hex of a digest, as Docker shortens IDs. */
export function short12(digest: string | undefined): string {
  return digest === undefined ? '?' : digest.replace(/^sha256:/, '').slice(0, 12);
}

/** What an image is called in pictures: its tags, `<none>` when dangling, or what hides it. */
export function treeImageLabel(img: TreeImage): string {
  if (img.tags.length) return img.tags.join(', ');
  return img.listed ? '<none>:<none>' : '<untagged build parent>';
}

/** The one-line description of a layer node (size, identity, sharing, folds). */
export function describeTreeLayer(n: TreeNode): string {
  let s = `${humanSize(n.size)}  layer ${short12(n.diffId ?? n.digest)}`;
  if (n.empty) s += '  (the empty layer: no files)';
  if (n.users > 1) s += `  shared by ${n.users} images`;
  if (n.folded) s += `  (+${n.folded.layers} smaller layer${n.folded.layers === 1 ? '' : 's'} below, ${humanSize(n.folded.bytes)})`;
  if (n.otherBranches) s += `  (+${n.otherBranches} other branch${n.otherBranches === 1 ? '' : 'es'} not shown)`;
  return s;
}

/** The one-line description of an image at its leaf: df's SIZE/SHARED/UNIQUE, or why it has none. */
export function describeTreeImage(img: TreeImage, tree: LayerTree): string {
  let s = `${treeImageLabel(img)}  ${short12(img.id)}`;
  if (img.listed) s += `  SIZE ${humanSize(img.size ?? 0)}  SHARED ${humanSize(img.shared ?? 0)}  UNIQUE ${humanSize(img.unique ?? 0)}`;
  else s += '  hidden by docker images, not counted by df';
  if (img.noOwnLayer) s += `  (adds no layer: its top layer is its parent ${short12(img.parentId)}'s)`;
  if (img.node < 0 && tree.nodes.length) s += '  (no layers)';
  return s;
}

// `run`: layers stacked straight on this one (one child, no image ending between), drawn
// under it at the same depth so a long stack reads as a column, not a staircase.
type Line = { text: string; run?: string[]; children: Line[] };

function imageLine(img: TreeImage, tree: LayerTree): Line {
  return {
    text: '◆ ' + describeTreeImage(img, tree),
    children: img.containers.map((c) => ({ text: `▷ container ${c.name ?? short12(c.id)} ${short12(c.id)} (${c.state})`, children: [] })),
  };
}

function nodeLine(tree: LayerTree, k: number): Line {
  const run: string[] = [];
  let n = tree.nodes[k];
  const text = '■ ' + describeTreeLayer(n);
  while (n.images.length === 0 && n.children.length === 1) {
    n = tree.nodes[n.children[0]];
    run.push('■ ' + describeTreeLayer(n));
  }
  return { text, run, children: [...n.images.map((i) => imageLine(tree.images[i], tree)), ...n.children.map((c) => nodeLine(tree, c))] };
}

function draw(line: Line, prefix: string, last: boolean, out: string[]): void {
  out.push(prefix + (last ? '└── ' : '├── ') + line.text);
  const next = prefix + (last ? '    ' : '│   ');
  for (const r of line.run ?? []) out.push(next + r);
  line.children.forEach((c, k) => draw(c, next, k === line.children.length - 1, out));
}

/** `layerlab tree` as text: a header, then every layer with its images and their containers, box-drawn. */
export function renderLayerTree(tree: LayerTree): string {
  const listed = tree.images.filter((i) => i.listed).length;
  const hidden = tree.images.length - listed;
  const basis = tree.sizeBasis === 'uncompressed' ? '' : ` (${tree.sizeBasis} sizes)`;
  // Counted over what is drawn (folded layers included), so a branch's header adds up.
  let layers = 0;
  let bytes = 0;
  for (const n of tree.nodes) {
    layers += 1 + (n.folded?.layers ?? 0);
    bytes += n.size + (n.folded?.bytes ?? 0);
  }
  const head = `${layers} layer${layers === 1 ? '' : 's'}, ${humanSize(bytes)}${basis}; ${listed} image${listed === 1 ? '' : 's'}${
    hidden ? ` + ${hidden} untagged build parent${hidden === 1 ? '' : 's'} (hidden by docker images)` : ''
  }`;
  const top: Line[] = [...tree.roots.map((r) => nodeLine(tree, r)), ...tree.images.filter((i) => i.node < 0).map((i) => imageLine(i, tree))];
  const out = [head];
  top.forEach((l, k) => draw(l, '', k === top.length - 1, out));
  return out.join('\n') + '\n';
}
