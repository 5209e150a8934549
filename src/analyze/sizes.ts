import type { ImageGraph } from '../model/graph.js';

/** Which size a number stands for: uncompressed (host disk) or compressed (registry/wire). */
export type SizeBasis = 'uncompressed' | 'compressed' | 'mixed' | 'unknown';

/** Per-layer sizes an analysis uses, and what they are. */
export interface EffectiveSizes {
  /** Size per layer: uncompressed when known, else compressed when known, else 0. */
  size: Float64Array;
  basis: SizeBasis;
  /** Layers whose size came from the compressed blob because the uncompressed size is unknown. */
  compressedOnly: number;
  /** Layers with no size at all (counted as 0). */
  unknown: number;
}

/**
 * Memoises a pure analysis per graph (graphs are immutable), so analyses that build on one
 * another share one pass. Results are read-only by contract.
 */
export function memoPerGraph<T>(fn: (graph: ImageGraph) => T): (graph: ImageGraph) => T {
  const cache = new WeakMap<ImageGraph, T>();
  return (graph) => {
    let v = cache.get(graph);
    if (v === undefined) {
      v = fn(graph);
      cache.set(graph, v);
    }
    return v;
  };
}

/** Picks one size per layer, preferring what a host stores, and says which basis the result has. */
export const effectiveSizes: (graph: ImageGraph) => EffectiveSizes = memoPerGraph(computeEffectiveSizes);

function computeEffectiveSizes(graph: ImageGraph): EffectiveSizes {
  const n = graph.layerCount;
  const size = new Float64Array(n);
  let uncompressed = 0;
  let compressedOnly = 0;
  let unknown = 0;
  for (let l = 0; l < n; l++) {
    const u = graph.layerSize[l];
    if (!Number.isNaN(u)) {
      size[l] = u;
      uncompressed++;
      continue;
    }
    const c = graph.layerCompressed[l];
    if (!Number.isNaN(c)) {
      size[l] = c;
      compressedOnly++;
    } else unknown++;
  }
  let basis: SizeBasis;
  if (n === 0 || uncompressed === n) basis = 'uncompressed';
  else if (compressedOnly === n) basis = 'compressed';
  else if (uncompressed === 0 && compressedOnly === 0) basis = 'unknown';
  else basis = 'mixed';
  return { size, basis, compressedOnly, unknown };
}
