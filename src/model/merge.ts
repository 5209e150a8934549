import { LayerlabError } from '../errors.js';
import { GraphBuilder, type ImageGraph } from './graph.js';
import type { ImageMeta, LayerRecord } from './types.js';

/**
 * One graph from several: a layer is the same when its diffID or its blob digest matches (what
 * one source knows fills what another lacks); an image is the same when its ID matches (its
 * references are united); containers are kept as they are. Conflicting facts are errors.
 */
export function mergeGraphs(graphs: readonly ImageGraph[], labels: readonly string[] = []): ImageGraph {
  if (graphs.length === 1) return graphs[0];
  const layers: LayerRecord[] = [];
  const byKey = new Map<string, number>();
  const where = (g: number) => labels[g] ?? `source ${g + 1}`;
  const mapLayer = graphs.map((g, gi) =>
    Array.from({ length: g.layerCount }, (_, l) => {
      const rec: LayerRecord = {
        diffId: g.layerDiffId[l],
        digest: g.layerDigest[l],
        size: Number.isNaN(g.layerSize[l]) ? undefined : g.layerSize[l],
        compressedSize: Number.isNaN(g.layerCompressed[l]) ? undefined : g.layerCompressed[l],
        mediaType: g.layerMediaType[l],
      };
      const hit = (rec.diffId !== undefined ? byKey.get(rec.diffId) : undefined) ?? (rec.digest !== undefined ? byKey.get(rec.digest) : undefined);
      if (hit === undefined) {
        layers.push(rec);
        const idx = layers.length - 1;
        if (rec.diffId) byKey.set(rec.diffId, idx);
        if (rec.digest) byKey.set(rec.digest, idx);
        return idx;
      }
      const have = layers[hit];
      for (const k of ['diffId', 'size'] as const) {
        if (rec[k] !== undefined && have[k] !== undefined && rec[k] !== have[k]) {
          throw new LayerlabError('EINPUT', `layer ${have.diffId ?? have.digest}: ${k} ${String(have[k])} elsewhere, ${String(rec[k])} in ${where(gi)}`);
        }
      }
      // A diffID may travel as several blobs (gzip, zstd, uncompressed): keep the first blob.
      const merged = { ...rec, ...Object.fromEntries(Object.entries(have).filter(([, v]) => v !== undefined)) } as LayerRecord;
      layers[hit] = merged;
      if (merged.diffId) byKey.set(merged.diffId, hit);
      if (merged.digest) byKey.set(merged.digest, hit);
      if (rec.digest) byKey.set(rec.digest, hit);
      return hit;
    }),
  );
  const images = new Map<string, { meta: ImageMeta; stack: number[] }>();
  graphs.forEach((g, gi) => {
    g.images.forEach((m, i) => {
      const stack = Array.from(g.stackOf(i), (l) => mapLayer[gi][l]);
      const prev = images.get(m.id);
      if (!prev) {
        images.set(m.id, { meta: { ...m, repoTags: [...(m.repoTags ?? [])], repoDigests: [...(m.repoDigests ?? [])] }, stack });
        return;
      }
      if (prev.stack.length !== stack.length || prev.stack.some((l, k) => l !== stack[k])) throw new LayerlabError('EINPUT', `image ${m.id} has different layers in ${where(gi)}`);
      for (const t of m.repoTags ?? []) if (!prev.meta.repoTags!.includes(t)) prev.meta.repoTags!.push(t);
      for (const d of m.repoDigests ?? []) if (!prev.meta.repoDigests!.includes(d)) prev.meta.repoDigests!.push(d);
      prev.meta.created ??= m.created;
      prev.meta.platform ??= m.platform;
      prev.meta.parent ??= m.parent;
    });
  });
  const b = new GraphBuilder();
  for (const l of layers) b.addLayer(l);
  for (const { meta, stack } of images.values()) {
    if (!meta.repoTags?.length) delete meta.repoTags;
    if (!meta.repoDigests?.length) delete meta.repoDigests;
    b.addImage(meta, stack);
  }
  const containerIds = new Set<string>();
  for (const [gi, g] of graphs.entries()) {
    for (const c of g.containers) {
      if (containerIds.has(c.id)) throw new LayerlabError('EINPUT', `container ${c.id} appears twice (again in ${where(gi)})`);
      containerIds.add(c.id);
      b.addContainer(c);
    }
  }
  return b.build();
}
