// The npm corpus (scripts/make-npm-corpus.ts): fetched with `npm pack` into .cache/ (kept between
// runs, out of git); the layouts it makes here go to a temp folder that is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeNpmCorpus, SERIES } from '../scripts/make-npm-corpus.js';
import type { ContentDedup } from '../src/analyze/dedup-content.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const CACHE = '.cache/npm-corpus/tarballs';

test('npm corpus: deterministic layouts (same bytes on every run), one image per version over a shared base layer', async () => {
  const series = [{ name: '@types/node', versions: SERIES.find((s) => s.name === '@types/node')!.versions.slice(0, 2) }];
  const [a] = await makeNpmCorpus(tempDir('layerlab-corpus-a-'), CACHE, series);
  const [b] = await makeNpmCorpus(tempDir('layerlab-corpus-b-'), CACHE, series);
  const index = readFileSync(join(a, 'index.json'), 'utf8');
  assert.equal(readFileSync(join(b, 'index.json'), 'utf8'), index, 'same manifests, same digests');
  assert.deepEqual(JSON.parse(index).manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']), ['npm-corpus/types-node:20.11.20', 'npm-corpus/types-node:20.11.21']);
  const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=8k', '--stream', '--no-compress', '--format', 'json', a);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContentDedup;
  assert.deepEqual([out.images, out.layerReferences, out.distinctLayers], [2, 4, 3], 'the base layer is shared');
  const [blob, diff, file, chunk] = out.rows;
  assert.equal(blob.distinctUnits, 3);
  assert.ok(diff.storedBytes > file.storedBytes, 'two patch releases share most files');
  assert.ok(chunk.storedBytes < diff.storedBytes);
});
