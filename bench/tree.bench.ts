// `tree` and `report` on one big image file against `df` on the same file, through the built bin as
// a user runs them (issue 12: every command on a 1M-image file; target: within ~3x of df's CPU and
// at most 2 GB peak RSS). Standalone:
//   npm run build && node --import tsx bench/tree.bench.ts [--images N] [--runs R] [--file SNAPSHOT]
// Generates the file with `layerlab generate --images N` in a temp folder (or reads --file, never
// writing it), then runs each command R times interleaved (df, tree, ..., df, tree, ...) under
// /usr/bin/time, output written to a file in the temp folder (deleted after), and prints the median
// (min-max) CPU seconds (user+sys, re-executed child included), wall seconds and peak RSS, and each
// command's median CPU as a ratio to df's median CPU measured in the same run.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { images: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' }, file: { type: 'string' } } });
const images = Number(values.images);
const runs = Number(values.runs);
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'layerlab.cjs');

interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
  outMb: number;
}

function timed(dir: string, args: string[]): Sample {
  const out = join(dir, 'out');
  const times = join(dir, 'time');
  const fd = openSync(out, 'w');
  try {
    // GNU time counts waited-for children: the bin re-executes node with a larger heap for some inputs.
    const r = spawnSync('/usr/bin/time', ['-o', times, '-f', '%e %U %S %M', process.execPath, bin, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-400)}`);
  } finally {
    closeSync(fd);
  }
  const [e, u, s, m] = readFileSync(times, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  if (![e, u, s, m].every(Number.isFinite)) throw new Error(`${args.join(' ')}: ${readFileSync(times, 'utf8')}`);
  // report writes its page to -o; the others to stdout
  const outMb = Math.max(statSync(out).size, statSync(join(dir, 'report.html'), { throwIfNoEntry: false })?.size ?? 0) / 1e6;
  rmSync(out, { force: true });
  rmSync(join(dir, 'report.html'), { force: true });
  return { wall: e, cpu: u + s, rssMb: m / 1024, outMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs: number[], d = 2) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;

const dir = mkdtempSync(join(tmpdir(), 'layerlab-treebench-'));
try {
  let file = values.file;
  if (file === undefined) {
    file = join(dir, 'host.json');
    const gen = spawnSync(process.execPath, [bin, 'generate', '--images', String(images), '-o', file], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(gen.stderr);
  }
  const commands: [string, string[]][] = [
    ['df', ['df', file]],
    ['tree', ['tree', file]],
    ['tree --format json', ['tree', '--format', 'json', file]],
    ['report', ['report', file, '-o', join(dir, 'report.html')]],
  ];
  const samples = new Map<string, Sample[]>(commands.map(([name]) => [name, []]));
  const load = loadavg()[0].toFixed(2);
  for (let k = 0; k < runs; k++) for (const [name, args] of commands) samples.get(name)!.push(timed(dir, args));
  const dfCpu = median(samples.get('df')!.map((s) => s.cpu));
  console.log(`tree and report on ${values.file ?? `${images} generated images`} (${(statSync(file).size / 1e6).toFixed(0)} MB), ${runs} runs each, interleaved (load at start ${load}, at end ${loadavg()[0].toFixed(2)})`);
  console.log('| command | CPU s: median (min-max) | wall s | peak RSS MB | output MB | CPU / df CPU |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name] of commands) {
    const s = samples.get(name)!;
    console.log(`| ${name} | ${spread(s.map((x) => x.cpu))} | ${spread(s.map((x) => x.wall))} | ${median(s.map((x) => x.rssMb)).toFixed(0)} | ${median(s.map((x) => x.outMb)).toFixed(1)} | ${(median(s.map((x) => x.cpu)) / dfCpu).toFixed(2)}x |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
