// `layerlab df -v docker://` against `docker system df -v` on the same daemon, as a user runs
// both: a sandboxed dockerd (test-docker/helpers/sandbox.ts) with the conformance scenario plus
// small images up to about 24, then interleaved runs of each command; median and spread, machine
// load before and after. Writes reports/docker-df.md. Needs root and dockerd (as test:docker).
// Run: node --import tsx bench/docker-df.bench.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, startDockerd } from '../test-docker/helpers/sandbox.js';
import { buildScenario } from '../test-docker/helpers/scenario.js';
import { fmt } from './common.js';
import { showSpread, spread } from './scale.bench.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** CPU time (user + sys, ms) of a command, from bash's `times` (ms resolution); wall time is noisy when other work shares the cores. */
function cpuOf(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1 || exit 99; times', '_', cmd, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (secs.length !== 2) throw new Error(`unexpected output of times: ${JSON.stringify(r.stdout)}`);
  return (secs[0] + secs[1]) * 1000;
}

/** dockerd's CPU so far (user + sys of itself and the children it waited for, such as the `runc --version` /version runs), ms (10 ms ticks). */
function daemonCpu(pidFile: string): number {
  const f = readFileSync(`/proc/${readFileSync(pidFile, 'utf8').trim()}/stat`, 'utf8').split(') ')[1].split(' ');
  return [11, 12, 13, 14].reduce((sum, k) => sum + Number(f[k]), 0) * 10;
}

const sb = await startDockerd();
try {
  buildScenario(sb);
  const ctx = mkdtempSync(join(tmpdir(), 'layerlab-dfbench-'));
  try {
    for (let k = 0; Number(sb.docker(['images', '-aq']).stdout.split('\n').filter(Boolean).length) < 24; k++) {
      writeFileSync(join(ctx, 'f'), `file ${k}\n`.repeat(100 + k));
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY f /f\n');
      sb.docker(['build', '-q', '-t', `bench/extra:${k}`, ctx]);
    }
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  const images = sb.docker(['images', '-aq']).stdout.split('\n').filter(Boolean).length;
  const containers = sb.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean).length;
  const env = { ...process.env, DOCKER_HOST: sb.host, DOCKER_CONFIG: join(sb.dir, 'client-config') };
  // The bin npm installs (package.json "bin"), run by this node; the daemon from DOCKER_HOST, as docker finds it.
  const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin.layerlab;
  const cli = [bin, 'df', '-v', 'docker://'];
  const viaMain = ['dist/cli/main.js', ...cli.slice(1)]; // the ES module entry that requires the bin
  const before = load();
  // One warm-up each (page cache, daemon caches), then interleaved so load hits both alike.
  timed(DOCKER, ['system', 'df', '-v'], env);
  timed(process.execPath, cli, env);
  timed(process.execPath, viaMain, env);
  timed(process.execPath, [cli[0], '--help'], env);
  const help = [...cli.slice(0, 1), '--help'];
  const names = ['docker', 'layerlab', 'main', 'node', 'help'] as const;
  const commands: Record<(typeof names)[number], [string, string[]]> = {
    docker: [DOCKER, ['system', 'df', '-v']],
    layerlab: [process.execPath, cli],
    main: [process.execPath, viaMain],
    node: [process.execPath, ['-e', '0']],
    help: [process.execPath, help],
  };
  const wall = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const cpu = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  // The daemon's CPU for each command, summed over the CPU runs (ticks of 10 ms: the mean per run is the figure).
  const daemon = Object.fromEntries(names.map((n) => [n, 0])) as Record<(typeof names)[number], number>;
  const pidFile = join(sb.dir, 'dockerd.pid');
  for (let r = 0; r < runs; r++) {
    for (const n of names) wall[n].push(timed(...commands[n], env));
    for (const n of names) {
      const d0 = daemonCpu(pidFile);
      cpu[n].push(cpuOf(...commands[n], env));
      daemon[n] += daemonCpu(pidFile) - d0;
    }
  }
  const w = Object.fromEntries(names.map((n) => [n, spread(wall[n])])) as Record<(typeof names)[number], ReturnType<typeof spread>>;
  const c = Object.fromEntries(names.map((n) => [n, spread(cpu[n])])) as Record<(typeof names)[number], ReturnType<typeof spread>>;
  const row = (label: string, n: (typeof names)[number]) => `| ${label} | ${showSpread(w[n], 1)} | ${showSpread(c[n], 1)} | ${fmt(daemon[n] / runs, 1)} |`;
  const lines = [
    '# `layerlab df -v docker://` against `docker system df -v`',
    '',
    `Run ${new Date().toISOString()} with \`node --import tsx bench/docker-df.bench.ts\` (Node ${process.version}) on a sandboxed dockerd (vfs) holding ${images} images and ${containers} containers. Machine load (1/5/15 min) before: ${before}; after: ${load()} (2 cores shared with other sessions: absolute times are inflated under load; the runs are interleaved so the ratio compares like with like). Median (min–max, runs) of wall ms, each command spawned as a user runs it, and of CPU ms (user + sys of the process, from bash's \`times\`, in separate interleaved runs; the daemon's own CPU is not in it), and the daemon's CPU during those runs (dockerd and the children it ran, mean per run; 10 ms ticks).`,
    '',
    '| command | wall ms | CPU ms | daemon CPU ms |',
    '|---|---:|---:|---:|',
    row('`docker system df -v`', 'docker'),
    row(`\`layerlab df -v docker://\` (\`node ${bin}\`, the bin)`, 'layerlab'),
    row('the same through `node dist/cli/main.js`', 'main'),
    row('`node -e 0` (for scale)', 'node'),
    row('`layerlab --help`', 'help'),
    `| layerlab df -v / docker (medians) | ${fmt(w.layerlab.median / w.docker.median, 2)}x (target ≤ 3x) | ${fmt(c.layerlab.median / c.docker.median, 2)}x | |`,
    `| layerlab df -v / \`node -e 0\` (medians) | ${fmt(w.layerlab.median / w.node.median, 2)}x | ${fmt(c.layerlab.median / c.node.median, 2)}x | |`,
    `| through main.js / docker (medians) | ${fmt(w.main.median / w.docker.median, 2)}x | ${fmt(c.main.median / c.docker.median, 2)}x | |`,
    `| layerlab --help / \`node -e 0\` (medians) | ${fmt(w.help.median / w.node.median, 2)}x (target ≤ 2x) | ${fmt(c.help.median / c.node.median, 2)}x | |`,
    '',
  ];
  // The measured block is replaced between its markers; what the report says around it stays.
  const REPORT = 'reports/docker-df.md';
  const [open, close] = ['<!-- bench/docker-df.bench.ts: begin -->', '<!-- bench/docker-df.bench.ts: end -->'];
  const old = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '';
  const block = `${open}\n${lines.join('\n')}\n${close}`;
  const at = old.indexOf(open);
  const end = old.indexOf(close);
  writeFileSync(REPORT, at >= 0 && end > at ? old.slice(0, at) + block + old.slice(end + close.length) : `${block}\n`);
  process.stdout.write(lines.join('\n'));
} finally {
  await sb.stop();
}
