// Answers are written in pieces: `df -v --format json` of 1.4 million images is longer than V8's
// longest string, so no command may build its whole answer as one string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { json, jsonPieces, type CommandIo } from '../src/cli/io.js';
import { writeFormatted } from '../src/cli/common.js';
import { tabwrite, tabwriteLines } from '../src/render/tabwriter.js';

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom(undefined, new Date(0), Number.NaN, -0),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

test('jsonPieces joined is exactly json(): JSON.stringify(value, null, 2) and a newline, whatever the value', () => {
  fc.assert(
    fc.property(value, (v) => {
      fc.pre(v !== undefined);
      assert.equal([...jsonPieces(v)].join(''), json(v));
    }),
    { numRuns: 2000 },
  );
});

test('tabwriteLines prints what tabwrite prints, a line at a time', () => {
  const cell = fc.string({ maxLength: 14, unit: fc.constantFrom('a', 'é', '😀', ' ', 'Z') });
  fc.assert(
    fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 8 }), (rows) => {
      assert.equal([...tabwriteLines(() => rows)].join(''), tabwrite(rows));
    }),
  );
});

test('writeFormatted hands a large answer to stdout in bounded pieces, waiting for it to drain between them', async () => {
  const writes: number[] = [];
  let drains = 0;
  const io: CommandIo = { stdout: (s) => void writes.push(s.length), stderr: () => undefined, now: () => 0, drain: async () => void drains++ };
  const rows = Array.from({ length: 60_000 }, (_, i) => ({ Id: `sha256:${i.toString(16).padStart(64, '0')}`, Size: i, RepoTags: [`r${i}:latest`] }));
  const answer = { Images: rows, Containers: [] };
  await writeFormatted(io, 'json', answer, { table: () => '' });
  const total = writes.reduce((a, b) => a + b, 0);
  assert.equal(total, json(answer).length);
  assert.ok(writes.length > 3, `${writes.length} writes`);
  assert.ok(Math.max(...writes) < 1.1 * 2 ** 20, `largest write ${Math.max(...writes)} characters`);
  assert.ok(drains >= writes.length - 1);
  // a renderer's lines are batched the same way
  writes.length = 0;
  await writeFormatted(io, 'table', answer, { table: (r) => r.Images.map((i) => `${i.Id} ${i.Size}\n`) });
  assert.ok(writes.length > 3 && Math.max(...writes) < 1.1 * 2 ** 20);
});
