// The sharing tree over typed arrays: a million images make about two million layer nodes, and an
// object (with two arrays) per node and per image cost most of `tree`'s time in the garbage
// collector. Nodes and images are made as objects only when asked for, one at a time.
import type { ImageGraph } from '../model/graph.js';
import { sha256Digest, type Digest } from '../model/digest.js';
import { ABSENT, type DigestBytes } from '../model/digest-bytes.js';
import { EMPTY_LAYER_DIFF_ID, EMPTY_LAYER_GZIP_DIGEST } from '../model/identity.js';
import { imageUsage, type ImageUsage } from './df.js';
import { effectiveSizes, type SizeBasis } from './sizes.js';
import type { TreeContainer, TreeImage, TreeNode } from './tree.js';

/** What the renderers read of a tree, whichever form holds it. */
export interface TreeAccess {
  readonly nodeCount: number;
  readonly imageCount: number;
  /** Bottom layers, busiest branch first. */
  readonly roots: ArrayLike<number>;
  readonly layersSize: number;
  readonly sizeBasis: SizeBasis;
  /** Node k as an object (a new one per call for the columnar form). */
  node(k: number): TreeNode;
  /** What a layer's line shows (no chainID, no lists): cheaper than {@link node}. */
  layer(k: number): LayerFacts;
  image(i: number): TreeImage;
  parentOf(k: number): number;
  sizeOf(k: number): number;
  usersOf(k: number): number;
  childrenOf(k: number): ArrayLike<number>;
  /** Images ending on node k, hidden build parents first, then by first tag. */
  imagesAt(k: number): ArrayLike<number>;
  imageNode(i: number): number;
  imageListed(i: number): boolean;
  /** df's Size of a listed image (undefined for a hidden build parent). */
  imageSize(i: number): number | undefined;
}

/** What a layer's line in the tree shows. */
export interface LayerFacts extends Pick<TreeNode, 'size' | 'empty' | 'users' | 'folded' | 'otherBranches'> {
  /** The diffID, else the blob digest: whole, or a sha256 one cut to its first 12 hex digits (all a line shows of it). */
  shownId: string | undefined;
}

/** Hashes a chainID's input (`parent diffID`) to a digest; node:crypto's is much faster than the model's. */
export type ChainHasher = (s: string) => Digest;

// What localeCompare answers, made once (localeCompare looks its collator up on every call).
const collator = new Intl.Collator();
const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** The chain trie of a graph as a tree of layers with the images and containers that end on each, in columns. */
export class TreeColumns implements TreeAccess {
  readonly nodeCount: number;
  readonly imageCount: number;
  readonly roots: Uint32Array;
  readonly layersSize: number;
  readonly sizeBasis: SizeBasis;
  private readonly usage: ImageUsage;
  private readonly layerSize: Float64Array;
  private readonly diff: DigestBytes;
  private readonly blob: DigestBytes;
  private readonly childStart: Uint32Array;
  private readonly childList: Uint32Array;
  private readonly imageStart: Uint32Array;
  private readonly imageList: Uint32Array;
  private readonly nodeOfImage: Int32Array;
  private readonly chainMemo: (Digest | null | undefined)[];
  /** Per node, whether its sort key is a sha256 digest: 0 not asked yet, 1 yes, 2 no. */
  private readonly keyIsHex: Uint8Array;

  constructor(
    private readonly graph: ImageGraph,
    private readonly hash: ChainHasher = sha256Digest,
  ) {
    this.usage = imageUsage(graph);
    this.layerSize = effectiveSizes(graph).size;
    this.layersSize = this.usage.layersSize;
    this.sizeBasis = this.usage.basis;
    this.diff = graph.layerDigestBytes('diffId');
    this.blob = graph.layerDigestBytes('digest');
    const n = (this.nodeCount = graph.chain.count);
    const m = (this.imageCount = graph.imageCount);
    this.chainMemo = new Array(n);
    this.keyIsHex = new Uint8Array(n);
    const parent = graph.chain.nodeParent;
    this.nodeOfImage = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const s = graph.stackStart[i];
      const e = graph.stackStart[i + 1];
      this.nodeOfImage[i] = e > s ? graph.stackNode[e - 1] : -1;
    }
    [this.imageStart, this.imageList] = csr(n, m, (i) => this.nodeOfImage[i]);
    for (let k = 0; k < n; k++) this.sortSegment(this.imageList, this.imageStart[k], this.imageStart[k + 1], (a, b) => this.compareImages(a, b));
    // Number of images ending in each subtree: busier branches are listed first. A node's parent
    // comes before it in the trie, so one backward pass adds every subtree up.
    const weight = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      weight[k] += this.imageStart[k + 1] - this.imageStart[k];
      if (parent[k] >= 0) weight[parent[k]] += weight[k];
    }
    [this.childStart, this.childList] = csr(n, n, (k) => parent[k]);
    let rootCount = 0;
    for (let k = 0; k < n; k++) if (parent[k] < 0) rootCount++;
    this.roots = new Uint32Array(rootCount);
    for (let k = 0, r = 0; k < n; k++) if (parent[k] < 0) this.roots[r++] = k;
    const byWeight = (a: number, b: number) => weight[b] - weight[a];
    this.sortByWeight(this.roots, 0, rootCount, weight, byWeight);
    for (let k = 0; k < n; k++) this.sortByWeight(this.childList, this.childStart[k], this.childStart[k + 1], weight, byWeight);
  }

  // Sorted by weight, then runs of equal weight by key: one stable sort by (weight, key) would
  // answer the same, but a key (a chainID, a hash) is then made only for nodes that tie.
  private sortByWeight(list: Uint32Array, s: number, e: number, weight: Float64Array, byWeight: (a: number, b: number) => number): void {
    if (e - s < 2) return;
    this.sortSegment(list, s, e, byWeight);
    for (let a = s; a < e; ) {
      let b = a + 1;
      while (b < e && weight[list[b]] === weight[list[a]]) b++;
      if (b - a > 1) this.sortSegment(list, a, b, (x, y) => this.compareKeys(x, y));
      a = b;
    }
  }

  private sortSegment(list: Uint32Array, s: number, e: number, cmp: (a: number, b: number) => number): void {
    if (e - s < 2) return;
    // Array#sort is stable: ties keep index order, as the object builder's pushes did.
    const part = Array.from(list.subarray(s, e)).sort(cmp);
    list.set(part, s);
  }

  private keyOf(k: number): string {
    const l = this.graph.chain.nodeLayer[k];
    const key = this.chainIdOf(k) ?? this.diff.stringOf(l) ?? this.blob.stringOf(l) ?? '';
    if (this.keyIsHex[k] === 0) this.keyIsHex[k] = SHA256.test(key) ? 1 : 2;
    return key;
  }

  // localeCompare of the keys; two sha256 digests compare as code points, which the collation agrees with for lower-case hex.
  private compareKeys(a: number, b: number): number {
    const ka = this.keyOf(a);
    const kb = this.keyOf(b);
    return this.keyIsHex[a] === 1 && this.keyIsHex[b] === 1 ? (ka < kb ? -1 : ka > kb ? 1 : 0) : collator.compare(ka, kb);
  }

  // Hidden build parents first (they came first), then listed images by their first tag.
  private compareImages(a: number, b: number): number {
    const label = (i: number) => (this.graph.tagsOf(i)[0] ?? '\uffff') + this.graph.imageId(i);
    return this.usage.listed[a] - this.usage.listed[b] || collator.compare(label(a), label(b));
  }

  /** The real chainID of node k (OCI formula), undefined when a diffID below it is unknown. */
  chainIdOf(k: number): Digest | undefined {
    const memo = this.chainMemo;
    if (memo[k] !== undefined) return memo[k] ?? undefined;
    const { nodeParent, nodeLayer } = this.graph.chain;
    const path: number[] = [];
    let n = k;
    while (n >= 0 && memo[n] === undefined) {
      path.push(n);
      n = nodeParent[n];
    }
    let below: Digest | null | undefined = n >= 0 ? memo[n] : undefined;
    for (let j = path.length - 1; j >= 0; j--) {
      const diff = this.diff.stringOf(nodeLayer[path[j]]);
      const value: Digest | null = below === null || diff === undefined ? null : below === undefined ? diff : this.hash(below + ' ' + diff);
      memo[path[j]] = value;
      below = value;
    }
    return memo[k] ?? undefined;
  }

  parentOf(k: number): number {
    return this.graph.chain.nodeParent[k];
  }
  sizeOf(k: number): number {
    return this.layerSize[this.graph.chain.nodeLayer[k]];
  }
  usersOf(k: number): number {
    return this.usage.nodeRefs[k];
  }
  childrenOf(k: number): Uint32Array {
    return this.childList.subarray(this.childStart[k], this.childStart[k + 1]);
  }
  imagesAt(k: number): Uint32Array {
    return this.imageList.subarray(this.imageStart[k], this.imageStart[k + 1]);
  }
  imageNode(i: number): number {
    return this.nodeOfImage[i];
  }
  imageListed(i: number): boolean {
    return this.usage.listed[i] === 1;
  }
  imageSize(i: number): number | undefined {
    return this.usage.listed[i] === 1 ? this.usage.size[i] : undefined;
  }

  // From the digest bytes: no 71-character string per layer for a line that shows 12 of them.
  layer(k: number): LayerFacts {
    const l = this.graph.chain.nodeLayer[k];
    let shownId: string | undefined;
    const d = this.diff.offsetOf(l);
    if (d >= 0) shownId = hex12(this.diff.raw, d);
    else if (d !== ABSENT) shownId = this.diff.stringOf(l);
    else {
      const b = this.blob.offsetOf(l);
      shownId = b >= 0 ? hex12(this.blob.raw, b) : b !== ABSENT ? this.blob.stringOf(l) : undefined;
    }
    const empty = bytesEqual(this.diff, l, EMPTY_DIFF_BYTES) || bytesEqual(this.blob, l, EMPTY_GZIP_BYTES);
    return { size: this.layerSize[l], shownId, empty, users: this.usage.nodeRefs[k] };
  }

  node(k: number): TreeNode {
    const l = this.graph.chain.nodeLayer[k];
    const diffId = this.diff.stringOf(l);
    const digest = this.blob.stringOf(l);
    const empty = diffId === EMPTY_LAYER_DIFF_ID || digest === EMPTY_LAYER_GZIP_DIGEST;
    return { diffId, digest, chainId: this.chainIdOf(k), size: this.layerSize[l], empty, parent: this.parentOf(k), children: Array.from(this.childrenOf(k)), images: Array.from(this.imagesAt(k)), users: this.usage.nodeRefs[k] };
  }

  image(i: number): TreeImage {
    const g = this.graph;
    const node = this.nodeOfImage[i];
    const parent = g.imageParent[i];
    const parentTop = parent >= 0 ? this.nodeOfImage[parent] : -2;
    const img: TreeImage = {
      id: g.imageId(i),
      tags: [...g.tagsOf(i)],
      listed: this.usage.listed[i] === 1,
      node,
      noOwnLayer: parent >= 0 && parentTop >= 0 && parentTop === node,
      containers: Array.from(g.containersOf(i), (c): TreeContainer => {
        const r = g.containers[c];
        return r.name === undefined ? { id: r.id, state: r.state } : { id: r.id, name: r.name, state: r.state };
      }),
    };
    if (parent >= 0) img.parentId = g.imageId(parent);
    if (img.listed) {
      img.size = this.usage.size[i];
      img.shared = this.usage.shared[i];
      img.unique = this.usage.size[i] - this.usage.shared[i];
    }
    return img;
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const hexBytes = (d: string) => Uint8Array.from(d.slice(7).match(/../g)!, (h) => parseInt(h, 16));
const EMPTY_DIFF_BYTES = hexBytes(EMPTY_LAYER_DIFF_ID);
const EMPTY_GZIP_BYTES = hexBytes(EMPTY_LAYER_GZIP_DIGEST);

function hex12(raw: Uint8Array, at: number): string {
  return 'sha256:' + HEX[raw[at]] + HEX[raw[at + 1]] + HEX[raw[at + 2]] + HEX[raw[at + 3]] + HEX[raw[at + 4]] + HEX[raw[at + 5]];
}

// A digest of another form than sha256 is never one of the two (sha256) empty-layer digests.
function bytesEqual(col: DigestBytes, l: number, want: Uint8Array): boolean {
  const at = col.offsetOf(l);
  if (at < 0) return false;
  for (let k = 0; k < 32; k++) if (col.raw[at + k] !== want[k]) return false;
  return true;
}

/** Items 0..count-1 grouped by owner (0..groups-1; negative: none), in index order within a group. */
function csr(groups: number, count: number, ownerOf: (i: number) => number): [Uint32Array, Uint32Array] {
  const start = new Uint32Array(groups + 1);
  for (let i = 0; i < count; i++) {
    const o = ownerOf(i);
    if (o >= 0) start[o + 1]++;
  }
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const at = start.slice(0, groups);
  const list = new Uint32Array(start[groups]);
  for (let i = 0; i < count; i++) {
    const o = ownerOf(i);
    if (o >= 0) list[at[o]++] = i;
  }
  return [start, list];
}

/** The columnar tree of a graph; `hash` makes the chainIDs that break ties and that node() reports. */
export function treeColumns(graph: ImageGraph, hash?: ChainHasher): TreeColumns {
  return new TreeColumns(graph, hash);
}
