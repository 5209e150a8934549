// Conformance of the fleet simulation (issue 10 §5): a scenario over images pushed to a loopback
// registry (read as registry://, as a user's scenario names it), two docker nodes and a trace of
// pods (fixtures/simulate/replay-two-nodes.jsonl) runs through the engine unchanged (`layerlab
// simulate`'s loader, its stores recorded by src/simulate/replay.ts); each node's events are then
// done on its own sandboxed dockerd: pulls as `docker pull`, pods as containers created, started,
// stopped and removed, the kubelet's image GC as `docker rmi` of exactly the images the simulation
// removed. After every event the daemon must agree with the simulation on the layers Already exists
// and downloaded, the bytes from the registry, the images present, the layers present and
// `docker system df` SIZE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, loadScenarioImages } from '../src/cli/simulate.js';
import { chainIds } from '../src/model/identity.js';
import { humanSize } from '../src/render/units.js';
import { parseScenario } from '../src/simulate/scenario.js';
import { recordSimulation, type ReplayEvent, type ReplayState } from '../src/simulate/replay.js';
import type { SimResult } from '../src/simulate/types.js';
import type { SimUniverse } from '../src/simulate/store.js';
import { loadSource } from '../src/sources/load.js';
import type { LoadedSource } from '../src/sources/source.js';
import { finalLayerLines } from './helpers/progress.js';
import { startRegistry, type RegistrySandbox } from './helpers/registry.js';
import { buildAndPushReplayImages, RUNNABLE } from './helpers/replay-images.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';

const TRACE = new URL('../fixtures/simulate/replay-two-nodes.jsonl', import.meta.url);
const NODES = ['n1', 'n2'];
/** Node disk beyond the busybox layer: small enough that the kubelet's 85% threshold is crossed. */
const DISK_ABOVE_BUSYBOX = 2_900_000;

let reg: RegistrySandbox;
const nodes: Sandbox[] = [];
let work: string;
let source: LoadedSource;
let u: SimUniverse;
let result: SimResult;
let events: ReplayEvent[];
/** Per universe image: its layers' blob digests bottom-up; per universe chain: its chainID. */
let layerDigests: string[][];
let chainDigest: string[];

/**
 * Writes the scenario next to the trace, over the registry itself (`images: registry://…`: the
 * loader measures each layer's uncompressed size from its blob and takes config sizes from the
 * manifests), loads it as `layerlab simulate` does, runs it recorded.
 */
async function simulateScenario(): Promise<void> {
  writeFileSync(join(work, 'pods.jsonl'), readFileSync(TRACE, 'utf8').replaceAll('REGISTRY', reg.address));
  const images = `registry://${reg.address}`;
  const cache = new Map([[images, loadScenarioImages(images)]]);
  const { known } = await cache.get(images)!;
  const g = source.graph;
  const tools = g.images.findIndex((m) => m.repoTags?.[0] === `${reg.address}/replay/tools:1`);
  const base = g.stackOf(tools)[0];
  const busybox = known.layerSize?.get(base) ?? g.layerSize[base];
  const disk = busybox + DISK_ABOVE_BUSYBOX;
  const doc = { images, nodes: NODES.map((name) => ({ name, disk, runtime: 'docker' })), scheduler: 'round-robin', workload: { trace: 'pods.jsonl' } };
  const file = join(work, 'scenario.json');
  writeFileSync(file, JSON.stringify(doc));
  const loaded = await loadScenario(parseScenario(doc, file), file, { cache });
  assert.deepEqual(loaded.notes, [], 'nothing stands in for an unknown size: layers measured, configs from the manifests');
  const { config } = loaded;
  u = config.universe;
  ({ result, events } = recordSimulation(config));
  layerDigests = [];
  chainDigest = [];
  for (let i = 0; i < u.imageCount; i++) {
    const gi = g.images.findIndex((m) => m.repoTags?.[0] === u.imageRef[i]);
    const stack = [...g.stackOf(gi)];
    layerDigests.push(stack.map((l) => g.layerDigest[l]!));
    const chains = chainIds(stack.map((l) => g.layerDiffId[l]!));
    for (let r = u.imageLayerStart[i], k = 0; r < u.imageLayerStart[i + 1]; r++, k++) chainDigest[u.refChain[r]] = chains[k];
  }
}

const short = (digest: string) => digest.slice(7, 19);
const name = (image: number) => u.imageRef[image].slice(reg.address.length + '/replay/'.length);

function describeEvent(e: ReplayEvent): string {
  const what = e.kind === 'rmi' ? `GC after t=${e.t}s: docker rmi ${name(e.image)} (kubelet believes ${e.believed} B freed, really ${e.freed} B)` : `t=${e.t}s: ${e.kind} ${name(e.image)}`;
  return `${NODES[e.node]} ${what}`;
}

/** What the simulation says the daemon holds after an event. */
function simView(s: ReplayState) {
  return {
    images: s.images.map((i) => u.imageRef[i]).sort(),
    layers: s.chains.map((c) => chainDigest[c]).sort(),
    dfLayersSize: s.dfSize,
    dfSIZE: humanSize(s.dfSize),
  };
}

async function dockerView(sb: Sandbox) {
  const images = sb.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.split('\n').filter(Boolean).sort();
  const layers = readdirSync(join(sb.dir, 'root/image/vfs/layerdb/sha256')).map((h) => `sha256:${h}`).sort();
  const dfLayersSize = (await sb.api<{ LayersSize: number }>('/system/df')).LayersSize;
  const row = sb.docker(['system', 'df', '--format', '{{.Type}}\t{{.Size}}']).stdout.split('\n').find((l) => l.startsWith('Images\t'));
  return { images, layers, dfLayersSize, dfSIZE: row?.split('\t')[1] };
}

/** The pull as each side reports it: each layer's final state (by blob digest, 12 hex) and the bytes of the blobs downloaded. */
function pullViews(e: Extract<ReplayEvent, { kind: 'pull' }>, dockerOut: string) {
  const blobSize = new Map<string, number>();
  for (const img of source.registryImages ?? []) for (const l of img.layers) if (l.size !== undefined) blobSize.set(short(l.digest), l.size);
  const sim = layerDigests[e.image].map((d, k) => `${short(d)}: ${e.alreadyExists[k] ? 'Already exists' : 'Pull complete'}`).sort();
  const real = finalLayerLines(dockerOut.trim().split('\n'), (s) => s === 'Already exists' || s === 'Pull complete').filter((l) => /^[0-9a-f]{12}: /.test(l));
  const simBytes = e.effect.blobs.reduce((s, b) => s + u.blobSize[b], 0);
  const realBytes = real.filter((l) => l.endsWith('Pull complete')).reduce((s, l) => s + blobSize.get(l.slice(0, 12))!, 0);
  return { sim: { layers: sim, blobBytes: simBytes }, real: { layers: real, blobBytes: realBytes } };
}

function agree(e: ReplayEvent, what: string, sim: unknown, real: unknown): void {
  assert.deepEqual(real, sim, `${describeEvent(e)}: ${what} differ\n  layerlab: ${JSON.stringify(sim)}\n  docker:   ${JSON.stringify(real)}`);
}

/** Does one event on the node's daemon and holds the daemon to the simulation. */
async function replay(sb: Sandbox, e: ReplayEvent, containers: Map<number, string[]>, seq: { n: number }): Promise<void> {
  const ref = u.imageRef[e.image];
  const runnable = RUNNABLE.has(name(e.image));
  if (e.kind === 'pull') {
    const out = sb.docker(['pull', ref]).stdout;
    const v = pullViews(e, out);
    agree(e, 'pull (layers Already exists / downloaded, registry blob bytes)', v.sim, v.real);
  } else if (e.kind === 'start') {
    const c = `${NODES[e.node]}-c${seq.n++}`;
    sb.docker(['create', '--network', 'none', '--name', c, ref]);
    if (runnable) sb.docker(['start', c]);
    containers.set(e.image, [...(containers.get(e.image) ?? []), c]);
  } else if (e.kind === 'stop') {
    const c = containers.get(e.image)?.shift();
    assert.ok(c, `${describeEvent(e)}: the simulation stops a container the driver never started`);
    if (runnable) sb.docker(['stop', '-t', '0', c]);
    sb.docker(['rm', c]);
  } else if (e.kind === 'rmi') {
    // The kubelet (through cri-dockerd) counts the image's size as Docker reports it.
    const size = Number(sb.docker(['image', 'inspect', '--format', '{{.Size}}', ref]).stdout.trim());
    agree(e, 'the image size the kubelet counts as freed', e.believed, size);
    const r = sb.docker(['rmi', ref], { allowFail: true });
    assert.equal(r.code, 0, `${describeEvent(e)}: docker rmi failed: ${r.stderr}`);
  }
  agree(e, 'images, layers and df SIZE after the event', simView(e.after), await dockerView(sb));
  assert.equal(e.after.diskUsed - e.after.configBytes, e.after.dfSize, `${describeEvent(e)}: the store's disk accounting (less configs) is Docker's df rule`);
}

describe('layerlab simulate replayed on two docker nodes', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'layerlab-simlive-'));
    reg = await startRegistry();
    const builder = await startDockerd();
    try {
      buildAndPushReplayImages(builder, reg.address);
    } finally {
      await builder.stop();
    }
    source = await loadSource(`registry://${reg.address}`);
    await simulateScenario();
    for (const _ of NODES) nodes.push(await startDockerd());
  });
  after(async () => {
    for (const sb of nodes) await sb.stop();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the trace exercises what it is meant to: shared bases, GC that frees less than the kubelet believes, pulls again after GC', () => {
    assert.equal(result.totals.failedPods, 0, 'every pod ran (a pull that does not fit is not something docker can replay)');
    assert.equal(result.totals.pods, 14);
    const pulls = events.filter((e) => e.kind === 'pull');
    const removals = events.filter((e) => e.kind === 'rmi');
    for (let n = 0; n < NODES.length; n++) assert.ok(removals.some((e) => e.node === n), `${NODES[n]}: the kubelet's GC removes images`);
    assert.ok(removals.some((e) => e.freed < e.believed / 10), 'a removal frees far less than the image size the kubelet counts');
    assert.ok(pulls.some((e) => e.alreadyExists.every(Boolean)), 'a pull whose layers all exist (only the config is fetched)');
    assert.ok(pulls.some((e) => e.alreadyExists.some(Boolean) && !e.alreadyExists.every(Boolean)), 'a pull sharing a base');
    assert.ok(
      removals.some((r) => pulls.some((p) => p.node === r.node && p.image === r.image && events.indexOf(p) > events.indexOf(r))),
      'an image the GC removed is pulled again',
    );
    assert.ok(events.length >= 30, `about 30 events or more (${events.length})`);
  });

  for (const [n, node] of NODES.entries()) {
    test(`${node}: every event done on its daemon leaves it as the simulation says`, async () => {
      const sb = nodes[n];
      assert.deepEqual(sb.docker(['images', '-aq']).stdout, '', 'the node starts empty');
      const containers = new Map<number, string[]>();
      const seq = { n: 0 };
      for (const e of events) if (e.node === n) await replay(sb, e, containers, seq);
      assert.deepEqual([...containers.values()].flat(), [], 'every pod ended');
    });
  }
});
