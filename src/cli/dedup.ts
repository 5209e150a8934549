import { compareDedupModels } from '../analyze/dedup.js';
import { DEFAULT_CHUNK_ALGOS, type ChunkMode, type DedupLevel } from '../analyze/dedup-content.js';
import { mostSharedLayers, pairwiseShared } from '../analyze/sharing.js';
import { createChunker } from '../chunk/registry.js';
import { renderContentDedup, renderDedup, withoutBlobRow, renderPairs, renderSharedLayers } from '../render/dedup.js';
import { contentDedup } from '../sources/dedup-scan.js';
import { loadSources } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const dedupCommand = defineCommand(
  {
    name: 'dedup',
    summary: 'Compare dedup models (none, chain, diff, blob), or layer/file/chunk dedup over layer contents',
    description: `How much storage the images in SOURCE take under each dedup model:
  none   nothing shared (the sum of image sizes)
  chain  layers shared only as common stack prefixes (chainID): a Docker host
  diff   the same layer shared at any position (diffID): an ideal layer store
  blob   compressed blobs shared by digest: a registry
then the layers whose sharing saves the most, and the image pairs that share the most bytes.

With --level, the dedup ladder over the layers' contents instead, each distinct layer read once:
  layer  by compressed blob digest and by diffID (uncompressed tar)
  file   by the sha256 of each regular file
  chunk  by the sha256 of each chunk, for each --algo, per file and/or over the tar stream
with logical and stored bytes, ratio (logical/stored), savings %, unit counts, mean and standard
deviation of unit sizes, a log2 size histogram, index bytes, the unique chunks compressed one by one
(gzip, zstd), and MB/s. File and chunk levels need a SOURCE that holds layer bytes (docker save
archive, OCI layout or archive, registry://, a Docker data root on vfs or overlay2).

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      format: formatOption(['table', 'json']),
      level: { type: 'string', value: 'LEVEL', multiple: true, oneOf: ['layer', 'file', 'chunk'], description: 'dedup granularity' },
      algo: { type: 'string', value: 'SPEC', multiple: true, description: `chunker spec for --level chunk (repeat; default: ${DEFAULT_CHUNK_ALGOS.join(' ')})` },
      'per-file': { type: 'boolean', description: 'chunk within each regular file only (default: both per file and stream)' },
      stream: { type: 'boolean', description: 'chunk the uncompressed layer tar as one stream only (default: both)' },
      'no-compress': { type: 'boolean', description: 'skip compressing the unique chunks (gzip, zstd)' },
      top: { type: 'number', value: 'N', description: 'most-shared layers to list', min: 0, max: 100000, defaultHelp: '10; without --level' },
      pairs: { type: 'number', value: 'N', description: 'compare the N largest images pairwise', min: 0, max: 200, defaultHelp: '50; without --level' },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const levels = values.level as DedupLevel[];
    // Usage errors before any source is read.
    if (levels.length === 0 && (values.algo.length || values['per-file'] || values.stream || values['no-compress'])) throw usageError('--algo, --per-file, --stream and --no-compress go with --level');
    if (levels.length > 0 && (values.top !== undefined || values.pairs !== undefined)) throw usageError('--top and --pairs go with the layer-sharing comparison (without --level)');
    const loaded = await loadSources(positionals, loadOptionsOf(values.platform, io));
    const notes = notesFor(loaded.sources, ['image-set']);
    if (levels.length === 0) {
      const { graph } = loaded;
      const result = { ...compareDedupModels(graph), mostSharedLayers: mostSharedLayers(graph, values.top ?? 10), pairs: pairwiseShared(graph, values.pairs ?? 50), notes };
      await writeFormatted(io, values.format, result, {
        table: (r) => renderDedup(r) + '\nMost-shared layers:\n' + renderSharedLayers(r.mostSharedLayers) + '\n' + renderPairs(r.pairs, 20),
      });
      if (values.format !== 'json') writeNotes(io, notes);
      return 0;
    }
    if (values.algo.length && !levels.includes('chunk')) throw usageError('--algo goes with --level chunk');
    if ((values['per-file'] || values.stream) && !levels.includes('chunk')) throw usageError('--per-file and --stream go with --level chunk');
    const algos = values.algo.length ? values.algo : DEFAULT_CHUNK_ALGOS;
    for (const a of algos) createChunker(a); // a bad spec is a usage error before any layer is read
    const modes: ChunkMode[] = values['per-file'] && !values.stream ? ['per-file'] : values.stream && !values['per-file'] ? ['stream'] : ['per-file', 'stream'];
    const result = await contentDedup(loaded, { levels: [...new Set(levels)], algos, modes, compress: !values['no-compress'] });
    await writeFormatted(io, values.format, withoutBlobRow(result, loaded.sources.map((s) => s.kind)), { table: renderContentDedup });
    return 0;
  },
);
