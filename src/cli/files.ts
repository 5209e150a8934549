import { findImage, stackOf } from '../analyze/image-lookup.js';
import { indexedChainViews, layerChangesUnder, listUnion, lookup, rowTotals } from '../analyze/union.js';
import { LayerlabError, quote } from '../errors.js';
import { filesChange, filesEntry, filesLayer, renderFilesTree, renderLayerChanges, type FilesLayerChanges, type FilesTree } from '../render/files.js';
import { indexSourceLayers } from '../sources/layer-contents.js';
import { loadSource } from '../sources/load.js';
import { formatOption, PLATFORM_OPTION, platformOf, layerSourceHelp, writeFormatted } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

/** PATH as a shell inside the image resolves it: '..' at the root stays at the root (`/../etc` is `/etc`). */
function imagePath(arg: string): string {
  if (arg.includes('\0')) throw usageError(`PATH ${quote(arg)} contains a NUL byte`);
  const out: string[] = [];
  for (const part of arg.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '' && part !== '.') out.push(part);
  }
  return out.join('/');
}

export const filesCommand = defineCommand(
  {
    name: 'files',
    summary: "An image's files: the final tree with the layer providing each path, or what one layer changes",
    description: `List the files of IMAGE in SOURCE as a container sees them: every layer applied bottom up
(whiteouts delete, opaque directories hide what is below), each path with its mode, owner, size
and the layer that provides it (0 = bottom). PATH limits the listing to a subtree (resolved
as a shell in the image would: /usr/../etc is /etc, .. at the root stays there).

With --layer N: what that layer changes in the tree below it - the paths it adds (+),
modifies (~: content, type, link target, mode or owner differ) and removes (-, by whiteout,
opaque directory or replacement). A layer is a set of file changes; this shows the set.

IMAGE is an image ID (or unique prefix), name[:tag] or name@digest. Each layer is read once;
images that share a base share the work.

${layerSourceHelp()}`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE' }, { name: 'PATH', optional: true }],
    options: {
      layer: { type: 'number', value: 'N', description: 'show what layer N (0 = bottom) adds, modifies and removes', min: 0, max: 1_000_000 },
      format: formatOption(['table', 'json'], { json: 'entries (or changes, with change and hides) with path (relative to /), type, size, mode, uid, gid, layer, implicit, linkTarget, digest' }),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [sourceArg, imageArg, pathArg] = positionals;
    const s = await loadSource(sourceArg, { platform: platformOf(values.platform) });
    const i = findImage(s.graph, imageArg, sourceArg);
    const { layers, nodes } = stackOf(s.graph, i);
    const prefix = pathArg === undefined ? '' : imagePath(pathArg);
    if (values.layer !== undefined && values.layer >= layers.length) throw usageError(`--layer ${values.layer}: the image has ${layers.length} layer(s), 0 to ${layers.length - 1}`);
    const upTo = values.layer === undefined ? layers.length : values.layer + 1;
    const indexed = await indexSourceLayers(s, { layers: layers.slice(0, upTo) });
    const views = indexedChainViews(s.graph, indexed);
    const meta = s.graph.images[i];
    const image = { id: meta.id, repoTags: [...(meta.repoTags ?? [])] };
    if (upTo === 0) throw new LayerlabError('EINPUT', 'the image has no layers', { file: sourceArg });
    const view = views.view(nodes[upTo - 1]);
    if (values.layer !== undefined) {
      const below = upTo > 1 ? views.view(nodes[upTo - 2]) : undefined;
      if (prefix && !lookup(view, prefix) && !(below && lookup(below, prefix))) {
        throw new LayerlabError('EINPUT', `${quote('/' + prefix)} is not in the image at layer ${values.layer} nor below it`, { file: sourceArg });
      }
      const { changes, summary } = layerChangesUnder(view, prefix);
      const layer = filesLayer(s.graph, layers[values.layer], values.layer, indexed.get(layers[values.layer])!.size);
      const result: FilesLayerChanges = { source: sourceArg, image, path: prefix, layer, changes: changes.map(filesChange), summary };
      await writeFormatted(io, values.format, result, { table: renderLayerChanges });
      return 0;
    }
    if (!lookup(view, prefix)) throw new LayerlabError('EINPUT', `${quote('/' + prefix)} is not in the image`, { file: sourceArg });
    // listUnion starts with the PATH itself when one is given.
    const rows = listUnion(view, prefix);
    const result: FilesTree = { source: sourceArg, image, path: prefix, layers: layers.map((l, k) => filesLayer(s.graph, l, k, indexed.get(l)!.size)), totals: rowTotals(rows), entries: rows.map(filesEntry) };
    await writeFormatted(io, values.format, result, { table: renderFilesTree });
    return 0;
  },
);
