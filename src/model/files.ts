import { LayerlabError } from '../errors.js';

/** The kinds of file a layer can hold (tar's, minus the tar-only bookkeeping types). */
export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** Column code of each {@link FileType}: `FILE_TYPES[code]`. */
export const FILE_TYPES: readonly FileType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];
const TYPE_CODE: Record<FileType, number> = { file: 0, dir: 1, symlink: 2, hardlink: 3, char: 4, block: 5, fifo: 6 };
export const TYPE_FILE = 0;
export const TYPE_DIR = 1;
export const TYPE_HARDLINK = 3;

/** What a layer entry does: adds/replaces its path, deletes a lower path, or hides a lower directory's children. */
export const KIND_ENTRY = 0;
/** `dir/.wh.name`: deletes `dir/name` (and below) from the lower layers; `path` is `dir/name`. */
export const KIND_WHITEOUT = 1;
/** `dir/.wh..wh..opq`: hides every lower child of `dir`; `path` is `dir` ('' for the root). */
export const KIND_OPAQUE = 2;

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_NAME = '.wh..wh..opq';
const META_PREFIX = '.wh..wh.';

/** One entry of a layer as the file index records it. */
export interface FileEntry {
  /** Normalised path: no leading `./` or `/`, no trailing `/`, no `.` or `..` parts. */
  path: string;
  type: FileType;
  /** Body bytes; 0 for directories, links and devices (a hard link's bytes are its target's, counted once). */
  size: number;
  /** Permission and special bits (`0o7777` part of the tar mode). */
  mode: number;
  uid: number;
  gid: number;
  /** Symlink target as written, or hard link target (normalised path). */
  linkTarget?: string;
  /** `sha256:<hex>` of a regular file's bytes (and of a hard link's target when it is in the same layer). */
  digest?: string;
}

/** A tar entry as the indexer is handed it, before normalisation. */
export interface RawEntry {
  name: string;
  type: FileType;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  linkTarget?: string;
  digest?: string;
}

/**
 * A layer's file index as typed columns, one row per tar entry in tar order (order matters when a
 * layer names a path twice, and for dive's per-layer tree). Whiteout and opaque markers are rows
 * too, told apart by `kind`.
 */
export interface LayerFiles {
  readonly count: number;
  readonly path: readonly string[];
  /** {@link KIND_ENTRY}, {@link KIND_WHITEOUT} or {@link KIND_OPAQUE}. */
  readonly kind: Uint8Array;
  /** Code into {@link FILE_TYPES}. */
  readonly type: Uint8Array;
  readonly size: Float64Array;
  readonly mode: Uint32Array;
  readonly uid: Uint32Array;
  readonly gid: Uint32Array;
  readonly link: readonly (string | undefined)[];
  readonly digest: readonly (string | undefined)[];
}

/** Why a tar name cannot be a layer path, or undefined. */
function pathProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL byte';
  return undefined;
}

/**
 * `./a//b/./c/` → `a/b/c`, `a/../b` → `b`, `/etc/x` → `etc/x` (moby cleans names and joins them
 * under the root); the root itself is ''. Refuses paths that climb above the root.
 */
export function normalisePath(name: string, where: { file?: string; path?: string } = {}): string {
  const problem = pathProblem(name);
  if (problem) throw new LayerlabError('EINPUT', `layer entry ${JSON.stringify(name)} ${problem}`, where);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new LayerlabError('EINPUT', `layer entry ${JSON.stringify(name)} escapes the layer root with ..`, where);
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/** The parent of a normalised path ('' for a top-level name). */
export function parentPath(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The last part of a normalised path. */
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Builds a {@link LayerFiles} one entry at a time; whiteouts and opaque markers are recognised here. */
export class LayerFilesBuilder {
  private readonly paths: string[] = [];
  private readonly kinds: number[] = [];
  private readonly types: number[] = [];
  private readonly sizes: number[] = [];
  private readonly modes: number[] = [];
  private readonly uids: number[] = [];
  private readonly gids: number[] = [];
  private readonly links: (string | undefined)[] = [];
  private readonly digests: (string | undefined)[] = [];
  // Last regular-file row per path, so a hard link to a file earlier in the layer gets its digest.
  private readonly lastFile = new Map<string, number>();

  constructor(private readonly where: { file?: string; path?: string } = {}) {}

  /** Adds one tar entry; returns its row, or -1 when it records nothing (the root, aufs metadata). */
  add(e: RawEntry): number {
    const path = normalisePath(e.name, this.where);
    if (path === '') return -1; // the root's own entry: attributes of `/`, no file
    const base = baseName(path);
    // aufs bookkeeping (`.wh..wh.plnk/...`, `.wh..wh.aufs`): moby skips it on apply, dive never adds it.
    const parts = path.split('/');
    if (parts.some((x, k) => x.startsWith(META_PREFIX) && (k < parts.length - 1 || x !== OPAQUE_NAME))) return -1;
    if (base.startsWith(WHITEOUT_PREFIX)) return this.addMarker(path, base, e);
    let link: string | undefined;
    let digest = e.type === 'file' ? e.digest : undefined;
    if (e.type === 'hardlink') {
      link = normalisePath(e.linkTarget ?? '', this.where);
      if (link === '') throw new LayerlabError('EINPUT', `hard link ${JSON.stringify(e.name)} has no target`, this.where);
      const t = this.lastFile.get(link);
      digest = t === undefined ? undefined : this.digests[t];
    } else if (e.type === 'symlink') link = e.linkTarget ?? '';
    // A hard link's bytes belong to its target: counting them again would count the file twice.
    const size = e.type === 'file' ? (e.size ?? 0) : 0;
    const row = this.push(path, KIND_ENTRY, TYPE_CODE[e.type], size, e, link, digest);
    if (e.type === 'file') this.lastFile.set(path, row);
    else this.lastFile.delete(path);
    return row;
  }

  private addMarker(path: string, base: string, e: RawEntry): number {
    const dir = parentPath(path);
    if (base === OPAQUE_NAME) return this.push(dir, KIND_OPAQUE, TYPE_CODE.file, 0, e, undefined, undefined);
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '') throw new LayerlabError('EINPUT', `whiteout ${JSON.stringify(e.name)} names no file`, this.where);
    return this.push(dir === '' ? name : `${dir}/${name}`, KIND_WHITEOUT, TYPE_CODE.file, 0, e, undefined, undefined);
  }

  private push(path: string, kind: number, type: number, size: number, e: RawEntry, link: string | undefined, digest: string | undefined): number {
    const row = this.paths.length;
    this.paths.push(path);
    this.kinds.push(kind);
    this.types.push(type);
    this.sizes.push(size);
    this.modes.push((e.mode ?? 0) & 0o7777);
    this.uids.push(e.uid ?? 0);
    this.gids.push(e.gid ?? 0);
    this.links.push(link);
    this.digests.push(digest);
    return row;
  }

  build(): LayerFiles {
    return {
      count: this.paths.length,
      path: this.paths,
      kind: Uint8Array.from(this.kinds),
      type: Uint8Array.from(this.types),
      size: Float64Array.from(this.sizes),
      mode: Uint32Array.from(this.modes),
      uid: Uint32Array.from(this.uids),
      gid: Uint32Array.from(this.gids),
      link: this.links,
      digest: this.digests,
    };
  }
}

/** A layer index from entries already in memory (tests, synthetic sources). */
export function layerFilesOf(entries: readonly RawEntry[], where: { file?: string; path?: string } = {}): LayerFiles {
  const b = new LayerFilesBuilder(where);
  for (const e of entries) b.add(e);
  return b.build();
}

/** Row `i` of a layer index as an object (for listings and JSON, not for hot loops). */
export function fileEntryAt(l: LayerFiles, i: number): FileEntry {
  const e: FileEntry = { path: l.path[i], type: FILE_TYPES[l.type[i]], size: l.size[i], mode: l.mode[i], uid: l.uid[i], gid: l.gid[i] };
  if (l.link[i] !== undefined) e.linkTarget = l.link[i];
  if (l.digest[i] !== undefined) e.digest = l.digest[i];
  return e;
}

/**
 * Code-point order, which is the byte order of UTF-8 (Go's `sort.Strings`, dive's walk order);
 * JS's `<` compares UTF-16 units and puts astral characters before U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}
