import { RemovalHost } from '../analyze/removal.js';
import { imageBindings, isDangling, type ImageBindings } from '../analyze/bindings.js';
import { shortId } from '../model/digest.js';
import { humanSize } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { loadSource } from '../sources/load.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, SOURCE_HELP, usageError, type Command } from './io.js';

function render(rows: ImageBindings[]): string {
  const t = [['IMAGE ID', 'REFERENCES', 'CONTAINERS', 'PARENT', 'CHILDREN', 'RECLAIMABLE', 'DOCKER RMI ID']];
  for (const b of rows) {
    t.push([
      shortId(b.id),
      b.references.length ? b.references.join(', ') : b.dangling ? '<none> (dangling)' : '<none> (intermediate)',
      b.containers.map((c) => `${c.name ?? shortId('sha256:' + c.id)} (${c.state})`).join(', '),
      b.parent ? shortId(b.parent) : '',
      b.children.map((c) => shortId(c)).join(', '),
      humanSize(b.reclaimable),
      b.rmi.ok ? `ok, frees ${humanSize(b.rmi.freedBytes)}` : `${b.rmi.conflict ?? 'refused'}: ${b.rmi.error.replace(/^Error response from daemon: /, '')}`,
    ]);
  }
  return trimLines(tabwrite(t));
}

export const bindingsCommand: Command = {
  name: 'bindings',
  summary: 'What pins each image: references, containers and their state, parent and children, rmi verdict',
  usage: `Usage: layerlab bindings [OPTIONS] SOURCE [IMAGE...]

For each image (or the IMAGEs named, by reference or ID): the references pointing at it (dangling
when none), the containers bound to it with their state, its parent and the child images built on
it, the bytes removing it alone would free, and what \`docker rmi\` (no -f) would answer: ok, or the
conflict (hard or soft) with Docker's message. Changes nothing.

Options:
      --dangling       only dangling images (no reference, no child: what docker image prune removes)
      --format FORMAT  table (default) or json
  -h, --help           show this help

${SOURCE_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { dangling: { type: 'boolean' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 'bindings');
    if (values.help) {
      io.stdout(bindingsCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json'] as const, 'table', '--format');
    if (positionals.length === 0) throw usageError('bindings needs a SOURCE; see layerlab bindings --help');
    const [source, ...names] = positionals;
    const { graph } = await loadSource(source);
    const host = new RemovalHost(graph);
    let indices: number[];
    if (names.length) {
      indices = names.map((n) => {
        const id = host.idOf(n);
        const i = id === undefined ? undefined : graph.imageIndex(id);
        if (i === undefined) throw new LayerlabError('EINPUT', `Error: No such image: ${n}`, { file: source });
        return i;
      });
    } else indices = graph.images.map((_, i) => i);
    if (values.dangling) indices = indices.filter((i) => isDangling(graph, i));
    const rows = imageBindings(graph, indices, host);
    io.stdout(format === 'json' ? json(rows) : render(rows));
    return 0;
  },
};
