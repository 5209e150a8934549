// Issue 13's "works from the CLI and the library": everything files, waste, chunk and dedup
// --level compute is reachable from `layerlab/internals` (src/internals.ts), and a chunker a
// user registers there is usable by name in the CLI and in the dedup benchmark, as the built-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from '../src/internals.js';
import type { Chunker, ChunkerParams } from '../src/internals.js';
import { cli } from './helpers/cli.js';

const APP = 'fixtures/waste/app.oci.tar';

test('library: an image\'s union, one layer\'s changes and dive\'s waste, as files and waste print them', async () => {
  const s = await lib.loadSource(APP);
  const image = s.graph.images.findIndex((im) => im.repoTags?.includes('app:1'));
  const { layers } = lib.stackOf(s.graph, image);
  const indexed = await lib.indexSourceLayers(s, { layers });
  const view = lib.unionOf(layers.map((l) => indexed.get(l)!.files))!;
  const cliTree = JSON.parse((await cli('files', '--format', 'json', APP, 'app:1')).stdout) as { entries: { path: string; layer: number }[] };
  assert.deepEqual(lib.listUnion(view).map((r) => [r.path, r.layer]), cliTree.entries.map((e) => [e.path, e.layer]));
  const removed = lib.layerChanges(view).filter((c) => c.change === 'removed').map((c) => c.path);
  assert.deepEqual(removed, ['etc/nginx', 'etc/nginx/nginx.conf', 'etc/nginx/public', 'var/cache/old']);
  const a = lib.wasteAnalysis(layers.map((l) => indexed.get(l)!.files), layers.map((l) => indexed.get(l)!.size));
  const cliWaste = JSON.parse((await cli('waste', '--format', 'json', APP, 'app:1')).stdout).images[0];
  assert.equal(a.efficiency, cliWaste.efficiency);
  assert.equal(a.wastedBytes, cliWaste.wastedBytes);
  assert.equal(lib.evaluateDiveCi(a).pass, false);
  assert.equal(lib.fileDedup([...indexed.values()].map((x) => x.files)).logicalFiles > 0, true);
});

/** Cuts every `every` bytes, counted over the whole stream: a chunker a user might write. */
function everyN(p: ChunkerParams): Chunker {
  const every = p.size('every', 1024, 1, 1 << 30);
  const spec = p.done();
  let seen = 0;
  const cuts = new lib.CutList();
  return {
    spec,
    fingerprints: false,
    cuts,
    push(bytes) {
      cuts.clear();
      const end = seen + bytes.length;
      for (let at = (Math.floor(seen / every) + 1) * every; at <= end; at += every) cuts.add(at, 0n);
      seen = end;
      return cuts.length;
    },
    finish() {
      cuts.clear();
      if (seen % every !== 0) cuts.add(seen, 0n);
      return cuts.length;
    },
    reset() {
      seen = 0;
      cuts.clear();
    },
  };
}

test('library: a registered chunker chunks by name in chunkBytes, `layerlab chunk` and `dedup --level chunk`, as fixed does', async () => {
  lib.registerChunker('every-n', everyN, 'a cut every N bytes: every');
  assert.ok(lib.listChunkers().some((c) => c.name === 'every-n'));
  const bytes = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
  const mine = lib.chunkBytes('every-n:every=4k', bytes).map(({ offset, length }) => [offset, length]);
  assert.deepEqual(mine, lib.chunkBytes('fixed:size=4k', bytes).map(({ offset, length }) => [offset, length]));
  const r = await cli('chunk', '--algo', 'every-n:every=1m', '--format', 'json', 'fixtures/fastcdc/SekienAkashita.jpg');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).algo, 'every-n:every=1048576');
  const rows = (spec: string) => cli('dedup', '--level', 'chunk', '--algo', spec, '--no-compress', '--format', 'json', APP);
  const pick = (out: string) => (JSON.parse(out).rows as { level: string; mode?: string; logicalBytes: number; storedBytes: number; units: number }[])
    .filter((x) => x.level === 'chunk')
    .map(({ mode, logicalBytes, storedBytes, units }) => ({ mode, logicalBytes, storedBytes, units }));
  const [ours, fixed] = await Promise.all([rows('every-n:every=4k'), rows('fixed:size=4k')]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.deepEqual(pick(ours.stdout), pick(fixed.stdout));
});
