// What the report embeds as JSON: the tree and df answers exactly as the CLI prints them while the
// page draws all of them, else only the part the page draws and lists, so the file stays bounded
// whatever the number of images (a 200,000-image answer is hundreds of MB of JSON).
import type { SystemDf } from '../../analyze/df.js';
import { layerTreeOf, treeAccess, type AnyTree, type LayerTree, type TreeImage, type TreeNode } from '../../analyze/tree.js';
import type { TreeAccess, TreeColumns } from '../../analyze/tree-columns.js';

/** The tree answer cut to the drawn nodes and images, keyed by their index in the full answer. */
export interface EmbeddedTreeCut extends Omit<LayerTree, 'nodes' | 'images'> {
  nodes: Record<number, TreeNode>;
  images: Record<number, TreeImage>;
  /** How many nodes and images the full answer has (`layerlab tree --format json` gives them all). */
  cut: { nodes: number; images: number };
}

/** The df answer with every total but only the rows of the drawn or listed images and their containers. */
export type EmbeddedDfCut<D extends SystemDf> = D & { cut: { Images: number; Containers: number } };

/** The nodes' ancestors too, so every embedded node's stack below it is embedded. */
function closeUnder(tree: TreeAccess, nodes: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (const start of nodes) for (let n = start; n >= 0 && !out.has(n); n = tree.parentOf(n)) out.add(n);
  return out;
}

/** The tree and df to embed: whole when everything is drawn, else the drawn cut with the counts of the rest. */
export function embeddedAnswers<D extends SystemDf>(anyTree: AnyTree, df: D, drawnNodes: Iterable<number>, drawnImages: Iterable<number>): { tree: LayerTree | EmbeddedTreeCut; df: D | EmbeddedDfCut<D> } {
  const tree = treeAccess(anyTree);
  const nodes = closeUnder(tree, drawnNodes);
  const images = new Set(drawnImages);
  for (const n of nodes) for (const i of Array.from(tree.imagesAt(n))) images.add(i);
  if (nodes.size === tree.nodeCount && images.size === tree.imageCount) return { tree: 'nodes' in anyTree ? anyTree : layerTreeOf(anyTree as TreeColumns), df };
  const cutNodes: Record<number, TreeNode> = {};
  for (const n of [...nodes].sort((a, b) => a - b)) {
    const node = tree.node(n);
    cutNodes[n] = { ...node, children: node.children.filter((c) => nodes.has(c)), images: node.images.filter((i) => images.has(i)) };
  }
  const cutImages: Record<number, TreeImage> = {};
  for (const i of [...images].sort((a, b) => a - b)) cutImages[i] = tree.image(i);
  const ids = new Set([...images].map((i) => tree.image(i).id));
  const Images = df.Images.filter((r) => ids.has(r.Id));
  const Containers = df.Containers.filter((c) => ids.has(c.ImageID));
  return {
    tree: { nodes: cutNodes, roots: Array.from(tree.roots), images: cutImages, layersSize: tree.layersSize, sizeBasis: tree.sizeBasis, cut: { nodes: tree.nodeCount, images: tree.imageCount } },
    df: { ...df, Images, Containers, cut: { Images: df.Images.length, Containers: df.Containers.length } },
  };
}
