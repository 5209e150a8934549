import { treeAccess, type AnyTree, type TreeImage, type TreeNode } from '../analyze/tree.js';
import type { LayerFacts, TreeAccess } from '../analyze/tree-columns.js';
import { humanSize } from './units.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * {@link humanSize}, faster where a tree prints millions of sizes: for a scaled value in [1, 1000)
 * Go's %.4g is toPrecision(4) without the trailing fractional zeros (both round the exact value
 * half up); anything else goes to humanSize.
 */
export function treeSize(size: number): string {
  let v = size;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  if (!(v >= 1 && v < 1000)) return humanSize(size);
  let s = v.toPrecision(4);
  if (s.includes('.')) {
    let e = s.length;
    while (s.charCodeAt(e - 1) === 48) e--;
    if (s.charCodeAt(e - 1) === 46) e--;
    s = s.slice(0, e);
  }
  return s + UNITS[i];
}

/** 12 hex of a digest, as Docker shortens IDs. */
export function short12(digest: string | undefined): string {
  // startsWith, not a regex replace: a tree asks this for millions of lines.
  return digest === undefined ? '?' : digest.startsWith('sha256:') ? digest.slice(7, 19) : digest.slice(0, 12);
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
  let s = `${treeSize(n.size)}  layer ${short12(n.shownId)}`;
  if (n.empty) s += '  (the empty layer: no files)';
  if (n.users > 1) s += `  shared by ${n.users} images`;
  if (n.folded) s += `  (+${n.folded.layers} smaller layer${n.folded.layers === 1 ? '' : 's'} below, ${treeSize(n.folded.bytes)})`;
  if (n.otherBranches) s += `  (+${n.otherBranches} other branch${n.otherBranches === 1 ? '' : 'es'} not shown)`;
  return s;
}

/** The one-line description of an image at its leaf: df's SIZE/SHARED/UNIQUE, or why it has none. */
export function describeTreeImage(img: TreeImage, tree: AnyTree): string {
  let s = `${treeImageLabel(img)}  ${short12(img.id)}`;
  if (img.listed) s += `  SIZE ${treeSize(img.size ?? 0)}  SHARED ${treeSize(img.shared ?? 0)}  UNIQUE ${treeSize(img.unique ?? 0)}`;
  else s += '  hidden by docker images, not counted by df';
  if (img.noOwnLayer) s += `  (adds no layer: its top layer is its parent ${short12(img.parentId)}'s)`;
  if (img.node < 0 && ('nodes' in tree ? tree.nodes.length : tree.nodeCount)) s += '  (no layers)';
  return s;
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
 * their containers, box-drawn. Depth first over an explicit stack of numbers (an image i is
 * pushed as -1 - i), so a tree of millions of images is never one string nor one object per line.
 */
export function* renderLayerTreePieces(anyTree: AnyTree): Generator<string> {
  const tree = treeAccess(anyTree);
  const items: number[] = [];
  const prefixes: string[] = [];
  const lasts: boolean[] = [];
  const orphans: number[] = [];
  for (let i = 0; i < tree.imageCount; i++) if (tree.imageNode(i) < 0) orphans.push(i);
  for (let k = orphans.length - 1; k >= 0; k--) items.push(-1 - orphans[k]);
  for (let k = tree.roots.length - 1; k >= 0; k--) items.push(tree.roots[k]);
  for (let k = 0; k < items.length; k++) {
    prefixes.push('');
    lasts.push(k === 0);
  }
  let out: string[] = [header(tree)];
  while (items.length) {
    const item = items.pop()!;
    const prefix = prefixes.pop()!;
    const last = lasts.pop()!;
    const next = prefix + (last ? '    ' : '│   ');
    if (item < 0) {
      const img = tree.image(-1 - item);
      out.push(prefix + (last ? '└── ◆ ' : '├── ◆ ') + describeTreeImage(img, tree));
      img.containers.forEach((c, j) => out.push(next + (j === img.containers.length - 1 ? '└── ' : '├── ') + `▷ container ${c.name ?? short12(c.id)} ${short12(c.id)} (${c.state})`));
    } else {
      out.push(prefix + (last ? '└── ■ ' : '├── ■ ') + describeLayerFacts(tree.layer(item)));
      // Layers stacked straight on this one (one child, no image ending between) are drawn under
      // it at the same depth, so a long stack reads as a column, not a staircase.
      let k = item;
      let children = tree.childrenOf(k);
      let images = tree.imagesAt(k);
      while (images.length === 0 && children.length === 1) {
        k = children[0];
        out.push(next + '■ ' + describeLayerFacts(tree.layer(k)));
        children = tree.childrenOf(k);
        images = tree.imagesAt(k);
      }
      // Images first, then child layers; pushed last first.
      for (let j = children.length - 1; j >= 0; j--) {
        items.push(children[j]);
        prefixes.push(next);
        lasts.push(j === children.length - 1);
      }
      for (let j = images.length - 1; j >= 0; j--) {
        items.push(-1 - images[j]);
        prefixes.push(next);
        lasts.push(j === images.length - 1 && children.length === 0);
      }
    }
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
