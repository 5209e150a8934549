// Chunk digests hashed on the hashing thread (src/sources/hash-worker.ts) through a DigestSequencer
// must leave every dedup figure exactly as a pass that hashes everything on the main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import tar from 'tar-stream';
import { DedupRows, loadZstd } from '../src/sources/dedup-visitors.js';
import { DigestSequencer } from '../src/sources/hashing.js';
import { hashWorker } from '../src/sources/hash-worker.js';
import { bufferStream, scanLayer, type LayerVisitor } from '../src/sources/tar.js';

/** A layer tar of `files` bodies, in order. */
async function layerTar(files: Buffer[]): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (c) => out.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  files.forEach((body, i) => pack.entry({ name: `d${i % 7}/f${i}`, size: body.length, mtime: new Date(0) }, body));
  pack.entry({ name: 'empty', size: 0, mtime: new Date(0) }, Buffer.alloc(0));
  pack.finalize();
  await ended;
  return Buffer.concat(out);
}

/** Bodies of many sizes, with copies of earlier ones and of parts of them, so every row finds duplicates. */
function bodies(total: number): Buffer[] {
  const out: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < total; i++) {
    const n = [100, 5_000, 20_000, 70_000, 300_000, 1_500_000, 3_000_000][i % 7];
    const b = i % 5 === 3 && out.length > 2 ? Buffer.concat([out[i - 2], randomBytes(n >> 3)]) : i % 5 === 4 ? out[i - 1] : randomBytes(n);
    out.push(b);
    size += b.length;
  }
  return out;
}

const strip = (rows: ReturnType<DedupRows['rows']>) => rows.map(({ seconds: _s, mbPerSecond: _m, ...rest }) => rest);

async function run(layers: Buffer[], offload: boolean, compress = false) {
  await loadZstd();
  const rows = new DedupRows({ file: true, algos: ['fastcdc2020:avg=16k', 'fixed:size=64k', 'fastcdc2020:avg=512k'], modes: ['per-file', 'stream'], compress, offload });
  const facts = [];
  for (const [i, l] of layers.entries()) facts.push(await scanLayer(bufferStream(l), rows.visitors(i + 1), { path: `layer ${i}` }));
  return { rows: strip(rows.rows()), facts, hashed: rows.hashedBytes, offloaded: rows.seq.offloadedBytes };
}

test('chunk digests on the hashing thread give the same rows, file identities and layer digests as hashing them here', async () => {
  // Several times the worker's 4 MiB ring; a layer shares files with the one before.
  const a = bodies(12e6);
  const b = [...a.slice(0, 9), ...bodies(8e6)];
  const layers = [gzipSync(await layerTar(a), { level: 1 }), await layerTar(b)];
  const here = await run(layers, false);
  const there = await run(layers, true);
  assert.equal(here.offloaded, 0);
  // How much goes to the worker depends on how fast it runs (a full ring sends chunks back here); the ring alone takes 4 MiB.
  assert.ok(there.offloaded > 1e6, `offloaded ${there.offloaded} bytes`);
  assert.deepEqual(there.rows, here.rows);
  assert.deepEqual(there.facts, here.facts);
  assert.equal(there.hashed, here.hashed);
});

test('with compression of the unique chunks, the bytes kept for it are the chunks the worker hashed', async () => {
  const a = bodies(1.5e6);
  const layers = [await layerTar(a), await layerTar([...a.slice(2, 6), ...bodies(0.5e6)])];
  const here = await run(layers, false, true);
  const there = await run(layers, true, true);
  assert.ok(there.offloaded > 0);
  assert.deepEqual(there.rows, here.rows);
});

test('property: a DigestSequencer runs continuations in order, each with the sha256 of its bytes', async () => {
  hashWorker();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.constant(-1), fc.nat(200_000)), { maxLength: 60 }), async (sizes) => {
      const seq = new DigestSequencer(1024);
      const seen: string[] = [];
      const want: string[] = [];
      sizes.forEach((n, i) => {
        if (n < 0) {
          want.push(`then ${i}`);
          return seq.then(() => seen.push(`then ${i}`));
        }
        const body = randomBytes(n);
        const cut = n >> 1;
        want.push(`${i} ${createHash('sha256').update(body).digest('hex')}`);
        seq.hash([body.subarray(0, cut), body.subarray(cut)], n, (d) => seen.push(`${i} ${Buffer.from(d).toString('hex')}`));
      });
      await seq.settle();
      assert.deepEqual(seen, want);
    }),
    { numRuns: 40 },
  );
});

test('a continuation that throws fails settle, and the sequencer is usable afterwards', async () => {
  const seq = new DigestSequencer(1);
  seq.hash([randomBytes(50_000)], 50_000, () => {
    throw new Error('boom');
  });
  await assert.rejects(seq.settle(), /boom/);
  let ran = false;
  seq.hash([randomBytes(50_000)], 50_000, () => (ran = true));
  await seq.settle();
  assert.equal(ran, true);
});

test('scanLayer awaits each visitor\'s settle, and a failure there is an input error naming the layer', async () => {
  const body = await layerTar([randomBytes(1000)]);
  let settled = false;
  const late: LayerVisitor = { settle: () => new Promise<void>((r) => setTimeout(() => r(void (settled = true)), 20)) };
  await scanLayer(bufferStream(body), [late], { path: 'late layer' });
  assert.equal(settled, true);
  const failing: LayerVisitor = { settle: () => Promise.reject(new Error('digest table broke')) };
  await assert.rejects(scanLayer(bufferStream(body), [failing], { file: 'x.tar', path: 'layer 3' }), (e: Error & { code?: string }) => e.code === 'EINPUT' && /digest table broke/.test(e.message) && /layer 3/.test(`${e.message} ${JSON.stringify(e)}`));
});
