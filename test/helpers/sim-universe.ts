import fc from 'fast-check';
import { UniverseBuilder } from '../../src/simulate/universe.js';
import type { Universe } from '../../src/model/universe.js';

/** A tiny universe: images as stacks over a few blobs (shared bases, repeated blobs, two blobs of one diff). */
export const tinyUniverse = (maxImages = 6): fc.Arbitrary<Universe> =>
  fc
    .record({
      blobs: fc.array(fc.record({ size: fc.integer({ min: 1, max: 50 }), ratio: fc.integer({ min: 1, max: 3 }), diff: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }),
      images: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: maxImages }),
    })
    .map(({ blobs, images }) => {
      const b = new UniverseBuilder();
      const diffSize = new Map<number, number>();
      const ids = blobs.map((x, i) => {
        if (!diffSize.has(x.diff)) diffSize.set(x.diff, x.size * x.ratio);
        return b.blob(`blob${i}`, x.size, `diff${x.diff}`, diffSize.get(x.diff)!);
      });
      images.forEach((stack, i) => b.image(`img${i}:v1`, 3, stack.map((k) => ids[k % ids.length])));
      return b.build();
    });
