// `layerlab df -v docker://` against `docker system df -v` on the same daemon, as a user runs
// both: a sandboxed dockerd (test-docker/helpers/sandbox.ts) with the conformance scenario plus
// small images up to about 24, then interleaved runs of each command; median and spread, machine
// load before and after. Writes reports/docker-df.md. Needs root and dockerd (as test:docker).
// Run: node --import tsx bench/docker-df.bench.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const cli = ['dist/cli/main.js', 'df', '-v', 'docker://']; // the daemon from DOCKER_HOST, as docker finds it
  const before = load();
  // One warm-up each (page cache, daemon caches), then interleaved so load hits both alike.
  timed(DOCKER, ['system', 'df', '-v'], env);
  timed(process.execPath, cli, env);
  const docker: number[] = [];
  const layerlab: number[] = [];
  const node: number[] = [];
  for (let r = 0; r < runs; r++) {
    docker.push(timed(DOCKER, ['system', 'df', '-v'], env));
    layerlab.push(timed(process.execPath, cli, env));
    node.push(timed(process.execPath, ['-e', '0'], env));
  }
  const d = spread(docker);
  const l = spread(layerlab);
  const n = spread(node);
  const lines = [
    '# `layerlab df -v docker://` against `docker system df -v`',
    '',
    `Run ${new Date().toISOString()} with \`node --import tsx bench/docker-df.bench.ts\` (Node ${process.version}) on a sandboxed dockerd (vfs) holding ${images} images and ${containers} containers. Machine load (1/5/15 min) before: ${before}; after: ${load()} (2 cores shared with other sessions: absolute times are inflated under load; the runs are interleaved so the ratio compares like with like). Median (min–max, runs), wall ms, each command spawned as a user runs it.`,
    '',
    '| command | ms |',
    '|---|---:|',
    `| \`docker system df -v\` | ${showSpread(d, 1)} |`,
    `| \`layerlab df -v docker://\` (\`node dist/cli/main.js\`) | ${showSpread(l, 1)} |`,
    `| \`node -e 0\` (for scale) | ${showSpread(n, 1)} |`,
    `| layerlab / docker (medians) | ${fmt(l.median / d.median, 2)}x (target ≤ 3x) |`,
    `| layerlab / \`node -e 0\` (medians) | ${fmt(l.median / n.median, 2)}x |`,
    '',
  ];
  writeFileSync('reports/docker-df.md', lines.join('\n'));
  process.stdout.write(lines.join('\n'));
} finally {
  await sb.stop();
}
