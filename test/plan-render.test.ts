import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Plan } from '../src/analyze/plan.js';
import { renderPlan, renderPlanPieces, renderPlanSh } from '../src/render/plan.js';
import { trimLines } from '../src/render/removal.js';
import { tabwrite } from '../src/render/tabwriter.js';
import { humanSize } from '../src/render/units.js';

/** The plan table as it was printed before it came in pieces: one tabwrite of every row, trimmed. */
function oracleTable(p: Plan): string {
  const rows = [['STEP', 'COMMAND', 'FREES', 'CUMULATIVE']];
  p.steps.forEach((s, k) => rows.push([String(k + 1), s.command, s.freedBytes ? humanSize(s.freedBytes) : '', humanSize(s.cumulativeBytes)]));
  return p.steps.length ? trimLines(tabwrite(rows)) : 'Nothing to do.\n';
}

const cell = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('docker rmi x:1', 'docker rm -f web ', 'x  '));
const plan: fc.Arbitrary<Plan> = fc
  .array(fc.record({ command: cell, image: cell, freedBytes: fc.oneof(fc.constant(0), fc.nat(), fc.double({ min: 0, max: 1e15, noNaN: true })), cumulativeBytes: fc.nat(), dfSizeChange: fc.nat() }), { maxLength: 30 })
  .map((steps) => ({ goal: { kind: 'prune', all: true }, steps, freedBytes: 5, blocked: [{ image: 'a', reason: 'b' }], method: 'm', optimal: null, reachedGoal: false }));

test('plan table in pieces = one tabwrite of every row (widths, wide characters, blank cells, trailing blanks)', () => {
  fc.assert(
    fc.property(plan, (p) => {
      const pieces = [...renderPlanPieces(p)].join('');
      assert.equal(pieces.slice(0, oracleTable(p).length), oracleTable(p));
      assert.equal(renderPlan(p), pieces);
      assert.match(renderPlanSh(p), /^#!\/bin\/sh\n/);
    }),
    { numRuns: 400 },
  );
});
