import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256AsciiHex } from '../src/model/sha256-ascii.js';
import { sha256Digest } from '../src/model/digest.js';

const reference = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

test('sha256AsciiHex equals node:crypto on ASCII strings of every padding length (0-300 chars)', () => {
  for (let n = 0; n <= 300; n++) {
    const s = Array.from({ length: n }, (_, k) => String.fromCharCode(32 + ((k * 7 + n) % 95))).join('');
    assert.equal(sha256AsciiHex(s), reference(s), `length ${n}`);
  }
  fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 600 }), (s) => sha256AsciiHex(s) === reference(s)), { numRuns: 300 });
});

test('sha256AsciiHex leaves non-ASCII to the general hasher; sha256Digest hashes any string as UTF-8', () => {
  assert.equal(sha256AsciiHex('café'), undefined);
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => sha256Digest(s) === `sha256:${reference(s)}`), { numRuns: 200 });
  const chain = 'sha256:' + 'a'.repeat(64) + ' sha256:' + 'b'.repeat(64);
  assert.equal(sha256Digest(chain), `sha256:${reference(chain)}`);
});
