// Reading layers for dedup goes through scanSourceLayers (src/sources/layer-contents.ts), the one
// way files, waste and dedup read each distinct layer once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContentDedup } from '../src/analyze/dedup-content.js';
import { indexSourceLayers } from '../src/sources/layer-contents.js';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';

const rowsOf = async (...args: string[]) => {
  const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=8k', '--no-compress', '--format', 'json', ...args);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContentDedup;
  return { out, rows: out.rows.map(({ seconds: _s, mbPerSecond: _m, ...rest }) => rest) };
};

test('docker save of the containerd store shape (blobs/sha256/<gzip digest>, manifest.json by path): layers found by diffID', async () => {
  const s = await loadSource('fixtures/archives/scenario.docker25-shape.tar.gz');
  const indexed = await indexSourceLayers(s);
  assert.equal(indexed.size, s.graph.layerCount);
  for (const [i, l] of indexed) {
    assert.equal(l.facts.diffId, s.graph.layerDiffId[i]);
    assert.equal(l.facts.compression, 'gzip');
  }
});

test('dedup --level file/chunk reads the Docker 25 shape, and agrees with docker save and the OCI archive below the blob row', async () => {
  const d25 = await rowsOf('fixtures/archives/scenario.docker25-shape.tar.gz');
  const oci = await rowsOf('fixtures/archives/scenario.oci-archive.tar');
  const save = await rowsOf('fixtures/archives/scenario.docker-save.tar');
  assert.equal(d25.out.layersRead, d25.out.distinctLayers);
  assert.deepEqual(d25.rows.slice(1), save.rows.slice(1));
  assert.deepEqual(d25.rows, oci.rows, 'the same gzip blobs as the OCI archive');
});

test('dedup over two sources reads a layer they share once', async () => {
  const one = await rowsOf('fixtures/archives/scenario.oci-archive.tar');
  const two = await rowsOf('fixtures/archives/scenario.oci-archive.tar', 'fixtures/archives/scenario.docker25-shape.tar.gz');
  assert.equal(two.out.layersRead, one.out.layersRead);
  assert.equal(two.out.distinctLayers, one.out.distinctLayers);
});
