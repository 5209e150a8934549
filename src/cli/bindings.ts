import { imageBindings, isDangling } from '../analyze/bindings.js';
import { removalHost } from '../analyze/removal.js';
import { LayerlabError } from '../errors.js';
import { renderBindings } from '../render/bindings.js';
import { loadSource } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { defineCommand } from './options.js';

export const bindingsCommand = defineCommand(
  {
    name: 'bindings',
    summary: 'What pins each image: references, containers and their state, parent and children, rmi verdict',
    description: `For each image of the host SOURCE (or the IMAGEs named, by reference or ID): the references
pointing at it (dangling when none), the containers bound to it with their state, its parent and
the child images built on it, the bytes removing it alone would free, and what \`docker rmi\` (no
-f) would answer: ok, or the conflict (hard or soft) with Docker's message. Changes nothing.
SOURCE is one host, not a merge: the rmi verdict is that host's.

${sourceHelp(false)}`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE', optional: true, variadic: true }],
    options: {
      dangling: { type: 'boolean', description: 'only dangling images (no reference, no child: what docker image prune removes)' },
      format: formatOption(['table', 'json']),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [source, ...names] = positionals;
    const loaded = await loadSource(source, loadOptionsOf(values.platform, io));
    const graph = loaded.graph;
    const host = removalHost(graph);
    let indices: number[];
    if (names.length) {
      indices = names.map((n) => {
        const id = host.idOf(n);
        const i = id === undefined ? undefined : graph.imageIndex(id);
        if (i === undefined) throw new LayerlabError('EINPUT', `Error: No such image: ${n}`, { file: source });
        return i;
      });
    } else indices = Array.from({ length: graph.imageCount }, (_, i) => i);
    if (values.dangling) indices = indices.filter((i) => isDangling(graph, i));
    const notes = notesFor([loaded], ['image-set']);
    await writeFormatted(io, values.format, { images: imageBindings(graph, indices, host), notes }, { table: (r) => renderBindings(r.images) });
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);
