import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { LayerlabError } from '../errors.js';
import { syntheticSnapshotChunks, type SyntheticProgress } from '../sources/synthetic-snapshot.js';
import { count } from '../render/words.js';
import { usageError, type CommandIo } from './io.js';
import { defineCommand } from './options.js';

/** Most images `generate` makes: 20 million (about 160 million layer references, about 26 GB of snapshot). */
export const MAX_IMAGES = 20_000_000;

export const generateCommand = defineCommand(
  {
    name: 'generate',
    summary: 'Write a synthetic Docker-Hub-shaped snapshot (seeded, deterministic)',
    synopsis: '--images N -o FILE',
    description: `Generate a synthetic image set shaped like Docker Hub (Zhao et al., IEEE CLUSTER 2019: half of
all layers under 4 MB compressed, 90% under 63 MB; median compression ratio 2.6): Zipf-popular
base families, repositories whose tags share middle layers, unique top layers. About 8 layer
references and 2 distinct layers per image. Digests are random, not real.`,
    positionals: [],
    options: {
      images: { type: 'number', value: 'N', description: 'number of images (required)', min: 1, max: MAX_IMAGES },
      seed: { type: 'number', value: 'S', description: 'PRNG seed; the same seed gives the same file', min: 0, max: 2 ** 32 - 1, default: 1 },
      families: { type: 'number', value: 'F', description: 'base-image families', min: 1, max: 2000, defaultHelp: 'images/500' },
      refs: {
        type: 'string',
        value: 'STYLE',
        description: 'how stacks name layers',
        oneOf: ['digest', 'index'],
        default: 'digest',
        // measured: 1.83x at 1,000 images, 1.75x at 10,000, 1.72x at 100,000 (test/cli.test.ts checks 3,000)
        valueHelp: { index: 'by position in the layer list, a file about 1.8x smaller' },
      },
      output: { type: 'string', short: 'o', value: 'FILE', description: 'where to write the snapshot ("-" for stdout)' },
    },
  },
  async ({ values }, io) => {
    if (values.images === undefined) throw usageError('generate needs --images N; see layerlab generate --help');
    if (values.output === undefined) throw usageError('generate needs -o FILE (or -o - for stdout)');
    const { images, seed, families, refs } = values;
    const meta = { generator: 'layerlab generate', images, seed, families: families ?? null, note: 'synthetic: digests are random, sizes follow published Docker Hub figures' };
    const progress: SyntheticProgress = { section: 'layers', images: 0, layers: 0, references: 0 };
    // Made as written, in pieces of whole lines: ten million images are about 13 GB of text.
    const chunks = withProgress(syntheticSnapshotChunks({ images, seed, families }, meta, refs, progress), progress, images, io);
    if (values.output === '-') {
      for (const piece of chunks) {
        io.stdout(piece);
        if (io.drain) await io.drain();
      }
    } else writeAtomically(values.output, chunks);
    io.stderr(`wrote ${count(images, 'image')}, ${count(progress.layers, 'layer')}, ${count(progress.references, 'layer reference')}\n`);
    return 0;
  },
);

/** A line on a terminal's stderr, redrawn at most twice a second, while a long run writes (nothing when stderr is not a terminal). */
function* withProgress(chunks: Iterable<string>, progress: SyntheticProgress, images: number, io: CommandIo): Generator<string> {
  const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
  let shown = false;
  let next = Date.now() + 1000;
  for (const piece of chunks) {
    yield piece;
    if (!tty || Date.now() < next) continue;
    next = Date.now() + 500;
    const pass = progress.section === 'layers' ? '1/2 layers' : '2/2 images';
    io.stderr(`\rgenerating ${pass}: ${Math.floor((100 * progress.images) / images)}% of ${count(images, 'image')}\x1b[K`);
    shown = true;
  }
  if (shown) io.stderr('\r\x1b[K');
}

/** Writes beside the target and renames, so a failure never leaves a half-written file. */
export function writeAtomically(file: string, text: string | Iterable<string>): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    if (typeof text === 'string') writeFileSync(tmp, text);
    else {
      const fd = openSync(tmp, 'w');
      try {
        for (const piece of text) writeSync(fd, piece);
      } finally {
        closeSync(fd);
      }
    }
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
