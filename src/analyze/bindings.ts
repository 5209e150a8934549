// Binding queries: what pins each image (references, containers, parent, children) and what
// `docker rmi` of it would answer, tried on the removal model without changing anything.
import { removalHost, reclaimablePerImage } from './removal.js';
import type { ImageGraph } from '../model/graph.js';

/** What binds one image: its references, containers (with state), parent and children, and what `docker rmi` would say. */
export interface ImageBindings {
  id: string;
  references: string[];
  /** No reference and no child image: what docker images -f dangling=true lists and docker image prune removes. */
  dangling: boolean;
  /** No reference but child images: a build parent, hidden by docker images without -a. */
  intermediate: boolean;
  containers: { id: string; name?: string; state: string }[];
  parent?: string;
  children: string[];
  /** Bytes removing just this image (alone, now) frees: layers only it holds (df's view, without parent pruning). */
  reclaimable: number;
  /** `docker rmi` of it (no -f), tried on a copy: ok with the bytes it frees (untagged parents it deletes too), or Docker's refusal. */
  rmi: { ok: true; freedBytes: number } | { ok: false; conflict?: 'hard' | 'soft'; error: string };
}

export const isDangling = (graph: ImageGraph, i: number) => graph.isUntagged(i) && graph.childrenOf(i).length === 0;

/** Bindings of images `indices`; `host` is the removal model of `graph` when the caller has one (trials leave it as it was). */
export function imageBindings(graph: ImageGraph, indices: number[], host = removalHost(graph)): ImageBindings[] {
  const reclaimable = reclaimablePerImage(graph);
  return indices.map((i) => {
    const m = graph.image(i);
    const parent = graph.imageParent[i];
    const rmi = host.trial(() => host.rmi(m.id.slice(7)));
    return {
      id: m.id,
      references: [...(m.repoTags ?? []), ...(m.repoDigests ?? [])],
      dangling: isDangling(graph, i),
      intermediate: graph.isUntagged(i) && graph.childrenOf(i).length > 0,
      containers: Array.from(graph.containersOf(i), (c) => {
        const r = graph.containers[c];
        return { id: r.id, ...(r.name ? { name: r.name } : {}), state: r.state };
      }),
      ...(parent >= 0 ? { parent: graph.imageId(parent) } : {}),
      children: Array.from(graph.childrenOf(i), (c) => graph.imageId(c)),
      reclaimable: reclaimable[i],
      rmi: rmi.error === undefined ? { ok: true, freedBytes: rmi.freedBytes } : { ok: false, ...(rmi.conflict ? { conflict: rmi.conflict } : {}), error: rmi.error },
    };
  });
}

