import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { layerFilesOf, type RawEntry } from '../src/model/files.js';
import { diveEfficiency, diveExport, fileDedup, wasteAnalysis } from '../src/analyze/waste.js';
import { evaluateDiveCi, goFloat, parseGoFloat, parseSiBytes } from '../src/analyze/dive-ci.js';

const file = (name: string, size: number, digest?: string): RawEntry => ({ name, type: 'file', size, ...(digest ? { digest } : {}) });
const dir = (name: string): RawEntry => ({ name, type: 'dir' });

test('waste: dive\'s unit vector (efficiency_test.go) — 2000 and 5000 for one path plus a whiteout: efficiency 0.75, wasted 7000', () => {
  const layers = [
    layerFilesOf([file('/etc/nginx/nginx.conf'.slice(1), 2000), file('etc/nginx/public', 3000)]),
    layerFilesOf([file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)]),
    layerFilesOf([file('etc/.wh.nginx', 0)]),
  ];
  const r = diveEfficiency(layers);
  assert.equal(r.efficiency, 0.75);
  assert.deepEqual(r.inefficiencies, [{ file: '/etc/nginx/nginx.conf', count: 2, sizeBytes: 7000, layers: [0, 1] }]);
  const a = wasteAnalysis(layers, [5000, 15000, 0]);
  assert.equal(a.wastedBytes, 7000);
  assert.equal(a.userSizeBytes, 15000);
  assert.equal(a.wastedUserPercent, 7000 / 15000);
});

test('waste: dive\'s scratch vector — one empty file scores 1 with no inefficiencies', () => {
  const r = diveEfficiency([layerFilesOf([file('nothing', 0)]), layerFilesOf([]), layerFilesOf([])]);
  assert.equal(r.efficiency, 1);
  assert.deepEqual(r.inefficiencies, []);
  assert.equal(diveEfficiency([]).efficiency, 1);
});

test('waste: a whiteout of a directory entry counts the subtree below it, of a file 0', () => {
  const layers = [
    layerFilesOf([dir('etc/'), dir('etc/nginx/'), file('etc/nginx/a', 100), file('etc/nginx/b', 50), file('etc/f', 7)]),
    layerFilesOf([dir('etc/'), file('etc/.wh.nginx', 0), file('etc/.wh.f', 0)]),
  ];
  const r = diveEfficiency(layers);
  // leaves: /etc/nginx/a 100, /etc/nginx/b 50, /etc/f 7 (layer 0); /etc/nginx 150 and /etc/f 0 (layer 1)
  assert.deepEqual(r.inefficiencies, [{ file: '/etc/f', count: 2, sizeBytes: 7, layers: [0, 1] }]);
  assert.equal(r.efficiency, (100 + 50 + 0 + 150) / (100 + 50 + 7 + 150));
});

// dive's own export test (runtime/export/export_test.go) on .data/test-docker-image.tar: the layers
// below follow that image's Dockerfile as the legacy builder writes them (parent directories
// included); the base is a stand-in, so only the user layers' figures are dive's.
function diveTestImage() {
  const s = 6405;
  const layers: RawEntry[][] = [
    [dir('bin/'), file('bin/busybox', 1154361 - 2 * 0), dir('root/'), dir('tmp/')],
    [file('somefile.txt', s)],
    [dir('root/'), dir('root/example/'), dir('root/example/really/'), dir('root/example/really/nested/')],
    [dir('root/'), dir('root/example/'), file('root/example/somefile1.txt', s)],
    [dir('root/'), dir('root/example/'), file('root/example/somefile1.txt', s)],
    [dir('root/'), dir('root/example/'), file('root/example/somefile2.txt', s)],
    [dir('root/'), dir('root/example/'), file('root/example/somefile3.txt', s)],
    [dir('root/'), dir('root/example/'), file('root/example/.wh.somefile3.txt', 0), file('root/saved.txt', s)],
    [dir('root/'), file('root/.saved.txt', s)],
    [dir('root/'), file('root/.wh.example', 0)],
    [dir('root/'), dir('root/.data/'), file('root/.data/tag.sh', 917), file('root/.data/tag.data.txt', 1270)],
    [dir('tmp/'), file('tmp/saved.again1.txt', s)],
    [dir('root/'), dir('root/.data/'), file('root/.data/saved.again2.txt', s)],
    [dir('root/'), file('root/saved.txt', s)],
  ];
  return layers.map((l) => layerFilesOf(l));
}

test('waste: dive\'s export-test image — inefficient files, their order and inefficientBytes 32025 as dive\'s export shows', () => {
  const layers = diveTestImage();
  const sizes = layers.map((l) => l.size.reduce((a, b) => a + b, 0));
  const a = wasteAnalysis(layers, sizes);
  const out = diveExport(
    a,
    sizes.map((sizeBytes, i) => ({ id: `id${i}`, digestId: `sha256:${i}`, sizeBytes, command: `step ${i}` })),
  );
  assert.deepEqual(out.image.fileReference, [
    { count: 2, sizeBytes: 12810, file: '/root/saved.txt' },
    { count: 2, sizeBytes: 12810, file: '/root/example/somefile1.txt' },
    { count: 2, sizeBytes: 6405, file: '/root/example/somefile3.txt' },
  ]);
  assert.equal(out.image.inefficientBytes, 32025);
  assert.deepEqual(Object.keys(out), ['layer', 'image']);
  assert.deepEqual(Object.keys(out.image), ['sizeBytes', 'inefficientBytes', 'efficiencyScore', 'fileReference']);
  assert.deepEqual(Object.keys(out.layer[0]), ['index', 'id', 'digestId', 'sizeBytes', 'command']);
  assert.deepEqual(sizes.slice(1), [6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405], 'dive\'s layer sizes');
});

test('dive ci: defaults 0.9 / disabled / 0.1 and dive\'s comparisons at the boundary', () => {
  const base = { sizeBytes: 100, userSizeBytes: 100, wastedBytes: 10, inefficiencies: [] };
  const at = evaluateDiveCi({ ...base, efficiency: 0.9, wastedUserPercent: 0.1 });
  assert.equal(at.pass, true, 'equal to the thresholds passes');
  assert.deepEqual(at.results.map((r) => `${r.rule}:${r.status}`), ['lowestEfficiency:pass', 'highestWastedBytes:skip', 'highestUserWastedPercent:pass']);
  const low = evaluateDiveCi({ ...base, efficiency: 0.8999, wastedUserPercent: 0.1001 });
  assert.equal(low.pass, false);
  assert.deepEqual(low.results.map((r) => r.status), ['fail', 'skip', 'fail']);
  assert.match(low.results[0].message, /efficiency=0.8999 < threshold=0.9/);
  const bytes = (v: string, wasted: number) => evaluateDiveCi({ ...base, wastedBytes: wasted, efficiency: 1, wastedUserPercent: 0 }, { highestWastedBytes: v }).results[1].status;
  assert.equal(bytes('20MB', 20_000_000), 'pass');
  assert.equal(bytes('20MB', 20_000_001), 'fail');
  assert.equal(bytes('20MiB', 20 * 2 ** 20), 'pass');
  assert.equal(evaluateDiveCi({ ...base, efficiency: 1, wastedUserPercent: NaN }).pass, true, 'NaN (0/0) is not above the threshold');
  assert.equal(evaluateDiveCi({ ...base, efficiency: 1, wastedUserPercent: Infinity }).pass, false);
  const bad = evaluateDiveCi({ ...base, efficiency: 1, wastedUserPercent: 0 }, { lowestEfficiency: '1.5', highestWastedBytes: 'lots' });
  assert.equal(bad.misconfigured, true);
  assert.equal(bad.pass, false);
  assert.deepEqual(bad.results.map((r) => r.status), ['misconfigured', 'misconfigured', 'configured']);
  assert.equal(evaluateDiveCi({ ...base, efficiency: 0, wastedUserPercent: 1 }, { lowestEfficiency: 'disabled', highestUserWastedPercent: 'disabled' }).pass, true);
});

test('dive ci: go-humanize byte sizes and Go float syntax', () => {
  const cases: [string, number | undefined][] = [
    ['20MB', 20_000_000], ['20 mb', 20_000_000], ['20M', 20_000_000], ['20MiB', 20_971_520], ['1,000', 1000], ['1.5kB', 1500],
    ['42', 42], ['0.5', 0], ['.5k', 500], ['-1MB', undefined], ['MB', undefined], ['20 XB', undefined], ['1.2.3', undefined], ['18EB', 18e18], ['20EB', undefined],
  ];
  for (const [s, want] of cases) assert.equal(parseSiBytes(s), want, s);
  assert.equal(parseGoFloat('0.9'), 0.9);
  assert.equal(parseGoFloat('1e-1'), 0.1);
  assert.ok(Number.isNaN(parseGoFloat('NaN')!));
  assert.equal(parseGoFloat('+Inf'), Infinity);
  assert.equal(parseGoFloat('0.9x'), undefined);
  assert.equal(parseGoFloat(''), undefined);
  assert.equal(goFloat(0.75), '0.75');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goFloat(NaN), 'NaN');
});

test('file dedup: unique ≤ logical, and identical contents anywhere count once', () => {
  const d = (c: string) => 'sha256:' + c.repeat(64);
  const r = fileDedup([
    layerFilesOf([file('a', 10, d('1')), file('b', 10, d('1')), { name: 'h', type: 'hardlink', linkTarget: 'a' }]),
    layerFilesOf([file('x/y', 10, d('1')), file('z', 5, d('2')), file('.wh.a', 0)]),
  ]);
  assert.deepEqual(r, { logicalFiles: 4, logicalBytes: 35, uniqueFiles: 2, uniqueBytes: 15 });
  fc.assert(
    fc.property(fc.array(fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'c/d'), size: fc.nat(100), digest: fc.constantFrom(d('1'), d('2'), d('3')) }))), (ls) => {
      const s = fileDedup(ls.map((l) => layerFilesOf(l.map((e) => ({ ...e, type: 'file' as const })))));
      assert.ok(s.uniqueFiles <= s.logicalFiles && s.uniqueBytes <= s.logicalBytes && s.uniqueFiles <= 3);
    }),
    { numRuns: 300 },
  );
});

test('waste: on any stack (whiteouts of nothing, opaque markers, file<->dir) efficiency stays in [0,1] and inefficiencies are largest first', () => {
  const name = fc.constantFrom('a', 'b', '.wh.a', '.wh.b', '.wh..wh..opq');
  const entry = fc.record({ name: fc.array(name, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')), type: fc.constantFrom('file' as const, 'dir' as const), size: fc.nat(1000) });
  fc.assert(
    fc.property(fc.array(fc.array(entry, { maxLength: 6 }), { maxLength: 5 }), (ls) => {
      const good = ls.map((l) => l.filter((e) => !e.name.split('/').slice(0, -1).some((p) => p.startsWith('.wh.'))));
      const r = diveEfficiency(good.map((l) => layerFilesOf(l.map((e) => (e.type === 'dir' ? { name: e.name, type: 'dir' as const } : e)))));
      assert.ok(r.efficiency >= 0 && r.efficiency <= 1, String(r.efficiency));
      for (let i = 1; i < r.inefficiencies.length; i++) assert.ok(r.inefficiencies[i - 1].sizeBytes >= r.inefficiencies[i].sizeBytes);
      for (const f of r.inefficiencies) assert.ok(f.count >= 2 && f.layers.length === f.count);
    }),
    { numRuns: 500 },
  );
});

test('waste --ci prints what dive prints: %2.4f efficiency, go-humanize sizes, the "%5s  %12s  %-s" rows, None, rules sorted by key', async () => {
  const { renderDiveCi } = await import('../src/render/waste.js');
  const { goHumanizeBytes } = await import('../src/render/units.js');
  // go-humanize Bytes: base 1000, `%d B` under 10, one decimal under 10 of the unit, else none
  // (999,999 rounds to `1000 kB`: the unit is chosen before rounding).
  assert.deepEqual([0, 9, 10, 999, 1000, 8000, 15000, 15449, 15450, 999_999, 1_000_000, 2 ** 64 - 1].map(goHumanizeBytes), ['0 B', '9 B', '10 B', '999 B', '1.0 kB', '8.0 kB', '15 kB', '15 kB', '16 kB', '1000 kB', '1.0 MB', '18 EB']);
  const image = { image: 'app:1', id: 'x', efficiency: 0.7547683923705722, sizeBytes: 100, userSizeBytes: 100, wastedBytes: 15000, wastedUserPercent: 0.25, inefficiencies: [{ file: '/usr/bin/tool', count: 2, sizeBytes: 8000 }] };
  const ci = evaluateDiveCi({ ...image, wastedUserPercent: 0.25, inefficiencies: [] });
  assert.equal(
    renderDiveCi(image, ci),
    [
      'app:1:',
      '  efficiency: 75.4768 %',
      '  wastedBytes: 15000 bytes (15 kB)',
      '  userWastedPercent: 25.0000 %',
      'Inefficient Files:',
      'Count  Wasted Space  File Path',
      '    2        8.0 kB  /usr/bin/tool',
      'Results:',
      '  FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=0.25 > threshold=0.1)',
      '  SKIP: highestWastedBytes: rule disabled',
      '  FAIL: lowestEfficiency: image efficiency is too low (efficiency=0.7547683923705722 < threshold=0.9)',
      'Result:FAIL [Total:3] [Passed:0] [Failed:2] [Warn:0] [Skipped:1]',
      '',
    ].join('\n'),
  );
  const clean = { ...image, efficiency: 1, wastedBytes: 0, wastedUserPercent: null, inefficiencies: [] };
  const out = renderDiveCi(clean, evaluateDiveCi({ ...clean, wastedUserPercent: NaN, inefficiencies: [] }));
  assert.match(out, /\n {2}userWastedPercent: NaN %\nInefficient Files:\nCount {2}Wasted Space {2}File Path\nNone\nResults:\n/);
  assert.match(out, /wastedBytes: 0 bytes \(0 B\)/);
});
