import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heapNeeded } from '../src/cli/heap.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { syntheticSnapshotChunks } from '../src/sources/synthetic-snapshot.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const GiB = 1024 ** 3;
const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

// sha256 of `layerlab generate ARGS -o -` as written by the implementation that built the whole
// set in memory (syntheticColumns, then an ImageGraph, then snapshotChunks), before generate streamed.
const BEFORE_STREAMING: [string[], string][] = [
  [['--images', '1', '--seed', '1'], '1b5ba6982eb94660ae093d330311a6d399adefbca8a465b45e05c8dc90d070e4'],
  [['--images', '7', '--seed', '3'], '47eabe5a0d62445e4716fef2fae303904079cb55f625e95e800d8b32c56a9ef2'],
  [['--images', '1000', '--seed', '1'], 'c7770c10075b47cc4ddad922b8833d892ebd453933a3036a3c65e3738b538e9b'],
  [['--images', '1000', '--seed', '9', '--refs', 'index'], '5e3b8fb57ea6ad755893a289bf33166f17d996f3626c84a50c1fb4246dc24871'],
  [['--images', '2500', '--seed', '42', '--families', '3'], '0d1afa4d10d6a87a2174bf0835332702ec1f865fab3c3d64ea21e7addc94c10a'],
  [['--images', '20000', '--seed', '5', '--refs', 'index', '--families', '17'], '6914518ea8a0d59cf643cc007143262419c5470c9b7d99cb185bf4971afd2389'],
];

test('generate streams the same bytes the in-memory implementation wrote, to stdout and to a file', async () => {
  const dir = tempDir('layerlab-gen-');
  for (const [args, want] of BEFORE_STREAMING) {
    const out = await cli('generate', ...args, '-o', '-');
    assert.equal(out.code, 0, out.stderr);
    assert.equal(sha256(out.stdout), want, args.join(' '));
    assert.match(out.stderr, /^wrote [\d,]+ images?, [\d,]+ layers?, [\d,]+ layer references?\n$/, 'no progress line when stderr is not a terminal');
    const file = join(dir, 'g.json');
    assert.equal((await cli('generate', ...args, '-o', file)).code, 0);
    assert.equal(sha256(readFileSync(file)), want, `${args.join(' ')} -o FILE`);
  }
});

test('the streamed synthetic snapshot equals the written graph of the same options, counts included', () => {
  for (const refs of ['digest', 'index'] as const) {
    for (const opts of [{ images: 1, seed: 2 }, { images: 333, seed: 11, families: 2 }, { images: 4000, seed: 0 }]) {
      const meta = { m: 1 };
      const progress = { section: 'layers' as const, images: 0, layers: 0, references: 0 };
      const streamed = Array.from(syntheticSnapshotChunks(opts, meta, refs, progress, 4096));
      const graph = syntheticGraph(opts);
      assert.equal(streamed.join(''), serializeSnapshot(graph, meta, refs), `${JSON.stringify(opts)} ${refs}`);
      assert.ok(streamed.every((piece) => piece.endsWith('\n')), 'pieces are whole lines');
      assert.deepEqual([progress.images, progress.layers, progress.references], [graph.imageCount, graph.layerCount, graph.referenceCount]);
    }
  }
});

test('generate needs no more heap for more images: 150,000 images in a 40 MB heap', () => {
  // In memory, 150k images took about 230 MB of heap; streamed, one repository is held at a time.
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=40', 'src/cli/main.ts', 'generate', '--images', '150000', '-o', '-'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, LAYERLAB_HEAP_SET: '40' },
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.match(r.stderr, /wrote 150000 images/);
});

test('heap: generate never re-runs itself with a larger heap, whatever the count or an existing -o file', () => {
  const dir = tempDir('layerlab-genheap-');
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, 6 * 1024 ** 3); // sparse: no disk used
  assert.equal(heapNeeded(['generate', '--images', '20000000', '-o', big]), 0);
  assert.equal(heapNeeded(['generate', '--images=10000000', '-o', '-']), 0);
});

test('heap: a large columnar export folder (Arrow or partitioned Parquet) asks for a larger heap, like a large snapshot file', () => {
  const dir = tempDir('layerlab-colheap-');
  const arrow = join(dir, '10m.arrow');
  mkdirSync(arrow);
  writeFileSync(join(arrow, 'layerlab-columnar.json'), '{}');
  const sparse = (file: string, bytes: number): void => {
    writeFileSync(file, '');
    truncateSync(file, bytes); // no disk used
  };
  sparse(join(arrow, 'layers.arrow'), 3 * GiB);
  sparse(join(arrow, 'image_layers.arrow'), 2 * GiB);
  const parquet = join(dir, '10m.parquet');
  mkdirSync(join(parquet, 'image_layers', 'bucket=0'), { recursive: true });
  writeFileSync(join(parquet, 'layerlab-columnar.json'), '{}');
  sparse(join(parquet, 'image_layers', 'bucket=0', 'part-0.parquet'), 5 * GiB);
  const file = join(dir, 'same.json');
  sparse(file, 5 * GiB + 2); // the folders' files plus their 2-byte marker
  const want = heapNeeded(['df', file]);
  assert.ok(want > 5 * GiB);
  assert.equal(heapNeeded(['df', arrow]), want, 'the folder counts its files');
  assert.equal(heapNeeded(['df', parquet]), want, 'partition folders included');
  // Any other folder (a Docker data root, an OCI layout) is not walked: it may hold millions of files.
  const other = join(dir, 'other');
  mkdirSync(other);
  sparse(join(other, 'blob'), 5 * GiB);
  assert.equal(heapNeeded(['df', other]), 0);
});
