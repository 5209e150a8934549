// A literal port of the daemon's df loop (moby daemon/images/image_list.go, Images with
// withExtraAttrs), on real chainID strings and string maps: the obviously-correct model that
// layerlab's typed-array implementation is checked against.
import { chainIds } from '../../src/model/identity.js';
import type { SnapshotDoc } from './arbitraries.js';

export interface ModelImage {
  Id: string;
  Size: number;
  SharedSize: number;
  Containers: number;
}

export function dockerDfModel(doc: SnapshotDoc): { images: Map<string, ModelImage>; layersSize: number } {
  const sizeOf = new Map<string, number>();
  for (const l of doc.layers) sizeOf.set(l.diffId as string, l.size as number);
  const children = new Map<string, number>();
  for (const img of doc.images) if (img.parent) children.set(img.parent as string, (children.get(img.parent as string) ?? 0) + 1);
  const listed = doc.images.filter((img) => (img.repoTags as string[] | undefined)?.length || !children.get(img.id as string));
  const allLayers = new Map<string, number>();
  for (const img of doc.images) {
    const diffs = img.layers as string[];
    chainIds(diffs).forEach((c, k) => allLayers.set(c, sizeOf.get(diffs[k])!));
  }
  const layerRefs = new Map<string, number>();
  for (const img of listed) for (const c of chainIds(img.layers as string[])) layerRefs.set(c, (layerRefs.get(c) ?? 0) + 1);
  const images = new Map<string, ModelImage>();
  for (const img of listed) {
    const diffs = img.layers as string[];
    const chain = chainIds(diffs);
    let size = 0;
    let shared = 0;
    chain.forEach((c, k) => {
      size += sizeOf.get(diffs[k])!;
      if (layerRefs.get(c)! > 1) shared += allLayers.get(c)!;
    });
    const containers = doc.containers.filter((c) => c.image === img.id).length;
    images.set(img.id as string, { Id: img.id as string, Size: size, SharedSize: shared, Containers: containers });
  }
  let layersSize = 0;
  for (const v of allLayers.values()) layersSize += v;
  return { images, layersSize };
}
