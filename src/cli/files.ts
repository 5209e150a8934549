import { ChainViews, layerChanges, listUnion, lookup, type UnionView } from '../analyze/union.js';
import { LayerlabError, quote } from '../errors.js';
import { normalisePath, type LayerFiles } from '../model/files.js';
import type { ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { filesEntry, renderFilesTree, renderLayerChanges, type FilesChange, type FilesLayer, type FilesLayerChanges, type FilesTree } from '../render/files.js';
import { indexSourceLayers, type IndexedLayer } from '../sources/layer-contents.js';
import { loadSource } from '../sources/load.js';
import type { LoadedSource } from '../sources/source.js';
import { formatOption, PLATFORM_OPTION, platformOf, sourceHelp, writeFormatted } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

/**
 * The image an IMAGE argument names, as docker resolves it: a full or short image ID (`sha256:`
 * optional), `name[:tag]` (`:latest` implied), or `name@digest`; an ambiguous ID prefix is refused.
 */
export function findImage(graph: ImageGraph, arg: string, source: string): number {
  const hex = arg.replace(/^sha256:/, '');
  if (/^[0-9a-f]{1,64}$/.test(hex)) {
    const hits = graph.images.flatMap((m, i) => (m.id.slice(7).startsWith(hex) ? [i] : []));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new LayerlabError('EINPUT', `image ID prefix ${quote(arg)} is ambiguous: ${hits.length} images start with it`, { file: source });
  }
  let wanted: string | undefined;
  try {
    const ref = parseNormalizedNamed(arg);
    wanted = familiarString('digest' in ref && ref.digest ? ref : withDefaultTag(ref));
  } catch {
    wanted = undefined;
  }
  const hit = wanted === undefined ? -1 : graph.images.findIndex((m) => m.repoTags?.includes(wanted!) || m.repoDigests?.includes(wanted!));
  if (hit >= 0) return hit;
  throw new LayerlabError('EINPUT', `no such image: ${quote(arg)} (${graph.images.length} image(s) in this source)`, { file: source });
}

/** Graph layer indexes of image `i`, bottom first, and their chain-trie nodes. */
export function stackOf(graph: ImageGraph, i: number): { layers: number[]; nodes: number[] } {
  const layers: number[] = [];
  const nodes: number[] = [];
  for (let k = graph.stackStart[i]; k < graph.stackStart[i + 1]; k++) {
    layers.push(graph.stackLayer[k]);
    nodes.push(graph.stackNode[k]);
  }
  return { layers, nodes };
}

/** Union views per chain over the indexed layers (images sharing a base share the views). */
export function chainViews(graph: ImageGraph, indexed: ReadonlyMap<number, IndexedLayer>): ChainViews {
  return new ChainViews(graph.chain, (layer): LayerFiles => {
    const l = indexed.get(layer);
    if (!l) throw new Error(`layer ${layer} was not indexed`);
    return l.files;
  });
}

function filesLayer(s: LoadedSource, layer: number, position: number, indexed: ReadonlyMap<number, IndexedLayer>): FilesLayer {
  const diffId = s.graph.layerDiffId[layer];
  const digest = s.graph.layerDigest[layer];
  return { position, ...(diffId ? { diffId } : {}), ...(digest ? { digest } : {}), size: indexed.get(layer)!.size };
}

function under(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(prefix + '/');
}

function changesOf(view: UnionView, prefix: string): { changes: FilesChange[]; summary: FilesLayerChanges['summary'] } {
  const summary = { added: 0, modified: 0, removed: 0, addedBytes: 0, modifiedBytes: 0, removedBytes: 0 };
  const changes: FilesChange[] = [];
  for (const c of layerChanges(view)) {
    if (!under(c.path, prefix)) continue;
    const x: FilesChange = { change: c.change, ...filesEntry(c.row) };
    if (c.hides) x.hides = filesEntry(c.hides);
    changes.push(x);
    summary[c.change]++;
    // Bytes of regular files only: a hard link's bytes are its target's.
    const bytes = c.row.type === 'file' ? c.row.size : 0;
    summary[`${c.change}Bytes`] += bytes;
  }
  return { changes, summary };
}

export const filesCommand = defineCommand(
  {
    name: 'files',
    summary: "An image's files: the final tree with the layer providing each path, or what one layer changes",
    description: `List the files of IMAGE in SOURCE as a container sees them: every layer applied bottom up
(whiteouts delete, opaque directories hide what is below), each path with its mode, owner, size
and the layer that provides it (0 = bottom). PATH limits the listing to a subtree.

With --layer N: what that layer changes in the tree below it - the paths it adds (+),
modifies (~: content, type, link target, mode or owner differ) and removes (-, by whiteout,
opaque directory or replacement). A layer is a set of file changes; this shows the set.

IMAGE is an image ID (or unique prefix), name[:tag] or name@digest. Each layer is read once;
images that share a base share the work.

${sourceHelp(false)}Layer contents are read from archives (docker save, OCI), OCI layouts, registry:// and data roots (vfs, overlay2).`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE' }, { name: 'PATH', optional: true }],
    options: {
      layer: { type: 'number', value: 'N', description: 'show what layer N (0 = bottom) adds, modifies and removes', min: 0, max: 1_000_000 },
      format: formatOption(['table', 'json'], { json: 'entries (or changes) with path, type, size, mode, uid, gid, layer, linkTarget, digest' }),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [sourceArg, imageArg, pathArg] = positionals;
    const s = await loadSource(sourceArg, { platform: platformOf(values.platform) });
    const i = findImage(s.graph, imageArg, sourceArg);
    const { layers, nodes } = stackOf(s.graph, i);
    const prefix = pathArg === undefined ? '' : normalisePath(pathArg.replace(/^\/+/, ''), { file: 'PATH' });
    if (values.layer !== undefined && values.layer >= layers.length) throw usageError(`--layer ${values.layer}: the image has ${layers.length} layer(s), 0 to ${layers.length - 1}`);
    const upTo = values.layer === undefined ? layers.length : values.layer + 1;
    const indexed = await indexSourceLayers(s, { layers: layers.slice(0, upTo) });
    const views = chainViews(s.graph, indexed);
    const meta = s.graph.images[i];
    const image = { id: meta.id, repoTags: [...(meta.repoTags ?? [])] };
    if (upTo === 0) throw new LayerlabError('EINPUT', 'the image has no layers', { file: sourceArg });
    const view = views.view(nodes[upTo - 1]);
    if (values.layer !== undefined) {
      const result: FilesLayerChanges = { source: sourceArg, image, path: prefix, layer: filesLayer(s, layers[values.layer], values.layer, indexed), ...changesOf(view, prefix) };
      writeFormatted(io, values.format, result, { table: renderLayerChanges });
      return 0;
    }
    if (!lookup(view, prefix)) throw new LayerlabError('EINPUT', `${quote('/' + prefix)} is not in the image`, { file: sourceArg });
    // listUnion starts with the PATH itself when one is given.
    const rows = listUnion(view, prefix);
    const entries = rows.map(filesEntry);
    const totals = { paths: entries.length, files: entries.filter((e) => e.type === 'file').length, bytes: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0) };
    const result: FilesTree = { source: sourceArg, image, path: prefix, layers: layers.map((l, k) => filesLayer(s, l, k, indexed)), totals, entries };
    writeFormatted(io, values.format, result, { table: renderFilesTree });
    return 0;
  },
);
