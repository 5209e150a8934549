import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HostNodeStore, type NodeRuntime } from '../src/analyze/node-store.js';
import { SparseCounts } from '../src/analyze/sparse-counts.js';
import { HostState } from '../src/analyze/host-state.js';
import { Universe } from '../src/model/universe.js';
import { sha256Digest } from '../src/model/digest.js';
import { syntheticGraph } from '../src/sources/synthetic.js';

const blob = (i: number) => sha256Digest(`blob-${i}`);
const diff = (i: number) => sha256Digest(`diff-${i}`);

/** A small universe: images over a pool of 7 layers, so they share blobs and chains at various depths. */
const stacksArb = fc.array(fc.array(fc.nat(6), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 });
const universeOf = (stacks: number[][]) =>
    new Universe({
      images: stacks.map((stack, k) => ({
        configDigest: sha256Digest(`config-${k}-${stack}`),
        configSize: 100 + k,
        ref: `img${k}:1`,
        layers: stack.map((i) => ({ digest: blob(i), size: 1000 + i, diffId: diff(i), uncompressedSize: 5000 + 10 * i })),
      })),
    });

/** The obviously-correct store: sets, with what is on disk recomputed from the present images after every change. */
class Reference {
  present = new Set<number>();
  blobs = new Set<number>();
  containers = new Map<number, number>();
  constructor(
    readonly u: Universe,
    readonly runtime: NodeRuntime,
    readonly keepBlobs: boolean,
  ) {}
  layers(i: number): [number, number][] {
    const out: [number, number][] = [];
    for (let r = this.u.imageLayerStart[i]; r < this.u.imageLayerStart[i + 1]; r++) out.push([this.u.refBlob[r], this.u.refChain[r]]);
    return out;
  }
  chains(): Set<number> {
    const s = new Set<number>();
    for (const i of this.present) for (const [, c] of this.layers(i)) for (let k = c; k >= 0; k = this.u.chainParent[k]) s.add(k);
    return s;
  }
  /** Blobs fetched and bytes: a layer whose chain is on disk is reused (every blob here came by pull, so docker knows its metadata). */
  plan(i: number): { blobs: number[]; bytes: number } {
    if (this.present.has(i)) return { blobs: [], bytes: 0 };
    const chains = this.chains();
    const out: number[] = [];
    for (const [b, c] of this.layers(i)) if (!chains.has(c) && !(this.keepBlobs && this.blobs.has(b)) && !out.includes(b)) out.push(b);
    return { blobs: out, bytes: out.reduce((s, b) => s + this.u.blobSize[b], 0) + this.u.imageConfigSize[i] };
  }
  pull(i: number): void {
    const { blobs } = this.plan(i);
    this.present.add(i);
    if (this.keepBlobs) for (const b of blobs) this.blobs.add(b);
  }
  rmi(i: number): void {
    this.present.delete(i);
    const used = new Set([...this.present].flatMap((p) => this.layers(p).map(([b]) => b)));
    for (const b of [...this.blobs]) if (!used.has(b)) this.blobs.delete(b);
  }
  disk(): number {
    let s = 0;
    for (const c of this.chains()) s += this.u.chainSize[c];
    for (const b of this.blobs) s += this.u.blobSize[b];
    for (const i of this.present) s += this.u.imageConfigSize[i];
    return s;
  }
}

type Real = { store: HostNodeStore };
type Op = { kind: 'pull' | 'rmi' | 'start' | 'stop'; pick: number };

function step(m: Reference, r: Real, op: Op, t: number): void {
  const i = op.pick % m.u.imageCount;
  if (op.kind === 'pull') {
    const want = m.plan(i);
    const planned = r.store.plan(i);
    const got = r.store.pull(i, t);
    assert.deepEqual(planned, got, 'plan says what pull does');
    assert.deepEqual(got.blobs, want.blobs, `pull ${i}: the blobs fetched`);
    assert.equal(got.downloadBytes, want.bytes, `pull ${i}: bytes from the registry`);
    const before = m.disk();
    m.pull(i);
    assert.equal(got.diskGrowth, m.disk() - before, `pull ${i}: disk growth`);
  } else if (op.kind === 'rmi') {
    if ((m.containers.get(i) ?? 0) > 0) {
      assert.throws(() => r.store.rmi(i), /in use/);
      return;
    }
    const before = m.disk();
    m.rmi(i);
    assert.equal(r.store.rmi(i), before - m.disk(), `rmi ${i}: bytes that really left the disk`);
  } else if (op.kind === 'start') {
    if (!m.present.has(i)) return;
    r.store.containerStart(i, t);
    m.containers.set(i, (m.containers.get(i) ?? 0) + 1);
  } else {
    if ((m.containers.get(i) ?? 0) === 0) return;
    r.store.containerStop(i, t);
    m.containers.set(i, m.containers.get(i)! - 1);
  }
  assert.equal(r.store.diskUsed(), m.disk(), 'disk used');
  assert.deepEqual(r.store.images(), [...m.present].sort((a, b) => a - b), 'images present');
  for (const k of m.present) assert.equal(r.store.inUse(k), (m.containers.get(k) ?? 0) > 0);
}

const opArb = fc.record({ kind: fc.constantFrom<Op['kind']>('pull', 'pull', 'rmi', 'start', 'stop'), pick: fc.nat() });
const runtimeArb = fc.constantFrom<[NodeRuntime, boolean]>(['docker', false], ['containerd', false], ['containerd', true]);

test('node store on the host state: pull / rmi / container sequences match the reference store (docker, containerd, discard_unpacked_layers)', () => {
  fc.assert(
    fc.property(stacksArb, runtimeArb, fc.array(opArb, { maxLength: 25 }), (stacks, [runtime, discard], ops) => {
      const u = universeOf(stacks);
      const m = new Reference(u, runtime, runtime === 'containerd' && !discard);
      const r = { store: new HostNodeStore(u, runtime, { discardUnpackedLayers: discard }) };
      ops.forEach((op, t) => step(m, r, op, t));
    }),
  );
});

test('node store: fc.commands against the reference, and each image holds its lastUsed / firstDetected', () => {
  class Cmd implements fc.Command<Reference, Real> {
    constructor(readonly op: Op) {}
    check = () => true;
    run(m: Reference, r: Real): void {
      const t = (this.constructor as unknown as { clock: number }).clock++;
      const i = this.op.pick % m.u.imageCount;
      const fresh = !m.present.has(i);
      step(m, r, this.op, t);
      if (this.op.kind === 'pull' && fresh) assert.equal(r.store.firstDetected(i), t);
      if ((this.op.kind === 'start' || this.op.kind === 'stop') && m.present.has(i) && (this.op.kind === 'start' || (m.containers.get(i) ?? 0) >= 0)) {
        assert.ok(r.store.lastUsed(i) <= t);
      }
    }
    toString = () => `${this.op.kind}(${this.op.pick})`;
    static clock = 0;
  }
  fc.assert(
    fc.property(stacksArb, runtimeArb, fc.commands([opArb.map((op) => new Cmd(op))], { maxCommands: 20 }), (stacks, [runtime, discard], cmds) => {
      const u = universeOf(stacks);
      const real = { store: new HostNodeStore(u, runtime, { discardUnpackedLayers: discard }) };
      fc.modelRun(() => ({ model: new Reference(u, runtime, runtime === 'containerd' && !discard), real }), cmds);
    }),
  );
});

test('node store: any sequence inside host.trial() leaves the store exactly as it was', () => {
  fc.assert(
    fc.property(stacksArb, runtimeArb, fc.array(opArb, { maxLength: 8 }), fc.array(opArb, { maxLength: 12 }), (stacks, [runtime, discard], before, inside) => {
      const u = universeOf(stacks);
      const store = new HostNodeStore(u, runtime, { discardUnpackedLayers: discard });
      const m = new Reference(u, runtime, runtime === 'containerd' && !discard);
      before.forEach((op, t) => step(m, { store }, op, t));
      const snap = [store.host.fingerprint(), store.diskUsed(), store.images().join()];
      store.host.trial(() => {
        const m2 = new Reference(u, runtime, m.keepBlobs);
        m2.present = new Set(m.present);
        m2.blobs = new Set(m.blobs);
        m2.containers = new Map(m.containers);
        inside.forEach((op, t) => step(m2, { store }, op, 100 + t));
      });
      assert.deepEqual([store.host.fingerprint(), store.diskUsed(), store.images().join()], snap);
    }),
  );
});

test('docker rule: a layer loaded (blob metadata unknown) downloads again though its chain is on disk; containerd reuses the snapshot', () => {
  const u = new Universe({
    images: [
      { configDigest: sha256Digest('c-base'), layers: [{ digest: blob(1), size: 10, diffId: diff(1), uncompressedSize: 100 }] },
      { configDigest: sha256Digest('c-app'), layers: [{ digest: blob(1), size: 10, diffId: diff(1) }, { digest: blob(2), size: 20, diffId: diff(2), uncompressedSize: 200 }] },
    ],
  });
  for (const runtime of ['docker', 'containerd'] as const) {
    const host = new HostState(u);
    host.addImage(0, u.imageTop(0)); // as docker load would: the layer, no blob metadata
    const store = new HostNodeStore(u, runtime, { host });
    const e = store.pull(1, 1);
    assert.deepEqual(e.blobs, runtime === 'docker' ? [0, 1] : [1], runtime);
    assert.equal(e.unpackBytes, 200, `${runtime}: only the new layer is written`);
  }
});

test('memory: a node costs bytes in proportion to what it holds (chains, blobs, images), not to the universe', () => {
  const small = new Universe({ graphs: [syntheticGraph({ images: 1000, seed: 7 })] });
  const u = new Universe({ graphs: [syntheticGraph({ images: 10_000, seed: 7 })] });
  // an empty node costs the same over a 1,000- and a 10,000-image universe
  assert.equal(new HostNodeStore(u, 'docker').typedByteLength(), new HostNodeStore(small, 'docker').typedByteLength());
  for (const runtime of ['docker', 'containerd'] as const) {
    for (const pulls of [0, 10, 30, 200]) {
      const store = new HostNodeStore(u, runtime);
      for (let i = 0; i < pulls; i++) store.pull((i * 37) % u.imageCount, i);
      const chains = new Set(store.images().flatMap((i) => store.host.stackChains(i)));
      const blobs = new Set(store.images().flatMap((i) => [...u.refBlob.subarray(u.imageLayerStart[i], u.imageLayerStart[i + 1])]));
      const held = chains.size + blobs.size + pulls;
      const bytes = store.typedByteLength();
      // per chain two tables, per blob one (containerd three), per image one plus two of times (16 B a value);
      // each table at most 4 slots of 8 bytes per entry; empty, 64 bytes a table (96 a time table): 768 in all
      const bound = 32 * (2 * chains.size + (runtime === 'containerd' ? 3 : 1) * blobs.size) + 96 * pulls + 768;
      assert.ok(bytes <= bound, `${runtime}, ${pulls} images (${held} entries): ${bytes} B > ${bound} B`);
      // measured (docker): 30 images 12.6 KiB, 200 images 52 KiB; the dense layout cost 191 KiB whatever the node held
      if (pulls === 30) assert.ok(bytes <= (runtime === 'docker' ? 16 : 24) * 1024, `${runtime}: ${bytes} B for a node of 30 images`);
    }
  }
});

test('sparse counts: get / set / add / delete agree with a Map, through growth and shrinking', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -3, max: 3 }), fc.boolean())), (ops) => {
      const s = new SparseCounts();
      const m = new Map<number, number>();
      for (const [k, v, isSet] of ops) {
        if (isSet) {
          s.set(k, v);
          if (v === 0) m.delete(k);
          else m.set(k, v);
        } else {
          const want = (m.get(k) ?? 0) + v;
          assert.equal(s.add(k, v), want);
          if (want === 0) m.delete(k);
          else m.set(k, want);
        }
        assert.equal(s.size, m.size);
      }
      assert.deepEqual(s.entries(), [...m].sort((a, b) => a[0] - b[0]));
      for (let k = 0; k <= 300; k++) assert.equal(s.get(k), m.get(k) ?? 0);
    }),
    { numRuns: 300 },
  );
});
