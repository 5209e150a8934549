import { systemDf, systemDfSummary } from '../analyze/df.js';
import { dfCaveats } from '../analyze/df-caveats.js';
import { quote } from '../errors.js';
import { describeCaveat } from '../render/caveats.js';
import { dockerCliProfile, renderDfSummary, renderDfVerboseLines } from '../render/df.js';
import { loadSources } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const dfCommand = defineCommand(
  {
    name: 'df',
    summary: 'Disk usage as `docker system df [-v]` computes it',
    description: `Show disk usage of the images and containers in SOURCE exactly as \`docker system df\` does:
per image Size, SharedSize (layers another image's chain also holds), UniqueSize, Containers;
totals with ACTIVE and RECLAIMABLE.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      verbose: { type: 'boolean', short: 'v', description: 'per-image and per-container detail (docker system df -v)' },
      format: formatOption(['table', 'json'], { json: 'the full answer with Engine API field names (Id, RepoTags, Size, SharedSize, UniqueSize, ...), bytes' }),
      reclaimable: {
        type: 'string',
        value: 'RULE',
        description: '',
        oneOf: ['current', 'legacy'],
        valueHelp: { current: 'Docker >= 29.4', legacy: 'Docker 20.10-28' },
        defaultHelp: 'current, or what --docker-cli implies',
      },
      'docker-cli': {
        type: 'string',
        value: 'VERSION',
        description: 'print as that docker CLI does (e.g. 20.10): before 25.0 the -v SIZE column has 4 digits; before 29.4 RECLAIMABLE defaults to legacy',
      },
      platform: PLATFORM_OPTION,
    },
    footer: 'Notes on what the numbers are (compressed sizes, the RECLAIMABLE rule) go to stderr.',
  },
  async ({ values, positionals }, io) => {
    const cliVersion = values['docker-cli'];
    const cli = cliVersion === undefined ? undefined : dockerCliProfile(cliVersion);
    if (cliVersion !== undefined && !cli) throw usageError(`--docker-cli takes a version like 20.10 or 29.4.0 (got ${quote(cliVersion)})`);
    const rule = values.reclaimable ?? cli?.rule ?? 'current';
    const { graph, sources } = await loadSources(positionals, loadOptionsOf(values.platform, io));
    // The summary table needs totals only: no per-image rows (a million ID strings) are made for it.
    const df = values.verbose || values.format === 'json' ? systemDf(graph, rule) : undefined;
    const summary = df ?? systemDfSummary(graph, rule);
    // containers without a size: df says it in its own caveat (from the graph), so not twice
    const notes = notesFor(sources, ['image-set']);
    if (df) await writeFormatted(io, values.format, { ...df, notes }, { table: (d) => renderDfVerboseLines(d, io.now(), cli?.style) });
    else io.stdout(renderDfSummary(summary));
    if (values.format === 'json') return 0;
    for (const c of dfCaveats(summary)) io.stderr(`note: ${describeCaveat(c)}\n`);
    writeNotes(io, notes);
    return 0;
  },
);
