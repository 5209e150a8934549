// Which image an IMAGE argument names, and that image's stack with its chain-trie nodes: what
// every command over one image's layers (files, waste) starts from.
import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';

/**
 * The image an IMAGE argument names, as docker resolves it: a full or short image ID (`sha256:`
 * optional), `name[:tag]` (`:latest` implied), or `name@digest`; an ambiguous ID prefix is refused.
 */
export function findImage(graph: ImageGraph, arg: string, source: string): number {
  const hex = arg.replace(/^sha256:/, '');
  if (/^[0-9a-f]{1,64}$/.test(hex)) {
    const hits = graph.images.flatMap((m, i) => (m.id.slice(7).startsWith(hex) ? [i] : []));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new LayerlabError('EINPUT', `image ID prefix ${quote(arg)} is ambiguous: ${hits.length} images start with it`, { file: source });
  }
  let wanted: string | undefined;
  try {
    const ref = parseNormalizedNamed(arg);
    wanted = familiarString('digest' in ref && ref.digest ? ref : withDefaultTag(ref));
  } catch {
    wanted = undefined;
  }
  const hit = wanted === undefined ? -1 : graph.images.findIndex((m) => m.repoTags?.includes(wanted!) || m.repoDigests?.includes(wanted!));
  if (hit >= 0) return hit;
  throw new LayerlabError('EINPUT', `no such image: ${quote(arg)} (${graph.images.length} image(s) in this source)`, { file: source });
}

/** Graph layer indexes of image `i`, bottom first, and their chain-trie nodes. */
export function stackOf(graph: ImageGraph, i: number): { layers: number[]; nodes: number[] } {
  const layers: number[] = [];
  const nodes: number[] = [];
  for (let k = graph.stackStart[i]; k < graph.stackStart[i + 1]; k++) {
    layers.push(graph.stackLayer[k]);
    nodes.push(graph.stackNode[k]);
  }
  return { layers, nodes };
}
