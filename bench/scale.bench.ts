// Scale, measured as a user meets it: snapshot load against plain JSON.parse of the same file (in
// process), generate + df through the CLI in a spawned process (time and peak RSS), and start-up
// against `node -e 0`. Several interleaved runs; median and spread; machine load before and after.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadCpuMs } from '../src/sources/snapshot-batch.js';
import { fmt, fmtInt } from './common.js';

const CLI = 'dist/cli/main.js';

/**
 * The loaders from the build (dist/, as the CLI and the library run them), not the TypeScript
 * sources under tsx: the two-thread load starts its reading thread from a module file, which
 * under tsx would first register tsx in that thread and transpile its modules.
 */
async function builtLoaders() {
  const one = (await import(pathToFileURL('dist/sources/snapshot-stream.js').href)) as typeof import('../src/sources/snapshot-stream.js');
  const two = (await import(pathToFileURL('dist/sources/snapshot-pipeline.js').href)) as typeof import('../src/sources/snapshot-pipeline.js');
  return {
    /** The two-thread load (what readSnapshotStream does for a file this size); the reading thread's CPU ms goes to `readerCpu`. */
    twoThreads: (f: string, readerCpu: (ms: number) => void) => two.readSnapshotPipelined(f, one.RECORD_LIMIT, { stats: (s) => readerCpu(s.cpuMs) }),
    oneThread: (f: string) => one.readSnapshotOneThread(f),
  };
}

/** Median, min and max of samples. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], runs: s.length };
}

export const showSpread = (s: Spread, digits = 0) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)}, ${s.runs} runs)`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');


/** Runs a command, returns wall ms, CPU ms (user + sys) and peak RSS in MB (GNU time). */
function timed(cmd: string, args: string[]): { ms: number; cpuMs: number; rssMb: number; stderr: string } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M CPU_S=%U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const kb = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const cpu = /CPU_S=([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, rssMb: kb / 1024, stderr: r.stderr };
}

export interface ScaleReport {
  loadBefore: string;
  loadAfter: string;
  load: { images: number; refs: number; fileMb: number; parse: Spread; stream: Spread; parseCpu: Spread; streamCpu: Spread; streamMainCpu: Spread; streamReaderCpu: Spread; critical: Spread; one: Spread; oneCpu: Spread; refsPerS: number; ratio: number; firstTwo: number; firstOne: number }[];
  e2e: { images: number; refs: number; fileMb: number; generate: Spread; df: Spread; dfCpu: Spread; dfRssMb: number; refsPerS: number; dfOne: Spread; dfOneCpu: Spread }[];
  startup: { node: Spread; help: Spread; ratio: number };
}

export async function runScaleBench(quick: boolean, log: (s: string) => void): Promise<ScaleReport> {
  const loadBefore = load();
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-scale-'));
  const runs = quick ? 3 : 5;
  const { twoThreads, oneThread } = await builtLoaders();
  try {
    const loadRows: ScaleReport['load'] = [];
    for (const images of quick ? [30_000] : [100_000, 300_000]) {
      const f = join(dir, `load-${images}.json`);
      timed(process.execPath, [CLI, 'generate', '--images', String(images), '-o', f]);
      const parse: number[] = [];
      const stream: number[] = [];
      const parseCpu: number[] = [];
      const streamCpu: number[] = [];
      const streamMainCpu: number[] = [];
      const streamReaderCpu: number[] = [];
      const one: number[] = [];
      const oneCpu: number[] = [];
      const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
      let refs = 0;
      for (let r = 0; r < runs; r++) {
        // Interleaved so load from other processes hits both alike. CPU time (this process, GC
        // threads included) moves less with the machine's load than wall time.
        let t = performance.now();
        let u = process.cpuUsage();
        JSON.parse(readFileSync(f, 'utf8'));
        parse.push(performance.now() - t);
        parseCpu.push(cpuMs(process.cpuUsage(u)));
        // The load every command makes (two threads for a file this size), then the same reader on one thread.
        t = performance.now();
        u = process.cpuUsage();
        const main = threadCpuMs();
        refs = (await twoThreads(f, (ms) => streamReaderCpu.push(ms))).graph.referenceCount;
        stream.push(performance.now() - t);
        streamCpu.push(cpuMs(process.cpuUsage(u)));
        streamMainCpu.push(threadCpuMs() - main);
        t = performance.now();
        u = process.cpuUsage();
        if ((await oneThread(f)).graph.referenceCount !== refs) throw new Error('one-thread and two-thread loads differ');
        one.push(performance.now() - t);
        oneCpu.push(cpuMs(process.cpuUsage(u)));
      }
      // The first run of each: the process's first load of this size (the reading thread starts cold then, and is kept for the next).
      const row = { images, refs, fileMb: statSync(f).size / 1e6, parse: spread(parse), stream: spread(stream), parseCpu: spread(parseCpu), streamCpu: spread(streamCpu), streamMainCpu: spread(streamMainCpu), streamReaderCpu: spread(streamReaderCpu), critical: spread(streamMainCpu.map((m, k) => Math.max(m, streamReaderCpu[k]))), one: spread(one), oneCpu: spread(oneCpu), refsPerS: 0, ratio: 0, firstTwo: stream[0], firstOne: one[0] };
      row.refsPerS = refs / row.stream.median / 1000;
      row.ratio = row.stream.median / row.parse.median;
      loadRows.push(row);
      log(`scale: load ${fmtInt(images)} images: two threads ${fmt(row.stream.median)} ms, one thread ${fmt(row.one.median)} ms, JSON.parse ${fmt(row.parse.median)} ms (${fmt(row.ratio, 2)}x), ${fmt(row.refsPerS, 2)} M refs/s (one thread ${fmt(refs / row.one.median / 1000, 2)})`);
      rmSync(f);
    }
    const e2e: ScaleReport['e2e'] = [];
    for (const images of quick ? [50_000] : [1_000_000]) {
      const f = join(dir, `e2e-${images}.json`);
      const gen: number[] = [];
      const df: number[] = [];
      const dfCpu: number[] = [];
      const dfOne: number[] = [];
      const dfOneCpu: number[] = [];
      let rss = 0;
      let refs = 0;
      for (let r = 0; r < (quick ? 2 : 3); r++) {
        const g = timed(process.execPath, [CLI, 'generate', '--images', String(images), '-o', f]);
        gen.push(g.ms);
        refs = Number(/([\d,]+) layer references/.exec(g.stderr)?.[1].replace(/,/g, '') ?? 0);
        const d = timed(process.execPath, [CLI, 'df', f]);
        df.push(d.ms);
        dfCpu.push(d.cpuMs);
        rss = Math.max(rss, d.rssMb);
        const o = timed('/usr/bin/env', ['LAYERLAB_SNAPSHOT_THREADS=1', process.execPath, CLI, 'df', f]);
        dfOne.push(o.ms);
        dfOneCpu.push(o.cpuMs);
      }
      const row = { images, refs, fileMb: statSync(f).size / 1e6, generate: spread(gen), df: spread(df), dfCpu: spread(dfCpu), dfRssMb: rss, refsPerS: 0, dfOne: spread(dfOne), dfOneCpu: spread(dfOneCpu) };
      row.refsPerS = refs / row.df.median / 1000;
      e2e.push(row);
      log(`scale: end to end ${fmtInt(images)} images: generate ${fmt(row.generate.median)} ms, df ${fmt(row.df.median)} ms (one thread ${fmt(row.dfOne.median)} ms), peak RSS ${fmtInt(rss)} MB`);
      rmSync(f);
    }
    const node: number[] = [];
    const help: number[] = [];
    for (let r = 0; r < (quick ? 5 : 15); r++) {
      node.push(timed(process.execPath, ['-e', '0']).ms);
      help.push(timed(process.execPath, [CLI, '--help']).ms);
    }
    const startup = { node: spread(node), help: spread(help), ratio: 0 };
    startup.ratio = startup.help.median / startup.node.median;
    log(`scale: start-up node -e 0 ${fmt(startup.node.median)} ms, layerlab --help ${fmt(startup.help.median)} ms (${fmt(startup.ratio, 2)}x)`);
    return { loadBefore, loadAfter: load(), load: loadRows, e2e, startup };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The JSON part of reports/scale.md. */
export function scaleMarkdown(r: ScaleReport, quick: boolean): string[] {
  const lines: string[] = [];
  lines.push('## JSON snapshots: load, end to end, start-up', '');
  lines.push(`Machine load (1/5/15-minute averages from /proc/loadavg) before: ${r.loadBefore}; after: ${r.loadAfter}. This machine has 2 cores shared with other sessions: a load above 2 means runs waited for a core, so absolute times are inflated; the ratios compare runs interleaved in the same minutes. Figures are medians with (min–max) over the runs.${quick ? ' Quick run (`--quick`): small sizes only.' : ''}`, '');
  lines.push('### Snapshot load in process (streamed reader vs plain `JSON.parse` of the same file)', '');
  lines.push('| images | layer refs | file MB | `JSON.parse(readFileSync)` wall ms | layerlab load wall ms | load / parse (wall) | M refs/s (wall) | parse CPU ms | load CPU ms | load / parse (CPU) | M refs/s (CPU) |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.load) {
    lines.push(`| ${fmtInt(x.images)} | ${fmtInt(x.refs)} | ${fmt(x.fileMb)} | ${showSpread(x.parse)} | ${showSpread(x.stream)} | ${fmt(x.ratio, 2)}x | ${fmt(x.refsPerS, 2)} | ${showSpread(x.parseCpu)} | ${showSpread(x.streamCpu)} | ${fmt(x.streamCpu.median / x.parseCpu.median, 2)}x | ${fmt(x.refs / x.streamCpu.median / 1000, 2)} |`);
  }
  lines.push('', 'layerlab load = read + strict validation + interning + graph build (chainID trie, indexes), on two threads (the file read and scanned on one, the loader on the other: src/sources/snapshot-pipeline.ts); CPU is both threads\' (and the GC\'s). `JSON.parse` only parses (no validation, no graph). Targets: ≥ 2 M refs/s and ≤ 2x `JSON.parse`.', '');
  lines.push('The same reader on one thread (`readSnapshotOneThread`, as standard input is read), in the same runs:', '');
  lines.push('| images | one thread wall ms | M refs/s (wall) | one thread CPU ms | two threads / one thread (wall) | two threads: main thread CPU ms | reading thread CPU ms | busier thread CPU ms | M refs/s per busier-thread CPU-s | first load in the process: two threads / one thread wall ms |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.load) {
    lines.push(`| ${fmtInt(x.images)} | ${showSpread(x.one)} | ${fmt(x.refs / x.one.median / 1000, 2)} | ${showSpread(x.oneCpu)} | ${fmt(x.stream.median / x.one.median, 2)}x | ${showSpread(x.streamMainCpu)} | ${showSpread(x.streamReaderCpu)} | ${showSpread(x.critical)} | ${fmt(x.refs / x.critical.median / 1000, 2)} | ${fmt(x.firstTwo)} / ${fmt(x.firstOne)} |`);
  }
  lines.push('', 'Thread CPU from /proc/thread-self/stat (10 ms ticks). With a free core for each thread, the two-thread load takes about as long as its busier thread\'s CPU time; on a machine whose cores are taken by other work it can be slower than one thread (it does more work in all). The reading thread is kept between loads in a process (src/sources/snapshot-pipeline.ts): the first two-thread load starts it cold (as every CLI run does: the end-to-end table below), the later ones find it warm.', '');
  lines.push('### End to end through the CLI (spawned `node dist/cli/main.js`, as a user runs it)', '');
  lines.push('| images | layer refs | file MB | `generate` ms | `df` wall ms | `df` CPU ms (user + sys) | `df` peak RSS MB | `df` M refs/s (wall) | `df` M refs/s (CPU) | one thread (`LAYERLAB_SNAPSHOT_THREADS=1`): `df` wall ms | one thread: CPU ms |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.e2e) lines.push(`| ${fmtInt(x.images)} | ${fmtInt(x.refs)} | ${fmt(x.fileMb)} | ${showSpread(x.generate)} | ${showSpread(x.df)} | ${showSpread(x.dfCpu)} | ${fmtInt(x.dfRssMb)} | ${fmt(x.refsPerS, 2)} | ${fmt(x.refs / x.dfCpu.median / 1000, 2)} | ${showSpread(x.dfOne)} | ${showSpread(x.dfOneCpu)} |`);
  lines.push('', '### Start-up', '');
  lines.push('| command | ms |', '|---|---:|');
  lines.push(`| \`node -e 0\` | ${showSpread(r.startup.node, 1)} |`, `| \`layerlab --help\` | ${showSpread(r.startup.help, 1)} |`, `| ratio | ${fmt(r.startup.ratio, 2)}x (target ≤ 2x) |`, '');
  return lines;
}
