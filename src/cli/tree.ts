import { treeColumns, type TreeColumns } from '../analyze/tree-columns.js';
import type { TreeNode } from '../analyze/tree.js';
import { findTreeImage, foldSmallLayers, layerTreeOf, treeBranchOf } from '../analyze/tree.js';
import { quote } from '../errors.js';
import { renderLayerTreePieces } from '../render/tree.js';
import { parseHumanSize } from '../render/units.js';
import { sha256Of } from '../sources/hashing.js';
import { loadSources } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { jsonPieces, usageError, writePieces } from './io.js';
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
    const columns = treeColumns(graph, sha256Of);
    if (values.image === undefined && minSize === 0) {
      // The whole tree is printed from its columns: no object per node or image is kept.
      await writePieces(io, values.format === 'json' ? treeJsonPieces(columns, notes) : renderLayerTreePieces(columns));
    } else {
      // One image's branch is made from the columns: a few objects, not one per node and image.
      let tree = values.image === undefined ? layerTreeOf(columns) : treeBranchOf(columns, findTreeImage(graph, values.image, positionals.length === 1 ? positionals[0] : undefined));
      if (minSize > 0) tree = foldSmallLayers(tree, minSize);
      await writeFormatted(io, values.format, { ...tree, notes }, { table: renderLayerTreePieces });
    }
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);

/** `jsonPieces({ ...layerTreeOf(t), notes })`, made a node and an image at a time. */
export function* treeJsonPieces(t: TreeColumns, notes: unknown): Generator<string> {
  yield '{\n  "nodes": ';
  yield* arrayPieces(t.nodeCount, (k) => t.node(k), nodeJson);
  yield ',\n  "roots": ';
  yield* jsonPieces(Array.from(t.roots), 1);
  yield ',\n  "images": ';
  yield* arrayPieces(t.imageCount, (i) => t.image(i));
  yield `,\n  "layersSize": ${JSON.stringify(t.layersSize)},\n  "sizeBasis": ${JSON.stringify(t.sizeBasis)},\n  "notes": `;
  yield* jsonPieces(notes, 1);
  yield '\n}\n';
}

// An array member of the top object, as jsonPieces writes it (its items are plain objects, each
// written as jsonPieces(item, 2) would: JSON.stringify's indentation shifted by the item's depth,
// in one native call rather than a generator step per member).
function* arrayPieces<T extends object>(count: number, at: (i: number) => T, write: (item: T) => string = itemJson): Generator<string> {
  if (count === 0) return yield '[]';
  yield '[\n';
  for (let i = 0; i < count; i++) yield '    ' + write(at(i)) + (i < count - 1 ? ',\n' : '\n');
  yield '  ]';
}

const NEWLINE = /\n/g;
const itemJson = (item: object) => JSON.stringify(item, null, 2).replace(NEWLINE, '\n    ');

// itemJson of a node, written out: two million of them at 1M images. Members in TreeNode's order,
// absent ones left out, as JSON.stringify does.
function nodeJson(n: TreeNode): string {
  // a folded node (not made by TreeColumns.node, which folds nothing) keeps the general form
  if (n.folded !== undefined || n.otherBranches !== undefined) return itemJson(n);
  let s = '{';
  if (n.diffId !== undefined) s += '\n      "diffId": ' + JSON.stringify(n.diffId) + ',';
  if (n.digest !== undefined) s += '\n      "digest": ' + JSON.stringify(n.digest) + ',';
  if (n.chainId !== undefined) s += '\n      "chainId": ' + JSON.stringify(n.chainId) + ',';
  s += `\n      "size": ${num(n.size)},\n      "empty": ${n.empty},\n      "parent": ${num(n.parent)},\n      "children": ${numbers(n.children)},\n      "images": ${numbers(n.images)},\n      "users": ${num(n.users)}`;
  return s + '\n    }';
}

const num = (v: number) => (Number.isFinite(v) ? String(v) : 'null');
const numbers = (list: number[]) => (list.length === 0 ? '[]' : '[\n        ' + list.map(num).join(',\n        ') + '\n      ]');
