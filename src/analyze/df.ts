import type { ImageGraph } from '../model/graph.js';
import type { ContainerState } from '../model/types.js';
import { isActiveContainer } from '../model/container-state.js';
import { effectiveSizes, memoPerGraph, type SizeBasis } from './sizes.js';
import { reclaimablePerImage } from './removal.js';

/**
 * How RECLAIMABLE is computed for images. `current` (Docker >= 29.4, computed by the daemon):
 * sum over images without containers of Size - SharedSize. `legacy` (docker/cli up to 28.x, e.g.
 * Debian's 20.10): LayersSize - sum over images with containers of Size - SharedSize.
 */
export type ReclaimableRule = 'current' | 'legacy';

/** The df core in typed columns: one linear pass over all layer references. */
export interface ImageUsage {
  /** 1 when Docker lists the image (it hides untagged images that have children). */
  listed: Uint8Array;
  /** Sum of the layer sizes of each image's whole chain. */
  size: Float64Array;
  /** Bytes of each image's chain layers that another listed image's chain also holds. */
  shared: Float64Array;
  /** Images (listed) whose chain passes through each chain node. */
  nodeRefs: Uint32Array;
  /** Sum of the sizes of all distinct chain layers (Docker's LayersSize). */
  layersSize: number;
  basis: SizeBasis;
  layersWithoutSize: number;
  layersWithCompressedSizeOnly: number;
}

/** Docker's listing rule (daemon/images/image_list.go, all=false): untagged parents are hidden. */
export const listedImages: (graph: ImageGraph) => Uint8Array = memoPerGraph(computeListedImages);

function computeListedImages(graph: ImageGraph): Uint8Array {
  const listed = new Uint8Array(graph.imageCount);
  for (let i = 0; i < graph.imageCount; i++) listed[i] = graph.imageChildCount[i] > 0 && graph.isUntagged(i) ? 0 : 1;
  return listed;
}

/** Size, SharedSize and LayersSize exactly as the daemon computes them for `docker system df`. */
export const imageUsage: (graph: ImageGraph) => ImageUsage = memoPerGraph(computeImageUsage);

function computeImageUsage(graph: ImageGraph): ImageUsage {
  const eff = effectiveSizes(graph);
  const layerSize = eff.size;
  const { stackStart, stackNode, stackLayer } = graph;
  const n = graph.imageCount;
  const listed = listedImages(graph);
  // Layer references are counted over the listed images only: verified on Docker 20.10, where an
  // image's own top layer is also in its hidden build parent yet is not counted as shared.
  const nodeRefs = new Uint32Array(graph.chain.count);
  for (let i = 0; i < n; i++) {
    if (!listed[i]) continue;
    for (let p = stackStart[i], e = stackStart[i + 1]; p < e; p++) nodeRefs[stackNode[p]]++;
  }
  const size = new Float64Array(n);
  const shared = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let sh = 0;
    for (let p = stackStart[i], e = stackStart[i + 1]; p < e; p++) {
      const b = layerSize[stackLayer[p]];
      s += b;
      if (nodeRefs[stackNode[p]] > 1) sh += b;
    }
    size[i] = s;
    shared[i] = sh;
  }
  let layersSize = 0;
  const nodeLayer = graph.chain.nodeLayer;
  for (let k = 0; k < graph.chain.count; k++) layersSize += layerSize[nodeLayer[k]];
  return {
    listed,
    size,
    shared,
    nodeRefs,
    layersSize,
    basis: eff.basis,
    layersWithoutSize: eff.unknown,
    layersWithCompressedSizeOnly: eff.compressedOnly,
  };
}

/** One image as `/system/df` reports it, plus UniqueSize. */
export interface DfImage {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  UniqueSize: number;
  /** layerlab's: bytes removing just this image now would free (0 when containers or children hold it). */
  Reclaimable: number;
  VirtualSize: number;
  Labels: null;
  Containers: number;
}

/** One container as `/system/df` reports it. */
export interface DfContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: ContainerState;
  Status: string;
  SizeRw: number;
  SizeRootFs: number;
}

/** A row of the summary table. */
export interface DfTotals {
  TotalCount: number;
  ActiveCount: number;
  TotalSize: number;
  Reclaimable: number;
}

/** The whole `docker system df` answer. Field names follow the Engine API. */
export interface SystemDf {
  LayersSize: number;
  Images: DfImage[];
  Containers: DfContainer[];
  ImagesUsage: DfTotals;
  ContainersUsage: DfTotals;
  /** Which RECLAIMABLE rule ImagesUsage.Reclaimable follows. */
  ReclaimableRule: ReclaimableRule;
  /** What the sizes are: `compressed` when only registry sizes were known. */
  SizeBasis: SizeBasis;
  LayersWithoutSize: number;
  /** Containers whose writable-layer size is unknown (counted as 0), e.g. from a data root read offline. */
  ContainersWithoutSize: number;
}

/**
 * The `docker system df` answer without its per-image and per-container rows: what the summary
 * table and the caveats need, computed from the graph's columns (no image ID strings are made).
 */
export type DfSummary = Omit<SystemDf, 'Images' | 'Containers'>;

// The public API exports the rule from here.
export { isActiveContainer };

/** RECLAIMABLE for images under a rule, from the per-image Size, SharedSize and Containers. */
export function imagesReclaimable(images: readonly Pick<DfImage, 'Size' | 'SharedSize' | 'Containers'>[], layersSize: number, rule: ReclaimableRule): number {
  let used = 0;
  let unused = 0;
  for (const i of images) {
    if (i.Containers > 0) used += i.Size - i.SharedSize;
    else unused += i.Size - i.SharedSize;
  }
  return rule === 'legacy' ? layersSize - used : unused;
}

/** The totals of {@link systemDf} alone, in one pass over the per-image columns. */
export function systemDfSummary(graph: ImageGraph, rule: ReclaimableRule = 'current'): DfSummary {
  return summaryOf(graph, imageUsage(graph), rule);
}

function summaryOf(graph: ImageGraph, u: ReturnType<typeof imageUsage>, rule: ReclaimableRule): DfSummary {
  let count = 0;
  let active = 0;
  let used = 0;
  let unused = 0;
  for (let i = 0; i < graph.imageCount; i++) {
    if (!u.listed[i]) continue;
    count++;
    const unique = u.size[i] - u.shared[i];
    if (graph.imageContainerCount[i] > 0) {
      active++;
      used += unique;
    } else unused += unique;
  }
  let cActive = 0;
  let cSize = 0;
  let cReclaim = 0;
  let cUnsized = 0;
  for (const c of graph.containers) {
    const rw = c.sizeRw ?? 0;
    cSize += rw;
    if (c.sizeRw === undefined) cUnsized++;
    if (isActiveContainer(c.state)) cActive++;
    else cReclaim += rw;
  }
  return {
    LayersSize: u.layersSize,
    ImagesUsage: { TotalCount: count, ActiveCount: active, TotalSize: u.layersSize, Reclaimable: rule === 'legacy' ? u.layersSize - used : unused },
    ContainersUsage: { TotalCount: graph.containers.length, ActiveCount: cActive, TotalSize: cSize, Reclaimable: cReclaim },
    ReclaimableRule: rule,
    SizeBasis: u.basis,
    LayersWithoutSize: u.layersWithoutSize,
    ContainersWithoutSize: cUnsized,
  };
}

/** `docker system df` of a graph, images newest first as the daemon sorts them. */
export function systemDf(graph: ImageGraph, rule: ReclaimableRule = 'current'): SystemDf {
  const u = imageUsage(graph);
  const reclaimable = reclaimablePerImage(graph);
  const ids = graph.imageIdList();
  const images: DfImage[] = [];
  for (let i = 0; i < graph.imageCount; i++) {
    if (!u.listed[i]) continue;
    const containers = graph.imageContainerCount[i];
    const dangling = graph.isUntagged(i);
    const unique = u.size[i] - u.shared[i];
    const parent = graph.imageParent[i];
    const tags = graph.tagsOf(i);
    const digests = graph.digestsOf(i);
    images.push({
      Id: ids[i],
      ParentId: parent >= 0 ? ids[parent] : '',
      RepoTags: dangling ? ['<none>:<none>'] : tags.length ? [...tags] : null,
      RepoDigests: dangling ? ['<none>@<none>'] : digests.length ? [...digests] : null,
      Created: graph.createdOf(i) ?? 0,
      Size: u.size[i],
      SharedSize: u.shared[i],
      UniqueSize: unique,
      Reclaimable: reclaimable[i],
      VirtualSize: u.size[i],
      Labels: null,
      Containers: containers,
    });
  }
  // Newest first; ties keep source order, which is the daemon's own (it sorts by sub-second time).
  images.sort((a, b) => b.Created - a.Created);

  const containers: DfContainer[] = graph.containers.map((c, k) => ({
    Id: c.id,
    Names: c.name ? ['/' + c.name] : [],
    Image: c.imageRef ?? c.image,
    ImageID: c.image,
    Command: c.command ?? '',
    Created: c.created ?? 0,
    State: c.state,
    Status: c.status ?? defaultStatus(c.state),
    SizeRw: c.sizeRw ?? 0,
    SizeRootFs: (c.sizeRw ?? 0) + u.size[graph.containerImage[k]],
  }));
  containers.sort((a, b) => b.Created - a.Created);
  const t = summaryOf(graph, u, rule);
  // Key order is the JSON schema's: the totals around the rows, as docker's answer has them.
  return {
    LayersSize: t.LayersSize,
    Images: images,
    Containers: containers,
    ImagesUsage: t.ImagesUsage,
    ContainersUsage: t.ContainersUsage,
    ReclaimableRule: t.ReclaimableRule,
    SizeBasis: t.SizeBasis,
    LayersWithoutSize: t.LayersWithoutSize,
    ContainersWithoutSize: t.ContainersWithoutSize,
  };
}

function defaultStatus(state: ContainerState): string {
  switch (state) {
    case 'running':
      return 'Up';
    case 'paused':
      return 'Up (Paused)';
    case 'restarting':
      return 'Restarting';
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'exited':
      return 'Exited';
    case 'dead':
      return 'Dead';
  }
}
