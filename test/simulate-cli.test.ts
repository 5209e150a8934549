import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import { runCommand } from '../src/cli/run.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const SCENARIO = 'fixtures/simulate/official.json';

test('simulate: the bundled scenario runs, and the same scenario and seed give byte-identical output', async () => {
  const a = await cli('simulate', SCENARIO, '--format', 'json');
  const b = await cli('simulate', SCENARIO, '--format', 'json');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  const r = JSON.parse(a.stdout) as { totals: Record<string, unknown>; pods: unknown[]; nodes: unknown[] };
  assert.deepEqual(Object.keys(r.totals).filter((k) => ['pods', 'failedPods', 'bytesPulled', 'registryEgress', 'gcRuns', 'gcBytesFreed', 'gcBytesBelieved', 'startDelay'].includes(k)).length, 8);
  assert.equal(r.pods.length, 40);
  assert.equal(r.nodes.length, 3);
});

test('simulate --compare: one column per value on the same workload', async () => {
  const r = await cli('simulate', SCENARIO, '--compare', 'scheduler=default,layer-aware,random');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /scheduler=default +scheduler=layer-aware +scheduler=random/);
  assert.match(r.stdout, /GC freed \(kubelet believes\)/);
});

test('simulate: a scenario error names the field; a trace error names the line', async () => {
  const dir = tempDir('layerlab-sim-');
  const doc = JSON.parse(readFileSync(SCENARIO, 'utf8')) as Record<string, unknown>;
  doc.images = resolve('fixtures/official-images/host.snapshot.json');
  doc.kubelet = { imageGCHighThresholdPercent: 120 };
  writeFileSync(join(dir, 's.json'), JSON.stringify(doc));
  const r = await cli('simulate', join(dir, 's.json'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\$\.kubelet\.imageGCHighThresholdPercent: expected an integer from 0 to 100/);
  doc.kubelet = {};
  doc.workload = { trace: 't.jsonl' };
  writeFileSync(join(dir, 's.json'), JSON.stringify(doc));
  writeFileSync(join(dir, 't.jsonl'), '{"t":0,"image":"alpine:latest","duration":5}\n{"t":1,"image":"nope:1","duration":5}\n');
  const t = await cli('simulate', join(dir, 's.json'));
  assert.equal(t.code, 1);
  assert.match(t.stderr, /t\.jsonl:2: .*nope:1/);
});

test('simulate --timeline writes each node\'s disk at every GC period', async () => {
  const dir = tempDir('layerlab-sim-');
  const out = join(dir, 'disk.csv');
  const r = await cli('simulate', SCENARIO, '--timeline', out);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 't,node,disk');
  assert.match(lines[1], /^300,n1,\d+$/);
});

test('simulate --compare with a JSON array: weighted scheduler objects are values, not split at their commas', async () => {
  const r = await cli('simulate', SCENARIO, '--format', 'json', '--compare', 'scheduler=["image-locality",{"image-locality":1,"layer-aware":2}]');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { compare: string; runs: Array<{ value: string }> };
  assert.deepEqual(out.runs.map((x) => x.value), ['image-locality', '{"image-locality":1,"layer-aware":2}']);
  const bad = await cli('simulate', SCENARIO, '--compare', 'scheduler=["image-locality",');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--compare/);
});

test('simulate --format json has the fleet over time; report --simulation draws disk use and bytes pulled from it', async () => {
  const dir = tempDir('layerlab-sim-');
  const sim = await cli('simulate', SCENARIO, '--format', 'json');
  assert.equal(sim.code, 0, sim.stderr);
  const doc = JSON.parse(sim.stdout) as { series: { t: number[]; diskUsed: number[]; bytesPulled: number[]; registryEgress: number[] }; totals: { bytesPulled: number } };
  const s = doc.series;
  assert.deepEqual(Object.keys(s), ['t', 'diskUsed', 'bytesPulled', 'registryEgress']);
  assert.equal(s.t[0], 300);
  for (const c of [s.diskUsed, s.bytesPulled, s.registryEgress]) assert.equal(c.length, s.t.length);
  assert.equal(s.bytesPulled[s.bytesPulled.length - 1], doc.totals.bytesPulled, 'the last point is the end of the run');
  writeFileSync(join(dir, 'sim.json'), sim.stdout);
  const r = await cli('report', 'fixtures/official-images/host.snapshot.json', '--simulation', join(dir, 'sim.json'), '-o', join(dir, 'r.html'));
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(join(dir, 'r.html'), 'utf8');
  assert.match(html, /Fleet disk use/);
  assert.match(html, /Bytes pulled/);
  assert.match(html, /registry egress/);
  (doc as { series: unknown }).series = { ...s, diskUsed: s.diskUsed.slice(1) };
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(doc));
  const bad = await cli('report', 'fixtures/official-images/host.snapshot.json', '--simulation', join(dir, 'bad.json'), '-o', join(dir, 'x.html'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.json: \$\.series\.diskUsed: expected as many values as \$\.series\.t/);
});

test('simulate --timeline to a path that cannot be written: exit 1 naming the file, before the run', async () => {
  const dir = tempDir('layerlab-sim-');
  // The scenario's images do not exist: an error about them would mean the run started first.
  const doc = JSON.parse(readFileSync(SCENARIO, 'utf8')) as Record<string, unknown>;
  doc.images = join(dir, 'missing.json');
  writeFileSync(join(dir, 's.json'), JSON.stringify(doc));
  for (const target of [join(dir, 'nonexistent', 'x.csv'), dir]) {
    const r = await cli('simulate', join(dir, 's.json'), '--timeline', target);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot write/);
    assert.ok(r.stderr.includes(target), `names ${target}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /missing\.json/);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(readdirSync(dir).sort(), ['s.json'], 'no temporary file left behind');
  const out = join(dir, 'disk.csv');
  const ok = await cli('simulate', SCENARIO, '--timeline', out);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['disk.csv', 's.json'], 'written by rename: no temporary file left');
});

test('simulate --timeline with --compare: one row per run, node and period, the run named', async () => {
  const dir = tempDir('layerlab-sim-');
  const out = join(dir, 'disk.csv');
  const r = await cli('simulate', SCENARIO, '--compare', 'scheduler=["default",{"image-locality":1,"layer-aware":2}]', '--timeline', out);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'run,t,node,disk');
  const runs = new Set(lines.slice(1).map((l) => l.slice(0, l.lastIndexOf(',', l.lastIndexOf(',', l.lastIndexOf(',') - 1) - 1))));
  assert.deepEqual([...runs], ['default', '"{""image-locality"":1,""layer-aware"":2}"'], 'CSV-quoted where the value holds commas');
  const single = await cli('simulate', SCENARIO, '--timeline', join(dir, 'one.csv'));
  const perRun = lines.slice(1).filter((l) => l.startsWith('default,')).map((l) => l.slice('default,'.length));
  assert.deepEqual(perRun, readFileSync(join(dir, 'one.csv'), 'utf8').trim().split('\n').slice(1), single.stderr);
});

test('simulate --timeline -: the CSV on stdout instead of the table, no file named -', async () => {
  try {
    const r = await cli('simulate', SCENARIO, '--timeline', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], 't,node,disk');
    assert.match(r.stdout.split('\n')[1], /^300,n1,\d+$/);
    assert.doesNotMatch(r.stdout, /bytes pulled/);
    assert.equal(existsSync('-'), false, 'no file named -');
  } finally {
    rmSync('-', { force: true });
  }
});

test('simulate -: the scenario from standard input, its paths relative to the current directory', async () => {
  const doc = JSON.parse(readFileSync(SCENARIO, 'utf8')) as Record<string, unknown>;
  doc.images = 'fixtures/official-images/host.snapshot.json';
  doc.workload = { trace: 'fixtures/simulate/official.jsonl' };
  let stdout = '';
  let stderr = '';
  const code = await runCommand(['simulate', '-', '--format', 'json'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), now: () => 0, stdin: Readable.from([Buffer.from(JSON.stringify(doc))]) });
  assert.equal(code, 0, stderr);
  assert.equal(stdout, (await cli('simulate', SCENARIO, '--format', 'json')).stdout);
  const none = await cli('simulate', '-');
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /standard input/);
});
