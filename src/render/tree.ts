import { treeAccess, type AnyTree, type TreeImage, type TreeNode } from '../analyze/tree.js';
import type { LayerFacts, TreeAccess } from '../analyze/tree-columns.js';
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
  return describeLayerFacts({ ...n, shownId: n.diffId ?? n.digest });
}

/** {@link describeTreeLayer} from what the line shows (either form of the tree gives it). */
export function describeLayerFacts(n: LayerFacts): string {
  let s = `${humanSize(n.size)}  layer ${short12(n.shownId)}`;
  if (n.empty) s += '  (the empty layer: no files)';
  if (n.users > 1) s += `  shared by ${n.users} images`;
  if (n.folded) s += `  (+${n.folded.layers} smaller layer${n.folded.layers === 1 ? '' : 's'} below, ${humanSize(n.folded.bytes)})`;
  if (n.otherBranches) s += `  (+${n.otherBranches} other branch${n.otherBranches === 1 ? '' : 'es'} not shown)`;
  return s;
}

/** The one-line description of an image at its leaf: df's SIZE/SHARED/UNIQUE, or why it has none. */
export function describeTreeImage(img: TreeImage, tree: AnyTree): string {
  let s = `${treeImageLabel(img)}  ${short12(img.id)}`;
  if (img.listed) s += `  SIZE ${humanSize(img.size ?? 0)}  SHARED ${humanSize(img.shared ?? 0)}  UNIQUE ${humanSize(img.unique ?? 0)}`;
  else s += '  hidden by docker images, not counted by df';
  if (img.noOwnLayer) s += `  (adds no layer: its top layer is its parent ${short12(img.parentId)}'s)`;
  if (img.node < 0 && ('nodes' in tree ? tree.nodes.length : tree.nodeCount)) s += '  (no layers)';
  return s;
}

/** The text and sub-lines of a tree line: an image (its containers under it) or a layer (its run, images, child layers). */
type Item = { kind: 'image'; image: number } | { kind: 'node'; node: number } | { kind: 'container'; text: string };

function itemText(item: Item, tree: TreeAccess): { text: string; run: string[]; children: Item[] } {
  if (item.kind === 'container') return { text: item.text, run: [], children: [] };
  if (item.kind === 'image') {
    const img = tree.image(item.image);
    const children: Item[] = img.containers.map((c) => ({ kind: 'container', text: `▷ container ${c.name ?? short12(c.id)} ${short12(c.id)} (${c.state})` }));
    return { text: '◆ ' + describeTreeImage(img, tree), run: [], children };
  }
  // `run`: layers stacked straight on this one (one child, no image ending between), drawn
  // under it at the same depth so a long stack reads as a column, not a staircase.
  const run: string[] = [];
  let k = item.node;
  const text = '■ ' + describeLayerFacts(tree.layer(k));
  while (tree.imagesAt(k).length === 0 && tree.childrenOf(k).length === 1) {
    k = tree.childrenOf(k)[0];
    run.push('■ ' + describeLayerFacts(tree.layer(k)));
  }
  const children: Item[] = [];
  for (const i of Array.from(tree.imagesAt(k))) children.push({ kind: 'image', image: i });
  for (const c of Array.from(tree.childrenOf(k))) children.push({ kind: 'node', node: c });
  return { text, run, children };
}

function header(tree: TreeAccess): string {
  let listed = 0;
  for (let i = 0; i < tree.imageCount; i++) if (tree.imageListed(i)) listed++;
  const hidden = tree.imageCount - listed;
  const basis = tree.sizeBasis === 'uncompressed' ? '' : ` (${tree.sizeBasis} sizes)`;
  // Counted over what is drawn (folded layers included), so a branch's header adds up.
  let layers = 0;
  let bytes = 0;
  for (let k = 0; k < tree.nodeCount; k++) {
    const folded = tree.layer(k).folded;
    layers += 1 + (folded?.layers ?? 0);
    bytes += tree.sizeOf(k) + (folded?.bytes ?? 0);
  }
  return `${layers} layer${layers === 1 ? '' : 's'}, ${humanSize(bytes)}${basis}; ${listed} image${listed === 1 ? '' : 's'}${
    hidden ? ` + ${hidden} untagged build parent${hidden === 1 ? '' : 's'} (hidden by docker images)` : ''
  }`;
}

/**
 * `layerlab tree` as text in pieces of many lines: a header, then every layer with its images and
 * their containers, box-drawn. Depth first over an explicit stack, so a tree of millions of images
 * is never one string nor one object per line.
 */
export function* renderLayerTreePieces(anyTree: AnyTree): Generator<string> {
  const tree = treeAccess(anyTree);
  const top: Item[] = Array.from(tree.roots, (r): Item => ({ kind: 'node', node: r }));
  for (let i = 0; i < tree.imageCount; i++) if (tree.imageNode(i) < 0) top.push({ kind: 'image', image: i });
  let out: string[] = [header(tree)];
  // Each entry: an item, the prefix of its line, and whether it is the last of its siblings.
  const stack: { item: Item; prefix: string; last: boolean }[] = [];
  for (let k = top.length - 1; k >= 0; k--) stack.push({ item: top[k], prefix: '', last: k === top.length - 1 });
  while (stack.length) {
    const { item, prefix, last } = stack.pop()!;
    const line = itemText(item, tree);
    out.push(prefix + (last ? '└── ' : '├── ') + line.text);
    const next = prefix + (last ? '    ' : '│   ');
    for (const r of line.run) out.push(next + r);
    for (let k = line.children.length - 1; k >= 0; k--) stack.push({ item: line.children[k], prefix: next, last: k === line.children.length - 1 });
    if (out.length >= 4096) {
      yield out.join('\n') + '\n';
      out = [];
    }
  }
  if (out.length) yield out.join('\n') + '\n';
}

/** `layerlab tree` as text: a header, then every layer with its images and their containers, box-drawn. */
export function renderLayerTree(tree: AnyTree): string {
  return [...renderLayerTreePieces(tree)].join('');
}
