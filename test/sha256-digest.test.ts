import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Digest } from '../src/model/digest.js';

test('sha256Digest of a string hashes its UTF-8 bytes (ASCII copied directly, anything else encoded)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (s) => {
      assert.equal(sha256Digest(s), 'sha256:' + createHash('sha256').update(s, 'utf8').digest('hex'));
    }),
    { numRuns: 500 },
  );
  assert.equal(sha256Digest(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
