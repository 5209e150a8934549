import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HostNodeStore } from '../src/analyze/node-store.js';
import { ReferenceStore } from '../src/simulate/reference-store.js';
import type { NodeImageStore, Runtime } from '../src/simulate/store.js';
import type { Universe } from '../src/model/universe.js';
import { UniverseBuilder } from '../src/simulate/universe.js';
import { tinyUniverse } from './helpers/sim-universe.js';

type Model = { ref: NodeImageStore; real: HostNodeStore; t: number };
type Cmd = fc.Command<Model, Model>;

const same = (m: Model) => {
  assert.equal(m.real.diskUsed(), m.ref.diskUsed());
  assert.deepEqual(m.real.images(), m.ref.images());
};

class Pull implements Cmd {
  constructor(readonly image: number) {}
  check = () => true;
  run(_: Model, m: Model): void {
    assert.deepEqual(m.real.plan(this.image), m.ref.plan(this.image));
    assert.deepEqual(m.real.pull(this.image, ++m.t), m.ref.pull(this.image, m.t));
    same(m);
  }
  toString = () => `pull(${this.image})`;
}
class Rmi implements Cmd {
  constructor(readonly image: number) {}
  check = () => true;
  run(_: Model, m: Model): void {
    assert.equal(m.real.freeable(this.image), m.ref.freeable(this.image), 'bytes an rmi would free');
    if (m.ref.inUse(this.image)) {
      assert.throws(() => m.real.rmi(this.image));
      return;
    }
    const freeable = m.real.freeable(this.image);
    const freed = m.real.rmi(this.image);
    assert.equal(freed, m.ref.rmi(this.image));
    assert.equal(freed, freeable, 'freeable is what rmi then frees');
    same(m);
  }
  toString = () => `rmi(${this.image})`;
}
class Start implements Cmd {
  constructor(readonly image: number) {}
  check = () => true;
  run(_: Model, m: Model): void {
    if (!m.ref.hasImage(this.image)) return;
    m.ref.containerStart(this.image, ++m.t);
    m.real.containerStart(this.image, m.t);
    assert.equal(m.real.inUse(this.image), true);
  }
  toString = () => `start(${this.image})`;
}
class Stop implements Cmd {
  constructor(readonly image: number) {}
  check = () => true;
  run(_: Model, m: Model): void {
    if (!m.ref.inUse(this.image)) return;
    m.ref.containerStop(this.image, ++m.t);
    m.real.containerStop(this.image, m.t);
    assert.equal(m.real.inUse(this.image), m.ref.inUse(this.image));
  }
  toString = () => `stop(${this.image})`;
}

for (const [runtime, discard] of [['docker', false], ['containerd', false], ['containerd', true]] as Array<[Runtime, boolean]>) {
  test(`host-state node store = reference store (${runtime}${discard ? ', discard_unpacked_layers' : ''}): plans, pulls, removals, disk`, () => {
    fc.assert(
      fc.property(
        tinyUniverse().chain((u) => fc.tuple(fc.constant(u), fc.commands([fc.nat(u.imageCount - 1).map((i) => new Pull(i)), fc.nat(u.imageCount - 1).map((i) => new Rmi(i)), fc.nat(u.imageCount - 1).map((i) => new Start(i)), fc.nat(u.imageCount - 1).map((i) => new Stop(i))], { maxCommands: 40 }))),
        ([u, cmds]) => {
          const m: Model = { ref: new ReferenceStore(u, runtime, { discardUnpackedLayers: discard }), real: new HostNodeStore(u, runtime, { discardUnpackedLayers: discard }), t: 0 };
          fc.modelRun(() => ({ model: m, real: m }), cmds);
        },
      ),
      { numRuns: 300 },
    );
  });
}

function twoImages(): Universe {
  const b = new UniverseBuilder();
  const base = b.blob('base', 10, 'dbase', 30);
  const top1 = b.blob('top1', 5, 'dtop1', 15);
  const top2 = b.blob('top2', 7, 'dtop2', 21);
  b.image('app:1', 2, [base, top1]);
  b.image('app:2', 2, [base, top2]);
  return b.build();
}

test('docker: the shared base is Already exists; the kubelet believes an image frees its whole size, the disk frees only its own layer', () => {
  const u = twoImages();
  const s = new HostNodeStore(u, 'docker');
  assert.equal(s.pull(0, 0).downloadBytes, 17);
  const second = s.pull(1, 0);
  assert.deepEqual(second.blobs, [2]);
  assert.equal(second.downloadBytes, 9);
  assert.equal(s.diskUsed(), 30 + 15 + 21 + 4);
  assert.equal(s.imageSize(0), 45);
  assert.equal(s.rmi(0), 15 + 2);
});

test('containerd: a blob kept in the content store is unpacked without a download; discard_unpacked_layers drops blobs', () => {
  const b = new UniverseBuilder();
  const x = b.blob('x', 10, 'dx', 30);
  const y = b.blob('y', 4, 'dy', 8);
  b.image('a:1', 0, [x]);
  b.image('b:1', 0, [y, x]); // x on another parent: a new snapshot, same blob
  const u = b.build();
  const keep = new HostNodeStore(u, 'containerd');
  keep.pull(0, 0);
  const e = keep.plan(1);
  assert.deepEqual(e.blobs, [1]);
  assert.equal(e.unpackBytes, 8 + 30);
  assert.equal(keep.diskUsed(), 10 + 30);
  assert.equal(keep.imageSize(0), 10); // CRI size: content (compressed)
  const discard = new HostNodeStore(u, 'containerd', { discardUnpackedLayers: true });
  discard.pull(0, 0);
  assert.deepEqual(discard.plan(1).blobs, [1, 0]);
  assert.equal(discard.diskUsed(), 30);
});
