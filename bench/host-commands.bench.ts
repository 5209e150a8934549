// Host commands on one big image file against df on the same file, through the built CLI (issue 12:
// rm / bindings / prune / plan --remove of ONE image should cost about what df costs). Standalone:
//   npm run build && node --import tsx bench/host-commands.bench.ts [IMAGES=200000] [RUNS=3]
// Generates the file with `layerlab generate` in a temp folder (deleted after), then runs each
// command RUNS times interleaved (df, rm, ..., df, rm, ...) under /usr/bin/time and prints the
// median (min-max) CPU seconds (user+sys), wall seconds and peak RSS, and each command's median CPU
// as a ratio to df's median CPU measured in the same run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const images = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 3);
const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
}

function timed(args: string[]): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const line = r.stderr.trim().split('\n').pop()!;
  const [e, u, s, m] = line.split(' ').map(Number);
  if (![e, u, s, m].every(Number.isFinite)) throw new Error(`${args.join(' ')}: ${r.stderr.slice(-400)}`);
  return { wall: e, cpu: u + s, rssMb: m / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs: number[], d = 2) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;

const dir = mkdtempSync(join(tmpdir(), 'layerlab-hostbench-'));
try {
  const file = join(dir, 'host.json');
  const gen = spawnSync(process.execPath, [cli, 'generate', '--images', String(images), '-o', file], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(gen.stderr);
  // The last image's first tag: a leaf of its repository, which rm deletes with its own layers.
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf('"repoTags":[');
  const image = JSON.parse(text.slice(at + 11, text.indexOf(']', at) + 1))[0] as string;
  const commands: [string, string[]][] = [
    ['df', ['df', file]],
    ['rm IMAGE', ['rm', file, image]],
    ['bindings IMAGE', ['bindings', file, image]],
    ['prune', ['prune', file]],
    ['plan --remove IMAGE', ['plan', file, '--remove', image]],
    // Over every image: O(n) since plan's removal rounds stopped filtering the list per image.
    ['prune -a', ['prune', '-a', file]],
    ['plan --prune -a', ['plan', file, '--prune', '-a']],
  ];
  const samples = new Map<string, Sample[]>(commands.map(([name]) => [name, []]));
  const load = loadavg()[0].toFixed(2);
  for (let k = 0; k < runs; k++) for (const [name, args] of commands) samples.get(name)!.push(timed(args));
  const dfCpu = median(samples.get('df')!.map((s) => s.cpu));
  console.log(`host commands on ${images} generated images, ${runs} runs each (load at start ${load}, at end ${loadavg()[0].toFixed(2)})`);
  console.log('| command | CPU s: median (min-max) | wall s | peak RSS MB | CPU / df CPU |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name] of commands) {
    const s = samples.get(name)!;
    console.log(`| ${name} | ${spread(s.map((x) => x.cpu))} | ${spread(s.map((x) => x.wall))} | ${median(s.map((x) => x.rssMb)).toFixed(0)} | ${(median(s.map((x) => x.cpu)) / dfCpu).toFixed(2)}x |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
