import type { ChainTrie } from '../model/chain-trie.js';
import { LayerlabError } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import {
  compareUtf8,
  FILE_TYPES,
  KIND_ENTRY,
  KIND_OPAQUE,
  KIND_WHITEOUT,
  TYPE_DIR,
  TYPE_FILE,
  TYPE_HARDLINK,
  type FileEntry,
  type LayerFiles,
} from '../model/files.js';

/**
 * One path of a union view. Nodes are shared between views: applying a layer copies only the
 * directories on the paths it touches (path copying), so a chain's view costs its parent's view
 * plus what its one layer changes, and 1,000 images on one base hold one copy of the base tree.
 * A node is never changed once its view is returned.
 */
export interface UnionNode {
  /** Position of the providing layer in the stack (0 = bottom). */
  readonly layer: number;
  /** Row in that layer's index; -1 for a directory the layer only implies (a parent of its entries). */
  readonly entry: number;
  readonly isDir: boolean;
  /** Children by name (directories only). */
  readonly children: ReadonlyMap<string, UnionNode> | undefined;
  /** For hard links: the content of the file they were linked to when applied (survives its deletion). */
  readonly linkDigest?: string;
  readonly linkSize?: number;
}

interface MutNode {
  layer: number;
  entry: number;
  isDir: boolean;
  children: Map<string, MutNode> | undefined;
  linkDigest?: string;
  linkSize?: number;
  // Which application may still change this node in place; any other stamp means "shared, copy first".
  stamp: number;
}

/** The final tree of a stack of layers. */
export interface UnionView {
  /** Layers bottom up; `layers.length - 1` is this view's own layer. */
  readonly layers: readonly LayerFiles[];
  readonly root: UnionNode;
  /** The view one layer down (undefined at the bottom). */
  readonly parent: UnionView | undefined;
}

let stamps = 0;

function splitPath(p: string): string[] {
  return p === '' ? [] : p.split('/');
}

class Applier {
  readonly stamp = ++stamps;
  readonly root: MutNode;
  constructor(
    base: UnionNode | undefined,
    private readonly depth: number,
    private readonly layer: LayerFiles,
    private readonly below: readonly LayerFiles[],
  ) {
    const b = base as MutNode | undefined;
    this.root = { layer: -1, entry: -1, isDir: true, children: new Map(b?.children ?? []), stamp: this.stamp };
  }

  private implicitDir(): MutNode {
    return { layer: this.depth, entry: -1, isDir: true, children: new Map(), stamp: this.stamp };
  }

  /** The directory at `parts`, writable in this application; absent or non-directory steps become implied directories. */
  private dirFor(parts: readonly string[]): MutNode {
    let cur = this.root;
    for (const part of parts) {
      let child = cur.children!.get(part);
      if (!child || !child.isDir) child = this.implicitDir();
      else if (child.stamp !== this.stamp) child = { ...child, children: new Map(child.children), stamp: this.stamp };
      else {
        cur = child;
        continue;
      }
      cur.children!.set(part, child);
      cur = child;
    }
    return cur;
  }

  /** Looks a path up without changing anything. */
  find(parts: readonly string[]): MutNode | undefined {
    let cur: MutNode | undefined = this.root;
    for (const part of parts) {
      cur = cur.children?.get(part);
      if (!cur) return undefined;
    }
    return cur;
  }

  private contentOf(n: MutNode): { digest?: string; size: number } | undefined {
    if (n.entry < 0) return undefined;
    const l = n.layer === this.depth ? this.layer : this.below[n.layer];
    const t = l.type[n.entry];
    if (t === TYPE_FILE) return { digest: l.digest[n.entry], size: l.size[n.entry] };
    if (t === TYPE_HARDLINK) return { digest: n.linkDigest, size: n.linkSize ?? 0 };
    return undefined;
  }

  /** Opaque markers and whiteouts act on the lower layers only, so they go first, whatever their tar position. */
  removals(): void {
    const l = this.layer;
    for (let i = 0; i < l.count; i++) {
      if (l.kind[i] === KIND_OPAQUE) this.dirFor(splitPath(l.path[i])).children = new Map();
    }
    for (let i = 0; i < l.count; i++) {
      if (l.kind[i] !== KIND_WHITEOUT) continue;
      const parts = splitPath(l.path[i]);
      const name = parts.pop()!;
      const parent = this.find(parts);
      if (!parent?.children?.has(name)) continue; // nothing below to delete; never create its parent
      this.dirFor(parts).children!.delete(name);
    }
  }

  /** Entries in tar order: a directory over a directory keeps the children, anything else replaces the path. */
  additions(): void {
    const l = this.layer;
    for (let i = 0; i < l.count; i++) {
      if (l.kind[i] !== KIND_ENTRY) continue;
      const parts = splitPath(l.path[i]);
      const name = parts.pop()!;
      const dir = this.dirFor(parts);
      const old = dir.children!.get(name);
      const isDir = l.type[i] === TYPE_DIR;
      const node: MutNode = { layer: this.depth, entry: i, isDir, children: undefined, stamp: this.stamp };
      if (isDir) node.children = old?.isDir ? (old.stamp === this.stamp ? old.children : new Map(old.children)) : new Map();
      dir.children!.set(name, node);
      // Resolved after the replacement, as a file system would: a link into the subtree it replaced finds nothing.
      if (l.type[i] === TYPE_HARDLINK) {
        const target = this.find(splitPath(l.link[i]!));
        // docker load fails the whole layer here (createTarFile's os.Link): so does this
        // a link to itself finds only itself: Docker removed the old path before os.Link
        if (!target || target === node) throw new LayerlabError('EINPUT', `layer ${this.depth} (0 = bottom): tar hard link ${JSON.stringify(l.path[i])} -> ${JSON.stringify(l.link[i])}: link /${l.link[i]} /${l.path[i]}: no such file or directory, so docker load refuses this layer`);
        const c = !target.isDir ? this.contentOf(target) : undefined;
        if (c) {
          if (c.digest !== undefined) node.linkDigest = c.digest;
          node.linkSize = c.size;
        }
      }
    }
  }
}

/** The view of `layer` on top of `parent` (undefined = an empty lower tree). */
export function applyLayer(parent: UnionView | undefined, layer: LayerFiles): UnionView {
  const below = parent?.layers ?? [];
  const a = new Applier(parent?.root, below.length, layer, below);
  a.removals();
  a.additions();
  return { layers: [...below, layer], root: a.root, parent };
}

/** The view of a whole stack, bottom layer first. */
export function unionOf(layers: readonly LayerFiles[]): UnionView | undefined {
  let v: UnionView | undefined;
  for (const l of layers) v = applyLayer(v, l);
  return v;
}

/**
 * Union views per chain-trie node, each computed once from its parent node's view: images that
 * share a base share the work and the memory of the base's tree.
 */
export class ChainViews {
  private readonly views = new Map<number, UnionView>();
  constructor(
    private readonly trie: ChainTrie,
    /** The file index of the layer with this (graph) index. */
    private readonly filesOf: (layer: number) => LayerFiles,
  ) {}

  /** The view at a trie node (a chain); computes missing ancestors bottom up, iteratively. */
  view(node: number): UnionView {
    const hit = this.views.get(node);
    if (hit) return hit;
    const path: number[] = [];
    let n = node;
    while (n >= 0 && !this.views.has(n)) {
      path.push(n);
      n = this.trie.nodeParent[n];
    }
    let v = n >= 0 ? this.views.get(n) : undefined;
    for (let i = path.length - 1; i >= 0; i--) {
      v = applyLayer(v, this.filesOf(this.trie.nodeLayer[path[i]]));
      this.views.set(path[i], v);
    }
    return v!;
  }

  /** Number of views computed so far. */
  get size(): number {
    return this.views.size;
  }
}

/** Union views per chain of `graph` over layers already indexed (images sharing a base share the views). */
export function indexedChainViews(graph: ImageGraph, indexed: ReadonlyMap<number, { readonly files: LayerFiles }>): ChainViews {
  return new ChainViews(graph.chain, (layer) => {
    const l = indexed.get(layer);
    if (!l) throw new Error(`layer ${layer} was not indexed`);
    return l.files;
  });
}

/** One path of a view, as listings and JSON show it: its layer entry, and where it comes from. */
export interface UnionRow extends FileEntry {
  /** Regular files: their bytes; hard links: their target's bytes (not counted again in totals). */
  size: number;
  /** Position of the layer that provides this path (0 = bottom). */
  layer: number;
  /** True for a directory no layer has an entry for (implied by its children). */
  implicit: boolean;
}

/** The row of one node. */
export function rowOf(view: UnionView, path: string, n: UnionNode): UnionRow {
  if (n.entry < 0) return { path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, layer: n.layer, implicit: true };
  const l = view.layers[n.layer];
  const i = n.entry;
  const type = FILE_TYPES[l.type[i]];
  const row: UnionRow = { path, type, size: l.size[i], mode: l.mode[i], uid: l.uid[i], gid: l.gid[i], layer: n.layer, implicit: false };
  if (l.link[i] !== undefined) row.linkTarget = l.link[i];
  const digest = type === 'hardlink' ? n.linkDigest : l.digest[i];
  if (digest !== undefined) row.digest = digest;
  if (type === 'hardlink') row.size = n.linkSize ?? 0;
  return row;
}

/** The node at a path, or undefined. */
export function lookup(view: UnionView, path: string): UnionNode | undefined {
  let cur: UnionNode | undefined = view.root;
  for (const part of splitPath(path)) {
    cur = cur.children?.get(part);
    if (!cur) return undefined;
  }
  return cur;
}

function sortedNames(m: ReadonlyMap<string, UnionNode>): string[] {
  return [...m.keys()].sort(compareUtf8);
}

/** Every path of the view under `prefix` ('' = all), depth first in byte order of names, parents before children. */
export function listUnion(view: UnionView, prefix = ''): UnionRow[] {
  const start = lookup(view, prefix);
  if (!start) return [];
  const out: UnionRow[] = [];
  const walk = (path: string, n: UnionNode): void => {
    if (path !== '') out.push(rowOf(view, path, n));
    if (!n.children) return;
    for (const name of sortedNames(n.children)) walk(path === '' ? name : `${path}/${name}`, n.children.get(name)!);
  };
  walk(prefix, start);
  return out;
}

/** Totals of a view: paths, regular files, and their bytes (a hard link adds no bytes). */
export function unionTotals(view: UnionView): { paths: number; files: number; bytes: number } {
  let paths = 0;
  let files = 0;
  let bytes = 0;
  const stack: UnionNode[] = [view.root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.children) for (const c of n.children.values()) stack.push(c);
    if (n === view.root) continue;
    paths++;
    if (n.entry >= 0 && view.layers[n.layer].type[n.entry] === TYPE_FILE) {
      files++;
      bytes += view.layers[n.layer].size[n.entry];
    }
  }
  return { paths, files, bytes };
}

/** Totals of listed rows: paths, regular files, and their bytes (a hard link adds no bytes). */
export function rowTotals(rows: readonly UnionRow[]): { paths: number; files: number; bytes: number } {
  return { paths: rows.length, files: rows.filter((e) => e.type === 'file').length, bytes: rows.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0) };
}

/** Where one path came from: the providing layer now, and the lower copies it hides, newest first. */
export function pathHistory(view: UnionView, path: string): { layer: number; entry: number }[] {
  const out: { layer: number; entry: number }[] = [];
  for (let v: UnionView | undefined = view; v; v = v.parent) {
    const n = lookup(v, path);
    if (!n) continue;
    const last = out[out.length - 1];
    if (!last || last.layer !== n.layer || last.entry !== n.entry) out.push({ layer: n.layer, entry: n.entry });
  }
  return out;
}

/** One change a layer makes to the view below it. */
export interface LayerChange {
  path: string;
  change: 'added' | 'modified' | 'removed';
  /** The row now (added, modified) or the row deleted (removed). */
  row: UnionRow;
  /** For modified: the lower copy it hides. */
  hides?: UnionRow;
}

function sameFile(a: UnionRow, b: UnionRow): boolean {
  return a.type === b.type && a.digest === b.digest && a.linkTarget === b.linkTarget && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.size === b.size;
}

/**
 * What the top layer of `view` adds, modifies (type, content, link, mode or owner differs from the
 * view below) and removes (by whiteout, opaque directory or replacement), in path order. Subtrees
 * the layer did not touch are the same objects in both views, so this walks only what changed.
 */
export function layerChanges(view: UnionView): LayerChange[] {
  const lower = view.parent;
  const out: LayerChange[] = [];
  const all = (v: UnionView, path: string, n: UnionNode, change: 'added' | 'removed'): void => {
    out.push({ path, change, row: rowOf(v, path, n) });
    if (n.children) for (const name of sortedNames(n.children)) all(v, `${path}/${name}`, n.children.get(name)!, change);
  };
  const walk = (path: string, a: UnionNode | undefined, b: UnionNode): void => {
    if (a === b) return;
    if (path !== '') {
      if (!a) return all(view, path, b, 'added');
      const now = rowOf(view, path, b);
      const before = rowOf(lower!, path, a);
      if (!sameFile(now, before)) out.push({ path, change: 'modified', row: now, hides: before });
    }
    const names = new Set<string>([...(a?.children?.keys() ?? []), ...(b.children?.keys() ?? [])]);
    for (const name of [...names].sort(compareUtf8)) {
      const p = path === '' ? name : `${path}/${name}`;
      const x = a?.children?.get(name);
      const y = b.children?.get(name);
      if (!y) all(lower!, p, x!, 'removed');
      else walk(p, x, y);
    }
  };
  walk('', lower?.root, view.root);
  return out;
}

/** Counts and bytes of regular files per kind of change. */
export interface LayerChangeSummary {
  added: number;
  modified: number;
  removed: number;
  addedBytes: number;
  modifiedBytes: number;
  removedBytes: number;
}

function under(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(prefix + '/');
}

/** The changes of the top layer of `view` at or below `prefix` ('' = all), with their summary. */
export function layerChangesUnder(view: UnionView, prefix: string): { changes: LayerChange[]; summary: LayerChangeSummary } {
  const summary: LayerChangeSummary = { added: 0, modified: 0, removed: 0, addedBytes: 0, modifiedBytes: 0, removedBytes: 0 };
  const changes: LayerChange[] = [];
  for (const c of layerChanges(view)) {
    if (!under(c.path, prefix)) continue;
    changes.push(c);
    summary[c.change]++;
    // Bytes of regular files only: a hard link's bytes are its target's.
    summary[`${c.change}Bytes`] += c.row.type === 'file' ? c.row.size : 0;
  }
  return { changes, summary };
}
