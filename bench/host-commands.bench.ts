// Host commands on one big image file against df on the same file, through the built bin as a user
// runs it (issue 12: rm / bindings / prune / plan --remove of ONE image should cost about what df
// costs; prune -a, plan --free and plan --prune -a over every image within about 3x). Standalone:
//   npm run build && node --import tsx bench/host-commands.bench.ts [IMAGES=200000 | FILE] [RUNS=3] [every]
// (`every`: only df and the commands over every image).
// Generates the file with `layerlab generate` in a temp folder (deleted after), or reads FILE (a
// snapshot made by `layerlab generate`, e.g. the shared 1M file), then runs each command RUNS times
// interleaved (df, rm, ..., df, rm, ...) under /usr/bin/time, output discarded, and prints the
// median (min-max) CPU seconds (user+sys), wall seconds and peak RSS, and each command's median CPU
// as a ratio to df's median CPU measured in the same run.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const given = process.argv[2] !== undefined && existsSync(process.argv[2]) ? process.argv[2] : undefined;
const images = given ? undefined : Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 3);
const everyOnly = process.argv[4] === 'every';
const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'layerlab.cjs');

interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
}

function timed(args: string[]): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const line = r.stderr.trim().split('\n').pop()!;
  const [e, u, s, m] = line.split(' ').map(Number);
  if (![e, u, s, m].every(Number.isFinite)) throw new Error(`${args.join(' ')}: ${r.stderr.slice(-400)}`);
  return { wall: e, cpu: u + s, rssMb: m / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs: number[], d = 2) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;

/** The last image's first tag (read from the file's end: a 1M-image file is no string). */
function lastTag(file: string): string {
  const size = statSync(file).size;
  const tail = Buffer.alloc(Math.min(size, 1 << 20));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, tail, 0, tail.length, size - tail.length);
  } finally {
    closeSync(fd);
  }
  const text = tail.toString('utf8');
  const at = text.lastIndexOf('"repoTags":[');
  return JSON.parse(text.slice(at + 11, text.indexOf(']', at) + 1))[0] as string;
}

const dir = mkdtempSync(join(tmpdir(), 'layerlab-hostbench-'));
try {
  const file = given ?? join(dir, 'host.json');
  if (!given) {
    const gen = spawnSync(process.execPath, [cli, 'generate', '--images', String(images), '-o', file], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(gen.stderr);
  }
  // The last image's first tag: a leaf of its repository, which rm deletes with its own layers.
  const image = lastTag(file);
  const all: [string, string[]][] = [
    ['df', ['df', file]],
    ['rm IMAGE', ['rm', file, image]],
    ['bindings IMAGE', ['bindings', file, image]],
    ['prune', ['prune', file]],
    ['plan --remove IMAGE', ['plan', file, '--remove', image]],
    // Over every image: O(n) since plan's removal rounds stopped filtering the list per image.
    ['prune -a', ['prune', '-a', file]],
    ['plan --free 10GB', ['plan', file, '--free', '10GB']],
    ['plan --prune -a', ['plan', file, '--prune', '-a']],
  ];
  const commands = everyOnly ? all.filter(([name]) => name === 'df' || name.endsWith(' -a') || name.startsWith('plan --free')) : all;
  const samples = new Map<string, Sample[]>(commands.map(([name]) => [name, []]));
  const load = loadavg()[0].toFixed(2);
  for (let k = 0; k < runs; k++) for (const [name, args] of commands) samples.get(name)!.push(timed(args));
  const dfCpu = median(samples.get('df')!.map((s) => s.cpu));
  console.log(`host commands on ${given ?? `${images} generated images`}, ${runs} runs each (load at start ${load}, at end ${loadavg()[0].toFixed(2)})`);
  console.log('| command | CPU s: median (min-max) | wall s | peak RSS MB | CPU / df CPU |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name] of commands) {
    const s = samples.get(name)!;
    console.log(`| ${name} | ${spread(s.map((x) => x.cpu))} | ${spread(s.map((x) => x.wall))} | ${median(s.map((x) => x.rssMb)).toFixed(0)} | ${(median(s.map((x) => x.cpu)) / dfCpu).toFixed(2)}x |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
