// `layerlab files`: an image's final tree (tree-like, with the providing layer), or what one
// layer changes. The JSON of the command is the result types below, as they are.
import type { LayerChange, LayerChangeSummary, UnionRow } from '../analyze/union.js';
import type { ImageGraph } from '../model/graph.js';
import { humanSize } from './units.js';
import { count } from './words.js';

/** One layer of the image, as the listing names it. */
export interface FilesLayer {
  /** Position in the image's stack (0 = bottom), the `layer` of each entry. */
  position: number;
  diffId?: string;
  digest?: string;
  /** Σ of the layer's tar entry sizes. */
  size: number;
}

/** One path of the final tree (`layerlab files --format json`, `entries`): a union row with its mode as text. */
export interface FilesEntry extends Omit<UnionRow, 'mode'> {
  /** Permission bits, octal string (`0755`). */
  mode: string;
}

/** `layerlab files SOURCE IMAGE [PATH]`. */
export interface FilesTree {
  source: string;
  image: { id: string; repoTags: string[] };
  /** The subtree listed ('' = the whole image). */
  path: string;
  layers: FilesLayer[];
  /** Over the listed entries: paths, regular files and their bytes (hard links add none). */
  totals: { paths: number; files: number; bytes: number };
  entries: FilesEntry[];
}

/** One change of `layerlab files --layer N` (`changes`). */
export interface FilesChange extends FilesEntry {
  change: LayerChange['change'];
  /** For `modified`: the lower copy it hides. */
  hides?: FilesEntry;
}

/** `layerlab files --layer N SOURCE IMAGE [PATH]`. */
export interface FilesLayerChanges {
  source: string;
  image: { id: string; repoTags: string[] };
  path: string;
  layer: FilesLayer;
  summary: LayerChangeSummary;
  changes: FilesChange[];
}

/** A union row in the JSON shape. */
export function filesEntry(r: UnionRow): FilesEntry {
  const e: FilesEntry = { path: r.path, type: r.type, size: r.size, mode: r.mode.toString(8).padStart(4, '0'), uid: r.uid, gid: r.gid, layer: r.layer, implicit: r.implicit };
  if (r.linkTarget !== undefined) e.linkTarget = r.linkTarget;
  if (r.digest !== undefined) e.digest = r.digest;
  return e;
}

/** A layer change in the JSON shape. */
export function filesChange(c: LayerChange): FilesChange {
  const x: FilesChange = { change: c.change, ...filesEntry(c.row) };
  if (c.hides) x.hides = filesEntry(c.hides);
  return x;
}

/** Graph layer `layer` at `position` in an image's stack, named by what the source knows of it. */
export function filesLayer(graph: ImageGraph, layer: number, position: number, size: number): FilesLayer {
  const diffId = graph.layerDiffId[layer];
  const digest = graph.layerDigest[layer];
  return { position, ...(diffId ? { diffId } : {}), ...(digest ? { digest } : {}), size };
}

const TYPE_CHAR: Record<UnionRow['type'], string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };

/** `drwxr-xr-x` as ls prints it (setuid/setgid/sticky included). */
export function permissions(type: UnionRow['type'], octal: string): string {
  const m = parseInt(octal, 8);
  const rwx = (shift: number, special: number, ch: string) => {
    const x = (m >> shift) & 1;
    const s = m & special;
    return ((m >> (shift + 2)) & 1 ? 'r' : '-') + ((m >> (shift + 1)) & 1 ? 'w' : '-') + (s ? (x ? ch : ch.toUpperCase()) : x ? 'x' : '-');
  };
  return TYPE_CHAR[type] + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

function sizeCell(e: FilesEntry): string {
  return e.type === 'file' || e.type === 'hardlink' ? humanSize(e.size) : '-';
}

/** Characters Go's strconv.IsPrint rejects (controls, bidi and other format characters, spaces but ' '). */
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/** Go's strconv.Quote (`%q`). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (!NOT_PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** A name as a table cell: raw when every character prints, else Go-%q-quoted, so a row stays one line and reads as it sorts. */
export function displayName(s: string): string {
  return NOT_PRINTABLE.test(s) ? goQuote(s) : s;
}

function nameOf(e: FilesEntry): string {
  const base = displayName(e.path.slice(e.path.lastIndexOf('/') + 1));
  if (e.type === 'symlink') return `${base} -> ${displayName(e.linkTarget ?? '')}`;
  if (e.type === 'hardlink') return `${base} => ${displayName('/' + (e.linkTarget ?? ''))}`;
  return e.type === 'dir' ? base + '/' : base;
}

/** Each entry's tree prefix (`│   ├── `), from the depth-first, parents-first order of the entries. */
function treePrefixes(entries: readonly FilesEntry[], root: string): string[] {
  const depth = (p: string) => (p === root ? -1 : root === '' ? p.split('/').length - 1 : p.split('/').length - root.split('/').length - 1);
  const isLast = entries.map((e, i) => {
    const d = depth(e.path);
    for (let k = i + 1; k < entries.length; k++) {
      const dk = depth(entries[k].path);
      if (dk < d) return true;
      if (dk === d) return false;
    }
    return true;
  });
  const open: boolean[] = [];
  return entries.map((e, i) => {
    const d = depth(e.path);
    if (d < 0) return ''; // the PATH asked for itself, named in full
    open.length = d;
    const prefix = open.map((o) => (o ? '│   ' : '    ')).join('') + (isLast[i] ? '└── ' : '├── ');
    open[d] = !isLast[i];
    return prefix;
  });
}

function columns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (c === r.length - 1 ? 0 : [...r[c]].length))));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

function imageName(t: { image: { id: string; repoTags: string[] } }): string {
  return t.image.repoTags[0] ?? t.image.id.slice(7, 19);
}

/** The final tree as `tree` would draw it, with mode, owner, size and providing layer per entry. */
export function renderFilesTree(t: FilesTree): string {
  const prefixes = treePrefixes(t.entries, t.path);
  const rows = [['PERMISSIONS', 'UID:GID', 'SIZE', 'LAYER', t.path === '' ? '/' : displayName(`/${t.path}`)]];
  if (t.path === '') rows[0][4] = '/';
  t.entries.forEach((e, i) => rows.push([permissions(e.type, e.mode), `${e.uid}:${e.gid}`, sizeCell(e), e.implicit ? `(${e.layer})` : String(e.layer), e.path === t.path ? (e.type === 'dir' ? '.' : nameOf(e)) : prefixes[i] + nameOf(e)]));
  const layers = t.layers.map((l) => `  ${l.position}  ${l.diffId ?? l.digest ?? '?'}  ${humanSize(l.size)}`).join('\n');
  return (
    columns(rows) +
    `\n${count(t.totals.paths, 'path')}, ${count(t.totals.files, 'file')}, ${humanSize(t.totals.bytes)} in ${imageName(t)}${t.path ? ` under ${displayName('/' + t.path)}` : ''}\n` +
    `Layers (bottom first; LAYER in parentheses: a directory only implied by its children):\n${layers}\n`
  );
}

/** What follows a path in the changes table: `/` for a directory, a link's target. */
function linkSuffix(x: FilesEntry): string {
  if (x.type === 'dir') return '/';
  if (x.type === 'symlink') return ` -> ${displayName(x.linkTarget ?? '')}`;
  return x.type === 'hardlink' ? ` => ${displayName('/' + (x.linkTarget ?? ''))}` : '';
}

const MARK: Record<LayerChange['change'], string> = { added: '+', modified: '~', removed: '-' };

/** What one layer adds (+), modifies (~, with what changed) and removes (-), in path order. */
export function renderLayerChanges(c: FilesLayerChanges): string {
  const what = (x: FilesChange): string => {
    if (x.change !== 'modified' || !x.hides) return '';
    const h = x.hides;
    const diffs: string[] = [];
    if (h.type !== x.type) diffs.push(`was a ${h.type}`);
    else if (h.digest !== x.digest || h.size !== x.size) diffs.push(`content (was ${humanSize(h.size)} from layer ${h.layer})`);
    if (h.linkTarget !== x.linkTarget && h.type === x.type) diffs.push(`target (was ${displayName(h.linkTarget ?? '')})`);
    if (h.mode !== x.mode) diffs.push(`mode ${h.mode} -> ${x.mode}`);
    if (h.uid !== x.uid || h.gid !== x.gid) diffs.push(`owner ${h.uid}:${h.gid} -> ${x.uid}:${x.gid}`);
    return diffs.join(', ');
  };
  const rows = [['', 'PERMISSIONS', 'UID:GID', 'SIZE', 'PATH', 'CHANGED']];
  for (const x of c.changes) rows.push([MARK[x.change], permissions(x.type, x.mode), `${x.uid}:${x.gid}`, sizeCell(x), displayName('/' + x.path) + linkSuffix(x), what(x)]);
  const s = c.summary;
  const head = `Layer ${c.layer.position} of ${imageName(c)} (${c.layer.diffId ?? c.layer.digest ?? '?'}, ${humanSize(c.layer.size)})${c.path ? ` under ${displayName('/' + c.path)}` : ''}:\n`;
  const tail = `\n${s.added} added (${humanSize(s.addedBytes)}), ${s.modified} modified (${humanSize(s.modifiedBytes)}), ${s.removed} removed (${humanSize(s.removedBytes)})\n`;
  return head + (c.changes.length ? columns(rows) : '(no changes)\n') + tail;
}
