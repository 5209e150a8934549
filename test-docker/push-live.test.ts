// Conformance: layerlab's push plan, made from the pushing daemon's data root and the registry's
// API just before each push, against what real `docker push` prints: the repository line, each
// layer's final state (Pushed / Mounted from <repo> / Layer already exists) and, where every blob
// is known beforehand, the manifest digest and size.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { localImageFor, narratePush, planPush, pushHostFromGraph, registryStateOf, type PushPlan } from '../src/analyze/push.js';
import { parseNormalizedNamed } from '../src/model/reference.js';
import { readDockerRoot } from '../src/sources/docker-root.js';
import { parseRegistrySource, readRegistry, RegistryClient } from '../src/sources/registry.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { startRegistry, type RegistrySandbox } from './helpers/registry.js';
import { buildScenario } from './helpers/scenario.js';
import { finalLayerLines } from './helpers/progress.js';
import { cli } from '../test/helpers/cli.js';

let builder: Sandbox;
let puller: Sandbox;
let reg: RegistrySandbox;

/** Plans one push from the daemon's data root and the registry's current contents. */
async function plan(sb: Sandbox, remote: string): Promise<PushPlan> {
  const root = readDockerRoot(join(sb.dir, 'root'));
  const images = (await readRegistry(new RegistryClient(parseRegistrySource(`registry://${reg.address}`)))).registryImages ?? [];
  const image = localImageFor(root.graph, parseNormalizedNamed(`${reg.address}/${remote}`), root.configSizes);
  assert.ok(image, `${remote} is on the daemon`);
  return planPush(pushHostFromGraph(root.graph, images, root.distribution), registryStateOf(images), image);
}

/** The repository line, each layer's last line sorted, the digest line; Preparing/Waiting/progress dropped. */
const summary = (lines: string[]) => finalLayerLines(lines, (state) => !/^(Preparing|Waiting|Pushing)/.test(state), 1);

async function pushAndCompare(sb: Sandbox, local: string, remote: string, expectManifest: boolean): Promise<PushPlan> {
  sb.docker(['tag', local, `${reg.address}/${remote}`]);
  const p = await plan(sb, remote);
  const predicted = narratePush(p);
  const real = sb.docker(['push', `${reg.address}/${remote}`]).stdout.trim().split('\n');
  const [want, got] = [summary(real), summary(predicted)];
  if (!expectManifest) {
    assert.equal(p.manifest, undefined, 'a layer docker gzips now makes the manifest unknowable beforehand');
    want.pop();
    got.pop();
  }
  assert.deepEqual(got, want, `docker push ${remote}:\n${real.join('\n')}`);
  return p;
}

describe('docker push, predicted then executed', () => {
  before(async () => {
    reg = await startRegistry();
    builder = await startDockerd();
    buildScenario(builder);
    puller = await startDockerd();
  });
  after(async () => {
    await puller?.stop();
    await builder?.stop();
    await reg?.stop();
  });

  test('a new repository: every layer Pushed', async () => {
    const p = await pushAndCompare(builder, 'base:1', 'scenario/base:1', false);
    assert.ok(p.layers.every((l) => l.status === 'Pushed'));
    assert.ok(p.uploadUncompressedBytes > 0);
  });
  test('a child into another repository: the base layers are Mounted from it', async () => {
    const p = await pushAndCompare(builder, 'app-b:1', 'scenario/app-b:1', false);
    assert.deepEqual(p.layers.map((l) => l.status), ['Mounted from', 'Mounted from', 'Pushed']);
  });
  test('the same image into a third repository: mounted from the youngest candidate; manifest known', async () => {
    const p = await pushAndCompare(builder, 'base:1', 'other/base:1', true);
    assert.ok(p.layers.every((l) => l.status === 'Mounted from' && l.from === 'scenario/app-b'));
  });
  test('a deeper child: mounts prefer the repository whose path matches most', async () => {
    const p = await pushAndCompare(builder, 'chain:1', 'other/chain:1', false);
    assert.deepEqual(p.layers.map((l) => l.from ?? l.status), ['other/base', 'other/base', 'scenario/app-b', 'Pushed']);
  });
  test('a new tag of a pushed image: every layer already exists; manifest known', async () => {
    const p = await pushAndCompare(builder, 'app-b:1', 'scenario/app-b:2', true);
    assert.ok(p.layers.every((l) => l.status === 'Layer already exists'));
    assert.equal(p.savedBytes > 0, true);
  });
  test('pulled on another daemon, pushed to a new repository: mounted from where it was pulled', async () => {
    puller.docker(['pull', `${reg.address}/scenario/app-b:1`]);
    puller.docker(['tag', `${reg.address}/scenario/app-b:1`, `${reg.address}/mirror/app-b:1`]);
    const p = await pushAndCompare(puller, `${reg.address}/scenario/app-b:1`, 'mirror/app-b:1', true);
    assert.ok(p.layers.every((l) => l.status === 'Mounted from' && l.from === 'scenario/app-b'));
  });
  test('layerlab push (CLI) from the data root and the live registry prints the same plan', async () => {
    builder.docker(['tag', 'chain:1', `${reg.address}/scenario/chain:1`]);
    const p = await plan(builder, 'scenario/chain:1');
    const r = await cli('push', '--format', 'docker', '--from', join(builder.dir, 'root'), '--registry', `registry://${reg.address}`, `${reg.address}/scenario/chain:1`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), narratePush(p));
    const real = builder.docker(['push', `${reg.address}/scenario/chain:1`]).stdout.trim().split('\n');
    const [want, got] = [summary(real), summary(narratePush(p))];
    assert.deepEqual(got.slice(0, -1), want.slice(0, -1));
  });
});
