import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planPull, pullHostFromGraph, type RemoteImage } from '../src/analyze/pull.js';
import type { HostState } from '../src/analyze/host-state.js';
import { planPulls, simulatePulls, type NetworkModel } from '../src/analyze/pull-schedule.js';
import { GraphBuilder } from '../src/model/graph.js';
import { sha256Digest } from '../src/model/digest.js';
import { parseNormalizedNamed } from '../src/model/reference.js';
import { parseDuration, parseRate } from '../src/render/units.js';
import { cli } from './helpers/cli.js';

const empty = () => pullHostFromGraph(new GraphBuilder().build(), new Map());
const blob = (i: number) => sha256Digest(`blob-${i}`);
const diff = (i: number) => sha256Digest(`diff-${i}`);
const size = (i: number) => 1000 + ((i * 7919) % 50) * 1000;

/** Remote images over a small pool of layers: they share blobs at various positions. */
const remoteImages = fc.array(fc.array(fc.nat(7), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }).map((stacks) =>
  stacks.map(
    (stack, k): RemoteImage => ({
      ref: parseNormalizedNamed(`img${k}:1`),
      digest: sha256Digest(`manifest-${k}-${stack.join(',')}`),
      configDigest: sha256Digest(`config-${k}-${stack.join(',')}`),
      layers: stack.map((i) => ({ digest: blob(i), size: size(i), diffId: diff(i) })),
    }),
  ),
);
const network = fc.record({
  bandwidth: fc.integer({ min: 1000, max: 100_000 }),
  latency: fc.constantFrom(0, 0.01, 0.2),
  concurrency: fc.integer({ min: 1, max: 5 }),
  extractRate: fc.constantFrom(0, 5000, 50_000),
});

const noRepeats = (xs: RemoteImage[]) => xs.every((x) => new Set(x.layers.map((l) => l.digest)).size === x.layers.length);

test('multi-pull: the order never changes the ideal bytes, nor Docker\'s unless an image repeats a blob', () => {
  fc.assert(
    fc.property(remoteImages, network, (images, net) => {
      const run = (xs: RemoteImage[], mode: 'sequential' | 'parallel', order: 'given' | 'fastest-first' = 'given') => planPulls(empty(), xs, net, mode, order);
      const ideal = (r: ReturnType<typeof run>) => r.plans.reduce((s, p) => s + p.idealDownloadBytes, 0);
      const base = run(images, 'sequential');
      assert.equal(ideal(run([...images].reverse(), 'sequential')), ideal(base));
      assert.equal(ideal(run(images, 'sequential', 'fastest-first')), ideal(base));
      if (!noRepeats(images)) return;
      const bytes = base.schedule.downloadBytes;
      assert.equal(run([...images].reverse(), 'sequential').schedule.downloadBytes, bytes);
      assert.equal(run(images, 'parallel').schedule.downloadBytes, bytes);
      assert.equal(run(images, 'sequential', 'fastest-first').schedule.downloadBytes, bytes);
    }),
  );
});

test('multi-pull: a repeated blob makes Docker\'s bytes depend on the order and on pulling at once (xfer downloadsByKey)', () => {
  const x = { digest: blob(1), size: 5000, diffId: diff(1) };
  const a: RemoteImage = { ref: parseNormalizedNamed('a:1'), digest: sha256Digest('ma'), configDigest: sha256Digest('ca'), layers: [x] };
  const b: RemoteImage = { ref: parseNormalizedNamed('b:1'), digest: sha256Digest('mb'), configDigest: sha256Digest('cb'), layers: [x, x] };
  // b alone fetches x once for both layers; after a, its bottom x is there and the upper one is fetched again
  assert.equal(planPulls(empty(), [b, a]).schedule.downloadBytes, 5000);
  assert.equal(planPulls(empty(), [a, b]).schedule.downloadBytes, 10_000);
  // at once: b's bottom layer shares a's transfer (same key), and its upper one reuses b's own
  const together = planPulls(empty(), [a, b], undefined, 'parallel');
  assert.equal(together.schedule.downloadBytes, 5000);
  assert.deepEqual(together.plans[1].layers.map((l) => [l.status, l.plannedBy]), [['planned', 'a:1'], ['planned', 'b:1']]);
});

test('multi-pull timing: causal, never faster than the link, exactly the link when nothing else costs time', () => {
  fc.assert(
    fc.property(remoteImages, network, fc.constantFrom('sequential' as const, 'parallel' as const), (images, net, mode) => {
      const s = planPulls(empty(), images, net, mode).schedule;
      const eps = 1e-6;
      let prevReady = 0;
      for (const p of s.pulls) {
        assert.ok(p.ready >= p.start - eps);
        if (mode === 'sequential') {
          assert.ok(Math.abs(p.start - prevReady) < eps, 'a pull starts when the previous one is ready');
          prevReady = p.ready;
        }
        let prev = -Infinity;
        for (const l of p.layers) {
          assert.ok(l.registered >= prev - eps, 'layers register bottom up');
          if (l.downloadEnd !== undefined) assert.ok(l.registered >= l.downloadEnd - eps && l.downloadEnd >= l.downloadStart! + net.latency - eps);
          prev = l.registered;
        }
        assert.ok(p.ready >= prev - eps);
      }
      // never more than `concurrency` transfers hold a slot at once
      const spans = s.pulls.flatMap((p) => p.layers.filter((l) => l.downloadStart !== undefined).map((l) => [l.downloadStart!, l.downloadEnd!]));
      for (const [a] of spans) assert.ok(spans.filter(([x, y]) => x <= a + eps && y > a + eps).length <= net.concurrency);
      assert.ok(s.total >= s.downloadBytes / net.bandwidth - eps, 'no faster than the link');
      if (net.latency === 0 && net.extractRate === 0 && mode === 'sequential') assert.ok(Math.abs(s.total - s.downloadBytes / net.bandwidth) < 1e-6 * Math.max(1, s.total), 'the link is never idle');
    }),
  );
});

test('fastest-first: the first image is ready as early as any image could be', () => {
  fc.assert(
    fc.property(remoteImages, network, (images, net) => {
      const ff = planPulls(empty(), images, net, 'sequential', 'fastest-first').schedule;
      const soloBest = Math.min(...images.map((img) => simulatePulls([planPull(empty(), img, { record: false })], net).total));
      assert.ok(Math.abs(ff.firstReady - soloBest) < 1e-9);
      assert.ok(ff.firstReady <= planPulls(empty(), images, net).schedule.firstReady + 1e-9);
    }),
  );
});

test('planPull without record leaves the host as it was', () => {
  fc.assert(
    fc.property(remoteImages, (images) => {
      const h = empty();
      planPull(h, images[0]);
      const snap = h.fingerprint();
      for (const img of images) planPull(h, img, { record: false });
      assert.equal(h.fingerprint(), snap);
    }),
  );
});

// Model-based: random sequences of pulls, each plan checked against an obviously-correct model of
// Docker's rule: a layer is present iff the image's config is, or the host holds the same blob
// prefix (every blob pulled here has its metadata, so blob prefixes stand for chains).
interface Model {
  prefixes: Set<string>;
  configs: Set<string>;
  bytes: number;
}
class Pull implements fc.Command<Model, { host: HostState; bytes: number }> {
  constructor(readonly image: RemoteImage) {}
  check = () => true;
  run(m: Model, r: { host: HostState; bytes: number }): void {
    const p = planPull(r.host, this.image);
    const present = m.configs.has(this.image.configDigest);
    let prefix = '';
    let broken = present;
    const seen = new Set<string>();
    let expectBytes = 0;
    this.image.layers.forEach((l, k) => {
      prefix += l.digest + '/';
      const exists = present || (!broken && m.prefixes.has(prefix));
      if (!exists) broken = true;
      // a blob downloads once per pull (a recurrence among the downloaded layers is not fetched again)
      assert.equal(p.layers[k].status === 'download', !exists && !seen.has(l.digest), `layer ${k} of ${p.ref}`);
      if (!exists && !seen.has(l.digest)) expectBytes += l.size!;
      if (!exists) seen.add(l.digest);
    });
    assert.equal(p.downloadBytes, expectBytes);
    prefix = '';
    for (const l of this.image.layers) m.prefixes.add((prefix += l.digest + '/'));
    m.configs.add(this.image.configDigest);
    m.bytes += expectBytes;
    r.bytes += p.downloadBytes;
    assert.equal(r.bytes, m.bytes);
  }
  toString = () => `pull ${this.image.ref.path}`;
}

test('pull planner vs a model of Docker\'s rule, over random pull sequences (fc.commands)', () => {
  fc.assert(
    fc.property(
      remoteImages.chain((images) => fc.tuple(fc.constant(images), fc.commands(images.map((img) => fc.constant(new Pull(img))), { maxCommands: 12 }))),
      ([, cmds]) => {
        fc.modelRun(() => ({ model: { prefixes: new Set<string>(), configs: new Set<string>(), bytes: 0 }, real: { host: empty(), bytes: 0 } }), cmds);
      },
    ),
  );
});

test('rate and duration options parse as written', () => {
  assert.equal(parseRate('100Mbit'), 12.5e6);
  assert.equal(parseRate('100Mbit/s'), 12.5e6);
  assert.equal(parseRate('12.5MB/s'), 12.5e6);
  assert.equal(parseRate('1Gbit'), 125e6);
  assert.equal(parseRate('2000'), 2000);
  assert.equal(parseRate('fast'), undefined);
  assert.equal(parseRate('0'), undefined);
  assert.equal(parseDuration('50ms'), 0.05);
  assert.equal(parseDuration('0.2s'), 0.2);
  assert.equal(parseDuration('20'), 0.02);
  assert.equal(parseDuration('-1s'), undefined);
});

test('pull CLI: order, timing and its options', async () => {
  const from = ['--from', 'fixtures/official-images/manifests'];
  const r = await cli('pull', ...from, '--order', 'fastest-first', '--format', 'json', 'postgres:18-trixie', 'nginx:stable-trixie', 'redis');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.order, ['redis', 'nginx:stable-trixie', 'postgres:18-trixie']);
  assert.equal(doc.plans[1].layers[0].status, 'planned');
  assert.equal(doc.plans[1].layers[0].plannedBy, 'redis:latest');
  assert.equal(doc.schedule.pulls.length, 3);
  const given = JSON.parse((await cli('pull', ...from, '--format', 'json', 'postgres:18-trixie', 'nginx:stable-trixie', 'redis')).stdout);
  assert.equal(given.schedule.downloadBytes, doc.schedule.downloadBytes);
  assert.ok(doc.schedule.firstReady < given.schedule.firstReady);
  const t = await cli('pull', ...from, '--bandwidth', '1Gbit', '--latency', '10ms', '--parallel', 'redis', 'nginx:stable-trixie');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Already exists \(pulled by redis:latest above\)/);
  assert.match(t.stdout, /Model: 125MB\/s link, 10ms per request, 3 concurrent downloads/);
  assert.match(t.stdout, /all at once/);
  for (const bad of [['--bandwidth', 'fast'], ['--latency', 'soon'], ['--concurrency', '0'], ['--order', 'random']]) {
    const u = await cli('pull', ...from, ...bad, 'redis');
    assert.equal(u.code, 2, bad.join(' '));
    assert.match(u.stderr, new RegExp(bad[0]));
  }
});
