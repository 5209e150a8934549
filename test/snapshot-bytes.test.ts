// Digests kept as bytes while a snapshot loads: the digest table looked up by strings and by
// bytes alike, keys given back on demand, and the graph's layer digests made into strings only
// when an analysis asks for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { DigestTable } from '../src/sources/digest-table.js';
import { sha256Digest } from '../src/model/digest.js';
import { readSnapshotStream, serializeSnapshot } from '../src/sources/snapshot.js';
import { GraphBuilder, ImageGraph, type LazyDigests } from '../src/model/graph.js';
import { systemDf } from '../src/analyze/df.js';
import { syntheticGraph } from '../src/sources/synthetic.js';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const key = fc.oneof(
  hex.map((h) => `sha256:${h}`),
  hex.map((h) => `sha256:${h.toUpperCase()}`),
  fc.stringMatching(/^sha512:[0-9a-f]{128}$/),
  fc.stringMatching(/^[a-z0-9]{1,12}:[a-zA-Z0-9=_-]{1,80}$/),
);

test('digest table: string and byte lookups agree, keys come back as they went in, release keeps keyOf', () => {
  fc.assert(
    fc.property(fc.uniqueArray(key, { maxLength: 300 }), fc.array(key, { maxLength: 50 }), (keys, probes) => {
      const t = new DigestTable(4);
      const entries = keys.map((k, i) => {
        assert.equal(t.addIfAbsent(k, i), -1);
        assert.equal(t.addIfAbsent(k, i + 1000), i, 'a second add finds the first');
        return t.lastEntry;
      });
      for (const [i, k] of keys.entries()) {
        assert.equal(t.get(k), i);
        const buf = Buffer.from(`xx${k}yy`, 'latin1');
        assert.equal(t.getBytes(buf, 2, 2 + k.length), i);
      }
      for (const p of probes) {
        const want = keys.indexOf(p);
        assert.equal(t.get(p), want);
        assert.equal(t.getBytes(Buffer.from(p, 'latin1'), 0, p.length), want);
      }
      t.release();
      for (const [i, k] of keys.entries()) assert.equal(t.keyOf(entries[i]), k);
    }),
  );
});

test('digest table: sha256 keys added from bytes are found by string and come back as strings', () => {
  const t = new DigestTable(1);
  const keys = Array.from({ length: 5000 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
  const buf = Buffer.from(keys.join(','), 'latin1');
  keys.forEach((_, i) => assert.equal(t.addShaBytesIfAbsent(buf, i * 72, i), -1));
  keys.forEach((k, i) => {
    assert.equal(t.addShaBytesIfAbsent(buf, i * 72, -5), i);
    assert.equal(t.get(k), i);
    assert.equal(t.keyOf(i), k);
  });
  // Keys alike but for one hex digit in the middle (same first and last 8 digits: same hash).
  const a = `sha256:${'0'.repeat(30)}a${'0'.repeat(33)}`;
  const b = `sha256:${'0'.repeat(30)}b${'0'.repeat(33)}`;
  t.add(a, 1);
  assert.equal(t.get(b), -1);
  t.add(b, 2);
  assert.deepEqual([t.get(a), t.get(b)], [1, 2]);
});

test('a loaded graph makes its layer digest strings only when asked, and they equal the written ones', async () => {
  const g = syntheticGraph({ images: 300, seed: 7 });
  const text = serializeSnapshot(g);
  const s = await readSnapshotStream('-', Readable.from([Buffer.from(text)]));
  assert.deepEqual([...s.graph.layerDiffId], [...g.layerDiffId]);
  assert.deepEqual([...s.graph.layerDigest], [...g.layerDigest]);

  let made = 0;
  const lazy = (col: readonly (string | undefined)[]): LazyDigests => ({
    length: col.length,
    strings: () => {
      made++;
      return [...col];
    },
  });
  const b = new GraphBuilder();
  for (let l = 0; l < g.layerCount; l++) b.addLayer({ size: g.layerSize[l], compressedSize: g.layerCompressed[l] });
  for (let i = 0; i < g.imageCount; i++) b.addImage(g.images[i], g.stackOf(i));
  for (const c of g.containers) b.addContainer(c);
  const lg = b.build({ diffId: lazy(g.layerDiffId), digest: lazy(g.layerDigest) });
  assert.ok(lg instanceof ImageGraph);
  assert.deepEqual(systemDf(lg), systemDf(g), 'df needs no digest strings');
  assert.equal(made, 0);
  assert.equal(lg.layerKey(0), g.layerKey(0));
  assert.equal(lg.layerDiffId, lg.layerDiffId, 'made once, then kept');
  void lg.layerDigest;
  assert.equal(made, 2);
});

test('streamed read: neighbouring images whose refs differ in one character keep their own layers', async () => {
  const d = (c: string, at: number) => `sha256:${'1'.repeat(at)}${c}${'1'.repeat(63 - at)}`;
  const layers = ['a', 'b', 'c', 'd'].flatMap((c) => [d(c, 0), d(c, 63), d(c, 31)]);
  const images = layers.map((_, i) => ({ id: d('e', i), layers: [layers[i], layers[(i + 1) % layers.length], layers[i]] }));
  const text = JSON.stringify({ kind: 'layerlab-snapshot', version: 1, layers: layers.map((x) => ({ diffId: x, size: 1 })), images }).replace(/\],"images":\[/, '],\n"images":[');
  const s = await readSnapshotStream('-', Readable.from([Buffer.from(text)]));
  for (let i = 0; i < images.length; i++) assert.deepEqual(Array.from(s.graph.stackOf(i), (l) => s.graph.layerKey(l)), images[i].layers);
});

test('digest table: lookups by raw words find what lookups by string find', () => {
  const sha = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `sha256:${Buffer.from(b).toString('hex')}`);
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(sha, key), { maxLength: 200 }), fc.array(sha, { maxLength: 30 }), (keys, probes) => {
      const t = new DigestTable(4);
      keys.forEach((k, i) => t.add(k, i));
      const raw = new Uint8Array(32);
      const words = new Int32Array(raw.buffer);
      for (const k of [...keys, ...probes].filter((s) => /^sha256:[0-9a-f]{64}$/.test(s))) {
        raw.set(Buffer.from(k.slice(7), 'hex'));
        assert.equal(t.getRaw(raw, words), t.get(k));
        const e = keys.indexOf(k);
        for (let x = -1; x <= keys.length; x++) assert.equal(t.isRawAt(words, x), x === e && e >= 0, `${k} entry ${x}`);
      }
    }),
  );
});

test('digest table: release keeps the raw keys in place when they fill half their storage or more, and copies them when less', () => {
  for (const [sized, keys, copied] of [[1000, 999, false], [1000, 600, false], [1000, 400, true]] as const) {
    const t = new DigestTable(sized);
    for (let k = 0; k < keys; k++) t.add(sha256Digest(`k${k}`), k);
    const before = t.rawKeys();
    t.release();
    assert.equal(t.rawKeys() !== before, copied, `${keys} of ${sized}`);
    assert.equal(t.rawKeys().length >= keys * 32, true);
    for (const k of [0, keys - 1]) assert.equal(t.keyOf(k), sha256Digest(`k${k}`));
  }
});

test('digest table: a table sized for millions of keys takes memory only as keys come (its slots need no fill)', () => {
  // Sized for 8M keys: 128 MB of slots, filled with a marker before; zero now means empty.
  const before = process.memoryUsage().rss;
  const t = new DigestTable(8_000_000);
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 64 * 1024 * 1024, `${Math.round(grown / 1024 / 1024)} MB`);
  for (let k = 0; k < 1000; k++) t.add(sha256Digest(`k${k}`), k);
  for (let k = 0; k < 1000; k++) assert.equal(t.get(sha256Digest(`k${k}`)), k);
  assert.equal(t.get(sha256Digest('absent')), -1);
});

test('digest table: a shared table whose raw keys take 2 GiB or more is adopted and released (10M-image files)', () => {
  // 2^26 entries of 32 bytes is 2^31 bytes, past what a signed shift of the length can hold: the
  // reading thread of a 10M-image load failed with "Invalid typed array length: -536870912".
  // The buffer is never written past its first bytes, so it takes no memory.
  const t = new DigestTable(4, true);
  const keys = ['sha256:' + 'ab'.repeat(32), 'sha256:' + '0f'.repeat(32), 'sha512:' + 'c'.repeat(128)];
  keys.forEach((k, i) => t.addIfAbsent(k, i));
  const small = t.share();
  const raw = new Uint8Array(new SharedArrayBuffer(2 ** 31));
  raw.set(small.raw);
  const u = new DigestTable(4);
  u.adopt({ ...small, raw });
  for (const [i, k] of keys.entries()) {
    assert.equal(u.get(k), i);
    assert.equal(u.getBytes(Buffer.from(k, 'latin1'), 0, k.length), i);
  }
  u.release();
  assert.ok(u.rawKeys().length < 2 ** 20, 'release copies the few used keys out of the 2 GiB buffer');
  assert.deepEqual(keys.map((_, e) => u.keyOf(e)), keys);
});
