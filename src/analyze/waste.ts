import { compareUtf8, KIND_OPAQUE, KIND_WHITEOUT, TYPE_DIR, TYPE_FILE, baseName, parentPath, type LayerFiles } from '../model/files.js';

/**
 * Wasted space exactly as dive computes it (wagoodman/dive dive/filetree/efficiency.go,
 * dive/image/analysis.go): each layer is a tree built from its tar entries (parents it does not
 * name are implied, with no type and size 0; whiteout markers are nodes; opaque markers are
 * dropped), and only the leaves of each layer's tree are counted.
 */

const WH = '.wh.';

interface DiveNode {
  size: number;
  isDir: boolean;
  children: Map<string, DiveNode>;
}

function diveNode(size = 0, isDir = false): DiveNode {
  return { size, isDir, children: new Map() };
}

/** dive's AddPath: implied parents get an empty payload; the last node takes the payload and keeps its children. */
function addPath(root: DiveNode, parts: readonly string[], size: number, isDir: boolean): void {
  let cur = root;
  for (const part of parts) {
    let next = cur.children.get(part);
    if (!next) cur.children.set(part, (next = diveNode()));
    cur = next;
  }
  cur.size = size;
  cur.isDir = isDir;
}

function getNode(root: DiveNode, parts: readonly string[]): DiveNode | undefined {
  let cur: DiveNode | undefined = root;
  for (const part of parts) if (!(cur = cur.children.get(part))) return undefined;
  return cur;
}

function removePath(root: DiveNode, parts: readonly string[]): void {
  const parent = getNode(root, parts.slice(0, -1));
  parent?.children.delete(parts[parts.length - 1]);
}

function cloneTree(n: DiveNode): DiveNode {
  const c = diveNode(n.size, n.isDir);
  for (const [k, v] of n.children) c.children.set(k, cloneTree(v));
  return c;
}

/** A layer's tree as dive builds it from the tar entries, in tar order. */
function diveTree(l: LayerFiles): DiveNode {
  const root = diveNode();
  for (let i = 0; i < l.count; i++) {
    if (l.kind[i] === KIND_OPAQUE) continue;
    const p = l.path[i];
    const raw = l.kind[i] === KIND_WHITEOUT ? (parentPath(p) === '' ? WH + p : `${parentPath(p)}/${WH}${baseName(p)}`) : p;
    addPath(root, raw.split('/'), l.size[i], l.type[i] === TYPE_DIR);
  }
  return root;
}

/** dive's VisitDepthChildFirst: children in byte order of names, then the node; the root is never visited. */
function visitChildFirst(n: DiveNode, parts: string[], fn: (n: DiveNode, parts: readonly string[]) => void): void {
  for (const name of [...n.children.keys()].sort(compareUtf8)) {
    parts.push(name);
    visitChildFirst(n.children.get(name)!, parts, fn);
    parts.pop();
  }
  if (parts.length) fn(n, parts);
}

/** dive's FileTree.Stack: every node of the upper tree, child first; a whiteout removes, anything else sets the payload. */
function stackOnto(lower: DiveNode, upper: DiveNode): void {
  visitChildFirst(upper, [], (n, parts) => {
    const last = parts[parts.length - 1];
    if (last.startsWith(WH)) removePath(lower, [...parts.slice(0, -1), last.slice(WH.length)]);
    else addPath(lower, parts, n.size, n.isDir);
  });
}

function subtreeSize(n: DiveNode): number {
  let s = n.size;
  for (const c of n.children.values()) s += subtreeSize(c);
  return s;
}

/** One path that more than one layer touches. */
export interface Inefficiency {
  /** The path as dive prints it (leading `/`). */
  file: string;
  /** How many layer entries touch it. */
  count: number;
  /** Their sizes summed, the surviving copy included. */
  sizeBytes: number;
  /** Positions of the layers that touch it, bottom first. */
  layers: number[];
}

interface PathData extends Inefficiency {
  min: number;
}

/**
 * dive's efficiency over a stack of layer indexes: Σ of each path's smallest size / Σ of its sizes
 * over every layer touching it (1 when there is nothing), and the paths touched more than once,
 * largest first (dive's export order: its ascending sort reversed). A whiteout counts its target's
 * subtree in the stacked lower tree when the target was a directory entry, else 0. One
 * difference: where a whiteout names a path absent below, dive stops walking that layer with an
 * error; this counts the whiteout as 0 and goes on.
 */
export function diveEfficiency(layers: readonly LayerFiles[]): { efficiency: number; inefficiencies: Inefficiency[] } {
  const trees = layers.map(diveTree);
  const byPath = new Map<string, PathData>();
  const matches: PathData[] = [];
  // dive re-stacks trees[0..i-1] onto a copy of trees[0] for every whiteout; one running stack is the same tree.
  const stacked = trees.length ? cloneTree(trees[0]) : diveNode();
  trees.forEach((tree, idx) => {
    if (idx > 0) stackOnto(stacked, trees[idx - 1]);
    visitChildFirst(tree, [], (n, parts) => {
      if (n.children.size > 0) return;
      const last = parts[parts.length - 1];
      const whiteout = last.startsWith(WH);
      const keyParts = whiteout ? [...parts.slice(0, -1), last.slice(WH.length)] : parts;
      let size = n.size;
      if (whiteout) {
        const lower = getNode(stacked, keyParts);
        size = lower?.isDir ? subtreeSize(lower) : 0;
      }
      const file = '/' + keyParts.join('/');
      let d = byPath.get(file);
      if (!d) byPath.set(file, (d = { file, count: 0, sizeBytes: 0, layers: [], min: -1 }));
      d.sizeBytes += size;
      if (d.min < 0 || size < d.min) d.min = size;
      d.count++;
      d.layers.push(idx);
      if (d.count === 2) matches.push(d);
    });
  });
  let minimum = 0;
  let discovered = 0;
  for (const d of byPath.values()) {
    minimum += d.min;
    discovered += d.sizeBytes;
  }
  // Go's sort.Sort is an insertion sort up to 12 items (stable); beyond that dive's order of equal sizes is pdqsort's.
  const sorted = matches.map((d, i) => ({ d, i })).sort((a, b) => a.d.sizeBytes - b.d.sizeBytes || a.i - b.i);
  const inefficiencies = sorted.reverse().map(({ d }) => ({ file: d.file, count: d.count, sizeBytes: d.sizeBytes, layers: d.layers }));
  return { efficiency: discovered === 0 ? 1 : minimum / discovered, inefficiencies };
}

/** dive's image analysis (the figures `dive --ci` and `--json` report). */
export interface WasteAnalysis {
  efficiency: number;
  /** Σ of the layer sizes. */
  sizeBytes: number;
  /** Σ of the sizes of the layers after the first (all but the base). */
  userSizeBytes: number;
  /** Σ of the summed sizes of the paths more than one layer touches. */
  wastedBytes: number;
  /** wastedBytes / userSizeBytes, as Go divides: NaN for 0/0, Infinity for x/0. */
  wastedUserPercent: number;
  /** Largest first. */
  inefficiencies: Inefficiency[];
}

/** dive's Analyze: `layerSizes[i]` is layer i's size as dive takes it (Σ of its tar entries' sizes). */
export function wasteAnalysis(layers: readonly LayerFiles[], layerSizes: readonly number[]): WasteAnalysis {
  const { efficiency, inefficiencies } = diveEfficiency(layers);
  let sizeBytes = 0;
  let userSizeBytes = 0;
  layerSizes.forEach((s, i) => {
    sizeBytes += s;
    if (i !== 0) userSizeBytes += s;
  });
  let wastedBytes = 0;
  for (const f of inefficiencies) wastedBytes += f.sizeBytes;
  return { efficiency, sizeBytes, userSizeBytes, wastedBytes, wastedUserPercent: wastedBytes / userSizeBytes, inefficiencies };
}

/** One entry of an image config's `history`, the fields dive reads. */
export interface DiveHistoryEntry {
  created_by?: string;
  empty_layer?: boolean;
}

/**
 * Each layer's command and digest as dive takes them from the config history (dive/image/docker
 * config.go newConfig, image_archive.go ToImage, layer.go ToLayer): the n-th layer takes the next
 * history entry that is not `empty_layer`, its created_by without a leading "/bin/sh -c ", and the
 * diffID at that entry's position among the non-empty ones; with no such entry left, "(missing)"
 * and an empty digest. Where dive panics (more non-empty entries than diffIDs) the digest is empty.
 */
export function diveLayerHistory(history: readonly DiveHistoryEntry[] | undefined, diffIds: readonly string[], layerCount: number): { command: string; digestId: string }[] {
  const h = history ?? [];
  const ids: string[] = [];
  let nonEmpty = 0;
  for (const e of h) ids.push(e.empty_layer ? '<missing>' : (diffIds[nonEmpty++] ?? ''));
  const out: { command: string; digestId: string }[] = [];
  let at = 0;
  for (let n = 0; n < layerCount; n++) {
    // dive's loop: advance to the next non-empty entry, but stay put when none is left.
    for (let next = at; next < h.length; next++) {
      if (!h[next].empty_layer) {
        at = next;
        break;
      }
    }
    if (at < h.length && !h[at].empty_layer) {
      const by = h[at].created_by ?? '';
      out.push({ command: by.startsWith('/bin/sh -c ') ? by.slice('/bin/sh -c '.length) : by, digestId: ids[at] });
      at++;
    } else out.push({ command: '(missing)', digestId: '' });
  }
  return out;
}

/** dive's `--json` export (runtime/export): the layer fields and the image summary, in dive's field order. */
export interface DiveExport {
  layer: { index: number; id: string; digestId: string; sizeBytes: number; command: string }[];
  image: { sizeBytes: number; inefficientBytes: number; efficiencyScore: number; fileReference: { count: number; sizeBytes: number; file: string }[] };
}

/** The dive export of an analysis; `layers` in image order, as dive lists them. */
export function diveExport(a: WasteAnalysis, layers: readonly { id: string; digestId: string; sizeBytes: number; command: string }[]): DiveExport {
  return {
    layer: layers.map((l, index) => ({ index, id: l.id, digestId: l.digestId, sizeBytes: l.sizeBytes, command: l.command })),
    image: {
      sizeBytes: a.sizeBytes,
      inefficientBytes: a.wastedBytes,
      efficiencyScore: a.efficiency,
      fileReference: a.inefficiencies.map((f) => ({ count: f.count, sizeBytes: f.sizeBytes, file: f.file })),
    },
  };
}

/** Files over a set of layers or images, by content digest. */
export interface FileDedup {
  /** Regular files counted (hard links are their target, counted once). */
  logicalFiles: number;
  logicalBytes: number;
  /** Distinct contents (a file without a digest counts as its own content). */
  uniqueFiles: number;
  uniqueBytes: number;
}

/**
 * Duplicate files over layers, any path: how many regular files and bytes are unique by content.
 * Pass each distinct layer once for the store's view (what a file-level dedup registry keeps).
 */
export function fileDedup(layers: Iterable<LayerFiles>): FileDedup {
  const seen = new Set<string>();
  const r: FileDedup = { logicalFiles: 0, logicalBytes: 0, uniqueFiles: 0, uniqueBytes: 0 };
  for (const l of layers) {
    for (let i = 0; i < l.count; i++) {
      if (l.kind[i] === KIND_OPAQUE || l.kind[i] === KIND_WHITEOUT || l.type[i] !== TYPE_FILE) continue;
      const size = l.size[i];
      r.logicalFiles++;
      r.logicalBytes += size;
      const d = l.digest[i];
      if (d !== undefined) {
        if (seen.has(d)) continue;
        seen.add(d);
      }
      r.uniqueFiles++;
      r.uniqueBytes += size;
    }
  }
  return r;
}
