import { compareDedupModels } from '../analyze/dedup.js';
import { mostSharedLayers, pairwiseShared } from '../analyze/sharing.js';
import { renderDedup, renderPairs, renderSharedLayers } from '../render/dedup.js';
import { loadSources } from '../sources/load.js';
import { parsePlatform } from '../sources/image-archive.js';
import { json, oneOf, parseCommandArgs, SOURCE_HELP, usageError, wholeNumber, type Command } from './io.js';

export const dedupCommand: Command = {
  name: 'dedup',
  summary: 'Compare dedup models (none, chain, diff, blob) and show the most-shared layers',
  usage: `Usage: layerlab dedup [OPTIONS] SOURCE...

How much storage the images in SOURCE take under each dedup model:
  none   nothing shared (the sum of image sizes)
  chain  layers shared only as common stack prefixes (chainID): a Docker host
  diff   the same layer shared at any position (diffID): an ideal layer store
  blob   compressed blobs shared by digest: a registry
then the layers whose sharing saves the most, and the image pairs that share the most bytes.

${SOURCE_HELP}
Options:
      --format FORMAT   table (default) or json
      --top N           most-shared layers to list (default 10)
      --pairs N         compare the N largest images pairwise (default 50, at most 200)
      --platform P      os/arch[/variant] to pick from multi-platform indexes
                        (default linux/amd64)
  -h, --help            show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { format: { type: 'string' }, top: { type: 'string' }, pairs: { type: 'string' }, platform: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      'dedup',
    );
    if (values.help) {
      io.stdout(dedupCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json'] as const, 'table', '--format');
    const top = wholeNumber(values.top, 10, '--top', 0, 100000);
    const pairLimit = wholeNumber(values.pairs, 50, '--pairs', 0, 200);
    if (positionals.length === 0) throw usageError(`dedup needs a SOURCE; see layerlab dedup --help`);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const { graph } = await loadSources(positionals, { platform });
    const comparison = compareDedupModels(graph);
    const shared = mostSharedLayers(graph, top);
    const pairs = pairwiseShared(graph, pairLimit);
    if (format === 'json') {
      io.stdout(json({ ...comparison, mostSharedLayers: shared, pairs }));
      return 0;
    }
    io.stdout(renderDedup(comparison) + '\nMost-shared layers:\n' + renderSharedLayers(shared) + '\n' + renderPairs(pairs, 20));
    return 0;
  },
};
