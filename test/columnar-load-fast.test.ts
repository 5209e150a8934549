import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findDuplicateDigest } from '../src/sources/columnar-graph.js';
import { int64Into } from '../src/sources/columnar-arrow.js';

// Digests from a two-value byte alphabet: prefixes (and fingerprints) collide all the time, so the
// table's probing, fingerprint and full comparison are all exercised.
const digest = fc.uint8Array({ minLength: 32, maxLength: 32, min: 0, max: 1 }).map((b) => (b[3] ? b : b.fill(0, 8, 20)));
const column = fc.array(fc.tuple(digest, fc.boolean()), { maxLength: 40 });

/** The first repeat in the same scan order, by hex strings. */
function naive(cols: { c: { bytes: Uint8Array; valid?: Uint8Array }; rows: number }[]): { at: [number, number]; first: [number, number] } | undefined {
  const seen = new Map<string, [number, number]>();
  for (let k = 0; k < cols.length; k++) {
    for (let r = 0; r < cols[k].rows; r++) {
      if (cols[k].c.valid && cols[k].c.valid![r] !== 1) continue;
      const hex = Buffer.from(cols[k].c.bytes.subarray(r * 32, r * 32 + 32)).toString('hex');
      const prev = seen.get(hex);
      if (prev) return { at: [k, r], first: prev };
      seen.set(hex, [k, r]);
    }
  }
  return undefined;
}

test('columnar: findDuplicateDigest finds the first repeated digest across columns, skipping nulls', () => {
  fc.assert(
    fc.property(fc.array(column, { minLength: 1, maxLength: 3 }), fc.boolean(), (cols, withNulls) => {
      const input = cols.map((rows) => {
        const bytes = new Uint8Array(rows.length * 32);
        rows.forEach(([d], r) => bytes.set(d, r * 32));
        const valid = withNulls ? Uint8Array.from(rows, ([, v]) => (v ? 1 : 0)) : undefined;
        return { c: valid ? { bytes, valid } : { bytes }, rows: rows.length };
      });
      assert.deepEqual(findDuplicateDigest(input), naive(input));
    }),
    { numRuns: 500 },
  );
});

test('columnar: int64 values read as two words equal Number(bigint), signed and unsigned, large values rounded alike', () => {
  const big = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), fc.integer({ min: -5, max: 5 }).map(BigInt));
  fc.assert(
    fc.property(fc.array(big, { minLength: 1, maxLength: 20 }), fc.nat(3), (xs, offset) => {
      const signed = BigInt64Array.from([...Array(offset).fill(0n), ...xs]);
      const out = new Float64Array(xs.length + 1);
      int64Into(out, 1, signed, offset, xs.length, true);
      assert.deepEqual([...out.subarray(1)], xs.map((x) => Number(x)));
      const unsigned = new BigUint64Array(signed.buffer);
      int64Into(out, 1, unsigned, offset, xs.length, false);
      assert.deepEqual([...out.subarray(1)], Array.from(unsigned.subarray(offset), (x) => Number(x)));
    }),
    { numRuns: 300 },
  );
});
