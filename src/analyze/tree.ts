import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import type { ContainerState } from '../model/types.js';
import { removalHost } from './removal.js';
import type { SizeBasis } from './sizes.js';
import { treeColumns, type ChainHasher, type TreeAccess } from './tree-columns.js';

/** A container bound to an image, as the tree shows it at the image's leaf. */
export interface TreeContainer {
  id: string;
  name?: string;
  state: ContainerState;
}

/** An image placed in the layer tree: it ends at the node of its top layer. */
export interface TreeImage {
  id: string;
  tags: string[];
  /** False for an untagged image with children (a build parent): `docker images` hides it and df does not count it. */
  listed: boolean;
  parentId?: string;
  /** Index in {@link LayerTree.nodes} of the image's top layer; -1 for an image without layers. */
  node: number;
  /**
   * The image ends on its parent image's top layer: it adds no layer of its own (a build step
   * such as CMD or ENV changes only the config), so its "own" bytes are its parent's.
   */
  noOwnLayer: boolean;
  /** df's Size, SharedSize and UniqueSize (listed images only; a hidden build parent has none). */
  size?: number;
  shared?: number;
  unique?: number;
  containers: TreeContainer[];
}

/** One layer of the store: a chain-trie node, i.e. a layer on top of one exact stack below it. */
export interface TreeNode {
  diffId?: string;
  /** Blob digest, when the source knows it. */
  digest?: string;
  chainId?: string;
  /** The layer's own bytes (df's basis: uncompressed when known). */
  size: number;
  /** The empty layer (a tar of no files, which some builders emit for ENV or WORKDIR steps). */
  empty: boolean;
  /** Parent node index, -1 for a bottom layer. */
  parent: number;
  children: number[];
  /** Images (indices into {@link LayerTree.images}) whose top layer this is. */
  images: number[];
  /** Listed images whose stack holds this layer; more than 1 makes the layer SHARED in df. */
  users: number;
  /** Smaller layers below, folded into this node by `--min-size`. */
  folded?: { layers: number; bytes: number };
  /** Branches left out by `--image`. */
  otherBranches?: number;
}

/** The images of a source as a tree of shared stack prefixes. */
export interface LayerTree {
  nodes: TreeNode[];
  roots: number[];
  images: TreeImage[];
  /** Docker's LayersSize: bytes of distinct layers. */
  layersSize: number;
  sizeBasis: SizeBasis;
}

/** The chain trie of a graph as a tree of layers with the images and containers that end on each. */
export function layerTree(graph: ImageGraph, hash?: ChainHasher): LayerTree {
  return layerTreeOf(treeColumns(graph, hash));
}

/** The columnar tree as objects: one per node and per image (what `--image` and `--min-size` reshape). */
export function layerTreeOf(t: TreeAccess): LayerTree {
  const nodes = new Array<TreeNode>(t.nodeCount);
  for (let k = 0; k < t.nodeCount; k++) nodes[k] = t.node(k);
  const images = new Array<TreeImage>(t.imageCount);
  for (let i = 0; i < t.imageCount; i++) images[i] = t.image(i);
  return { nodes, roots: Array.from(t.roots), images, layersSize: t.layersSize, sizeBasis: t.sizeBasis };
}

/** A tree in either form, as the renderers read it. */
export type AnyTree = LayerTree | TreeAccess;

/** The object tree behind the renderers' interface (the columnar one is its own). */
export function treeAccess(tree: AnyTree): TreeAccess {
  if (!('nodes' in tree)) return tree;
  const { nodes, images } = tree;
  return {
    nodeCount: nodes.length,
    imageCount: images.length,
    roots: tree.roots,
    layersSize: tree.layersSize,
    sizeBasis: tree.sizeBasis,
    node: (k) => nodes[k],
    layer: (k) => ({ ...nodes[k], shownId: nodes[k].diffId ?? nodes[k].digest }),
    image: (i) => images[i],
    parentOf: (k) => nodes[k].parent,
    sizeOf: (k) => nodes[k].size,
    usersOf: (k) => nodes[k].users,
    childrenOf: (k) => nodes[k].children,
    imagesAt: (k) => nodes[k].images,
    imageNode: (i) => images[i].node,
    imageListed: (i) => images[i].listed,
    imageSize: (i) => images[i].size,
  };
}

/**
 * Folds layers smaller than `minSize` into the layer above them, where that changes no branch:
 * a folded layer has exactly one child and no image ending on it. Node indices are renumbered.
 */
export function foldSmallLayers(tree: LayerTree, minSize: number): LayerTree {
  return reshape(tree, (n) => (n.size < minSize && n.children.length === 1 && n.images.length === 0 ? 'fold' : 'keep'));
}

/** The image IMAGE names (tag, ID, digest or unique ID prefix), as Docker resolves it; EINPUT when none. */
export function findTreeImage(graph: ImageGraph, refOrId: string, source?: string): number {
  const id = removalHost(graph).idOf(refOrId);
  const i = id === undefined ? undefined : graph.imageIndex(id);
  // worded as `files` words it
  if (i === undefined) throw new LayerlabError('EINPUT', `no such image: ${quote(refOrId)} (${graph.imageCount} image(s) in this source)`, source === undefined ? {} : { file: source });
  return i;
}

/** One image's branch: the layers under its top layer, with the images ending on them. */
export function treeBranch(tree: LayerTree, image: number): LayerTree {
  const onPath = new Set<TreeNode>();
  for (let n = tree.images[image].node; n >= 0; n = tree.nodes[n].parent) onPath.add(tree.nodes[n]);
  return reshape(tree, (n) => (onPath.has(n) ? 'keep' : 'drop'));
}

/**
 * {@link treeBranch} of the whole tree, made from either form without making an object for the
 * nodes and images off the branch (a million images: a few objects instead of three million).
 */
export function treeBranchOf(anyTree: AnyTree, image: number): LayerTree {
  const t = treeAccess(anyTree);
  const path: number[] = [];
  for (let n = t.imageNode(image); n >= 0; n = t.parentOf(n)) path.push(n);
  path.reverse();
  const at = new Map(path.map((k, j) => [k, j]));
  // Images on dropped layers leave the tree (and the list); the rest are renumbered.
  const imageIndex = new Int32Array(t.imageCount).fill(-1);
  const images: TreeImage[] = [];
  for (let i = 0; i < t.imageCount; i++) {
    const node = t.imageNode(i);
    if (node >= 0 && !at.has(node)) continue;
    imageIndex[i] = images.length;
    images.push({ ...t.image(i), node: node >= 0 ? at.get(node)! : -1 });
  }
  const nodes = path.map((k, j): TreeNode => {
    const n = t.node(k);
    const out: TreeNode = { ...n, parent: j - 1, children: j + 1 < path.length ? [j + 1] : [] };
    delete out.folded;
    delete out.otherBranches;
    if (n.folded?.layers) out.folded = { layers: n.folded.layers, bytes: n.folded.bytes };
    out.images = out.images.map((i) => imageIndex[i]);
    const dropped = t.childrenOf(k).length - out.children.length + (n.otherBranches ?? 0);
    if (dropped) out.otherBranches = dropped;
    return out;
  });
  return { nodes, roots: path.length ? [0] : [], images, layersSize: t.layersSize, sizeBasis: t.sizeBasis };
}

type Fate = 'keep' | 'fold' | 'drop';

// Walks the tree depth first, renumbering kept nodes in preorder; a folded node's size goes to
// the node above it (its only child), a dropped node's whole subtree is counted in otherBranches.
function reshape(tree: LayerTree, fate: (n: TreeNode) => Fate): LayerTree {
  const index = new Array<number>(tree.nodes.length).fill(-1);
  const nodes: TreeNode[] = [];
  const roots: number[] = [];
  const visit = (k: number, parent: number, carry: { layers: number; bytes: number }): void => {
    const n = tree.nodes[k];
    const f = fate(n);
    if (f === 'drop') return;
    if (f === 'fold') {
      const next = { layers: carry.layers + 1 + (n.folded?.layers ?? 0), bytes: carry.bytes + n.size + (n.folded?.bytes ?? 0) };
      for (const c of n.children) visit(c, parent, next);
      return;
    }
    const out: TreeNode = { ...n, parent, children: [] };
    delete out.folded;
    delete out.otherBranches;
    const layers = carry.layers + (n.folded?.layers ?? 0);
    if (layers) out.folded = { layers, bytes: carry.bytes + (n.folded?.bytes ?? 0) };
    const me = nodes.length;
    index[k] = me;
    nodes.push(out);
    if (parent < 0) roots.push(me);
    else nodes[parent].children.push(me);
    const zero = { layers: 0, bytes: 0 };
    for (const c of n.children) visit(c, me, zero);
    const dropped = n.children.filter((c) => fate(tree.nodes[c]) === 'drop').length + (n.otherBranches ?? 0);
    if (dropped) out.otherBranches = dropped;
  };
  for (const r of tree.roots) visit(r, -1, { layers: 0, bytes: 0 });
  // Images on dropped layers leave the tree (and the list); the rest are renumbered.
  const imageIndex = new Array<number>(tree.images.length).fill(-1);
  const images: TreeImage[] = [];
  tree.images.forEach((img, i) => {
    if (img.node >= 0 && index[img.node] < 0) return;
    imageIndex[i] = images.length;
    images.push({ ...img, node: img.node >= 0 ? index[img.node] : -1 });
  });
  for (const n of nodes) n.images = n.images.map((i) => imageIndex[i]);
  return { ...tree, nodes, roots, images };
}

/** Bytes shared between pairs of images as a Docker host stores them: their common stack prefix. */
export interface PrefixSharing {
  /** Indices into tree.images: the largest listed images, at most `max`. */
  images: number[];
  /** bytes[a][b]: size of the common chain prefix of images a and b; the diagonal is the image's size. */
  bytes: number[][];
  /** The listed images left out, and per shown image the bytes of its layers any of them also holds. */
  others: { images: number; bytes: number[] };
}

/**
 * The `max` largest listed images (ties: lower index first), largest first, and the number and bytes
 * of the others: the head of a sort of every listed image, kept in one pass without sorting them all.
 */
export function largestListed(tree: AnyTree, max: number): { top: number[]; others: { images: number; bytes: number } } {
  const t = treeAccess(tree);
  const top: number[] = [];
  const before = (a: number, b: number) => t.imageSize(a)! > t.imageSize(b)! || (t.imageSize(a) === t.imageSize(b) && a < b);
  let listed = 0;
  let total = 0;
  for (let i = 0; i < t.imageCount; i++) {
    if (!t.imageListed(i)) continue;
    listed++;
    total += t.imageSize(i)!;
    if (max <= 0 || (top.length === max && !before(i, top[max - 1]))) continue;
    let at = top.length === max ? max - 1 : top.length;
    while (at > 0 && before(i, top[at - 1])) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = i;
  }
  // Byte counts are whole numbers far below 2^53: the sum is exact in any order.
  const shownBytes = top.reduce((sum, i) => sum + t.imageSize(i)!, 0);
  return { top, others: { images: listed - top.length, bytes: total - shownBytes } };
}

/** Pairwise common-prefix bytes among the `max` largest listed images; the rest summed up as one "others". */
export function prefixSharing(anyTree: AnyTree, max: number): PrefixSharing {
  const tree = treeAccess(anyTree);
  const { top: images, others: rest } = largestListed(tree, max);
  const path = (i: number) => {
    const p: number[] = [];
    for (let n = tree.imageNode(i); n >= 0; n = tree.parentOf(n)) p.push(n);
    return p.reverse();
  };
  const paths = images.map(path);
  const bytes = paths.map((pa) =>
    paths.map((pb) => {
      let s = 0;
      for (let k = 0; k < Math.min(pa.length, pb.length) && pa[k] === pb[k]; k++) s += tree.sizeOf(pa[k]);
      return s;
    }),
  );
  const shown = new Set(images);
  const heldByOthers = new Uint8Array(tree.nodeCount);
  for (let i = 0; i < tree.imageCount; i++) {
    if (!tree.imageListed(i) || shown.has(i)) continue;
    for (let n = tree.imageNode(i); n >= 0 && !heldByOthers[n]; n = tree.parentOf(n)) heldByOthers[n] = 1;
  }
  const others = paths.map((p) => p.reduce((s, n) => s + (heldByOthers[n] ? tree.sizeOf(n) : 0), 0));
  return { images, bytes, others: { images: rest.images, bytes: others } };
}
