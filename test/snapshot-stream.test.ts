import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { parseSnapshot, readSnapshotFile, readSnapshotStream, serializeSnapshot, snapshotChunks, snapshotFromJson, type Snapshot } from '../src/sources/snapshot.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { SnapshotLoader } from '../src/sources/snapshot-loader.js';
import { openInput, RECORD_LIMIT, StreamReader } from '../src/sources/snapshot-stream.js';
import { runCommand } from '../src/cli/run.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('layerlab-stream-');
let n = 0;
function file(text: string): string {
  const f = join(dir, `s${n++}.json`);
  writeFileSync(f, text);
  return f;
}
const canonical = (s: Snapshot) => serializeSnapshot(s.graph, s.meta);

/** Both readers' outcome: the canonical text, or the error without its line (the whole read has none). */
async function outcomes(text: string): Promise<[string, string]> {
  const whole = (() => {
    try {
      return canonical(parseSnapshot(text, 'x'));
    } catch (e) {
      if (!(e instanceof LayerlabError)) throw e;
      return `${e.code} ${e.place.path} ${e.message}`;
    }
  })();
  let streamed: string;
  try {
    streamed = canonical(await readSnapshotStream('-', Readable.from([Buffer.from(text)])));
  } catch (e) {
    if (!(e instanceof LayerlabError)) throw e;
    streamed = `${e.code} ${e.place.path} ${e.message}`;
  }
  // Syntax errors are placed differently (the streamed read names the record), but both are syntax errors.
  const syntax = (s: string) => (/^EINPUT \S+ not valid JSON/.test(s) ? 'EINPUT not valid JSON' : s);
  return [syntax(streamed), syntax(whole)];
}

test('streamed read equals the whole-document read on every fixture, in any layout', async () => {
  for (const f of ['fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-scenario/host.snapshot.json']) {
    const text = readFileSync(f, 'utf8');
    const whole = canonical(parseSnapshot(text, f));
    assert.equal(canonical(await readSnapshotFile(f)), whole, f);
    const doc = JSON.parse(text) as object;
    assert.equal(canonical(await readSnapshotFile(file(JSON.stringify(doc, null, 2)))), whole, `${f} pretty-printed`);
    assert.equal(canonical(await readSnapshotFile(file(JSON.stringify(doc)))), whole, `${f} on one line`);
  }
  const g = syntheticGraph({ images: 3000, seed: 5 });
  for (const refs of ['digest', 'index'] as const) {
    const text = serializeSnapshot(g, { note: 'x' }, refs);
    assert.equal(canonical(await readSnapshotFile(file(text))), canonical(parseSnapshot(text)), refs);
  }
});

test('streamed read equals the whole-document read on random snapshots (written, pretty-printed, shuffled sections)', async () => {
  await fc.assert(
    fc.asyncProperty(snapshotDoc({ maxImages: 12 }), fc.constantFrom('canonical', 'index', 'pretty', 'reordered'), async (doc, layout) => {
      const g = snapshotFromJson(doc).graph;
      const text =
        layout === 'canonical' ? serializeSnapshot(g) : layout === 'index' ? serializeSnapshot(g, {}, 'index') : layout === 'pretty' ? JSON.stringify(doc, null, 1)
        : JSON.stringify({ containers: doc.containers, images: doc.images, version: doc.version, layers: doc.layers, kind: doc.kind });
      const [streamed, whole] = await outcomes(text);
      assert.equal(streamed, whole);
    }),
    { numRuns: 150 },
  );
});

const L = (c: string) => `sha256:${c.repeat(64)}`;
const good = () =>
  [
    '{',
    '  "kind": "layerlab-snapshot",',
    '  "version": 1,',
    '  "layers": [',
    `    {"diffId":"${L('a')}","size":1,"mediaType":"application/x"},`,
    `    {"diffId":"${L('b')}","size":2}`,
    '  ],',
  ].join('\n');

test('records layerlab did not write itself are checked the same way (escapes, spaces, key order, fractions, unknown keys)', async () => {
  const doc = (layer: string, image: string) => `{"kind":"layerlab-snapshot","version":1,"layers":[\n${layer}\n],"images":[\n${image}\n]}`;
  const id = L('c');
  const cases: [string, string][] = [
    [`{"diffId":"${L('a')}","size":1,"mediaType":"a\\u0062c"}`, `{"id":"${id}","layers":["${L('a')}"]}`],
    [`{"size":1, "diffId":"${L('a')}"}`, `{"layers":[0],"id":"${id}"}`],
    [`{"diffId":"${L('a')}","size":1.0}`, `{"id":"${id}","layers":[0],"created":1e3}`],
    [`{"diffId":"${L('a')}","size":1.5}`, `{"id":"${id}","layers":[0]}`],
    [`{"diffId":"${L('a')}","size":-1}`, `{"id":"${id}","layers":[0]}`],
    [`{"diffId":"${L('a')}","size":01}`, `{"id":"${id}","layers":[0]}`],
    [`{"diffId":"${L('a')}","size":1,"size":2}`, `{"id":"${id}","layers":[0]}`],
    [`{"diffId":"${L('a')}","sise":1}`, `{"id":"${id}","layers":[0]}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id}","layers":[0],"id":"${id}"}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id}","layers":["\\u0073ha256:${'a'.repeat(64)}"]}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id}","layers":["${L('d')}"]}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id}","layers":[1]}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id.toUpperCase()}","layers":[0]}`],
    [`{"diffId":"sha512:${'a'.repeat(128)}"}`, `{"id":"${id}","layers":["sha512:${'a'.repeat(128)}"],"repoTags":["x:1","Bad:1"]}`],
    [`{"diffId":"${L('a')}","mediaType":"é"}`, `{"id":"${id}","layers":[0],"repoTags":["ü:1"]}`],
    [`{"diffId":"${L('a')}"}`, `{"id":"${id}","layers":[0],"platform":"linux/amd64","parent":"${id}"}`],
  ];
  for (const [layer, image] of cases) {
    const [streamed, whole] = await outcomes(doc(layer, image));
    assert.equal(streamed, whole, `${layer} ${image}`);
  }
});

async function streamError(text: string, recordLimit?: number): Promise<LayerlabError> {
  try {
    await readSnapshotStream(file(text), undefined, recordLimit);
  } catch (e) {
    assert.ok(e instanceof LayerlabError, String(e));
    return e;
  }
  throw new Error('expected an error');
}

test('streamed errors keep the line of the bad record', async () => {
  let e = await streamError(`${good()}\n  "images": [\n    {"id":"${L('c')}","layers":["${L('d')}"]}\n  ]\n}\n`);
  assert.deepEqual([e.place.line, e.place.path], [9, '$.images[0].layers[0]']);
  assert.match(e.describe(), /s\d+\.json:9: \$\.images\[0\]\.layers\[0\]: layer sha256:d{64} is not in \$\.layers/);
  e = await streamError(good().replace('"size":2', '"size":-2') + '\n  "images": []\n}');
  assert.deepEqual([e.place.line, e.place.path], [6, '$.layers[1].size']);
  e = await streamError(good().replace('"size":2}', '"size":2,"size":3}') + '\n  "images": []\n}');
  assert.deepEqual([e.place.line, e.place.path], [6, '$.layers[1].size']);
  assert.match(e.message, /duplicate key "size"/);
  e = await streamError(good() + '\n  "images": [\n    {"id": oops}\n  ]\n}');
  assert.equal(e.place.line, 9);
  assert.match(e.message, /not valid JSON/);
  e = await streamError(good() + '\n  "images": [\n');
  assert.match(e.message, /ends inside \$\.images/);
  e = await streamError(`${good()}\n  "images": [\n    {"id":"${L('c')}",\n     "layers":[0],\n     "parent":"${L('e')}"}\n  ]\n}`);
  assert.deepEqual([e.place.line, e.place.path], [9, '$.images[0].parent']);
});

test('one record larger than the record limit is refused with its line; the file as a whole is not limited', async () => {
  const big = `{"kind":"layerlab-snapshot","version":1,\n"meta":{"pad":"${'x'.repeat(3000)}"},\n"layers":[]}`;
  const e = await streamError(big, 1024);
  assert.equal(e.place.line, 2);
  assert.match(e.message, /a record is larger than 1024 bytes/);
  const g = syntheticGraph({ images: 2000, seed: 1 });
  const text = serializeSnapshot(g);
  assert.ok(text.length > 100 * 1024);
  assert.equal(canonical(await readSnapshotStream(file(text), undefined, 4096)), canonical(parseSnapshot(text)));
});

test('a file as layerlab writes it fills the tables sized from its length without a grow, and reads as from a stream', async () => {
  const text = serializeSnapshot(syntheticGraph({ images: 3000, seed: 5 }), {});
  const f = file(text);
  const read = async (inputBytes: number) => {
    const loader = new SnapshotLoader(f, false, inputBytes);
    const sized = [loader.layerKeys.capacity, loader.imageIds.capacity];
    const input = openInput(f);
    try {
      const s = await new StreamReader(input, f, RECORD_LIMIT, loader).run();
      return { s, sized, now: [loader.layerKeys.capacity, loader.imageIds.capacity], keys: loader.layerKeys.size };
    } finally {
      input.close();
    }
  };
  const sized = await read(Buffer.byteLength(text));
  // More keys than an unsized table holds: without the size it grows.
  const unsized = await read(0);
  assert.ok(sized.keys > unsized.sized[0] && unsized.now[0] > unsized.sized[0]);
  assert.deepEqual(sized.now, sized.sized, 'no table grew');
  assert.equal(canonical(sized.s), text);
  assert.equal(canonical(await readSnapshotStream(f)), text);
  assert.equal(canonical(await readSnapshotStream('-', Readable.from([Buffer.from(text)]))), text);
});

test('the tables of a loader for a file of any length are sized within bounds (a larger one grows them)', () => {
  // 100 GB: sizing from the length alone would ask for 390M layer keys (a 12 GB key table).
  const loader = new SnapshotLoader('huge.json', true, 100e9);
  assert.ok(loader.layerKeys.capacity <= 1 << 25 && loader.imageIds.capacity <= 1 << 25, `${loader.layerKeys.capacity}`);
  assert.ok(loader.layerKeys.capacity >= 1 << 24, 'still sized for a large file');
});

test('- reads standard input', async () => {
  const text = readFileSync('fixtures/official-images/host.snapshot.json', 'utf8');
  const chunks = Array.from({ length: Math.ceil(text.length / 97) }, (_, k) => Buffer.from(text.slice(k * 97, k * 97 + 97)));
  const s = await readSnapshotStream('-', Readable.from(chunks));
  assert.equal(canonical(s), text);
  await assert.rejects(readSnapshotStream('-', Readable.from([])), /empty file/);
});

test('the writer gives whole lines in bounded pieces, and generate never holds the file as one string', async () => {
  const g = syntheticGraph({ images: 20_000, seed: 2 });
  const pieces = [...snapshotChunks(g, {}, 'digest', 64 * 1024)];
  assert.ok(pieces.length > 20);
  for (const p of pieces) {
    assert.ok(p.endsWith('\n'));
    assert.ok(p.length < 64 * 1024 + 2048, `piece of ${p.length}`);
  }
  assert.equal(pieces.join(''), serializeSnapshot(g));
  const out: string[] = [];
  const code = await runCommand(['generate', '--images', '20000', '-o', '-'], { stdout: (s) => out.push(s), stderr: () => undefined, now: () => 0 });
  assert.equal(code, 0);
  const total = out.reduce((a, s) => a + s.length, 0);
  assert.ok(total > 20 * 1024 * 1024, `total ${total}`);
  assert.ok(Math.max(...out.map((s) => s.length)) <= 1024 * 1024 + 2048, 'every write is at most about 1 MiB');
  const f = join(dir, 'gen.json');
  assert.equal(await runCommand(['generate', '--images', '20000', '-o', f], { stdout: () => undefined, stderr: () => undefined, now: () => 0 }), 0);
  assert.equal(readFileSync(f, 'utf8'), out.join(''));
});
