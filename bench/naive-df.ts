// The baseline the issue names: a straightforward df with a Map from digest strings to objects,
// one key string and one object per chain layer, per-image arrays of objects. Same answers.
import type { GraphColumns } from '../src/model/graph.js';
import type { ImageMeta } from '../src/model/types.js';

/** The graph's columns with the images as objects, as a naive program would hold them. */
export type NaiveInput = Omit<GraphColumns, 'images'> & { images: readonly ImageMeta[] };

interface NaiveNode {
  id: number;
  size: number;
  refs: number;
}

export function naiveDf(c: NaiveInput): { layersSize: number; images: { id: string; size: number; shared: number }[] } {
  const { layersSize, images } = naiveDfRetained(c);
  return { layersSize, images };
}

/** naiveDf keeping its working structures, so their memory can be measured. */
export function naiveDfRetained(c: NaiveInput) {
  const nodes = new Map<string, NaiveNode>();
  const children = new Map<string, number>();
  for (const m of c.images) if (m.parent) children.set(m.parent, (children.get(m.parent) ?? 0) + 1);
  const stacks: NaiveNode[][] = [];
  const listed: boolean[] = [];
  for (let i = 0; i < c.images.length; i++) {
    const m = c.images[i];
    const isListed = (m.repoTags?.length ?? 0) > 0 || (m.repoDigests?.length ?? 0) > 0 || !children.get(m.id);
    listed.push(isListed);
    let parentKey = '';
    const stack: NaiveNode[] = [];
    for (let p = c.stackStart[i]; p < c.stackStart[i + 1]; p++) {
      const l = c.stackLayer[p];
      const key = parentKey + ' ' + (c.layerDiffId[l] ?? c.layerDigest[l]);
      let node = nodes.get(key);
      if (!node) {
        node = { id: nodes.size, size: Number.isNaN(c.layerSize[l]) ? 0 : c.layerSize[l], refs: 0 };
        nodes.set(key, node);
      }
      if (isListed) node.refs++;
      stack.push(node);
      parentKey = String(node.id);
    }
    stacks.push(stack);
  }
  const images = [];
  for (let i = 0; i < stacks.length; i++) {
    if (!listed[i]) continue;
    let size = 0;
    let shared = 0;
    for (const n of stacks[i]) {
      size += n.size;
      if (n.refs > 1) shared += n.size;
    }
    images.push({ id: c.images[i].id, size, shared });
  }
  let layersSize = 0;
  for (const n of nodes.values()) layersSize += n.size;
  return { layersSize, images, nodes, stacks };
}
