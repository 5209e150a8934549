import { GraphBuilder, ImageGraph, type GraphColumns } from '../model/graph.js';

/** Parameters of a synthetic Docker-Hub-shaped image set. */
export interface SyntheticOptions {
  /** Number of images. */
  images: number;
  /** PRNG seed; the same seed gives the same set. */
  seed?: number;
  /** Base-image families (each a stack of 1-4 base layers); popularity is Zipf-distributed. */
  families?: number;
  /** Mean number of tags per repository (tags of one repository share their middle layers). */
  tagsPerRepository?: number;
  /** Containers bound to random images (a third running, the rest exited). */
  containers?: number;
}

// Shape from Zhao et al. (IEEE CLUSTER 2019), see shared/design/anchors.md: half of all layers
// under 4 MB compressed, 90% under 63 MB compressed / 177 MB uncompressed, median compression 2.6.
const MEDIAN_COMPRESSED = 4e6;
const SIGMA_COMPRESSED = Math.log(63e6 / 4e6) / 1.2816; // p90 / median of a log-normal
const MEDIAN_RATIO = 2.6;
const SIGMA_RATIO = 0.35;

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates a deterministic Docker-Hub-shaped graph: Zipf-popular base families, repositories
 * whose tags share middle layers, unique top layers, log-normal sizes. About 8 layer references
 * and 2 distinct layers per image. Digests are random (synthetic), never real.
 */
export function syntheticGraph(opts: SyntheticOptions): ImageGraph {
  return new ImageGraph(syntheticColumns(opts));
}

/** The columns of {@link syntheticGraph}, before indexing (what a loader hands to the graph). */
export function syntheticColumns(opts: SyntheticOptions): GraphColumns {
  const n = opts.images;
  const rnd = prng(opts.seed ?? 1);
  const families = opts.families ?? Math.max(1, Math.min(2000, Math.round(n / 500)));
  const meanTags = opts.tagsPerRepository ?? 6;
  // Array.join yields a flat string; += would leave a rope of 8 pieces (~500 bytes a digest).
  const parts = new Array<string>(9);
  parts[0] = 'sha256:';
  const digest = (): string => {
    for (let k = 1; k < 9; k++) parts[k] = ((rnd() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return parts.join('');
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const b = new GraphBuilder(n * 9);
  const newLayer = (): number => {
    const compressed = Math.max(32, Math.round(MEDIAN_COMPRESSED * Math.exp(SIGMA_COMPRESSED * normal())));
    const ratio = Math.max(1, MEDIAN_RATIO * Math.exp(SIGMA_RATIO * normal()));
    return b.addLayer({
      diffId: digest(),
      size: Math.round(compressed * ratio),
      digest: digest(),
      compressedSize: compressed,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    });
  };
  // Zipf(1) over families by inverse CDF on precomputed cumulative weights.
  const cumulative = new Float64Array(families);
  let total = 0;
  for (let f = 0; f < families; f++) cumulative[f] = total += 1 / (f + 1);
  const pickFamily = (): number => {
    const x = rnd() * total;
    let lo = 0;
    let hi = families - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const familyLayers: number[][] = [];
  for (let f = 0; f < families; f++) {
    const depth = 1 + Math.floor(rnd() * 4);
    const layers: number[] = [];
    for (let k = 0; k < depth; k++) layers.push(newLayer());
    familyLayers.push(layers);
  }
  const stack: number[] = [];
  const imageIds: string[] = [];
  let made = 0;
  let repo = 0;
  const epoch = 1_600_000_000;
  while (made < n) {
    const family = familyLayers[pickFamily()];
    const tags = Math.min(n - made, 1 + Math.floor(-Math.log(1 - rnd()) * (meanTags - 1)));
    const middle: number[] = [];
    const middleCount = 3 + Math.floor(rnd() * 4);
    for (let k = 0; k < middleCount; k++) middle.push(newLayer());
    for (let t = 0; t < tags; t++) {
      stack.length = 0;
      stack.push(...family);
      // Later tags of a repository drop some middle layers (version drift).
      const keep = Math.max(1, middleCount - Math.floor(rnd() * 2));
      for (let k = 0; k < keep; k++) stack.push(middle[k]);
      const own = 1 + Math.floor(-Math.log(1 - rnd()) * 0.6);
      for (let k = 0; k < own; k++) stack.push(newLayer());
      const id = digest();
      imageIds.push(id);
      b.addImage({ id, repoTags: [`synthetic/r${repo}:t${t}`], created: epoch + made }, stack);
      made++;
    }
    repo++;
  }
  for (let k = 0; k < (opts.containers ?? 0); k++) {
    const image = Math.floor(rnd() * n);
    b.addContainer({ id: digest().slice(7), image: imageIds[image], state: rnd() < 1 / 3 ? 'running' : 'exited', sizeRw: Math.floor(rnd() * 1e6), created: epoch + n + k });
  }
  return b.columns();
}
