import { imageRecordOf, layerRecordOf, snapshotPieces, type LayerRefStyle } from './snapshot.js';
import { hexDigest, SYNTHETIC_MEDIA_TYPE, SyntheticStream, type SyntheticOptions } from './synthetic.js';

/** What {@link syntheticSnapshotChunks} has written so far (read it while iterating, or after). */
export interface SyntheticProgress {
  /** The section being written. */
  section: 'layers' | 'images';
  /** Images made in this section's pass. */
  images: number;
  /** Distinct layers and layer references written (final once the images section is done). */
  layers: number;
  references: number;
}

/**
 * The snapshot text of {@link syntheticGraph} for the same options, byte for byte what
 * serializeSnapshot writes for it, made as it is written: the set is generated twice (the
 * layers section comes before the images that were made in between), holding only the base
 * families and one repository at a time, so memory does not grow with the image count.
 */
export function syntheticSnapshotChunks(
  opts: Omit<SyntheticOptions, 'containers'>,
  meta: Record<string, unknown>,
  refs: LayerRefStyle,
  progress: SyntheticProgress = { section: 'layers', images: 0, layers: 0, references: 0 },
  chunkChars = 1 << 20,
): Generator<string> {
  return snapshotPieces(meta, { layers: layerLines(opts, progress), images: imageLines(opts, refs, progress), containers: [] }, chunkChars);
}

function* layerLines(opts: Omit<SyntheticOptions, 'containers'>, progress: SyntheticProgress): Generator<string> {
  const out: string[] = [];
  const gen = new SyntheticStream<null>(opts, {
    layer: (w, size, compressedSize) => {
      out.push(JSON.stringify(layerRecordOf({ diffId: hexDigest(w, 0), size, digest: hexDigest(w, 8), compressedSize, mediaType: SYNTHETIC_MEDIA_TYPE })));
      return null;
    },
    image: () => undefined,
  });
  progress.section = 'layers';
  for (;;) {
    yield* out;
    out.length = 0;
    progress.images = gen.imagesMade;
    if (gen.done) return;
    gen.step();
  }
}

function* imageLines(opts: Omit<SyntheticOptions, 'containers'>, refs: LayerRefStyle, progress: SyntheticProgress): Generator<string> {
  const out: string[] = [];
  let layers = 0;
  let references = 0;
  const gen = new SyntheticStream<string | number>(opts, {
    // A stack names a layer by its diffID (the layer key) or by its position in the layers section.
    layer: refs === 'index' ? () => layers++ : (w) => (layers++, hexDigest(w, 0)),
    image: (w, repoTag, created, stack) => {
      references += stack.length;
      out.push(JSON.stringify(imageRecordOf({ id: hexDigest(w, 0), repoTags: [repoTag], created }, stack)));
    },
  });
  progress.section = 'images';
  progress.images = 0;
  while (!gen.done) {
    gen.step();
    yield* out;
    out.length = 0;
    progress.images = gen.imagesMade;
  }
  progress.layers = layers;
  progress.references = references;
}
