import { removalHost } from '../analyze/removal.js';
import { renderPruneDockerPieces } from '../render/removal.js';
import { loadSource } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { defineCommand } from './options.js';
import { sha256Of } from '../sources/hashing.js';

export const pruneCommand = defineCommand(
  {
    name: 'prune',
    summary: 'What `docker image prune [-a]` would delete and reclaim (changes nothing)',
    description: `Predict \`docker image prune\` (dangling images: no tag, no children) or, with -a, \`docker image
prune -a\` (every image no container uses) on the host SOURCE describes: the records Docker
would print and its "Total reclaimed space". The dry run moby/moby#30623 asks for.

${sourceHelp(false)}`,
    positionals: [{ name: 'SOURCE' }],
    options: {
      all: { type: 'boolean', short: 'a', description: 'as docker image prune -a' },
      format: formatOption(['docker', 'json'], { docker: "docker's own output" }),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const loaded = await loadSource(positionals[0], loadOptionsOf(values.platform, io));
    const host = removalHost(loaded.graph, sha256Of);
    const notes = notesFor([loaded], ['image-set']);
    const before = host.layersSize();
    const r = host.prune(values.all);
    const result = { all: values.all, records: r.records, reclaimedBytes: r.reclaimedBytes, dfSizeChange: before - host.layersSize(), refused: r.failed, notes };
    await writeFormatted(io, values.format, result, { docker: (x) => renderPruneDockerPieces(x.records, x.reclaimedBytes) });
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);
