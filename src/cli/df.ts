import { systemDf, type ReclaimableRule } from '../analyze/df.js';
import { dfNotes, dockerCliProfile, renderDfSummary, renderDfVerbose } from '../render/df.js';
import { loadSources } from '../sources/load.js';
import { parsePlatform } from '../sources/image-archive.js';
import { json, oneOf, parseCommandArgs, SOURCE_HELP, usageError, type Command } from './io.js';

export const dfCommand: Command = {
  name: 'df',
  summary: 'Disk usage as `docker system df [-v]` computes it',
  usage: `Usage: layerlab df [OPTIONS] SOURCE...

Show disk usage of the images and containers in SOURCE exactly as \`docker system df\` does:
per image Size, SharedSize (layers another image's chain also holds), UniqueSize, Containers;
totals with ACTIVE and RECLAIMABLE.

${SOURCE_HELP}
Options:
  -v, --verbose              per-image and per-container detail (docker system df -v)
      --format FORMAT        table (default) or json: the full answer with Engine API field
                             names (Id, RepoTags, Size, SharedSize, UniqueSize, ...), bytes
      --reclaimable RULE     current (Docker >= 29.4, default) or legacy (Docker 20.10-28)
      --docker-cli VERSION   print as that docker CLI does (e.g. 20.10): before 25.0 the -v SIZE
                             column has 4 digits; before 29.4 RECLAIMABLE defaults to legacy
      --platform P           os/arch[/variant] to pick from multi-platform indexes (default
                             linux/amd64)
  -h, --help                 show this help

Notes on what the numbers are (compressed sizes, the RECLAIMABLE rule) go to stderr.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        verbose: { type: 'boolean', short: 'v' },
        format: { type: 'string' },
        reclaimable: { type: 'string' },
        'docker-cli': { type: 'string' },
        platform: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      'df',
    );
    if (values.help) {
      io.stdout(dfCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json'] as const, 'table', '--format');
    const cli = values['docker-cli'] === undefined ? undefined : dockerCliProfile(values['docker-cli']);
    if (values['docker-cli'] !== undefined && !cli) throw usageError(`--docker-cli takes a version like 20.10 or 29.4.0 (got ${JSON.stringify(values['docker-cli'])})`);
    const rule = oneOf<ReclaimableRule>(values.reclaimable, ['current', 'legacy'], cli?.rule ?? 'current', '--reclaimable');
    if (positionals.length === 0) throw usageError(`df needs a SOURCE; see layerlab df --help`);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const { graph } = await loadSources(positionals, { platform });
    const df = systemDf(graph, rule);
    if (format === 'json') {
      io.stdout(json(df));
      return 0;
    }
    io.stdout(values.verbose ? renderDfVerbose(df, io.now(), cli?.style) : renderDfSummary(df));
    for (const note of dfNotes(df)) io.stderr(`note: ${note}\n`);
    return 0;
  },
};
