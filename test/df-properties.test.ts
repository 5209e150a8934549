import { describeCaveat } from '../src/render/caveats.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { systemDf, systemDfSummary } from '../src/analyze/df.js';
import { compareDedupModels } from '../src/analyze/dedup.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc, shuffled, type SnapshotDoc } from './helpers/arbitraries.js';
import { dockerDfModel } from './helpers/docker-df-model.js';
import { sha256Digest } from '../src/model/digest.js';
import { chainIds } from '../src/model/identity.js';

const load = (doc: SnapshotDoc) => snapshotFromJson(doc).graph;
const byId = (df: ReturnType<typeof systemDf>) => new Map(df.Images.map((i) => [i.Id, i]));

test('df: agrees with a literal port of the daemon loop on real chainID strings', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const df = systemDf(load(doc));
      const model = dockerDfModel(doc);
      assert.equal(df.LayersSize, model.layersSize);
      assert.equal(df.Images.length, model.images.size);
      for (const img of df.Images) {
        const m = model.images.get(img.Id)!;
        assert.ok(m, `image ${img.Id} listed by layerlab but not by the model`);
        assert.deepEqual([img.Size, img.SharedSize, img.Containers], [m.Size, m.SharedSize, m.Containers]);
      }
    }),
    { numRuns: 300 },
  );
});

test('df: the summary alone (no per-image rows) equals the totals of the full answer, both rules', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.constantFrom('current' as const, 'legacy' as const), (doc, rule) => {
      const { Images, Containers, ...totals } = systemDf(load(doc), rule);
      assert.ok(Images && Containers);
      // A fresh graph, so nothing the full answer computed is reused.
      assert.deepEqual(systemDfSummary(load(doc), rule), totals);
    }),
    { numRuns: 200 },
  );
});

test('df: shared + unique equals size for every image', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      for (const i of systemDf(load(doc)).Images) {
        assert.equal(i.SharedSize + i.UniqueSize, i.Size);
        assert.ok(i.SharedSize >= 0 && i.SharedSize <= i.Size);
      }
    }),
  );
});

test('df: totals follow both RECLAIMABLE rules and stay within 0..SIZE', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const g = load(doc);
      const cur = systemDf(g, 'current');
      const leg = systemDf(g, 'legacy');
      const unique = (pred: (c: number) => boolean) => cur.Images.filter((i) => pred(i.Containers)).reduce((s, i) => s + i.UniqueSize, 0);
      assert.equal(cur.ImagesUsage.Reclaimable, unique((c) => c === 0));
      assert.equal(leg.ImagesUsage.Reclaimable, leg.LayersSize - unique((c) => c > 0));
      assert.equal(cur.ImagesUsage.ActiveCount, cur.Images.filter((i) => i.Containers > 0).length);
      for (const r of [cur.ImagesUsage.Reclaimable, leg.ImagesUsage.Reclaimable]) assert.ok(r >= 0 && r <= cur.LayersSize);
    }),
  );
});

test('df: adding an image never lowers another image\'s SharedSize', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.array(fc.nat(), { maxLength: 5 }), (doc, picks) => {
      const before = byId(systemDf(load(doc)));
      const extra = { id: sha256Digest('extra-image'), layers: picks.map((p) => doc.layers[p % doc.layers.length].diffId), repoTags: ['extra:latest'] };
      const after = byId(systemDf(load({ ...doc, images: [...doc.images, extra] })));
      for (const [id, img] of before) assert.ok(after.get(id)!.SharedSize >= img.SharedSize, id);
    }),
  );
});

test('df and dedup: input order changes no result', () => {
  fc.assert(
    fc.property(snapshotDoc({ withBlobs: true }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), (doc, keys) => {
      const a = load(doc);
      const b = load({ ...doc, layers: shuffled(doc.layers, keys), images: shuffled(doc.images, keys), containers: shuffled(doc.containers, keys) });
      const dfA = systemDf(a);
      const dfB = systemDf(b);
      assert.deepEqual(byId(dfB), byId(dfA));
      assert.deepEqual(dfB.ImagesUsage, dfA.ImagesUsage);
      assert.deepEqual(dfB.ContainersUsage, dfA.ContainersUsage);
      assert.deepEqual(compareDedupModels(b).models, compareDedupModels(a).models);
    }),
  );
});

test('dedup: stored <= logical under every model; none >= chain >= diff', () => {
  fc.assert(
    fc.property(snapshotDoc(), (doc) => {
      const d = compareDedupModels(load(doc));
      const m = Object.fromEntries(d.models.map((x) => [x.model, x]));
      for (const x of d.models) if (x.available) assert.ok(x.storedBytes <= x.logicalBytes, x.model);
      assert.ok(m.none.storedBytes >= m.chain.storedBytes);
      assert.ok(m.chain.storedBytes >= m.diff.storedBytes);
      // Independently: the chain model stores each distinct (listed) chainID once.
      const listedIds = new Set(systemDf(load(doc)).Images.map((i) => i.Id));
      const sizeOf = new Map(doc.layers.map((l) => [l.diffId as string, l.size as number]));
      const chains = new Map<string, number>();
      for (const img of doc.images.filter((i) => listedIds.has(i.id as string))) {
        const diffs = img.layers as string[];
        chainIds(diffs).forEach((c, k) => chains.set(c, sizeOf.get(diffs[k])!));
      }
      assert.equal(m.chain.storedBytes, [...chains.values()].reduce((s, v) => s + v, 0));
    }),
  );
});

test('dedup: the blob model says why when blob sizes are missing', () => {
  const doc: SnapshotDoc = {
    kind: 'layerlab-snapshot', version: 1,
    layers: [{ diffId: sha256Digest('x'), size: 10 }],
    images: [{ id: sha256Digest('i'), layers: [sha256Digest('x')], repoTags: ['x:1'] }],
    containers: [],
  };
  const blob = compareDedupModels(load(doc)).models.find((x) => x.model === 'blob')!;
  assert.equal(blob.available, false);
  assert.deepEqual(blob.caveats, [{ code: 'blob-identity-missing', params: { layers: 1, of: 1 } }]);
  assert.equal(describeCaveat(blob.caveats[0]), 'needs a blob digest and compressed size for every layer; 1 of 1 layer lacks them');
});
