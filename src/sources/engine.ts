import { LayerlabError, quote } from '../errors.js';
import { GraphBuilder, type ImageGraph } from '../model/graph.js';
import { CONTAINER_STATES, type ContainerRecord, type ContainerState } from '../model/types.js';
import { isDigest } from '../model/digest.js';
import { normalizeRepoDigest, normalizeRepoTag } from '../model/reference.js';

/** The parts of `docker image inspect` / `GET /images/{id}/json` layerlab reads. */
export interface EngineImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Parent?: string;
  Created?: string;
  Os?: string;
  Architecture?: string;
  Variant?: string;
  RootFS?: { Type?: string; Layers?: string[] | null };
  /** The size of the whole layer chain (moby: the top layer's `Size()`), what `docker system df` prints. */
  Size?: number;
}

/** The parts of `GET /containers/json?all=1&size=1` layerlab reads. */
export interface EngineContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID: string;
  Command?: string;
  Created?: number;
  State?: string;
  Status?: string;
  SizeRw?: number;
}

/**
 * Builds a graph from Engine API answers. Per-layer sizes are not in image inspect: the caller
 * passes them (from image history, or a data root's layerdb) keyed by diffID.
 */
export function graphFromEngine(
  images: EngineImageInspect[],
  containers: EngineContainer[],
  layerSizes: ReadonlyMap<string, number>,
  file?: string,
): ImageGraph {
  const b = new GraphBuilder();
  const layerIndex = new Map<string, number>();
  const fail = (path: string, message: string): never => {
    throw new LayerlabError('EINPUT', message, { file, path });
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown, path: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(path, 'expected a list of strings');
    return v as string[];
  };
  const ref = (t: string, path: string, normalize: (s: string) => string): string => {
    try {
      return normalize(t);
    } catch (e) {
      return fail(path, `invalid reference ${quote(t)}: ${(e as Error).message}`);
    }
  };
  if (!Array.isArray(images)) fail('$', 'expected a list of images');
  if (!Array.isArray(containers)) fail('$containers', 'expected a list of containers');
  const seen = new Set<string>();
  images.forEach((img, i) => {
    const path = `$[${i}]`;
    if (!isObject(img)) fail(path, 'expected an image object');
    if (!isDigest(img.Id)) throw new LayerlabError('EINPUT', `image Id ${quote(img.Id)} is not a digest`, { file, path: `${path}.Id` });
    if (seen.has(img.Id)) fail(`${path}.Id`, `image ${img.Id} listed twice`);
    seen.add(img.Id);
    if (img.RootFS !== undefined && !isObject(img.RootFS)) fail(`${path}.RootFS`, 'expected an object');
    strings(img.RootFS?.Layers, `${path}.RootFS.Layers`);
    img = { ...img, RepoTags: strings(img.RepoTags, `${path}.RepoTags`), RepoDigests: strings(img.RepoDigests, `${path}.RepoDigests`) };
    for (const k of ['Parent', 'Created', 'Os', 'Architecture', 'Variant'] as const) if (img[k] !== undefined && typeof img[k] !== 'string') fail(`${path}.${k}`, 'expected a string');
    if (img.Parent && !isDigest(img.Parent)) fail(`${path}.Parent`, 'expected an image ID');
    const stack = (img.RootFS?.Layers ?? []).map((diffId, k) => {
      if (!isDigest(diffId)) throw new LayerlabError('EINPUT', `layer ${quote(diffId)} is not a digest`, { file, path: `${path}.RootFS.Layers[${k}]` });
      let l = layerIndex.get(diffId);
      if (l === undefined) {
        l = b.addLayer({ diffId, size: layerSizes.get(diffId) });
        layerIndex.set(diffId, l);
      }
      return l;
    });
    const platform = img.Os && img.Architecture ? [img.Os, img.Architecture, img.Variant].filter(Boolean).join('/') : undefined;
    b.addImage(
      {
        id: img.Id,
        ...(img.RepoTags?.length ? { repoTags: img.RepoTags.filter((t) => t !== '<none>:<none>').map((t, k) => ref(t, `${path}.RepoTags[${k}]`, normalizeRepoTag)) } : {}),
        ...(img.RepoDigests?.length ? { repoDigests: img.RepoDigests.filter((t) => t !== '<none>@<none>').map((t, k) => ref(t, `${path}.RepoDigests[${k}]`, normalizeRepoDigest)) } : {}),
        ...(img.Created && Number.isFinite(Date.parse(img.Created)) ? { created: Math.floor(Date.parse(img.Created) / 1000) } : {}),
        ...(platform ? { platform } : {}),
        ...(img.Parent ? { parent: img.Parent } : {}),
      },
      stack,
    );
  });
  containers.forEach((c, k) => {
    const path = `$containers[${k}]`;
    if (!isObject(c)) fail(path, 'expected a container object');
    if (typeof c.Id !== 'string' || !/^[0-9a-f]{64}$/.test(c.Id)) fail(`${path}.Id`, 'expected a 64-hex container ID');
    if (!isDigest(c.ImageID)) fail(`${path}.ImageID`, 'expected an image ID');
    if (!seen.has(c.ImageID)) fail(`${path}.ImageID`, `image ${c.ImageID} is not among the images`);
    for (const f of ['Image', 'Command', 'State', 'Status'] as const) if (c[f] !== undefined && typeof c[f] !== 'string') fail(`${path}.${f}`, 'expected a string');
    for (const f of ['Created', 'SizeRw'] as const) if (c[f] !== undefined && (typeof c[f] !== 'number' || !Number.isSafeInteger(c[f]) || (c[f] as number) < 0)) fail(`${path}.${f}`, 'expected a whole number >= 0');
    strings(c.Names, `${path}.Names`);
  });
  for (const c of containers) {
    const state = (c.State ?? 'created') as ContainerState;
    if (!(CONTAINER_STATES as readonly string[]).includes(state)) throw new LayerlabError('EINPUT', `container ${c.Id}: unknown state ${quote(c.State)}`, { file });
    const rec: ContainerRecord = { id: c.Id, image: c.ImageID, state };
    if (c.Names?.[0]) rec.name = c.Names[0].replace(/^\//, '');
    if (c.Image) rec.imageRef = c.Image;
    if (c.Status) rec.status = c.Status;
    rec.sizeRw = c.SizeRw ?? 0;
    if (c.Created) rec.created = c.Created;
    if (c.Command !== undefined) rec.command = c.Command;
    b.addContainer(rec);
  }
  return b.build();
}

/** One entry of `GET /images/{id}/history` (newest first). */
export interface EngineHistoryItem {
  Id?: string;
  Created?: number;
  CreatedBy?: string;
  Size: number;
}

/**
 * Per-layer diff sizes from image history. The daemon fills Size of each non-empty history entry
 * with that layer's diff size and 0 for metadata-only entries, so when exactly as many entries
 * have a size as the image has layers, they map in order. A real layer of size 0 makes that
 * ambiguous; then entries marked `#(nop)` without ADD/COPY are taken as metadata-only, and if the
 * count still does not fit, the sizes are left unknown (and analyses say so).
 */
export function layerSizesFromHistory(diffIds: readonly string[], history: readonly EngineHistoryItem[]): (number | undefined)[] {
  const oldestFirst = [...history].reverse();
  const sized = oldestFirst.filter((h) => h.Size > 0);
  if (sized.length === diffIds.length) return sized.map((h) => h.Size);
  if (sized.length > diffIds.length) return diffIds.map(() => undefined);
  const metadataOnly = (h: EngineHistoryItem) => h.Size === 0 && /#\(nop\)/.test(h.CreatedBy ?? '') && !/#\(nop\)\s+(ADD|COPY)\b/.test(h.CreatedBy ?? '');
  const layers = oldestFirst.filter((h) => !metadataOnly(h));
  if (layers.length === diffIds.length) return layers.map((h) => h.Size);
  return diffIds.map(() => undefined);
}

/** What one image tells about its layers' sizes: its stack, its chain size and its history. */
export interface EngineImageSizes {
  diffIds: readonly string[];
  /** Image inspect's `Size`: the sum of the diff sizes of its whole chain. */
  size?: number;
  history: readonly EngineHistoryItem[];
}

/**
 * Per-layer diff sizes of a daemon's images, keyed by diffID. History gives them where the image
 * config has a history; an image built without one (ko, nix, Bazel) has an empty history, and its
 * layer sizes follow from image Sizes instead: Size is the chain's sum (moby's layer `Size()`,
 * which `docker system df` adds up), so an image whose layers are all known but one fixes that
 * one, and solving repeats until nothing more follows. Layers no equation pins stay unknown.
 */
export function layerSizesFromEngine(images: readonly EngineImageSizes[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const { diffIds, history } of images) {
    layerSizesFromHistory(diffIds, history).forEach((size, n) => {
      if (size !== undefined) sizes.set(diffIds[n], size);
    });
  }
  const open = images.filter((i) => i.size !== undefined && i.diffIds.some((d) => !sizes.has(d)));
  for (let progress = true; progress; ) {
    progress = false;
    for (const { diffIds, size } of open) {
      const unknown = diffIds.filter((d) => !sizes.has(d));
      if (unknown.length === 0 || unknown.some((d) => d !== unknown[0])) continue;
      const rest = (size as number) - diffIds.reduce((sum, d) => sum + (sizes.get(d) ?? 0), 0);
      // A remainder that does not split evenly or goes negative means the answers disagree: leave it unknown.
      if (rest < 0 || rest % unknown.length !== 0) continue;
      sizes.set(unknown[0], rest / unknown.length);
      progress = true;
    }
  }
  return sizes;
}
