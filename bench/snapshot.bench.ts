// Loading a snapshot (JSON text -> validated, interned graph) with the streamed reader every
// command uses, digest refs vs index refs.
import { Readable } from 'node:stream';
import { ImageGraph } from '../src/model/graph.js';
import { readSnapshotStream, serializeSnapshot } from '../src/sources/snapshot.js';
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
  const bytes = { digest: Buffer.from(texts.digest), index: Buffer.from(texts.index) };
  const read = (b: Buffer) => readSnapshotStream('-', Readable.from([b]));
  const results = await measure({ digest: () => read(bytes.digest), index: () => read(bytes.index) }, 5);
  return results.map((r) => ({
    style: r.name as 'digest' | 'index',
    images,
    refs: graph.referenceCount,
    megabytes: bytes[r.name as 'digest' | 'index'].length / 1e6,
    meanMs: r.meanMs,
    rme: r.rme,
  }));
}
