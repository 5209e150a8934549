// Graph build + full df on synthetic Docker-Hub-shaped sets, against the naive baseline in the
// same run; scaling at 10k / 100k / 1M images; retained memory per layer reference.
import { ImageGraph, type GraphColumns } from '../src/model/graph.js';
import { imageUsage } from '../src/analyze/df.js';
import { syntheticColumns } from '../src/sources/synthetic.js';
import { imageMetaList } from '../src/model/image-columns.js';
import { naiveDf, naiveDfRetained, type NaiveInput } from './naive-df.js';
import { fmt, fmtInt, retainedBytes } from './common.js';
import { spread, type Spread } from './scale.bench.js';

export interface DfBenchRow {
  images: number;
  refs: number;
  layers: number;
  chainNodes: number;
  /** Median, min and max over the runs. */
  layerlab: Spread;
  naive: Spread;
  inputBytesPerRef: number;
  graphBytesPerRef: number;
  naiveBytesPerRef: number;
  generateMs: number;
}

function layerlabDf(cols: GraphColumns): number {
  const g = new ImageGraph(cols);
  return imageUsage(g).layersSize;
}

/**
 * One warm-up of each, then `runs` rounds of layerlab then naive, so load from other processes
 * falls on both alike; each task's own runs give its median and spread.
 */
function interleaved(cols: GraphColumns, naiveCols: NaiveInput, runs: number): { ours: Spread; naive: Spread } {
  layerlabDf(cols);
  naiveDf(naiveCols);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    layerlabDf(cols);
    a.push(performance.now() - t);
    t = performance.now();
    naiveDf(naiveCols);
    b.push(performance.now() - t);
  }
  return { ours: spread(a), naive: spread(b) };
}

export async function runDfBench(sizes: number[], log: (s: string) => void): Promise<DfBenchRow[]> {
  const rows: DfBenchRow[] = [];
  for (const images of sizes) {
    const before = retainedBytes();
    const t0 = performance.now();
    const cols = syntheticColumns({ images, seed: 1 });
    const generateMs = performance.now() - t0;
    const inputBytes = retainedBytes() - before;
    const refs = cols.stackLayer.length;
    // The naive program holds one object per image; made outside the timing.
    const naiveCols: NaiveInput = { ...cols, images: imageMetaList(cols.images) };
    log(`df bench: ${fmtInt(images)} images, ${fmtInt(refs)} refs generated in ${fmt(generateMs / 1000)} s`);

    // Same answer from both, checked once outside the timing.
    const g = new ImageGraph(cols);
    const u = imageUsage(g);
    const n = naiveDf(naiveCols);
    if (n.layersSize !== u.layersSize) throw new Error(`baseline disagrees: ${n.layersSize} vs ${u.layersSize}`);
    const chainNodes = g.chain.count;

    // Retained memory of what each approach keeps to answer df.
    const m0 = retainedBytes();
    const kept: unknown[] = [];
    const g2 = new ImageGraph(cols);
    kept.push(g2, imageUsage(g2));
    const graphBytes = retainedBytes() - m0;
    kept.length = 0;
    const m1 = retainedBytes();
    kept.push(naiveDfRetained(naiveCols));
    const naiveBytes = retainedBytes() - m1;
    kept.length = 0;

    const runs = images >= 1_000_000 ? 5 : images >= 100_000 ? 7 : 21;
    const { ours, naive } = interleaved(cols, naiveCols, runs);
    log(`  layerlab ${fmt(ours.median)} ms (${fmt(ours.min)}–${fmt(ours.max)}), naive ${fmt(naive.median)} ms (${fmt(naive.min)}–${fmt(naive.max)}), ${runs} runs`);
    rows.push({
      images,
      refs,
      layers: g.layerCount,
      chainNodes,
      layerlab: ours,
      naive,
      inputBytesPerRef: inputBytes / refs,
      graphBytesPerRef: graphBytes / refs,
      naiveBytesPerRef: naiveBytes / refs,
      generateMs,
    });
  }
  return rows;
}
