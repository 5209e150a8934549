import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatG, humanDuration, humanSize, humanSizeWithPrecision, parseHumanSize } from '../src/render/units.js';
import { tabwrite } from '../src/render/tabwriter.js';
import { count } from '../src/render/words.js';
import { renderDfVerbose } from '../src/render/df.js';
import { systemDf } from '../src/analyze/df.js';
import { ImageGraph } from '../src/model/graph.js';
import { syntheticColumns } from '../src/sources/synthetic.js';

test('HumanSize matches go-units size_test.go', () => {
  const cases: [number, string][] = [
    [1000, '1kB'], [1024, '1.024kB'], [1000000, '1MB'], [1048576, '1.049MB'], [2e6, '2MB'],
    [3.42e9, '3.42GB'], [5.372e12, '5.372TB'], [2.22e15, '2.22PB'], [1e28, '1e+04YB'],
  ];
  for (const [v, s] of cases) assert.equal(humanSize(v), s, String(v));
});

test('HumanSizeWithPrecision(3) as docker system df -v prints SIZE (captured from dockerd 20.10)', () => {
  assert.deepEqual([1000, 7096, 12288, 4096, 0].map((v) => humanSizeWithPrecision(v, 3)), ['1kB', '7.1kB', '12.3kB', '4.1kB', '0B']);
  // Go's %g switches to exponent form when rounding carries into a fourth digit.
  assert.equal(humanSizeWithPrecision(999_900, 3), '1e+03kB');
});

test('formatG agrees with Go %g on fixed cases', () => {
  assert.equal(formatG(0.00001234, 3), '1.23e-05');
  assert.equal(formatG(123456, 3), '1.23e+05');
  assert.equal(formatG(100, 3), '100');
  assert.equal(formatG(0.5, 3), '0.5');
  assert.equal(formatG(16.288, 4), '16.29');
});

test('formatG property: parses back to the value rounded to the precision', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 6 }), (v, p) => {
      const s = formatG(v, p);
      assert.equal(Number(s), Number(v.toPrecision(p)));
      assert.doesNotMatch(s, /\.\d*0(e|$)/, 'no trailing zeros');
    }),
  );
});

test('HumanDuration matches go-units thresholds', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'], [1, '1 second'], [59, '59 seconds'], [60, 'About a minute'], [119, 'About a minute'],
    [3599, '59 minutes'], [3600, 'About an hour'], [1.5 * 3600, '2 hours'], [47 * 3600, '47 hours'], [48 * 3600, '2 days'],
    [14 * 86400, '2 weeks'], [60 * 86400, '2 months'], [2 * 365 * 86400, '2 years'],
  ];
  for (const [s, want] of cases) assert.equal(humanDuration(s), want, String(s));
});

test('parseHumanSize reads decimal units like go-units FromHumanSize', () => {
  assert.equal(parseHumanSize('32'), 32);
  assert.equal(parseHumanSize('32kb'), 32000);
  assert.equal(parseHumanSize('32.5 kB'), 32500);
  assert.equal(parseHumanSize('1.5GB'), 1.5e9);
  for (const bad of ['', 'hello', '-32', '.3kB', ' 32 ', '32m b', '32bm']) assert.equal(parseHumanSize(bad), undefined, bad);
});

test('tabwriter: minwidth 10, padding 3, last cell unpadded (docker/cli table)', () => {
  const out = tabwrite([['TYPE', 'TOTAL'], ['Local Volumes', '0']]);
  assert.equal(out, 'TYPE            TOTAL\nLocal Volumes   0\n');
  assert.equal(tabwrite([['A', 'B']], [['Local Volumes', 'x']]), 'A               B\n');
});

test('docker CLI profiles: 20.10 prints VirtualSize (4 digits) and the legacy rule; 29.4 the current one', async () => {
  const { dockerCliProfile } = await import('../src/render/df.js');
  assert.deepEqual(dockerCliProfile('20.10.24+dfsg1'), { style: { sizeDigits: 4 }, rule: 'legacy' });
  assert.deepEqual(dockerCliProfile('28.2.2'), { style: { sizeDigits: 3 }, rule: 'legacy' });
  assert.deepEqual(dockerCliProfile('29.4.0'), { style: { sizeDigits: 3 }, rule: 'current' });
  assert.equal(dockerCliProfile('latest'), undefined);
});

test('df -v cuts a huge container command in time proportional to the cut, not the command', () => {
  const base = systemDf(new ImageGraph(syntheticColumns({ images: 1, seed: 1 })));
  const container = (command: string) => ({ Id: 'c'.repeat(64), Names: ['/big'], Image: 'x', ImageID: base.Images[0].Id, Command: command, Created: 0, State: 'exited', Status: 'Exited (0)', SizeRw: 0, SizeRootFs: 0 });
  const huge = 'é'.repeat(50_000_000);
  const started = performance.now();
  const out = renderDfVerbose({ ...base, Containers: [container(huge)] } as never, 0);
  const ms = performance.now() - started;
  assert.match(out, /\n\w{12} {3}x {9}"é{19}…" /);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  const exact = renderDfVerbose({ ...base, Containers: [container('😀'.repeat(20)), container('😀'.repeat(21))] } as never, 0);
  assert.match(exact, /"😀{20}"/u, 'a command of exactly 20 code points is not cut');
  assert.match(exact, /"😀{19}…"/u);
});

test('plural: the noun agrees with the count', () => {
  assert.equal(count(1, 'image'), '1 image');
  assert.equal(count(0, 'image'), '0 images');
  assert.equal(count(2, 'layer reference'), '2 layer references');
  assert.equal(count(1, 'distinct blob'), '1 distinct blob');
});

test('shortSeconds: an hour or more is spelled as Go\'s time.Duration String does (123276h32m16s, not 7396592m16s)', async () => {
  const { shortSeconds } = await import('../src/render/units.js');
  assert.equal(shortSeconds(443_795_536), '123276h32m16s');
  assert.equal(shortSeconds(3600), '1h0m0s');
  assert.equal(shortSeconds(3605.4), '1h0m5s');
  assert.equal(shortSeconds(185), '3m05s');
  assert.equal(shortSeconds(119.6), '2m00s', 'a rounded-up second carries into the minute');
  assert.equal(shortSeconds(3599.7), '1h0m0s');
});
