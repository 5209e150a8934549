import type { HostState } from '../src/analyze/host-state.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removalHost, reclaimablePerImage } from '../src/analyze/removal.js';
import { SNAPSHOT_KIND, SNAPSHOT_VERSION, snapshotFromJson } from '../src/sources/snapshot.js';
import { sha256Digest } from '../src/model/digest.js';
import { CONTAINER_STATES } from '../src/model/types.js';
import { systemDf } from '../src/analyze/df.js';
import { chainIds } from '../src/model/identity.js';
import { snapshotDoc, type SnapshotDoc } from './helpers/arbitraries.js';
import { withRepoDigests } from './helpers/repo-digests.js';
import { cli } from './helpers/cli.js';

/** The obviously-correct view: sets of chainIDs held by images and containers, recomputed from scratch. */
interface Model {
  images: Map<string, { refs: Set<string>; parent?: string; chain: string[] }>;
  containers: Map<string, { image: string; running: boolean; chain: string[] }>;
  size: Map<string, number>;
}

function modelOf(doc: SnapshotDoc): Model {
  const size = new Map<string, number>();
  const sizeOfDiff = new Map(doc.layers.map((l) => [l.diffId as string, l.size as number]));
  const images = new Map<string, { refs: Set<string>; parent?: string; chain: string[] }>();
  for (const img of doc.images) {
    const diffs = img.layers as string[];
    const chain = chainIds(diffs);
    chain.forEach((c, k) => size.set(c, sizeOfDiff.get(diffs[k])!));
    const refs = [...((img.repoTags as string[] | undefined) ?? []), ...((img.repoDigests as string[] | undefined) ?? [])];
    images.set(img.id as string, { refs: new Set(refs), parent: img.parent as string | undefined, chain });
  }
  const containers = new Map<string, { image: string; running: boolean; chain: string[] }>();
  for (const c of doc.containers) {
    const running = ['running', 'paused', 'restarting'].includes(c.state as string);
    containers.set(c.id as string, { image: c.image as string, running, chain: images.get(c.image as string)!.chain });
  }
  return { images, containers, size };
}

const held = (m: Model) => new Set([...m.images.values(), ...m.containers.values()].flatMap((x) => x.chain));
const dfSize = (m: Model) => [...new Set([...m.images.values()].flatMap((x) => x.chain))].reduce((s, c) => s + m.size.get(c)!, 0);
const hasChildren = (m: Model, id: string) => [...m.images.values()].some((i) => i.parent === id);
const usedBy = (m: Model, id: string) => [...m.containers.values()].filter((c) => c.image === id);

type Real = { host: HostState };

class Rmi implements fc.Command<Model, Real> {
  constructor(readonly pick: number, readonly byId: boolean, readonly force: boolean, readonly noPrune: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const ids = [...m.images.keys()];
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length];
    const img = m.images.get(id)!;
    const tags = [...img.refs];
    const ref = this.byId || tags.length === 0 ? id.slice(7, 19) : tags[this.pick % tags.length];
    const heldBefore = held(m);
    const res = r.host.rmi(ref, { force: this.force, noPrune: this.noPrune });
    const present = new Set(r.host.imageIds());
    // Update the model from what happened, then check it against Docker's rules.
    for (const rec of res.records) if ('untagged' in rec) for (const i of m.images.values()) i.refs.delete(rec.untagged);
    for (const gone of [...m.images.keys()].filter((k) => !present.has(k))) {
      assert.ok(!usedBy(m, gone).some((c) => c.running), `deleted ${gone} though a running container uses it`);
      const orphans = [...m.images].filter(([k, i]) => i.parent === gone && present.has(k)).map(([k]) => k);
      assert.deepEqual(orphans, [], `deleted ${gone} though child images of it remain`);
      m.images.delete(gone);
    }
    for (const i of m.images.values()) assert.ok(!i.parent || m.images.has(i.parent), `child ${i.chain} left without its parent`);
    const heldAfter = held(m);
    // layers by chainID (every diffID is known here); image IDs are not in m.size
    const deletedLayers = res.records.flatMap((x) => ('deleted' in x && x.deleted !== null && m.size.has(x.deleted) ? [x.deleted] : []));
    assert.deepEqual(new Set(deletedLayers), new Set([...heldBefore].filter((c) => !heldAfter.has(c))), `${ref}: deleted layers are exactly those nobody holds any more`);
    assert.equal(r.host.layersSize(), dfSize(m), `${ref}: df SIZE`);
    if (res.error) assert.equal(res.records.length, 0);
  }
  toString = () => `rmi(${this.pick},${this.byId ? 'id' : 'ref'}${this.force ? ',-f' : ''}${this.noPrune ? ',--no-prune' : ''})`;
}

class RmContainer implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.containers.size > 0;
  run(m: Model, r: Real): void {
    const ids = [...m.containers.keys()];
    const id = ids[this.pick % ids.length];
    assert.equal(r.host.removeContainer(id), true);
    m.containers.delete(id);
    assert.equal(r.host.layersSize(), dfSize(m));
  }
  toString = () => `rm(${this.pick})`;
}

class Prune implements fc.Command<Model, Real> {
  constructor(readonly all: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const heldBefore = held(m);
    const hadChildren = new Set([...m.images.keys()].filter((id) => hasChildren(m, id)));
    const res = r.host.prune(this.all);
    const present = new Set(r.host.imageIds());
    for (const rec of res.records) if ('untagged' in rec) for (const i of m.images.values()) i.refs.delete(rec.untagged);
    for (const gone of [...m.images.keys()].filter((k) => !present.has(k))) {
      assert.equal(usedBy(m, gone).length, 0, 'prune never deletes an image a container uses');
      m.images.delete(gone);
    }
    const freed = [...heldBefore].filter((c) => !held(m).has(c)).reduce((s, c) => s + m.size.get(c)!, 0);
    assert.equal(res.reclaimedBytes, freed, 'Total reclaimed space = layers nobody holds any more');
    for (const [id, i] of m.images) {
      if (usedBy(m, id).length || hasChildren(m, id)) continue;
      // Without -a, an image stays if it has a tag (digest references alone do not keep it), or if
      // it had a child when the prune began (docker picks the candidates once, moby ImagePrune).
      assert.ok(!this.all && ([...i.refs].some((r) => !r.includes('@')) || hadChildren.has(id)), `prune${this.all ? ' -a' : ''} left ${id} (no container, no child${i.refs.size ? '' : ', no tag'})`);
    }
    assert.equal(r.host.layersSize(), dfSize(m));
  }
  toString = () => `prune(${this.all ? '-a' : ''})`;
}

const commands = [
  fc.tuple(fc.nat(), fc.boolean(), fc.boolean(), fc.boolean()).map(([p, id, f, np]) => new Rmi(p, id, f, np)),
  fc.nat().map((p) => new RmContainer(p)),
  fc.boolean().map((a) => new Prune(a)),
];

test('removal planner: random hosts and rmi / rm / prune sequences follow Docker\'s rules step by step', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.commands(commands, { maxCommands: 12 }), (doc, cmds) => {
      const real = { host: removalHost(snapshotFromJson(doc).graph) };
      fc.modelRun(() => ({ model: modelOf(doc), real }), cmds);
    }),
    { numRuns: 300 },
  );
});

test('removal planner on pulled images (tag + digest references): rmi / rm / prune sequences follow Docker\'s rules', () => {
  fc.assert(
    fc.property(withRepoDigests(snapshotDoc()), fc.commands(commands, { maxCommands: 12 }), (doc, cmds) => {
      const real = { host: removalHost(snapshotFromJson(doc).graph) };
      fc.modelRun(() => ({ model: modelOf(doc), real }), cmds);
    }),
    { numRuns: 300 },
  );
});

test('reclaimable per image equals what docker rmi -f --no-prune of just that image frees (0 when refused)', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const graph = snapshotFromJson(doc).graph;
      const per = reclaimablePerImage(graph);
      graph.images.forEach((m, i) => {
        const host = removalHost(graph);
        const r = host.rmi(m.id.slice(7), { force: true, noPrune: true });
        if (r.error) assert.equal(per[i], 0, `${m.id} cannot go (hard conflict), so it frees 0`);
        else assert.equal(per[i], r.freedBytes, m.id);
      });
    }),
    { numRuns: 200 },
  );
});

test('rm and prune CLIs: docker lines, conflicts exit 1, prune output format', async () => {
  const S = 'fixtures/docker-20.10-scenario/host.snapshot.json';
  const r = await cli('rm', S, 'app-b:1');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error response from daemon: conflict: unable to remove repository reference "app-b:1" (must force) - container 468110ef9457 is using its referenced image 6042ca63f005\n');
  const ok = await cli('rm', '--with-containers', S, 'solo:1');
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout.split('\n').slice(1).join('\n'), 'Untagged: solo:1\nDeleted: sha256:fff8111085d5d4d8ef08be37eb67a59389f209924520577e24de54009bc2f9f1\nDeleted: sha256:16ea99ac6a219bd5fada39d1216b2919a6102f8be4af4077d1d8f912394503f9\nDeleted: sha256:243659d70c83c83d4400ff9e11e8801e4a836a6557d62323442a5c45c44ac541\n');
  const p = await cli('prune', S);
  assert.equal(p.stdout, 'Total reclaimed space: 0B\n');
  const pa = await cli('prune', '-a', '--format', 'json', S);
  assert.equal(JSON.parse(pa.stdout).reclaimedBytes, 3000);
  assert.equal((await cli('rm', S)).code, 2);
});

test('trial(): any sequence of rmi / rm / prune inside a trial leaves the host exactly as it was', () => {
  const state = (h: HostState) => JSON.stringify({
    ids: h.imageIds().sort(),
    b: h.imageIds().sort().map((id) => h.bindings(id)),
    df: h.layersSize(),
    disk: h.diskLayersSize(),
  });
  fc.assert(
    fc.property(snapshotDoc(), fc.array(fc.tuple(fc.nat(3), fc.nat(), fc.boolean()), { maxLength: 8 }), (doc, ops) => {
      const host = removalHost(snapshotFromJson(doc).graph);
      const before = state(host);
      const results: string[] = [];
      host.trial(() => {
        for (const [kind, pick, flag] of ops) {
          const ids = host.imageIds();
          if (kind === 0 && ids.length) results.push(JSON.stringify(host.rmi(ids[pick % ids.length].slice(7, 19), { force: flag })));
          if (kind === 1) host.prune(flag);
          if (kind === 2 && doc.containers.length) host.removeContainer(doc.containers[pick % doc.containers.length].id as string);
          if (kind === 3) host.trial(() => host.prune(true)); // nested
        }
      });
      assert.equal(state(host), before);
      // and the same operations afterwards give the same answers as inside the trial
      const again: string[] = [];
      for (const [kind, pick, flag] of ops) {
        const ids = host.imageIds();
        if (kind === 0 && ids.length) again.push(JSON.stringify(host.rmi(ids[pick % ids.length].slice(7, 19), { force: flag })));
        if (kind === 1) host.prune(flag);
        if (kind === 2 && doc.containers.length) host.removeContainer(doc.containers[pick % doc.containers.length].id as string);
        if (kind === 3) host.trial(() => host.prune(true));
      }
      assert.deepEqual(again, results);
    }),
    { numRuns: 300 },
  );
});

test('rm: a missing image is an error without -f; with -f docker reports it and exits 0 (docker/cli runRemove)', async () => {
  const root = 'fixtures/docker-20.10-root/root';
  // The fixture is a Docker 20.10 root: its CLI words not-found itself (docker CLIs before 23.0).
  const plain = await cli('rm', '--docker-cli', '20.10', root, 'nosuch:1');
  assert.equal(plain.code, 1);
  assert.equal(plain.stderr, 'Error: No such image: nosuch:1\n');
  const forced = await cli('rm', '--docker-cli', '20.10', '-f', root, 'nosuch:1', 'chain:1');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stderr, 'Error: No such image: nosuch:1\n');
  // Current CLIs print the daemon's answer.
  assert.equal((await cli('rm', '-f', root, 'nosuch:1')).stderr, 'Error response from daemon: No such image: nosuch:1\n');
  assert.match(forced.stdout, /^Untagged: chain:1\n/);
  // a conflict under -f still fails
  assert.equal((await cli('rm', '-f', root, 'nosuch:1', '11a939a47bc0')).code, 1, 'app-b by ID: hard conflict');
});

test('rm names deleted layers by chainID as docker does; an unknown chainID is said so, never made up', async () => {
  const d = (s: string) => sha256Digest(s);
  // Layer 0 has a diffID; layer 1 only its blob digest (as a registry manifest without config gives).
  const doc = {
    kind: SNAPSHOT_KIND,
    version: SNAPSHOT_VERSION,
    layers: [{ diffId: d('diff-0'), size: 100 }, { digest: d('blob-1'), size: 200 }],
    images: [
      { id: d('image-a'), layers: [d('diff-0')], repoTags: ['known:1'] },
      { id: d('image-b'), layers: [d('diff-0'), d('blob-1')], repoTags: ['partly:1'] },
    ],
    containers: [],
  };
  const host = removalHost(snapshotFromJson(doc).graph);
  const b = host.rmi('partly:1');
  assert.deepEqual(b.records, [
    { untagged: 'partly:1' },
    { deleted: d('image-b'), bytes: 0 },
    { deleted: null, chainIdUnknown: true, layer: d('blob-1'), bytes: 200 },
  ]);
  const a = host.rmi('known:1');
  assert.deepEqual(a.records.slice(1), [{ deleted: d('image-a'), bytes: 0 }, { deleted: chainIds([d('diff-0')])[0], bytes: 100 }]);
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-rm-'));
  try {
    const file = join(dir, 'host.json');
    writeFileSync(file, JSON.stringify(doc));
    const out = await cli('rm', file, 'partly:1');
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `Untagged: partly:1\nDeleted: ${d('image-b')}\nDeleted: (chainID unknown) layer ${d('blob-1')}\n`);
    const json = await cli('rm', '--format', 'json', file, 'partly:1');
    assert.doesNotMatch(json.stdout, /chain-node/);
    assert.deepEqual(JSON.parse(json.stdout).results[0].records[2], { deleted: null, chainIdUnknown: true, layer: d('blob-1'), bytes: 200 });
    const plan = await cli('plan', '--format', 'json', file, '--prune', '-a');
    assert.doesNotMatch(plan.stdout, /chain-node/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prune -a of pulled images: the digest references untagging already dropped are not refusals', async () => {
  const F = 'fixtures/official-images/host.snapshot.json';
  const host = removalHost(snapshotFromJson(JSON.parse(readFileSync(F, 'utf8'))).graph);
  const r = host.prune(true);
  assert.ok(r.reclaimedBytes > 0);
  assert.deepEqual(r.failed, []);
  assert.deepEqual(host.imageIds(), []);
  const out = await cli('prune', '-a', '--format', 'json', F);
  assert.deepEqual(JSON.parse(out.stdout).refused, []);
});

test('references come out in the daemon\'s order (moby reference store: sorted by full name), whatever the source order', () => {
  const d = (s: string) => sha256Digest(s);
  const doc = {
    kind: SNAPSHOT_KIND,
    version: SNAPSHOT_VERSION,
    layers: [{ diffId: d('diff-0'), size: 100 }],
    images: [{ id: d('image-a'), layers: [d('diff-0')], repoTags: ['zed:1', 'ab:2', 'ab:10'], repoDigests: [`ab@${d('m')}`, `127.0.0.1:5000/x@${d('n')}`] }],
    containers: [],
  };
  const r = removalHost(snapshotFromJson(doc).graph).rmi(d('image-a').slice(7, 19), { force: true });
  const untagged = r.records.flatMap((x) => ('untagged' in x ? [x.untagged] : []));
  // docker.io/library/ab:10 < …/ab:2 < …/ab@sha256 < …/zed:1, and 127.0.0.1:5000/… before docker.io/…
  assert.deepEqual(untagged, [`127.0.0.1:5000/x@${d('n')}`, 'ab:10', 'ab:2', `ab@${d('m')}`, 'zed:1']);
});

test('one active-container rule: a container df counts as ACTIVE is exactly one docker rmi treats as running', () => {
  const d = (s: string) => sha256Digest(s);
  for (const state of CONTAINER_STATES) {
    const doc = {
      kind: SNAPSHOT_KIND,
      version: SNAPSHOT_VERSION,
      layers: [{ diffId: d('diff-0'), size: 100 }],
      images: [{ id: d('image-a'), layers: [d('diff-0')], repoTags: ['a:1'] }],
      containers: [{ id: d('c').slice(7), image: d('image-a'), state }],
    };
    const graph = snapshotFromJson(doc).graph;
    const active = systemDf(graph).ContainersUsage.ActiveCount === 1;
    assert.equal(removalHost(graph).bindings(d('image-a'))!.containers[0].running, active, state);
    // and docker rmi -f by ID refuses exactly then (a running container is a hard conflict)
    assert.equal(removalHost(graph).rmi(d('image-a').slice(7, 19), { force: true }).conflict === 'hard', active, state);
  }
});
