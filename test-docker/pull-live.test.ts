// Conformance: layerlab's pull plan against real `docker pull` on a second daemon that pulled
// some images and loaded others (docker load records no blob metadata, so those layers download
// again), from a loopback registry the scenario was pushed to.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { narratePull, planPull, pullHostFromGraph, remoteImageFor, type RemoteImage } from '../src/analyze/pull.js';
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
let sharer: Sandbox;
let reg: RegistrySandbox;

async function remote(name: string): Promise<RemoteImage> {
  const r = await readRegistry(new RegistryClient(parseRegistrySource(`registry://${reg.address}/scenario/${name}`)));
  const image = remoteImageFor(r.registryImages ?? [], parseNormalizedNamed(`${reg.address}/scenario/${name}`));
  assert.ok(image, `${name} read from the registry`);
  return image;
}

/** Final state per layer, Digest, Status and the last line of real docker pull output. */
const summary = (lines: string[]) => finalLayerLines(lines, (state) => state === 'Already exists' || state === 'Pull complete');

/**
 * Statuses moby sends through a transfer's progress broadcast, which keeps only the latest
 * message for a watcher that is behind (distribution/xfer transfer.go): a real run may skip them.
 */
const COALESCED = new Set(['Waiting', 'Verifying Checksum', 'Download complete']);

/**
 * Checks every line of non-TTY docker pull output against the narration: the same other lines in
 * order, the same layers, and per layer (layers interleave as downloads finish) the predicted
 * sequence, less only those coalescible statuses the real run skipped.
 */
function assertSameLines(predicted: string[], real: string[], label: string): void {
  const p = perLayer(predicted);
  const r = perLayer(real);
  assert.deepEqual(r.other, p.other, label);
  assert.deepEqual(Object.keys(r.layers).sort(), Object.keys(p.layers).sort(), label);
  for (const [id, want] of Object.entries(p.layers)) {
    const got = r.layers[id];
    assert.deepEqual(got, want.filter((s) => !COALESCED.has(s) || got.includes(s)), `${label}: layer ${id}`);
  }
}

/**
 * Every line of non-TTY docker pull output: each layer's own sequence of statuses (layers
 * interleave as concurrent downloads finish) and the other lines in order.
 */
function perLayer(lines: string[]): { layers: Record<string, string[]>; other: string[] } {
  const layers: Record<string, string[]> = {};
  const other: string[] = [];
  for (const l of lines) {
    const m = /^([0-9a-f]{12}): (.+)$/.exec(l);
    if (m) (layers[m[1]] ??= []).push(m[2]);
    else other.push(l);
  }
  return { layers, other };
}

describe('docker pull, predicted then executed', () => {
  before(async () => {
    reg = await startRegistry();
    builder = await startDockerd();
    buildScenario(builder);
    for (const t of ['base:1', 'app-b:1', 'app-c:1']) {
      builder.docker(['tag', t, `${reg.address}/scenario/${t}`]);
      builder.docker(['push', `${reg.address}/scenario/${t}`]);
    }
    puller = await startDockerd();
    puller.docker(['pull', `${reg.address}/scenario/base:1`]);
    // chain:1 holds app-b's layers; docker load records no blob metadata for them.
    const archive = join(builder.dir, 'chain.tar');
    builder.docker(['save', '-o', archive, 'chain:1']);
    puller.docker(['load', '-i', archive]);
    // a host that pulled app-b only: app-c shares its base layers
    sharer = await startDockerd();
    sharer.docker(['pull', `${reg.address}/scenario/app-b:1`]);
  });
  after(async () => {
    await sharer?.stop();
    await puller?.stop();
    await builder?.stop();
    await reg?.stop();
  });

  // app-b: its base layers came by pull (Already exists), its own layer by load (downloaded
  // again); app-c: base by pull; base: the image is present (no layer read, up to date).
  for (const name of ['app-b:1', 'app-c:1', 'base:1']) {
    test(`pull ${name}: same layers Already exists / downloaded, Digest and Status as docker pull`, async () => {
      const root = readDockerRoot(join(puller.dir, 'root'));
      const host = pullHostFromGraph(root.graph, root.distribution.diffIdByDigest);
      const hadBefore = new Set(host.diffIdsPresent());
      const plan = planPull(host, await remote(name));
      const predicted = narratePull(plan, true);
      const real = puller.docker(['pull', `${reg.address}/scenario/${name}`]).stdout.trim().split('\n');
      assert.deepEqual(summary(real), summary(predicted), `docker pull ${name}:\n${real.join('\n')}`);
      assertSameLines(predicted, real, `every line of docker pull ${name}:\n${real.join('\n')}`);
      if (name === 'app-b:1') {
        const again = plan.layers.filter((l) => l.status === 'download' && l.diffId && hadBefore.has(l.diffId));
        assert.ok(again.length > 0, 'a layer the host has (loaded) downloads again');
        assert.ok(plan.idealDownloadBytes < plan.downloadBytes, 'the ideal content-addressed store would not download it');
      }
    });
  }

  test('layerlab pull --from registry:// --into docker://: the base layers an earlier pull of another image brought Already exist, as docker pull says', async () => {
    const ref = `${reg.address}/scenario/app-c:1`;
    const r = await cli('pull', '--format', 'docker', '--from', `registry://${reg.address}`, '--into', `docker://${sharer.host}`, ref);
    assert.equal(r.code, 0, r.stderr);
    const predicted = r.stdout.trim().split('\n');
    const real = sharer.docker(['pull', ref]).stdout.trim().split('\n');
    assert.deepEqual(summary(predicted), summary(real), `docker pull ${ref}:\n${real.join('\n')}`);
    assertSameLines(predicted, real, `every line of docker pull ${ref}:\n${real.join('\n')}`);
    assert.equal(real.filter((l) => l.endsWith(': Already exists')).length, 2, 'the two base layers');
  });
});
