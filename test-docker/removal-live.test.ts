// Conformance: layerlab's what-if of docker rmi / rm / image prune, executed step by step on a
// sandboxed dockerd from the same starting state: same output lines, same refusals with the same
// messages, and after each step the predicted change of df SIZE equals the daemon's.
import type { HostState } from '../src/analyze/host-state.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { removalHost, type RemovalRecord } from '../src/analyze/removal.js';
import { removalPlan, type PlanGoal, type PlanOptions } from '../src/analyze/plan.js';
import { humanSize } from '../src/render/units.js';
import { deletedName, rmiErrorLine, rmiMessageStyle } from '../src/render/removal.js';
import { EngineClient, loadEngine, parseEngineHost } from '../src/sources/engine-api.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { buildScenario } from './helpers/scenario.js';
import { buildRandomScenario, prng } from './helpers/random-scenario.js';

let sb: Sandbox;
let host: HostState;

const lines = (records: RemovalRecord[]) => records.map((r) => ('untagged' in r ? `Untagged: ${r.untagged}` : `Deleted: ${deletedName(r)}`));
const layersSize = async () => (await sb.api<{ LayersSize: number }>('/system/df')).LayersSize;
const shortIdOf = (ref: string) => JSON.parse(sb.docker(['image', 'inspect', ref]).stdout)[0].Id.slice(7, 19) as string;

async function step(args: string[]): Promise<void> {
  const before = await layersSize();
  const force = args.includes('-f');
  const ref = args[args.length - 1];
  const predicted = host.rmi(ref, { force, noPrune: args.includes('--no-prune') });
  const real = sb.docker(['rmi', ...args], { allowFail: true });
  const label = `docker rmi ${args.join(' ')}`;
  if (predicted.error) {
    // docker/cli: with -f, "No such image" is printed but the command succeeds
    if (force && predicted.notFound) assert.equal(real.code, 0, `${label}: -f of a missing image exits 0`);
    else assert.notEqual(real.code, 0, `${label}: layerlab predicted "${predicted.error}", docker succeeded:\n${real.stdout}`);
    // Which container the daemon names is map order when several use the image: compare it aside.
    const anyContainer = (m: string) => m.replace(/container [0-9a-f]{12}/, 'container <id>');
    // Worded as the sandbox's docker version words it (20.10: not-found as "Error: …" with the argument as typed).
    const style = rmiMessageStyle(sb.docker(['version', '--format', '{{.Client.Version}}']).stdout.trim())!;
    assert.equal(anyContainer(real.stderr.trim()), anyContainer(rmiErrorLine(predicted, style)), label);
    const named = /container ([0-9a-f]{12})/.exec(real.stderr)?.[1];
    if (named) {
      const c = JSON.parse(sb.docker(['container', 'inspect', named]).stdout)[0] as { Image: string };
      const img = JSON.parse(sb.docker(['image', 'inspect', c.Image]).stdout)[0] as { Id: string };
      assert.ok(predicted.error.includes(img.Id.slice(7, 19)), `${label}: the named container uses the image`);
    }
  } else {
    assert.equal(real.code, 0, `${label}: docker failed: ${real.stderr}`);
    assert.deepEqual(real.stdout.trim().split('\n').filter(Boolean), lines(predicted.records), label);
  }
  assert.equal(before - (await layersSize()), predicted.dfSizeChange, `${label}: change of df SIZE`);
  assert.equal(await layersSize(), host.layersSize(), `${label}: df SIZE after`);
}

describe('docker rmi / rm / image prune, predicted then executed', () => {
  before(async () => {
    sb = await startDockerd();
    buildScenario(sb);
    host = removalHost((await loadEngine(new EngineClient(parseEngineHost(sb.host)))).graph);
  });
  after(async () => {
    await sb?.stop();
  });

  test('a sequence of removals: untag, conflicts hard and soft, -f, quiet parent pruning', async () => {
    await step(['app-b:1']); // running container uses it: must force
    await step([shortIdOf('app-c:1')]); // by ID, two repositories: must be forced
    await step(['team/app-c:2']); // untag only: another reference remains
    await step(['app-c:1']); // stopped container uses it
    await step(['-f', 'app-c:1']); // forced: deleted, its layers stay for the container
    await step(['base:1']); // only untagged: it has child images (quiet conflict)
    await step(['solo:1']); // a created container uses it
    assert.equal(host.removeContainer('created'), true);
    sb.docker(['rm', 'created']);
    await step(['solo:1']); // now deleted with its layer
    await step(['nope:1']); // no such image
    await step([shortIdOf('app-b:1')]); // by ID: running container, cannot be forced
    await step(['-f', shortIdOf('app-b:1')]); // still cannot be forced
  });

  test('docker image prune, then prune -a: same total reclaimed space', async () => {
    for (const all of [false, true]) {
      const before = await layersSize();
      const predicted = host.prune(all);
      const real = sb.docker(['image', 'prune', '-f', ...(all ? ['-a'] : [])]);
      const total = /Total reclaimed space: (\S+)/.exec(real.stdout)?.[1];
      assert.equal(total, humanSize(predicted.reclaimedBytes), `prune${all ? ' -a' : ''}:\n${real.stdout}`);
      const realDeleted = [...real.stdout.matchAll(/deleted: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]).sort();
      const ours = predicted.records.flatMap((r) => ('deleted' in r ? [deletedName(r)] : [])).sort();
      assert.deepEqual(ours, realDeleted, `prune${all ? ' -a' : ''} deleted`);
      assert.equal(await layersSize(), host.layersSize(), `prune${all ? ' -a' : ''}: df SIZE after`);
      assert.ok(before - (await layersSize()) >= 0);
    }
  });
});

describe('plans executed on the daemon', () => {
  before(async () => {
    sb = await startDockerd();
    buildScenario(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  for (const [name, goal, opts] of [
    ['free 5kB keeping chain:1', { kind: 'free', bytes: 5000 }, { keep: ['chain:1'] }],
    ['prune -a with containers, keeping base:1', { kind: 'prune', all: true }, { keep: ['base:1'], withContainers: true }],
  ] as const) {
    test(`plan (${name}): every command succeeds and df SIZE changes as predicted`, async () => {
      const graph = (await loadEngine(new EngineClient(parseEngineHost(sb.host)))).graph;
      const plan = removalPlan(graph, goal as PlanGoal, opts as unknown as PlanOptions);
      assert.ok(plan.steps.length > 0, 'the plan does something');
      for (const s of plan.steps) {
        const before = await layersSize();
        const args = s.command.split(' ').slice(1);
        const r = sb.docker(args, { allowFail: true });
        assert.equal(r.code, 0, `${s.command}: ${r.stderr}`);
        assert.equal(before - (await layersSize()), s.dfSizeChange, `${s.command}: df SIZE change`);
      }
      for (const k of opts.keep) sb.docker(['image', 'inspect', k]); // still there
    });
  }
});

describe('seeded random scenarios: random rmi / rm / prune, predicted then executed', () => {
  // Each seed on a fresh daemon, so one seed's state never leaks into the next.
  // Seed 37 runs `docker rmi -f --no-prune` of a tag an earlier prune -a removed: docker prints
  // "No such image" and exits 0 (docker/cli ignores not-found under -f).
  for (const seed of [11, 23, 37]) {
    test(`seed ${seed}`, async () => {
      sb = await startDockerd();
      try {
        await randomRun(seed);
      } finally {
        await sb.stop();
      }
    });
  }
});

async function randomRun(seed: number): Promise<void> {
  const { tags, containers } = buildRandomScenario(sb, seed);
  host = removalHost((await loadEngine(new EngineClient(parseEngineHost(sb.host)))).graph);
  const rnd = prng(seed * 7 + 1);
  const ids = tags.map((t) => shortIdOf(t));
  for (let k = 0; k < 10; k++) {
    const r = rnd();
    if (r < 0.6) {
      const target = rnd() < 0.5 ? tags[Math.floor(rnd() * tags.length)] : ids[Math.floor(rnd() * ids.length)];
      const args = [...(rnd() < 0.3 ? ['-f'] : []), ...(rnd() < 0.2 ? ['--no-prune'] : []), target];
      await step(args);
    } else if (r < 0.8 && containers.length) {
      const c = containers.splice(Math.floor(rnd() * containers.length), 1)[0];
      sb.docker(['rm', '-f', c]);
      assert.equal(host.removeContainer(c), true);
      assert.equal(await layersSize(), host.layersSize(), `rm ${c}: df SIZE`);
    } else {
      const all = rnd() < 0.5;
      const predicted = host.prune(all);
      const real = sb.docker(['image', 'prune', '-f', ...(all ? ['-a'] : [])]);
      assert.equal(/Total reclaimed space: (\S+)/.exec(real.stdout)?.[1], humanSize(predicted.reclaimedBytes), `prune${all ? ' -a' : ''}`);
      assert.equal(await layersSize(), host.layersSize(), `prune${all ? ' -a' : ''}: df SIZE`);
    }
  }
}
