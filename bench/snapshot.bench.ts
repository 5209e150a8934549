// Loading a snapshot (JSON text -> validated, interned graph), digest refs vs index refs.
import { ImageGraph } from '../src/model/graph.js';
import { parseSnapshot, serializeSnapshot } from '../src/sources/snapshot.js';
import { syntheticColumns } from '../src/sources/synthetic.js';
import { measure } from './common.js';

export interface SnapshotBenchRow {
  style: 'digest' | 'index';
  images: number;
  refs: number;
  megabytes: number;
  meanMs: number;
  rme: number;
}

export async function runSnapshotBench(images: number): Promise<SnapshotBenchRow[]> {
  const graph = new ImageGraph(syntheticColumns({ images, seed: 2 }));
  const texts = { digest: serializeSnapshot(graph, {}, 'digest'), index: serializeSnapshot(graph, {}, 'index') };
  const results = await measure({ digest: () => parseSnapshot(texts.digest), index: () => parseSnapshot(texts.index) }, 5);
  return results.map((r) => ({
    style: r.name as 'digest' | 'index',
    images,
    refs: graph.referenceCount,
    megabytes: Buffer.byteLength(texts[r.name as 'digest' | 'index']) / 1e6,
    meanMs: r.meanMs,
    rme: r.rme,
  }));
}
