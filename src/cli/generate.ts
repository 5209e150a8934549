import { writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { LayerlabError } from '../errors.js';
import { ImageGraph } from '../model/graph.js';
import { serializeSnapshot } from '../sources/snapshot.js';
import { syntheticColumns } from '../sources/synthetic.js';
import { oneOf, parseCommandArgs, usageError, wholeNumber, type Command } from './io.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Write a synthetic Docker-Hub-shaped snapshot (seeded, deterministic)',
  usage: `Usage: layerlab generate [OPTIONS] --images N -o FILE

Generate a synthetic image set shaped like Docker Hub (Zhao et al., IEEE CLUSTER 2019: half of
all layers under 4 MB compressed, 90% under 63 MB; median compression ratio 2.6): Zipf-popular
base families, repositories whose tags share middle layers, unique top layers. About 8 layer
references and 2 distinct layers per image. Digests are random, not real.

Options:
      --images N      number of images (required, 1 to 5000000)
      --seed S        PRNG seed (default 1); the same seed gives the same file
      --families F    base-image families (default images/500, 1 to 2000)
      --refs STYLE    how stacks name layers: digest (default) or index (about 5x smaller)
  -o, --output FILE   where to write the snapshot ("-" for stdout)
  -h, --help          show this help
`,
  run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        images: { type: 'string' },
        seed: { type: 'string' },
        families: { type: 'string' },
        refs: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      'generate',
    );
    if (values.help) {
      io.stdout(generateCommand.usage);
      return 0;
    }
    if (positionals.length) throw usageError(`generate takes no positional arguments (got ${JSON.stringify(positionals[0])})`);
    if (values.images === undefined) throw usageError('generate needs --images N; see layerlab generate --help');
    if (values.output === undefined) throw usageError('generate needs -o FILE (or -o - for stdout)');
    const images = wholeNumber(values.images, 0, '--images', 1, 5_000_000);
    const seed = wholeNumber(values.seed, 1, '--seed', 0, 2 ** 32 - 1);
    const families = values.families === undefined ? undefined : wholeNumber(values.families, 1, '--families', 1, 2000);
    const refs = oneOf(values.refs, ['digest', 'index'] as const, 'digest', '--refs');
    const graph = new ImageGraph(syntheticColumns({ images, seed, families }));
    const meta = { generator: 'layerlab generate', images, seed, families: families ?? null, note: 'synthetic: digests are random, sizes follow published Docker Hub figures' };
    const text = serializeSnapshot(graph, meta, refs);
    if (values.output === '-') io.stdout(text);
    else writeAtomically(values.output, text);
    io.stderr(`wrote ${images} images, ${graph.layerCount} layers, ${graph.referenceCount} layer references\n`);
    return 0;
  },
};

/** Writes beside the target and renames, so a failure never leaves a half-written file. */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new LayerlabError('EIO', `cannot write: ${(e as Error).message}`, { file });
  }
}
