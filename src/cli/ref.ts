import { explainReference } from '../model/reference.js';
import { renderReferences } from '../render/ref.js';
import { formatOption, writeFormatted } from './common.js';
import { defineCommand } from './options.js';

export const refCommand = defineCommand(
  {
    name: 'ref',
    summary: 'Explain image references as Docker normalises them',
    description: `Parse each NAME as the Docker CLI does (distribution/reference: docker.io default, library/,
default tag latest, digests, registries with ports, IPv6 hosts) and show its registry,
namespace, repository, tag, digest, familiar and canonical forms, or why it is invalid.
A bare 64-hex string is an image ID. Exits 1 when any NAME is invalid.`,
    positionals: [{ name: 'NAME', variadic: true }],
    options: { format: formatOption(['table', 'json']) },
  },
  async ({ values, positionals }, io) => {
    const results = positionals.map(explainReference);
    await writeFormatted(io, values.format, results, { table: renderReferences });
    return results.every((r) => r.valid) ? 0 : 1;
  },
);
