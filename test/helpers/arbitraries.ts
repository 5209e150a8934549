import fc from 'fast-check';
import { sha256Digest } from '../../src/model/digest.js';
import { CONTAINER_STATES } from '../../src/model/types.js';
import { SNAPSHOT_KIND, SNAPSHOT_VERSION } from '../../src/sources/snapshot.js';

const layerId = (i: number) => sha256Digest(`diff-${i}`);
const blobId = (i: number) => sha256Digest(`blob-${i}`);
const imageId = (i: number) => sha256Digest(`image-${i}`);
const containerId = (i: number) => sha256Digest(`container-${i}`).slice(7);

/** A snapshot document in canonical form (what serializeSnapshot writes back byte-equivalently). */
export type SnapshotDoc = {
  kind: string;
  version: number;
  layers: Record<string, unknown>[];
  images: Record<string, unknown>[];
  containers: Record<string, unknown>[];
};

/**
 * Random small hosts: stacks often extend an earlier image's stack (so chain prefixes are shared),
 * layers repeat at other positions, some images are untagged, some have parents, containers in
 * every state.
 */
export const snapshotDoc = (opts: { maxImages?: number; withBlobs?: boolean } = {}): fc.Arbitrary<SnapshotDoc> =>
  fc
    .record({
      layerSizes: fc.array(fc.nat(100_000), { minLength: 1, maxLength: 10 }),
      blobs: fc.array(fc.option(fc.nat(50_000), { nil: undefined }), { minLength: 10, maxLength: 10 }),
      images: fc.array(
        fc.record({
          base: fc.nat(),
          keep: fc.nat(6),
          extra: fc.array(fc.nat(), { maxLength: 4 }),
          tags: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 2 }),
          parent: fc.option(fc.nat(), { nil: undefined }),
          created: fc.integer({ min: 1_500_000_000, max: 1_800_000_000 }),
        }),
        { maxLength: opts.maxImages ?? 8 },
      ),
      containers: fc.array(fc.record({ image: fc.nat(), state: fc.constantFrom(...CONTAINER_STATES), sizeRw: fc.nat(10_000) }), { maxLength: 5 }),
    })
    .map(({ layerSizes, blobs, images, containers }) => {
      const nL = layerSizes.length;
      const layers = layerSizes.map((size, i) => {
        const o: Record<string, unknown> = { diffId: layerId(i), size };
        if (opts.withBlobs !== false && blobs[i] !== undefined) {
          o.digest = blobId(i);
          o.compressedSize = blobs[i];
        }
        return o;
      });
      const stacks: number[][] = [];
      const usedTags = new Set<string>();
      const docImages = images.map((im, k) => {
        const from = k > 0 ? stacks[im.base % k] : [];
        const stack = [...from.slice(0, Math.min(from.length, im.keep)), ...im.extra.map((e) => e % nL)];
        stacks.push(stack);
        const o: Record<string, unknown> = { id: imageId(k), layers: stack.map(layerId) };
        const tags = [...new Set(im.tags.map((t) => `img${k % 3}${t}:v${k % 2}`))].filter((t) => !usedTags.has(t));
        tags.forEach((t) => usedTags.add(t));
        if (tags.length) o.repoTags = tags;
        o.created = im.created;
        if (im.parent !== undefined && k > 0) o.parent = imageId(im.parent % k);
        return o;
      });
      const docContainers = docImages.length
        ? containers.map((c, k) => ({ id: containerId(k), image: imageId(c.image % docImages.length), state: c.state, sizeRw: c.sizeRw }))
        : [];
      return { kind: SNAPSHOT_KIND, version: SNAPSHOT_VERSION, layers, images: docImages, containers: docContainers };
    });

/** Fisher-Yates with a fast-check-provided seed list. */
export function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (keys[i % Math.max(1, keys.length)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
