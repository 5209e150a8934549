import { RemovalHost } from '../analyze/removal.js';
import { renderPruneDocker } from '../render/removal.js';
import { loadSource } from '../sources/load.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'What `docker image prune [-a]` would delete and reclaim (changes nothing)',
  usage: `Usage: layerlab prune [OPTIONS] SOURCE

Predict \`docker image prune\` (dangling images: no tag, no children) or, with -a, \`docker image
prune -a\` (every image no container uses) on the host SOURCE describes: the records Docker
would print and its "Total reclaimed space". The dry run moby/moby#30623 asks for.

Options:
  -a, --all            as docker image prune -a
      --format FORMAT  docker (default: docker's own output) or json
  -h, --help           show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { all: { type: 'boolean', short: 'a' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 'prune');
    if (values.help) {
      io.stdout(pruneCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['docker', 'json'] as const, 'docker', '--format');
    if (positionals.length !== 1) throw usageError(`prune takes exactly one SOURCE (got ${positionals.length}); see layerlab prune --help`);
    const host = new RemovalHost((await loadSource(positionals[0])).graph);
    const before = host.layersSize();
    const r = host.prune(values.all ?? false);
    if (format === 'json') io.stdout(json({ all: values.all ?? false, records: r.records, reclaimedBytes: r.reclaimedBytes, dfSizeChange: before - host.layersSize(), refused: r.failed }));
    else io.stdout(renderPruneDocker(r.records, r.reclaimedBytes));
    return 0;
  },
};
