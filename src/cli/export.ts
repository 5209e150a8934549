import { DEFAULT_CHUNK_ALGOS } from '../analyze/dedup-content.js';
import { createChunker } from '../chunk/registry.js';
import { writeColumnar } from '../sources/columnar.js';
import { contentTables } from '../sources/content-tables.js';
import { loadSources } from '../sources/load.js';
import { renderExportSummary } from '../render/sql.js';
import { PLATFORM_OPTION, platformOf, sourceHelp } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const exportCommand = defineCommand(
  {
    name: 'export',
    summary: 'Write SOURCEs as Arrow or Parquet tables (for layerlab, DuckDB, Spark, Trino)',
    synopsis: '--format arrow|parquet [--contents [--algo SPEC]...] SOURCE... -o PATH',
    description: `Write the image set of SOURCE as tables in a new folder PATH: layers, images, image_refs,
image_layers (the stacks), chains (each distinct stack prefix with its chainID), containers, and
the files and chunks indexes of the layers' contents. Digests are 32-byte binaries, sizes 64-bit
integers. Every layerlab command reads PATH back as a SOURCE; the folder is written beside PATH
and renamed into place, so PATH is never half-written.

files and chunks are empty unless --contents is given: then every distinct layer (by diffID) some
image stacks is read once from a SOURCE that holds layer bytes (docker save archive, OCI layout or
archive, registry://, a Docker data root on vfs or overlay2), and files gets one row per regular
file of each layer (layer_digest = the layer's diffID, path, size, content_digest = sha256 of the
file). With --algo, chunks gets, for each chunker, the chunks of every non-empty regular file
(mode per-file, chunk_offset within the file) and of the uncompressed layer tar (mode stream,
chunk_offset within the tar): the units dedup --level file|chunk counts, so the shipped queries
dedup-files, dedup-chunks and most-shared-files give its numbers.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      format: {
        type: 'string',
        value: 'FORMAT',
        description: 'table file format',
        oneOf: ['arrow', 'parquet'],
        valueHelp: { arrow: 'one Arrow IPC file per table', parquet: 'a folder of zstd Parquet files per table, images, image_layers, files and chunks partitioned by bucket' },
      },
      output: { type: 'string', short: 'o', value: 'PATH', description: 'the folder to create (must not exist)' },
      contents: { type: 'boolean', description: 'read the layers and fill the files table (and chunks, with --algo)' },
      algo: { type: 'string', value: 'SPEC', multiple: true, description: `chunker spec for the chunks table (repeat; with --contents; e.g. ${DEFAULT_CHUNK_ALGOS[3]})` },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    if (values.format === undefined) throw usageError('export needs --format arrow or --format parquet');
    if (values.output === undefined) throw usageError('export needs -o PATH (a folder to create)');
    if (values.algo.length > 0 && !values.contents) throw usageError('--algo goes with --contents (the chunks table is cut from the layer bytes)');
    for (const a of values.algo) createChunker(a); // a bad spec is a usage error before any source is read
    const loaded = await loadSources(positionals, { platform: platformOf(values.platform) });
    let content;
    if (values.contents) {
      const c = await contentTables(loaded, values.algo);
      content = { files: c.files, chunks: c.chunks, note: { algos: c.algos, layersRead: c.layersRead, layersNotRead: c.layersNotRead } };
      if (c.layersNotRead > 0) io.stderr(`layerlab: warning: the bytes of ${c.layersNotRead} of ${c.layersRead + c.layersNotRead} distinct layers are not in these sources; files and chunks leave them out\n`);
    }
    const marker = await writeColumnar(loaded.graph, values.format, values.output, content);
    io.stderr(renderExportSummary(values.output, marker));
    return 0;
  },
);
