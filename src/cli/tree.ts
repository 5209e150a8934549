import { findTreeImage, foldSmallLayers, layerTree, treeBranch } from '../analyze/tree.js';
import { quote } from '../errors.js';
import { renderLayerTreePieces } from '../render/tree.js';
import { parseHumanSize } from '../render/units.js';
import { loadSources } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const treeCommand = defineCommand(
  {
    name: 'tree',
    summary: 'Images as a tree of shared layers, with their containers and SHARED/UNIQUE sizes',
    description: `Show the images in SOURCE as the layer store holds them: a tree of stack prefixes (chainIDs),
each node a layer with its own size, branches where images diverge, each image at its top layer
with df's SIZE, SHARED and UNIQUE, and the containers bound to it. Untagged build parents, which
\`docker images\` hides and df does not count, are shown where they end; an image that adds no
layer over its parent (only CMD, ENV...) says so.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      format: formatOption(['table', 'json'], { table: 'the tree, box-drawn', json: 'nodes (diffID, chainID, size, children, images) and images (tags, SIZE/SHARED/UNIQUE, containers)' }),
      'min-size': { type: 'string', value: 'SIZE', description: 'fold layers smaller than SIZE (bytes or 10kB, 1MB...) into the layer above, where no image ends and no branch starts' },
      image: { type: 'string', value: 'IMAGE', description: "only IMAGE's branch (tag, ID or ID prefix)" },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    let minSize = 0;
    if (values['min-size'] !== undefined) {
      const v = /^-\d/.test(values['min-size']) ? undefined : parseHumanSize(values['min-size']);
      if (v === undefined) throw usageError(`--min-size takes a size like 10kB or 1048576 (got ${quote(values['min-size'])})`);
      minSize = v;
    }
    const { graph, sources } = await loadSources(positionals, loadOptionsOf(values.platform, io));
    // which images the tree holds depends on what the readers left out: say it as df does
    const notes = notesFor(sources, ['image-set']);
    let tree = layerTree(graph);
    if (values.image !== undefined) tree = treeBranch(tree, findTreeImage(graph, values.image, positionals.length === 1 ? positionals[0] : undefined));
    if (minSize > 0) tree = foldSmallLayers(tree, minSize);
    await writeFormatted(io, values.format, { ...tree, notes }, { table: renderLayerTreePieces });
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);
