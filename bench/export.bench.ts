// node --import tsx bench/export.bench.ts [--images 100000,400000] [--runs 3]  (after npm run build)
// `layerlab export --format arrow|parquet` against `layerlab df` of the same JSON snapshot, spawned
// through the bin as a user runs it: df loads the same graph, so export / df is what writing the
// tables costs over loading, and export's peak RSS minus df's is the memory the writer holds beyond
// the graph. Written a batch at a time, that extra memory should not grow with the image count
// (issue 12, goal 3: ten million images through Arrow and Parquet). Runs alternate df, arrow,
// parquet so machine load falls on all alike; medians (min–max), CPU = user + sys.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, def: string): string => {
  const k = process.argv.indexOf(name);
  return k < 0 ? def : process.argv[k + 1];
};
const sizes = arg('--images', '100000,400000').split(',').map(Number);
const runs = Number(arg('--runs', '3'));
const BIN = 'dist/cli/layerlab.cjs';
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs: number[], digits = 2): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/** Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of one CLI run. */
function timed(argv: string[]): { s: number; cpu: number; mb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, BIN, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`layerlab ${argv.join(' ')} failed: ${r.stderr}`);
  const [s, user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { s, cpu: user + sys, mb: kb / 1024 };
}

const dir = mkdtempSync(join(tmpdir(), 'layerlab-export-bench-'));
try {
  const lines = [
    `Load before: ${loadavg()}. Through \`${BIN}\`, ${runs} runs each, median (min–max).`,
    '',
    '| images | command | CPU s | wall s | peak RSS MB | CPU / df | RSS over df MB |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const images of sizes) {
    const file = join(dir, `set-${images}.json`);
    timed(['generate', '--images', String(images), '-o', file]);
    const got: Record<string, { s: number; cpu: number; mb: number }[]> = { df: [], arrow: [], parquet: [] };
    for (let r = 0; r < runs; r++) {
      got.df.push(timed(['df', file]));
      for (const format of ['arrow', 'parquet'] as const) {
        const out = join(dir, `${format}-${images}`);
        got[format].push(timed(['export', '--format', format, file, '-o', out]));
        rmSync(out, { recursive: true, force: true });
      }
    }
    const df = got.df;
    for (const [cmd, xs] of Object.entries(got)) {
      const cpuRatio = cmd === 'df' ? '1' : (median(xs.map((x) => x.cpu)) / median(df.map((x) => x.cpu))).toFixed(2);
      const extra = cmd === 'df' ? '0' : (median(xs.map((x) => x.mb)) - median(df.map((x) => x.mb))).toFixed(0);
      lines.push(`| ${images} | ${cmd === 'df' ? 'df' : `export --format ${cmd}`} | ${spread(xs.map((x) => x.cpu))} | ${spread(xs.map((x) => x.s))} | ${spread(xs.map((x) => x.mb), 0)} | ${cpuRatio} | ${extra} |`);
    }
    rmSync(file, { force: true });
  }
  lines.push('', `Load after: ${loadavg()}.`);
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
