import { GraphBuilder, ImageGraph, type GraphColumns } from '../model/graph.js';
import type { Digest } from '../model/digest.js';

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
  const b = new GraphBuilder(opts.images * 9);
  const imageIds: Digest[] = [];
  const gen = new SyntheticStream<number>(opts, {
    layer: (w, size, compressedSize) => b.addLayer({ diffId: hexDigest(w, 0), size, digest: hexDigest(w, 8), compressedSize, mediaType: SYNTHETIC_MEDIA_TYPE }),
    image: (w, repoTag, created, stack) => {
      const id = hexDigest(w, 0);
      imageIds.push(id);
      b.addImage({ id, repoTags: [repoTag], created }, stack);
    },
  });
  while (!gen.done) gen.step();
  gen.containers(opts.containers ?? 0, (w, image, running, sizeRw, created) => {
    b.addContainer({ id: hexDigest(w, 0).slice(7), image: imageIds[image], state: running ? 'running' : 'exited', sizeRw, created });
  });
  return b.columns();
}

/** The media type of every synthetic layer. */
export const SYNTHETIC_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/**
 * Where {@link SyntheticStream} hands what it makes, in the order it makes it. Digests come as
 * random 32-bit words (`w`: diffID in 0-7 and blob digest in 8-15 for a layer, ID in 0-7 for an
 * image), valid only during the call: a sink that needs no digest string never pays for one.
 * `layer` returns the handle image stacks name that layer by (an index, a digest, anything).
 */
export interface SyntheticSink<L> {
  layer(w: Uint32Array, size: number, compressedSize: number): L;
  image(w: Uint32Array, repoTag: string, created: number, stack: readonly L[]): void;
}

/** The `sha256:` digest of the 8 words from `at` (big-endian hex, as the words were drawn). */
export function hexDigest(w: Uint32Array, at: number): Digest {
  for (let k = 0; k < 8; k++) HEX_BYTES.writeUInt32BE(w[at + k], 4 * k);
  return `sha256:${HEX_BYTES.toString('hex')}` as Digest;
}
const HEX_BYTES = Buffer.alloc(32);

const EPOCH = 1_600_000_000;

/**
 * The synthetic set made one repository at a time, in a fixed order of PRNG draws: every sink
 * sees the same layers and images for the same options. Holds only the base families and the
 * current repository, so a writer can stream any number of images (and run twice, once per
 * snapshot section, instead of keeping the set).
 */
export class SyntheticStream<L> {
  private readonly rnd: () => number;
  private readonly n: number;
  private readonly meanTags: number;
  private readonly cumulative: Float64Array;
  private readonly total: number;
  private readonly familyLayers: L[][] = [];
  private readonly words = new Uint32Array(16);
  private readonly stack: L[] = [];
  private readonly middle: L[] = [];
  private made = 0;
  private repo = 0;

  constructor(
    opts: Omit<SyntheticOptions, 'containers'>,
    private readonly sink: SyntheticSink<L>,
  ) {
    this.n = opts.images;
    this.rnd = prng(opts.seed ?? 1);
    const families = opts.families ?? Math.max(1, Math.min(2000, Math.round(this.n / 500)));
    this.meanTags = opts.tagsPerRepository ?? 6;
    // Zipf(1) over families by inverse CDF on precomputed cumulative weights.
    this.cumulative = new Float64Array(families);
    let total = 0;
    for (let f = 0; f < families; f++) this.cumulative[f] = total += 1 / (f + 1);
    this.total = total;
    for (let f = 0; f < families; f++) {
      const depth = 1 + Math.floor(this.rnd() * 4);
      const layers: L[] = [];
      for (let k = 0; k < depth; k++) layers.push(this.newLayer());
      this.familyLayers.push(layers);
    }
  }

  /** Images made so far. */
  get imagesMade(): number {
    return this.made;
  }

  get done(): boolean {
    return this.made >= this.n;
  }

  /** Makes one repository: its middle layers, then each tag's own layers and the image. */
  step(): void {
    const { rnd, stack, middle } = this;
    const family = this.familyLayers[this.pickFamily()];
    const tags = Math.min(this.n - this.made, 1 + Math.floor(-Math.log(1 - rnd()) * (this.meanTags - 1)));
    middle.length = 0;
    const middleCount = 3 + Math.floor(rnd() * 4);
    for (let k = 0; k < middleCount; k++) middle.push(this.newLayer());
    for (let t = 0; t < tags; t++) {
      stack.length = 0;
      stack.push(...family);
      // Later tags of a repository drop some middle layers (version drift).
      const keep = Math.max(1, middleCount - Math.floor(rnd() * 2));
      for (let k = 0; k < keep; k++) stack.push(middle[k]);
      const own = 1 + Math.floor(-Math.log(1 - rnd()) * 0.6);
      for (let k = 0; k < own; k++) stack.push(this.newLayer());
      this.draw(0);
      this.sink.image(this.words, `synthetic/r${this.repo}:t${t}`, EPOCH + this.made, stack);
      this.made++;
    }
    this.repo++;
  }

  /** Containers bound to random images (a third running), made after every image. */
  containers(count: number, add: (w: Uint32Array, image: number, running: boolean, sizeRw: number, created: number) => void): void {
    if (count > 0 && this.n === 0) throw new RangeError(`synthetic: ${count} containers need at least one image to bind to`);
    const rnd = this.rnd;
    for (let k = 0; k < count; k++) {
      const image = Math.floor(rnd() * this.n);
      this.draw(0);
      const running = rnd() < 1 / 3;
      add(this.words, image, running, Math.floor(rnd() * 1e6), EPOCH + this.n + k);
    }
  }

  /** Eight random words (one digest) into words[at..at+8). */
  private draw(at: number): void {
    for (let k = at; k < at + 8; k++) this.words[k] = this.rnd() * 4294967296;
  }

  private normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.rnd())) * Math.cos(2 * Math.PI * this.rnd());
  }

  private newLayer(): L {
    const compressed = Math.max(32, Math.round(MEDIAN_COMPRESSED * Math.exp(SIGMA_COMPRESSED * this.normal())));
    const ratio = Math.max(1, MEDIAN_RATIO * Math.exp(SIGMA_RATIO * this.normal()));
    this.draw(0);
    this.draw(8);
    return this.sink.layer(this.words, Math.round(compressed * ratio), compressed);
  }

  private pickFamily(): number {
    const x = this.rnd() * this.total;
    const cumulative = this.cumulative;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
