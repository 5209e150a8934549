// Graph build + full df on synthetic Docker-Hub-shaped sets, against the naive baseline in the
// same run; scaling at 10k / 100k / 1M images; retained memory per layer reference.
import { ImageGraph, type GraphColumns } from '../src/model/graph.js';
import { imageUsage } from '../src/analyze/df.js';
import { syntheticColumns } from '../src/sources/synthetic.js';
import { naiveDf, naiveDfRetained } from './naive-df.js';
import { fmt, fmtInt, measure, retainedBytes } from './common.js';

export interface DfBenchRow {
  images: number;
  refs: number;
  layers: number;
  chainNodes: number;
  layerlabMs: number;
  layerlabMinMs: number;
  layerlabRme: number;
  naiveMs: number;
  naiveRme: number;
  inputBytesPerRef: number;
  graphBytesPerRef: number;
  naiveBytesPerRef: number;
  generateMs: number;
}

function layerlabDf(cols: GraphColumns): number {
  const g = new ImageGraph(cols);
  return imageUsage(g).layersSize;
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
    log(`df bench: ${fmtInt(images)} images, ${fmtInt(refs)} refs generated in ${fmt(generateMs / 1000)} s`);

    // Same answer from both, checked once outside the timing.
    const g = new ImageGraph(cols);
    const u = imageUsage(g);
    const n = naiveDf(cols);
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
    kept.push(naiveDfRetained(cols));
    const naiveBytes = retainedBytes() - m1;
    kept.length = 0;

    const iterations = images >= 1_000_000 ? 3 : images >= 100_000 ? 5 : 20;
    const [ours, naive] = await measure({ layerlab: () => layerlabDf(cols), naive: () => naiveDf(cols) }, iterations);
    log(`  layerlab ${fmt(ours.meanMs)} ms, naive ${fmt(naive.meanMs)} ms`);
    rows.push({
      images,
      refs,
      layers: g.layerCount,
      chainNodes,
      layerlabMs: ours.meanMs,
      layerlabMinMs: ours.minMs,
      layerlabRme: ours.rme,
      naiveMs: naive.meanMs,
      naiveRme: naive.rme,
      inputBytesPerRef: inputBytes / refs,
      graphBytesPerRef: graphBytes / refs,
      naiveBytesPerRef: naiveBytes / refs,
      generateMs,
    });
  }
  return rows;
}
