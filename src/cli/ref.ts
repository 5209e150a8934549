import { explainReference } from '../model/reference.js';
import { tabwrite } from '../render/tabwriter.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

export const refCommand: Command = {
  name: 'ref',
  summary: 'Explain image references as Docker normalises them',
  usage: `Usage: layerlab ref [OPTIONS] NAME...

Parse each NAME as the Docker CLI does (distribution/reference: docker.io default, library/,
default tag latest, digests, registries with ports, IPv6 hosts) and show its registry,
namespace, repository, tag, digest, familiar and canonical forms, or why it is invalid.
A bare 64-hex string is an image ID. Exits 1 when any NAME is invalid.

Options:
      --format FORMAT   table (default) or json
  -h, --help            show this help
`,
  run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 'ref');
    if (values.help) {
      io.stdout(refCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json'] as const, 'table', '--format');
    if (positionals.length === 0) throw usageError('ref needs at least one NAME; see layerlab ref --help');
    const results = positionals.map(explainReference);
    if (format === 'json') io.stdout(json(results));
    else {
      const rows = [['INPUT', 'REGISTRY', 'REPOSITORY', 'TAG', 'DIGEST', 'CANONICAL']];
      for (const r of results) {
        if (!r.valid) rows.push([r.input, 'invalid:', r.error ?? '']);
        else if (r.kind === 'digest') rows.push([r.input, '-', '-', '-', r.digest ?? '', `${r.canonical} (image ID or digest)`]);
        else rows.push([r.input, r.registry ?? '', r.repository ?? '', (r.tag ?? '-') + (r.tagDefaulted ? ' (default)' : ''), r.digest ?? '-', r.canonical ?? '']);
      }
      io.stdout(tabwrite(rows));
    }
    return results.every((r) => r.valid) ? 0 : 1;
  },
};
