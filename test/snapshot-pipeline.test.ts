import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { readSnapshotPipelined, type PipelineHooks } from '../src/sources/snapshot-pipeline.js';
import { PIPELINE_MIN_BYTES, RECORD_LIMIT } from '../src/sources/snapshot-stream.js';
import { readSnapshotStream, serializeSnapshot, snapshotFromJson, type Snapshot } from '../src/sources/snapshot.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('layerlab-pipeline-');
let n = 0;
function file(text: string | Buffer): string {
  const f = join(dir, `p${n++}.json`);
  writeFileSync(f, text);
  return f;
}

/** Batches of a few records (and records larger than a batch), a queue of one or two: every boundary is crossed. */
const SIZES = [
  { batchSizes: { ints: 24, nums: 2, bytes: 64 }, ahead: 1 },
  { batchSizes: { ints: 200, nums: 16, bytes: 1024 }, ahead: 2 },
  {},
] satisfies PipelineHooks[];

async function outcome(read: () => Promise<Snapshot>): Promise<string> {
  try {
    const s = await read();
    return serializeSnapshot(s.graph, s.meta);
  } catch (e) {
    if (!(e instanceof LayerlabError)) throw e;
    return `${e.code} ${e.describe()}`;
  }
}

/** The single-thread read's outcome and the pipelined read's, of the same file. */
async function both(text: string | Buffer, hooks: PipelineHooks): Promise<[string, string]> {
  const f = file(text);
  // Small files: readSnapshotStream reads them on one thread.
  assert.ok(statSync(f).size < PIPELINE_MIN_BYTES);
  return [await outcome(() => readSnapshotStream(f)), await outcome(() => readSnapshotPipelined(f, RECORD_LIMIT, hooks))];
}

test('the pipelined read gives the single-thread read\'s graph, in any layout, across batch boundaries', async () => {
  await fc.assert(
    fc.asyncProperty(snapshotDoc({ maxImages: 30 }), fc.constantFrom('canonical', 'index', 'pretty', 'reordered'), fc.nat(SIZES.length - 1), async (doc, layout, s) => {
      const g = snapshotFromJson(doc).graph;
      const text =
        layout === 'canonical' ? serializeSnapshot(g, { note: 'm' }) : layout === 'index' ? serializeSnapshot(g, {}, 'index') : layout === 'pretty' ? JSON.stringify(doc, null, 1)
        : JSON.stringify({ containers: doc.containers, images: doc.images, version: doc.version, layers: doc.layers, kind: doc.kind });
      const [single, piped] = await both(text, SIZES[s]);
      assert.equal(piped, single);
      assert.doesNotMatch(piped, /^E[A-Z]+ /, 'these documents are valid');
    }),
    { numRuns: 30 },
  );
});

test('a larger generated host reads the same on two threads, with small batches and a queue of one', async () => {
  const text = serializeSnapshot(syntheticGraph({ images: 2000, seed: 7 }), { note: 'x' });
  for (const hooks of SIZES) {
    const [single, piped] = await both(text, hooks);
    assert.equal(piped, single);
  }
});

test('a corrupted byte anywhere gives the same first error, with the same line, on both paths', async () => {
  const base = Buffer.from(serializeSnapshot(syntheticGraph({ images: 60, seed: 3 }), {}));
  const bytes = [...'{}[],:"\\ 0129afx-.\n'].map((c) => c.charCodeAt(0));
  await fc.assert(
    fc.asyncProperty(fc.nat(base.length - 1), fc.constantFrom(...bytes), fc.nat(SIZES.length - 1), async (at, byte, s) => {
      const text = Buffer.from(base);
      text[at] = byte;
      const [single, piped] = await both(text, SIZES[s]);
      assert.equal(piped, single);
    }),
    { numRuns: 50 },
  );
});

test('a duplicate layer among scanned records is the first error, before a later bad record, on two threads', async () => {
  const g = syntheticGraph({ images: 300, seed: 9 });
  const lines = serializeSnapshot(g, {}).split('\n');
  const first = lines.findIndex((l) => l.includes('"diffId"'));
  const dup = lines.slice();
  // Layer 40 repeats layer 3; layer 60's size is refused.
  dup[first + 40] = lines[first + 3].replace(/,$/, '') + (lines[first + 40].endsWith(',') ? ',' : '');
  // Then a later record the loader refuses (on the main thread), or one that is not JSON (found on the reading thread).
  for (const later of [(l: string) => l.replace(/"size":\d+/, '"size":-1'), (l: string) => l.replace('"size":', '"size"')]) {
    const text = dup.slice();
    text[first + 60] = later(lines[first + 60]);
    for (const hooks of SIZES) {
      const [single, piped] = await both(text.join('\n'), hooks);
      assert.match(single, new RegExp(`:${first + 41}: \\$\\.layers\\[40\\]\\.diffId: duplicate layer`));
      assert.equal(piped, single);
    }
  }
});

test('a reading thread that dies gives a clear error, not a hang', async () => {
  const f = file(serializeSnapshot(syntheticGraph({ images: 3000, seed: 1 }), {}));
  await assert.rejects(
    readSnapshotPipelined(f, RECORD_LIMIT, { batchSizes: SIZES[0].batchSizes, ahead: 1, started: (w) => void w.terminate() }),
    (e: unknown) => e instanceof LayerlabError && e.code === 'EIO' && /snapshot reading thread stopped before the end/.test(e.message) && e.place.file === f,
  );
});

test('no thread is left behind: the process exits promptly after a read and after an error mid-way', () => {
  const g = syntheticGraph({ images: 3000, seed: 2 });
  const good = file(serializeSnapshot(g, {}));
  const text = serializeSnapshot(g, {});
  // An error early on, while the reading thread waits for its queue to drain.
  const bad = file(text.replace(/"size":\d+/, '"size":"x"'));
  const script = `
    import { readSnapshotPipelined } from ${JSON.stringify(new URL('../src/sources/snapshot-pipeline.ts', import.meta.url).href)};
    const hooks = { batchSizes: { ints: 64, nums: 8, bytes: 256 }, ahead: 1 };
    const s = await readSnapshotPipelined(${JSON.stringify(good)}, ${RECORD_LIMIT}, hooks);
    console.log('refs', s.graph.referenceCount);
    try { await readSnapshotPipelined(${JSON.stringify(bad)}, ${RECORD_LIMIT}, hooks); } catch (e) { console.log(e.code, e.place.line, e.place.path); }
  `;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`refs ${g.referenceCount}\\nEINPUT 5 \\$\\.layers\\[0\\]\\.size\\n`));
  // Two reads of a 3,000-image file: seconds at most, however loaded the machine; a leftover thread would hold the process until the timeout.
  assert.ok(ms < 30_000, `${ms} ms`);
});

test('the reading thread is kept for the next read after one that ended, and not after one that failed', async () => {
  const g = syntheticGraph({ images: 400, seed: 6 });
  const good = file(serializeSnapshot(g, {}));
  const bad = file(serializeSnapshot(g, {}).replace(/"size":\d+/, '"size":"x"'));
  const threads: number[] = [];
  const read = (f: string) => outcome(() => readSnapshotPipelined(f, RECORD_LIMIT, { ...SIZES[0], started: (w) => void threads.push(w.threadId) }));
  const want = await outcome(() => readSnapshotStream(good));
  assert.equal(await read(good), want);
  assert.equal(await read(good), want);
  assert.match(await read(bad), /^EINPUT .*\$\.layers\[0\]\.size/);
  assert.equal(await read(good), want);
  assert.equal(await read(good), want);
  assert.equal(threads[1], threads[0], 'the second read takes the first one\'s thread');
  assert.equal(threads[2], threads[1]);
  assert.notEqual(threads[3], threads[2], 'the failed read\'s thread (stopped mid-way) is not taken again');
  assert.equal(threads[4], threads[3]);
  // Two reads at once: each has its own thread.
  const [a, b] = await Promise.all([read(good), read(good)]);
  assert.deepEqual([a, b], [want, want]);
  assert.notEqual(threads[5], threads[6]);
});

test('a process whose reading thread waits for a next read exits at once', () => {
  const good = file(serializeSnapshot(syntheticGraph({ images: 3000, seed: 8 }), {}));
  const script = `
    import { readSnapshotPipelined } from ${JSON.stringify(new URL('../src/sources/snapshot-pipeline.ts', import.meta.url).href)};
    const s = await readSnapshotPipelined(${JSON.stringify(good)}, ${RECORD_LIMIT});
    console.log('refs', s.graph.referenceCount);
  `;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^refs \d+\n$/);
  // One read of a 3,000-image file: seconds at most; a thread that held the process would run into the timeout.
  assert.ok(ms < 30_000, `${ms} ms`);
});

test('repo tags pass as bytes: ASCII and UTF-8 tags, and the errors that quote them, read the same on two threads', async () => {
  const text = serializeSnapshot(syntheticGraph({ images: 200, seed: 4 }), {});
  const withTag = (tag: string) => text.replace(/"repoTags":\["[^"]*"/, `"repoTags":[${JSON.stringify(tag)}`);
  for (const tag of ['plain/name:v1', 'été:1', 'naïve/ø:tag', 'x:€', 'ok:1", "two:2']) {
    for (const hooks of SIZES) {
      const [single, piped] = await both(withTag(tag), hooks);
      assert.equal(piped, single, tag);
    }
  }
});
