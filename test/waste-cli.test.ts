// layerlab waste through the CLI on a layout holding dive's unit vector (efficiency_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';
import { makeLayout } from './helpers/oci.js';

const x = (n: number, c = 'x') => c.repeat(n);
// dive's vector, layer by layer; a second image shares the base and copies nginx.conf's bytes elsewhere.
const DIVE: Record<string, string>[] = [{ 'etc/nginx/nginx.conf': x(2000), 'etc/nginx/public': x(3000, 'p') }, { 'etc/nginx/nginx.conf': x(5000), 'etc/athing': x(10000, 'a') }, { 'etc/.wh.nginx': '' }];
const layout = (async () => {
  const made = await makeLayout([
    { files: DIVE, refName: 'dive' },
    { files: [DIVE[0], { 'srv/copy.conf': x(2000) }], refName: 'other' },
  ]);
  // An OCI layout's ref names are tags of a repository named after the folder.
  const tag = (await loadSource(made.dir)).graph.images[0].repoTags![0];
  assert.match(tag, /:dive$/);
  return { dir: made.dir, dive: tag };
})();

test('waste --format json: dive\'s unit vector gives efficiency 0.75, wasted 7000, user percent 7000/15000', async () => {
  const { dir, dive } = await layout;
  const r = await cli('waste', '--format', 'json', dir, dive);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['source', 'images', 'acrossImages']);
  const w = out.images[0];
  assert.deepEqual(Object.keys(w), ['image', 'id', 'efficiency', 'sizeBytes', 'userSizeBytes', 'wastedBytes', 'wastedUserPercent', 'inefficiencies']);
  assert.equal(w.efficiency, 0.75);
  assert.equal(w.sizeBytes, 20000);
  assert.equal(w.userSizeBytes, 15000);
  assert.equal(w.wastedBytes, 7000);
  assert.equal(w.wastedUserPercent, 7000 / 15000);
  assert.deepEqual(w.inefficiencies, [{ file: '/etc/nginx/nginx.conf', count: 2, sizeBytes: 7000 }]);
});

test('waste over every image: files duplicated across images by content, each distinct layer once', async () => {
  const { dir, dive } = await layout;
  const out = JSON.parse((await cli('waste', '--format', 'json', dir)).stdout);
  assert.equal(out.images.length, 2);
  // Distinct layers: base (2000 x + 3000 p), dive's second (5000 x, 10000 a), whiteout layer, srv/copy.conf (2000 x = base's nginx.conf).
  assert.deepEqual(out.acrossImages, { images: 2, layers: 4, logicalFiles: 5, logicalBytes: 22000, uniqueFiles: 4, uniqueBytes: 20000, uniqueFilesRatio: 0.8, uniqueBytesRatio: 20000 / 22000 });
  const other = out.images.find((w: { image: string }) => w.image.endsWith(':other'));
  assert.equal(other.efficiency, 1);
  const table = (await cli('waste', dir)).stdout;
  assert.match(table, /efficiency: 75\.0000 %/);
  assert.match(table, /2 +7kB +\/etc\/nginx\/nginx\.conf/);
  assert.match(table, /files: 5, unique 4 \(80\.0 %\)/);
});

test('waste --ci: dive\'s defaults fail the vector on efficiency and user wasted percent, exit 1, rules named', async () => {
  const { dir, dive } = await layout;
  const r = await cli('waste', '--ci', dir, dive);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL: lowestEfficiency: image efficiency is too low \(efficiency=0\.75 < threshold=0\.9\)/);
  assert.match(r.stdout, /SKIP: highestWastedBytes: rule disabled/);
  assert.match(r.stdout, /FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes added \(%-user-wasted-bytes=0\.4666666666666667 > threshold=0\.1\)/);
  assert.match(r.stdout, /Result:FAIL \[Total:3\] \[Passed:0\] \[Failed:2\] \[Warn:0\] \[Skipped:1\]/);
  const pass = await cli('waste', '--ci', '--lowest-efficiency', '0.75', '--highest-user-wasted-percent', 'disabled', '--highest-wasted-bytes', '7kB', dir, dive);
  assert.equal(pass.code, 0, pass.stdout);
  const bytes = await cli('waste', '--ci', '--lowest-efficiency', 'disabled', '--highest-user-wasted-percent', 'disabled', '--highest-wasted-bytes', '6999', dir, dive);
  assert.equal(bytes.code, 1);
  assert.match(bytes.stdout, /FAIL: highestWastedBytes: too many bytes wasted \(wasted-bytes=7000 > threshold=6999\)/);
});

test('waste --format dive-json: dive\'s export schema for one image', async () => {
  const { dir, dive } = await layout;
  const r = await cli('waste', '--format', 'dive-json', dir, dive);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['layer', 'image']);
  assert.deepEqual(Object.keys(out.layer[0]), ['index', 'id', 'digestId', 'sizeBytes', 'command']);
  assert.deepEqual(out.layer.map((l: { sizeBytes: number }) => l.sizeBytes), [5000, 15000, 0]);
  assert.deepEqual(out.image, { sizeBytes: 20000, inefficientBytes: 7000, efficiencyScore: 0.75, fileReference: [{ count: 2, sizeBytes: 7000, file: '/etc/nginx/nginx.conf' }] });
});

test('waste usage and input errors: exit 2 for usage, 1 for input, never a stack', async () => {
  const { dir, dive } = await layout;
  const cases: [string[], number, RegExp][] = [
    [['waste', '--format', 'dive-json', dir], 2, /describes one image/],
    [['waste', '--lowest-efficiency', '0.5', dir], 2, /with --ci only/],
    [['waste', '--ci', '--lowest-efficiency', '1.5', dir], 2, /outside allowed range/],
    [['waste', '--ci', '--highest-wasted-bytes', '12 parsecs', dir], 2, /not a byte size/],
    [['waste', dir, 'nope:1'], 1, /no such image/],
    [['waste', 'fixtures/official-images/host.snapshot.json'], 1, /holds no layer contents/],
  ];
  for (const [argv, code, msg] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, code, argv.join(' '));
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
