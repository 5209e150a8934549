// The byte-level snapshot reader checks duplicate layer keys and image IDs a batch of records at a
// time: these tests pin that the error is still the first one in record order, with the line and
// JSON path of the duplicate, and the same as the whole-document read's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { parseSnapshot, readSnapshotStream } from '../src/sources/snapshot.js';
import { sha256Digest } from '../src/model/digest.js';
import { normalizeRepoTag } from '../src/model/reference.js';
import { isPlainName, tagNormalizer } from '../src/sources/snapshot-fields.js';

const D = (s: string) => sha256Digest(s);

interface Doc {
  layers: Record<string, unknown>[];
  images: Record<string, unknown>[];
}

/** The text layerlab writes: one record per line, so record k of a section is on a known line. */
function text(doc: Doc): string {
  const lines = ['{', '  "kind": "layerlab-snapshot",', '  "version": 1,', '  "layers": ['];
  doc.layers.forEach((l, k) => lines.push(`    ${JSON.stringify(l)}${k === doc.layers.length - 1 ? '' : ','}`));
  lines.push('  ],', '  "images": [');
  doc.images.forEach((im, k) => lines.push(`    ${JSON.stringify(im)}${k === doc.images.length - 1 ? '' : ','}`));
  lines.push('  ]', '}');
  return lines.join('\n') + '\n';
}
const layerLine = (k: number) => 5 + k;
const imageLine = (doc: Doc, k: number) => 5 + doc.layers.length + 2 + k;

async function streamed(t: string): Promise<LayerlabError | undefined> {
  try {
    await readSnapshotStream('-', Readable.from([Buffer.from(t)]));
  } catch (e) {
    assert.ok(e instanceof LayerlabError, String(e));
    return e;
  }
  return undefined;
}

function whole(t: string): LayerlabError | undefined {
  try {
    parseSnapshot(t, 'x');
  } catch (e) {
    assert.ok(e instanceof LayerlabError, String(e));
    return e;
  }
  return undefined;
}

function host(layers: number, images: number): Doc {
  return {
    layers: Array.from({ length: layers }, (_, k) => ({ diffId: D(`d${k}`), size: k, digest: D(`b${k}`), compressedSize: k, mediaType: 'application/x' })),
    images: Array.from({ length: images }, (_, k) => ({ id: D(`i${k}`), layers: [D(`d${k % layers}`), D(`d${(k * 7) % layers}`)], repoTags: [`r${k}:t`], created: 1_600_000_000 + k })),
  };
}

async function expectError(doc: Doc, path: string, line: number, message: RegExp): Promise<void> {
  const t = text(doc);
  const e = await streamed(t);
  assert.ok(e, `expected ${path}`);
  assert.deepEqual([e.place.path, e.place.line], [path, line], e.message);
  assert.match(e.message, message);
  const w = whole(t);
  assert.deepEqual([w?.place.path, w?.message], [path, e.message], 'the whole-document read agrees');
}

test('a duplicate layer key is reported at its own record, before any later record error', async () => {
  // In the same batch as its first use, across a batch boundary, diffId equal to the same record's digest.
  for (const [first, dup] of [[3, 40], [10, 9000]]) {
    const doc = host(9500, 3);
    doc.layers[dup].diffId = doc.layers[first].diffId;
    doc.layers[dup + 5].size = -1;
    await expectError(doc, `$.layers[${dup}].diffId`, layerLine(dup), new RegExp(`duplicate layer: ${doc.layers[first].diffId} is already \\$\\.layers\\[${first}\\]`));
    doc.layers[dup].diffId = D(`d${dup}`);
    doc.layers[dup].digest = doc.layers[first].diffId;
    await expectError(doc, `$.layers[${dup}].digest`, layerLine(dup), /duplicate layer/);
  }
  const doc = host(20, 3);
  doc.layers[7].digest = doc.layers[7].diffId;
  doc.layers[12].mediaType = 'application/\u0001';
  await expectError(doc, '$.layers[7].digest', layerLine(7), /is already \$\.layers\[7\]/);
});

test('a duplicate image ID is reported at its own record, before a later bad tag, size or syntax error', async () => {
  for (const [first, dup] of [[0, 1], [2, 6000]]) {
    const doc = host(50, 6100);
    doc.images[dup].id = doc.images[first].id;
    doc.images[dup + 1].repoTags = ['Bad:Name'];
    await expectError(doc, `$.images[${dup}].id`, imageLine(doc, dup), new RegExp(`duplicate image ID: already \\$\\.images\\[${first}\\]`));
    // A bad tag in the duplicate itself: the ID is checked first, in both readers.
    doc.images[dup].repoTags = ['Bad:Name'];
    await expectError(doc, `$.images[${dup}].id`, imageLine(doc, dup), /duplicate image ID/);
  }
  const doc = host(5, 40);
  doc.images[30].id = doc.images[4].id;
  // Not valid JSON inside a later record, and between later records.
  for (const t of [text(doc).replace(`"r35:t"]`, `"r35:t"`), text(doc).replace(`"created":1600000035},`, `"created":1600000035}`)]) {
    assert.notEqual(t, text(doc));
    const e = await streamed(t);
    assert.deepEqual([e?.place.path, e?.place.line], ['$.images[30].id', imageLine(doc, 30)], e?.message);
  }
});

test('records written by layerlab read the same through either reader, duplicates or not (random hosts)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('diffId', 'digest', 'id')), { maxLength: 3 }), async (nl, ni, dups) => {
      const doc = host(nl, ni);
      for (const [a, b, field] of dups) {
        if (field === 'id') doc.images[b % ni].id = doc.images[a % ni].id;
        else doc.layers[b % nl][field] = doc.layers[a % nl].diffId;
      }
      const t = text(doc);
      const e = await streamed(t);
      const w = whole(t);
      assert.deepEqual([e?.place.path, e?.message], [w?.place.path, w?.message]);
    }),
    { numRuns: 200 },
  );
});

test('refs that differ from a known layer key or the previous image\'s ref in one character resolve as the whole-document read does', async () => {
  // Keys one character apart (every position of the hex), refs by diffID or blob digest in any
  // order, and refs one character off a key (upper case, another digit): each byte of a ref counts.
  const base = D('base').slice(7);
  const near = (j: number, c: string) => `sha256:${base.slice(0, j)}${c}${base.slice(j + 1)}`;
  const other = (c: string) => (c === '0' ? '1' : '0');
  const keys = Array.from({ length: 64 }, (_, j) => near(j, other(base[j])));
  const blobs = Array.from({ length: 64 }, (_, j) => near(j, other(other(base[j])) === base[j] ? '2' : other(other(base[j]))));
  // Mostly the first and last characters of each 8-byte word the reader compares at once.
  const position = fc.oneof(fc.constantFrom(0, 1, 7, 8, 56, 57, 62, 63), fc.nat(63));
  const ref = fc.tuple(position, fc.constantFrom('diffId', 'digest', 'upper', 'base'));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(ref, { maxLength: 6 }), { minLength: 1, maxLength: 12 }), async (stacks) => {
      const doc: Doc = {
        layers: keys.map((k, j) => ({ diffId: k, digest: blobs[j] })),
        images: stacks.map((st, i) => ({
          id: D(`img${i}`),
          layers: st.map(([j, kind]) => (kind === 'diffId' ? keys[j] : kind === 'digest' ? blobs[j] : kind === 'base' ? `sha256:${base}` : keys[j].toUpperCase().replace('SHA256', 'sha256'))),
        })),
      };
      const t = text(doc);
      let got: unknown;
      try {
        got = Array.from((await readSnapshotStream('-', Readable.from([Buffer.from(t)]))).graph.stackLayer);
      } catch (e) {
        assert.ok(e instanceof LayerlabError, String(e));
        got = [e.place.path, e.message];
      }
      let want: unknown;
      try {
        want = Array.from(parseSnapshot(t, '-').graph.stackLayer);
      } catch (e) {
        assert.ok(e instanceof LayerlabError, String(e));
        want = [e.place.path, e.message];
      }
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});

test('repo tags normalised with the per-name memo equal normalizeRepoTag, errors included', () => {
  const outcome = (f: (s: string) => string, s: string) => {
    try {
      return f(s);
    } catch (e) {
      assert.ok(e instanceof LayerlabError, String(e));
      return `${e.code} ${e.place.path} ${e.message}`;
    }
  };
  const piece = fc.constantFrom('a', 'Z', '0', ':', '/', '@', '.', '_', '-', 'docker.io/', 'index.docker.io/', 'localhost:5000/', 'library/', 'library', 'localhost/', 'localhost', 'sha256:', 'f'.repeat(64), 'x'.repeat(130), 'y'.repeat(100));
  const ref = fc.array(piece, { maxLength: 8 }).map((xs) => xs.join(''));
  fc.assert(
    fc.property(fc.array(ref, { minLength: 1, maxLength: 30 }), fc.array(fc.constantFrom('v1', 'latest', 'X.y-z_', '-bad', '', 'a/b', 'a@b'), { minLength: 1, maxLength: 4 }), (names, tags) => {
      const memo = tagNormalizer();
      // The same names with other tags, so that remembered names are used.
      for (const name of names) for (const tag of tags) {
        const s = `${name}:${tag}`;
        assert.equal(outcome(memo, s), outcome(normalizeRepoTag, s), s);
        assert.equal(outcome(memo, name), outcome(normalizeRepoTag, name), name);
      }
    }),
    { numRuns: 400 },
  );
  const memo = tagNormalizer();
  for (const s of ['redis:7', 'redis:8', 'docker.io/library/redis:7', 'localhost:5000/x:1', 'localhost:5000/x:2', 'Redis:7', 'a/b:c:d']) assert.equal(outcome(memo, s), outcome(normalizeRepoTag, s), s);
});

test('a name taken as its own normal form without the grammar is one normalizeRepoTag gives back unchanged', () => {
  // Names near the length limit, hyphens at the ends, library and localhost first or alone, empty components.
  const piece = fc.constantFrom('a', 'b9', '0', '-', '--', '/', 'library', 'localhost', 'docker', 'io', '.', '_', 'A', 'x'.repeat(117), 'y'.repeat(60));
  const name = fc.array(piece, { minLength: 1, maxLength: 8 }).map((xs) => xs.join(''));
  let plain = 0;
  fc.assert(
    fc.property(name, fc.constantFrom('1', 'latest', 'v1.2-x_y'), (n, tag) => {
      if (!isPlainName(`${n}:${tag}`, n.length)) return;
      plain++;
      assert.equal(normalizeRepoTag(`${n}:${tag}`), `${n}:${tag}`, n);
    }),
    { numRuns: 3000 },
  );
  assert.ok(plain > 300, `${plain} plain names among the generated`);
  for (const n of ['nginx', 'bitnami/redis', 'grafana/loki', 'synthetic/r17', 'a-b/c--d/e', 'library', 'localhost', 'library/x/y'.replace('library/', 'lib/')]) assert.ok(isPlainName(`${n}:1`, n.length), n);
  for (const n of ['library/x', 'localhost/x', 'Nginx', 'my.registry/x', 'a_b', 'a.b', '-a', 'a-', 'a//b', '/a', 'a/', '', 'x'.repeat(238)]) assert.ok(!isPlainName(`${n}:1`, n.length), n);
});

test('media types equal to the last one but for one byte, longer or shorter, or not ASCII, read as the whole-document read does', async () => {
  // The reader reuses the last media type when its bytes (8 at a time) and a closing quote follow:
  // a change at any byte, a prefix, an extension or an escape must not pass for it (variants are
  // the text between the quotes, escapes as written).
  const base = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const variant = fc.oneof(
    fc.tuple(fc.nat(base.length - 1), fc.constantFrom('x', 'Z', 'é', '\\"', '\\u0061', '€')).map(([j, c]) => `${base.slice(0, j)}${c}${base.slice(j + 1)}`),
    fc.nat(base.length).map((j) => base.slice(0, j)),
    fc.constantFrom('x', '+zstd', '\\"', 'é').map((s) => base + s),
    fc.constant(base),
    fc.constant('ééééééééé/ø'),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(variant, { minLength: 1, maxLength: 10 }), async (types) => {
      const raw = (t: string) => `{"diffId":"${D(`l${t}`)}","size":1,"mediaType":"${t}"}`;
      const lines = types.map((t, k) => `    ${raw(t).replace(D(`l${t}`), D(`l${k}`))}${k === types.length - 1 ? '' : ','}`);
      const t = ['{', '  "kind": "layerlab-snapshot",', '  "version": 1,', '  "layers": [', ...lines, '  ],', '  "images": []', '}', ''].join('\n');
      const read = async (f: () => Promise<{ graph: { layerMediaType: readonly (string | undefined)[] } }>) => {
        try {
          return Array.from((await f()).graph.layerMediaType);
        } catch (e) {
          assert.ok(e instanceof LayerlabError, String(e));
          return [e.place.path, e.message];
        }
      };
      const got = await read(() => readSnapshotStream('-', Readable.from([Buffer.from(t)])));
      const want = await read(async () => parseSnapshot(t, '-'));
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});

test('field names one byte off, at any byte (matched 8 bytes at a time), read as the whole-document read does', async () => {
  // The byte-level reader matches `"name":` as whole 8-byte words and then the bytes left over: a
  // change at any byte of a name, in a word or in the rest, must not pass for the name.
  const layer = { diffId: D('d0'), size: 1, digest: D('b0'), compressedSize: 2, mediaType: 'application/x' };
  const image = { id: D('i0'), layers: [D('d0')], repoTags: ['r:t'], repoDigests: [`r@${D('m')}`], created: 1, platform: 'linux/amd64', parent: D('i1') };
  const parent = { id: D('i1'), layers: [0] };
  const summary = async (f: () => Promise<{ graph: { layerCount: number; imageCount: number; referenceCount: number } }>) => {
    try {
      const g = (await f()).graph;
      return [g.layerCount, g.imageCount, g.referenceCount];
    } catch (e) {
      assert.ok(e instanceof LayerlabError, String(e));
      return [e.place.path, e.message];
    }
  };
  const cases: string[] = [];
  for (const [record, keys] of [[layer, Object.keys(layer)], [image, Object.keys(image)]] as const) {
    for (const key of keys) {
      // A space before the colon: still JSON, the same record (read by the checked path).
      const spaced = [`"${key}" :`];
      for (let j = 0; j < key.length; j++) for (const c of ['x', 'Z', 'é']) spaced.push(`"${key.slice(0, j) + c + key.slice(j + 1)}":`);
      for (const written of spaced) {
        const line = JSON.stringify(record).replace(`"${key}":`, written);
        const layers = record === layer ? [line] : [JSON.stringify(layer)];
        const images = record === layer ? [] : [line, JSON.stringify(parent)];
        cases.push(['{', '"kind": "layerlab-snapshot",', '"version": 1,', `"layers": [${layers.join(',\n')}],`, `"images": [${images.join(',\n')}]`, '}', ''].join('\n'));
      }
    }
  }
  assert.ok(cases.length > 150);
  for (const t of cases) {
    const got = await summary(() => readSnapshotStream('-', Readable.from([Buffer.from(t)])));
    const want = await summary(async () => parseSnapshot(t, '-'));
    assert.deepEqual(got, want, t);
    assert.equal(typeof got[0], t.includes('" :') ? 'number' : 'string', 'a name one byte off is an unknown field');
  }
});
