// Conformance: `layerlab plan docker://…` on a daemon whose images were pulled from the loopback
// registry, so each carries a tag and a digest reference of the same repository (what every
// pulled or pushed image has). Each plan is executed command by command with the docker CLI:
// every step must succeed, df SIZE must change as each step predicts, and the goal must be met.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../src/analyze/plan.js';
import { removalHost } from '../src/analyze/removal.js';
import { renderRmiDocker, rmiMessageStyle } from '../src/render/removal.js';
import { EngineClient, loadEngine, parseEngineHost } from '../src/sources/engine-api.js';
import { humanSize } from '../src/render/units.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { startRegistry, type RegistrySandbox } from './helpers/registry.js';
import { buildIn, bytes, withBusyboxContext } from './helpers/build-context.js';
import { cli } from '../test/helpers/cli.js';

let sb: Sandbox;
let reg: RegistrySandbox;
const NAMES = ['base:1', 'app-b:1', 'app-c:1', 'solo:1'];
const remote = (name: string) => `${reg.address}/pulled/${name}`;

const layersSize = async () => (await sb.api<{ LayersSize: number }>('/system/df')).LayersSize;
const imageIds = () => sb.docker(['images', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean).sort();
const repoDigests = (ref: string) => JSON.parse(sb.docker(['image', 'inspect', ref]).stdout)[0].RepoDigests as string[];

/** Builds four images (three share a base), pushes them, and removes every local trace of them. */
function buildAndPush(): void {
  withBusyboxContext((ctx) => {
    const build = (tag: string, dockerfile: string, files: [string, number, number][]) => {
      for (const [name, seed, n] of files) writeFileSync(join(ctx, name), bytes(seed, n));
      buildIn(sb, ctx, [tag], dockerfile);
    };
    build('base:1', 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY a.bin /a\n', [['a.bin', 1, 40_000]]);
    build('app-b:1', 'FROM base:1\nCOPY b.bin /b\nCMD ["/bin/busybox", "sleep", "3600"]\n', [['b.bin', 2, 80_000]]);
    build('app-c:1', 'FROM base:1\nCOPY c.bin /c\n', [['c.bin', 3, 30_000]]);
    build('solo:1', 'FROM scratch\nCOPY d.bin /d\nCMD ["/d"]\n', [['d.bin', 4, 10_000]]);
  });
  for (const n of NAMES) {
    sb.docker(['tag', n, remote(n)]);
    sb.docker(['push', remote(n)]);
  }
  sb.docker(['image', 'prune', '-a', '-f']); // nothing uses them: every local image goes
  assert.deepEqual(imageIds(), [], 'the local images are gone before they are pulled back');
}

/**
 * The host every plan starts from: the four images pulled back (tag + digest reference each),
 * app-c also tagged in a second repository, and a stopped container using app-b.
 */
function pullBack(): void {
  sb.docker(['rm', '-f', ...sb.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean), 'none-such'], { allowFail: true });
  sb.docker(['image', 'prune', '-a', '-f']);
  for (const n of NAMES) sb.docker(['pull', '-q', remote(n)]);
  sb.docker(['tag', remote('app-c:1'), 'mine/app-c:latest']);
  sb.docker(['create', '--name', 'user', remote('app-b:1')]);
  for (const n of NAMES) assert.equal(repoDigests(remote(n)).filter((d) => d.startsWith(`${reg.address}/pulled/`)).length, 1, `${n} carries a digest reference`);
}

async function planFor(...args: string[]): Promise<Plan> {
  const r = await cli('plan', '--format', 'json', `docker://${sb.host}`, ...args);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return JSON.parse(r.stdout) as Plan;
}

/** Runs each command of the plan on the daemon; each must succeed and change df SIZE as predicted. */
async function execute(plan: Plan): Promise<number> {
  const start = await layersSize();
  for (const s of plan.steps) {
    const before = await layersSize();
    const r = sb.docker(s.command.split(' ').slice(1), { allowFail: true });
    assert.equal(r.code, 0, `${s.command}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${s.command}: nothing on stderr`);
    assert.equal(before - (await layersSize()), s.dfSizeChange, `${s.command}: df SIZE change`);
  }
  return start - (await layersSize());
}

describe('plans on pulled images (tag + digest), executed on the daemon', () => {
  before(async () => {
    reg = await startRegistry();
    sb = await startDockerd();
    buildAndPush();
  });
  after(async () => {
    await sb?.stop();
    await reg?.stop();
  });

  test('docker rmi of pulled images: the same lines as the model, digest references included', async () => {
    pullBack();
    const host = removalHost((await loadEngine(new EngineClient(parseEngineHost(sb.host)))).graph);
    const id = (n: string) => (JSON.parse(sb.docker(['image', 'inspect', remote(n)]).stdout)[0].Id as string).slice(7, 19);
    const baseDigest = repoDigests(remote('base:1')).find((d) => d.startsWith(`${reg.address}/pulled/base@`))!;
    for (const args of [
      ['mine/app-c:latest'], // another repository's tag remains: untag only
      [remote('app-c:1')], // the last tag: its repository's digest reference goes too, then the image
      [baseDigest], // a digest reference alone: the tag remains
      [remote('base:1')], // the tag: now the last reference
      [baseDigest], // gone with it
      ['-f', id('solo:1')], // by ID: tag and digest untagged, then deleted
    ]) {
      const predicted = host.rmi(args[args.length - 1], { force: args[0] === '-f' });
      const real = sb.docker(['rmi', ...args], { allowFail: true });
      const want = renderRmiDocker([predicted], rmiMessageStyle(sb.docker(['version', '--format', '{{.Client.Version}}']).stdout.trim()));
      assert.equal(real.stdout, want.stdout, `docker rmi ${args.join(' ')}`);
      assert.equal(real.stderr, want.stderr, `docker rmi ${args.join(' ')}`);
      assert.equal(real.code === 0, !predicted.error, `docker rmi ${args.join(' ')}`);
    }
  });

  test('--remove: the named images go, and only they', async () => {
    pullBack();
    const others = imageIds();
    const gone = ['app-b:1', 'base:1', 'app-c:1'].map((n) => JSON.parse(sb.docker(['image', 'inspect', remote(n)]).stdout)[0].Id as string);
    const plan = await planFor('--with-containers', '--remove', remote('app-b:1'), remote('base:1'), remote('app-c:1'));
    assert.deepEqual(plan.blocked, []);
    assert.equal(plan.reachedGoal, true);
    const freed = await execute(plan);
    assert.equal(freed, plan.freedBytes, 'df SIZE drops by what the plan frees');
    assert.deepEqual(imageIds(), others.filter((id) => !gone.includes(id)));
  });

  test('--free: the goal is met as docker system df reports it', async () => {
    pullBack();
    const want = 100_000; // more than any one image alone frees (app-b, with its container, frees 80kB): it takes two
    const plan = await planFor('--with-containers', '--free', String(want));
    assert.equal(plan.reachedGoal, true, JSON.stringify(plan.blocked));
    assert.ok(plan.steps.length >= 2, 'two images at least');
    const freed = await execute(plan);
    assert.equal(freed, plan.freedBytes);
    assert.ok(freed >= want, `docker system df: ${freed} bytes freed, goal ${want}`);
  });

  test('--prune -a: the same images and bytes as docker image prune -a', async () => {
    pullBack();
    const before = await layersSize();
    const real = sb.docker(['image', 'prune', '-a', '-f']).stdout;
    const reclaimed = /Total reclaimed space: (\S+)/.exec(real)?.[1];
    const left = imageIds();
    const dfDrop = before - (await layersSize());
    assert.ok(dfDrop > 0, 'docker image prune -a reclaims something here');
    pullBack();
    const plan = await planFor('--prune', '-a');
    assert.deepEqual(plan.blocked, []);
    assert.equal(plan.reachedGoal, true);
    assert.equal(humanSize(plan.freedBytes), reclaimed, 'Total reclaimed space');
    assert.equal(await execute(plan), dfDrop);
    assert.deepEqual(imageIds(), left, 'the images docker image prune -a leaves');
    assert.match(sb.docker(['image', 'prune', '-a', '-f']).stdout, /Total reclaimed space: 0B/, 'nothing left for prune -a');
  });
});
