import { compareDedupModels } from '../analyze/dedup.js';
import { mostSharedLayers, pairwiseShared } from '../analyze/sharing.js';
import { renderDedup, renderPairs, renderSharedLayers } from '../render/dedup.js';
import { loadSources } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { defineCommand } from './options.js';

export const dedupCommand = defineCommand(
  {
    name: 'dedup',
    summary: 'Compare dedup models (none, chain, diff, blob) and show the most-shared layers',
    description: `How much storage the images in SOURCE take under each dedup model:
  none   nothing shared (the sum of image sizes)
  chain  layers shared only as common stack prefixes (chainID): a Docker host
  diff   the same layer shared at any position (diffID): an ideal layer store
  blob   compressed blobs shared by digest: a registry
then the layers whose sharing saves the most, and the image pairs that share the most bytes.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      format: formatOption(['table', 'json']),
      top: { type: 'number', value: 'N', description: 'most-shared layers to list', min: 0, max: 100000, default: 10 },
      pairs: { type: 'number', value: 'N', description: 'compare the N largest images pairwise', min: 0, max: 200, default: 50 },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const { graph, sources } = await loadSources(positionals, loadOptionsOf(values.platform, io));
    const notes = notesFor(sources, ['image-set']);
    const result = { ...compareDedupModels(graph), mostSharedLayers: mostSharedLayers(graph, values.top), pairs: pairwiseShared(graph, values.pairs), notes };
    writeFormatted(io, values.format, result, {
      table: (r) => renderDedup(r) + '\nMost-shared layers:\n' + renderSharedLayers(r.mostSharedLayers) + '\n' + renderPairs(r.pairs, 20),
    });
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);
