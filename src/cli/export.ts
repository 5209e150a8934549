import { writeColumnar } from '../sources/columnar.js';
import { loadSources } from '../sources/load.js';
import { renderExportSummary } from '../render/sql.js';
import { PLATFORM_OPTION, platformOf, sourceHelp } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const exportCommand = defineCommand(
  {
    name: 'export',
    summary: 'Write SOURCEs as Arrow or Parquet tables (for layerlab, DuckDB, Spark, Trino)',
    synopsis: '--format arrow|parquet SOURCE... -o PATH',
    description: `Write the image set of SOURCE as tables in a new folder PATH: layers, images, image_refs,
image_layers (the stacks), chains (each distinct stack prefix with its chainID), containers, and
the files and chunks indexes (empty until layer contents are indexed). Digests are 32-byte
binaries, sizes 64-bit integers. Every layerlab command reads PATH back as a SOURCE; the
folder is written beside PATH and renamed into place, so PATH is never half-written.

${sourceHelp(true)}`,
    positionals: [{ name: 'SOURCE', variadic: true }],
    options: {
      format: {
        type: 'string',
        value: 'FORMAT',
        description: 'table file format',
        oneOf: ['arrow', 'parquet'],
        valueHelp: { arrow: 'one Arrow IPC file per table', parquet: 'a folder of zstd Parquet files per table, images and image_layers partitioned by bucket' },
      },
      output: { type: 'string', short: 'o', value: 'PATH', description: 'the folder to create (must not exist)' },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    if (values.format === undefined) throw usageError('export needs --format arrow or --format parquet');
    if (values.output === undefined) throw usageError('export needs -o PATH (a folder to create)');
    const { graph } = await loadSources(positionals, { platform: platformOf(values.platform) });
    const marker = await writeColumnar(graph, values.format, values.output);
    io.stderr(renderExportSummary(values.output, marker));
    return 0;
  },
);
