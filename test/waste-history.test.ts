// `waste --format dive-json` fills each layer's `command` and `digestId` from the image config's
// history as dive does (wagoodman/dive dive/image/docker/image_archive.go ToImage, config.go
// newConfig, layer.go ToLayer): the n-th layer takes the n-th history entry that is not
// `empty_layer`, its created_by without a leading "/bin/sh -c "; a layer with no such entry left
// is "(missing)" with an empty digestId.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { diveLayerHistory } from '../src/analyze/waste.js';
import { cli } from './helpers/cli.js';
import { makeLayout } from './helpers/oci.js';

const COPY = (file: string, to: string) => `/bin/sh -c #(nop) COPY file:${file} in ${to} `;
const BUSYBOX = COPY('7027c77992f5b5a06465828d75ae4ff9adcec5f94bc05d3f683eb205e0ec1ac0', '/bin/busybox');
const A = COPY('a11cda62bbbddd5a3cf129ad9e2028b462a1cb435cb55ccc3f6304f360a3f828', '/a');
const B = COPY('9e25720434f9cd73c9bde3c0e3d50625adbbbec127ed6d98e5202aecf792cf5b', '/b');
const E = COPY('f35a2dbbe2993a526ecf8449a27354951d8fe2d60f5834a104ee619362ae19ec', '/e');
const CMD = '/bin/sh -c #(nop)  CMD ["/bin/busybox" "sleep" "3600"]';

test('diveLayerHistory: the n-th non-empty history entry per layer, "/bin/sh -c " trimmed, diffIDs by position', () => {
  const history = [{ created_by: BUSYBOX }, { created_by: A }, { created_by: B }, { created_by: CMD, empty_layer: true }, { created_by: E }];
  assert.deepEqual(diveLayerHistory(history, ['sha256:0', 'sha256:1', 'sha256:2', 'sha256:3'], 4), [
    { command: BUSYBOX.slice('/bin/sh -c '.length), digestId: 'sha256:0' },
    { command: A.slice(11), digestId: 'sha256:1' },
    { command: B.slice(11), digestId: 'sha256:2' },
    { command: E.slice(11), digestId: 'sha256:3' },
  ]);
});

test('diveLayerHistory: missing, short, empty-only and odd histories as dive prints them', () => {
  const missing = { command: '(missing)', digestId: '' };
  assert.deepEqual(diveLayerHistory(undefined, ['sha256:0', 'sha256:1'], 2), [missing, missing]);
  assert.deepEqual(diveLayerHistory([], ['sha256:0'], 1), [missing]);
  // More layers than non-empty entries: the rest are (missing); trailing empty entries give nothing.
  assert.deepEqual(diveLayerHistory([{ created_by: 'RUN a' }, { created_by: 'ENV x=1', empty_layer: true }], ['sha256:0', 'sha256:1'], 2), [
    { command: 'RUN a', digestId: 'sha256:0' },
    missing,
  ]);
  // No created_by (ko, nix): Go's zero value, an empty command; only a leading prefix is trimmed.
  assert.deepEqual(diveLayerHistory([{}, { created_by: 'x /bin/sh -c y' }, { created_by: '/bin/sh -c' }], ['sha256:0', 'sha256:1', 'sha256:2'], 3), [
    { command: '', digestId: 'sha256:0' },
    { command: 'x /bin/sh -c y', digestId: 'sha256:1' },
    { command: '/bin/sh -c', digestId: 'sha256:2' },
  ]);
  // More non-empty entries than diff_ids (dive panics here): the extra entries have no diffID.
  assert.deepEqual(diveLayerHistory([{ created_by: 'a' }, { created_by: 'b' }], ['sha256:0'], 2), [
    { command: 'a', digestId: 'sha256:0' },
    { command: 'b', digestId: '' },
  ]);
});

const layers = (stdout: string) => (JSON.parse(stdout) as { layer: { index: number; digestId: string; command: string }[] }).layer;

test('waste --format dive-json: commands from a real docker save archive, an empty_layer entry in the middle skipped', async () => {
  const r = await cli('waste', '--format', 'dive-json', 'fixtures/archives/scenario.docker-save.tar', 'chain:1');
  assert.equal(r.code, 0, r.stderr);
  const got = layers(r.stdout);
  assert.deepEqual(got.map((l) => l.command), [BUSYBOX, A, B, E].map((c) => c.slice('/bin/sh -c '.length)));
  assert.deepEqual(got.map((l) => l.index), [0, 1, 2, 3]);
  // digestId is the diffID dive pairs with each non-empty history entry: the layer's own here.
  const files = await cli('files', '--format', 'json', 'fixtures/archives/scenario.docker-save.tar', 'chain:1');
  const diffIds = (JSON.parse(files.stdout) as { layers: { diffId: string }[] }).layers.map((l) => l.diffId);
  assert.deepEqual(got.map((l) => l.digestId), diffIds);
});

test('waste --format dive-json: commands from an OCI layout and an OCI archive', async () => {
  for (const [source, image] of [
    ['fixtures/archives/scenario.oci', 'scenario.oci:app-b-1'],
    ['fixtures/archives/scenario.oci-archive.tar', 'scenario.oci-archive:app-b-1'],
  ]) {
    const r = await cli('waste', '--format', 'dive-json', source, image);
    assert.equal(r.code, 0, `${source}: ${r.stderr}`);
    assert.deepEqual(layers(r.stdout).map((l) => l.command), [BUSYBOX, A, B].map((c) => c.slice(11)), source);
  }
});

test('waste --format dive-json: a config without history gives (missing); a bad history entry is an input error naming its JSON path', async () => {
  const { dir } = await makeLayout([{ files: [{ a: 'x' }, { b: 'yy' }], refName: 'app:nohist' }, { files: [{ a: 'x' }], refName: 'app:bad', history: [{ created_by: 'RUN a' }, { created_by: 7 }] }]);
  try {
    const r = await cli('waste', '--format', 'dive-json', dir, 'app:nohist');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(layers(r.stdout).map(({ command, digestId }) => ({ command, digestId })), [
      { command: '(missing)', digestId: '' },
      { command: '(missing)', digestId: '' },
    ]);
    const bad = await cli('waste', '--format', 'dive-json', dir, 'app:bad');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /config sha256:[0-9a-f]{64}: \$\.history\[1\]\.created_by: expected a string, got 7/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
