import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chunkCommand } from '../src/cli/chunk.js';
import { chunkBytes } from '../src/chunk/registry.js';
import { cli } from './helpers/cli.js';

const IMAGE_PATH = 'fixtures/fastcdc/SekienAkashita.jpg';
const IMAGE = readFileSync(IMAGE_PATH);
const VECTORS = JSON.parse(readFileSync('fixtures/fastcdc/vectors.json', 'utf8'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('chunk --format json: the fastcdc-rs vector, with each chunk\'s sha256', async () => {
  const r = await cli('chunk', '--algo', 'fastcdc2020:min=4096,avg=16384,max=65535,level=1,seed=0', '--format', 'json', IMAGE_PATH);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.algo, 'fastcdc2020:avg=16384,min=4096,max=65535,level=1,seed=0');
  assert.deepEqual(
    out.chunks,
    VECTORS.cases[0].chunks.map(([offset, length, hash]: [number, number, string]) => ({ offset, length, hash, sha256: sha(IMAGE.subarray(offset, offset + length)) })),
  );
});

test('chunk table: header, one row per chunk, the count last, "-" for chunkers without a fingerprint', async () => {
  const r = await cli('chunk', '--algo', 'fixed:size=40000', IMAGE_PATH);
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^OFFSET +LENGTH +HASH +SHA256$/);
  assert.match(lines[3], new RegExp(`^80000 +29466 +- +${sha(IMAGE.subarray(80000))}$`));
  assert.equal(lines[4], 'fixed:size=40000: 3 chunks');
  assert.equal(lines.length, 5);
});

test('chunk streams a file in many reads and stdin in small pieces, same chunks and digests as in memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-chunk-'));
  try {
    const big = new Uint8Array(5 * 1024 * 1024 + 333);
    for (let i = 0, x = 7; i < big.length; i++) big[i] = (x = (x * 1664525 + 1013904223) >>> 0) >>> 24;
    const file = join(dir, 'big.bin');
    writeFileSync(file, big);
    const spec = 'gear:avg=64k';
    const expected = chunkBytes(spec, big).map((c) => ({ offset: c.offset, length: c.length, hash: String(c.hash), sha256: sha(big.subarray(c.offset, c.offset + c.length)) }));
    const fromFile = await cli('chunk', '--algo', spec, '--format', 'json', file);
    assert.deepEqual(JSON.parse(fromFile.stdout).chunks, expected);
    let stdout = '';
    const io = {
      stdout: (s: string) => void (stdout += s),
      stderr: () => {},
      now: () => 0,
      stdin: Readable.from(
        (function* () {
          for (let off = 0; off < big.length; off += 100_003) yield big.subarray(off, off + 100_003);
        })(),
      ),
    };
    assert.equal(await chunkCommand.run(['--algo', spec, '--format', 'json', '-'], io), 0);
    assert.deepEqual(JSON.parse(stdout).chunks, expected);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    assert.deepEqual(JSON.parse((await cli('chunk', '--algo', spec, '--format', 'json', empty)).stdout).chunks, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chunk errors: unreadable file exits 1 naming it; bad spec or arguments exit 2', async () => {
  const missing = await cli('chunk', '--algo', 'fixed', 'no/such/file');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'layerlab chunk: no/such/file: cannot read: no such file\n');
  const dir = await cli('chunk', '--algo', 'fixed', 'fixtures');
  assert.equal(dir.code, 1);
  assert.match(dir.stderr, /fixtures: cannot read: is a directory/);
  const cases: [string[], RegExp][] = [
    [['chunk', '--algo', 'fastcdc2020:avg=3', IMAGE_PATH], /avg must be from 256 to 4194304 bytes \(got 3\)/],
    [['chunk', '--algo', 'md5', IMAGE_PATH], /unknown algorithm "md5"/],
    [['chunk', IMAGE_PATH], /chunk needs --algo SPEC/],
    [['chunk', '--algo', 'fixed'], /chunk needs a FILE; see layerlab chunk --help/],
    [['chunk', '--algo', 'fixed', '--format', 'xml', IMAGE_PATH], /--format must be one of table, json/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, message);
  }
});

test('chunk prints rows as chunks are found (table and JSON), waiting for stdout to drain; the count comes last', async () => {
  for (const format of ['table', 'json']) {
    const block = new Uint8Array(1 << 20);
    let blocksRead = 0;
    let blocksReadAtFirstWrite = -1;
    let drains = 0;
    let stdout = '';
    const io = {
      stdout: (s: string) => {
        if (blocksReadAtFirstWrite < 0) blocksReadAtFirstWrite = blocksRead;
        stdout += s;
      },
      drain: async () => void drains++,
      stderr: () => {},
      now: () => 0,
      stdin: Readable.from(
        (function* () {
          for (; blocksRead < 8; ) {
            blocksRead++;
            yield block;
          }
        })(),
      ),
    };
    assert.equal(await chunkCommand.run(['--algo', 'fixed:size=1k', '--format', format, '-'], io), 0);
    assert.ok(blocksReadAtFirstWrite >= 0 && blocksReadAtFirstWrite < 8, `${format}: first write after ${blocksReadAtFirstWrite} of 8 blocks`);
    assert.ok(drains > 0, `${format}: drain awaited`);
    if (format === 'json') {
      const out = JSON.parse(stdout);
      assert.equal(out.chunks.length, 8192);
      assert.deepEqual(out.chunks[8191], { offset: 8191 * 1024, length: 1024, hash: null, sha256: sha(block.subarray(0, 1024)) });
    } else {
      const lines = stdout.trimEnd().split('\n');
      assert.match(lines[0], /^OFFSET +LENGTH +HASH +SHA256$/);
      assert.equal(lines.length, 8194);
      assert.equal(lines.at(-1), 'fixed:size=1024: 8192 chunks');
    }
  }
});
