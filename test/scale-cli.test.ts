import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { heapNeeded, heapPlan } from '../src/cli/heap.js';
import { pool } from '../src/sources/engine-api.js';
import { tempDir } from './helpers/tmp.js';

const GiB = 1024 ** 3;

test('heap: a large snapshot asks for a larger heap, sized from the file and capped by free memory', () => {
  const dir = tempDir('layerlab-heap-');
  const small = join(dir, 'small.json');
  writeFileSync(small, '{}');
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, 6 * GiB); // sparse: no disk used
  assert.equal(heapPlan(['df', small], 4 * GiB, 20 * GiB), undefined);
  const mb = heapPlan(['df', '-v', big], 4 * GiB, 20 * GiB);
  assert.ok(mb !== undefined && mb * 1024 * 1024 >= 6 * GiB && mb * 1024 * 1024 <= 15 * GiB, String(mb));
  assert.equal(heapPlan(['df', big], 4 * GiB, 20 * GiB), mb);
  assert.equal(heapPlan(['df', big], 4 * GiB, 8 * GiB), 6 * 1024, 'capped at 3/4 of the free memory');
  assert.equal(heapPlan(['df', big], 4 * GiB, 4 * GiB), undefined, 'no point asking for less than now');
  assert.equal(heapNeeded(['generate', '--images', '10000000', '-o', 'x']), 0, 'generate streams: no larger heap');
  // A 1M-image file (1.29 GB): df fits node's default 4 GB heap, and so do prune -a and plan (1.4-1.9
  // GB RSS measured) and tree and report (1.2 and 1.5 GB since their tree is in typed arrays).
  const million = join(dir, 'million.json');
  writeFileSync(million, '');
  truncateSync(million, 1.29e9);
  assert.equal(heapPlan(['df', million], 4 * GiB, 20 * GiB), undefined);
  const everyImage = [['plan', million, '--prune', '-a'], ['plan', million, '--free', '10GB'], ['prune', '-a', million], ['tree', million], ['tree', million, '--format', 'json'], ['report', million]];
  for (const argv of everyImage) {
    assert.equal(heapNeeded(argv), heapNeeded(['df', million]), argv.join(' '));
    assert.equal(heapPlan(argv, 4 * GiB, 20 * GiB), undefined, argv.join(' '));
  }
  assert.equal(heapNeeded(['df', 'docker://', join(dir, 'missing')]), 0);
});

test('engine pool: at most N requests in flight, results in input order, the first failure rejects', async () => {
  let inFlight = 0;
  let most = 0;
  const out = await pool([5, 1, 4, 2, 3, 0, 6], 3, async (ms) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    return ms * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60]);
  assert.equal(most, 3);
  await assert.rejects(pool([1, 2, 3], 2, async (x) => { if (x === 2) throw new Error('boom'); return x; }), /boom/);
});
