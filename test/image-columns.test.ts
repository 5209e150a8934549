import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GraphBuilder, ImageGraph } from '../src/model/graph.js';
import { imageColumnsOf, imageMetaList } from '../src/model/image-columns.js';
import type { ImageMeta } from '../src/model/types.js';
import { LayerlabError } from '../src/errors.js';

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const sha = hex.map((h) => `sha256:${h}`);
const sha512 = fc.tuple(hex, hex).map(([a, b]) => `sha512:${a}${b}`);

/** Images with distinct IDs (sha256 and sha512), some fields, parents among earlier images. */
const metas = fc
  .uniqueArray(fc.oneof({ arbitrary: sha, weight: 4 }, { arbitrary: sha512, weight: 1 }), { minLength: 1, maxLength: 30 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id, i) =>
        fc.record(
          {
            repoTags: fc.array(fc.constantFrom('a:1', 'b:latest', 'x/y:z'), { minLength: 1, maxLength: 3 }),
            repoDigests: fc.array(sha.map((d) => `a@${d}`), { minLength: 1, maxLength: 2 }),
            created: fc.integer({ min: 0, max: 2e9 }),
            platform: fc.constantFrom('linux/amd64', 'linux/arm64/v8'),
            parent: i === 0 ? fc.constant(undefined) : fc.integer({ min: 0, max: i - 1 }).map((p) => ids[p]),
          },
          { requiredKeys: [] },
        ).map((f) => {
          const m: ImageMeta = { id };
          for (const [k, v] of Object.entries(f)) if (v !== undefined) (m as unknown as Record<string, unknown>)[k] = v;
          return m;
        }),
      ),
    ),
  );

test('image columns: every builder path gives back the ImageMeta it was given', () => {
  fc.assert(
    fc.property(metas, (ms) => {
      const viaMeta = new GraphBuilder();
      const viaFields = new GraphBuilder();
      const viaBytes = new GraphBuilder();
      for (const b of [viaMeta, viaFields, viaBytes]) b.addLayer({ diffId: `sha256:${'0'.repeat(64)}`, size: 1 });
      for (const m of ms) {
        viaMeta.addImage(m, [0]);
        viaFields.addImageFields(m.id, m, [0]);
        if (m.id.startsWith('sha256:')) viaBytes.addImageSha256(Buffer.from(m.id.slice(7), 'hex'), 0, m, [0]);
        else viaBytes.addImageFields(m.id, m, [0]);
      }
      for (const b of [viaMeta, viaFields, viaBytes]) {
        const g = b.build();
        assert.deepEqual(g.images, ms);
        assert.deepEqual(imageMetaList(b.columns().images), ms);
        ms.forEach((m, i) => {
          assert.deepEqual(g.image(i), m);
          assert.equal(g.imageId(i), m.id);
          assert.equal(g.imageIndex(m.id), i);
          assert.deepEqual(g.tagsOf(i), m.repoTags ?? []);
          assert.deepEqual(g.digestsOf(i), m.repoDigests ?? []);
          assert.equal(g.isUntagged(i), !m.repoTags && !m.repoDigests);
          assert.equal(g.createdOf(i), m.created);
          assert.equal(g.platformOf(i), m.platform);
          assert.equal(g.imageParent[i], m.parent === undefined ? -1 : g.imageIndex(m.parent));
        });
        assert.deepEqual(g.imageIdList(), ms.map((m) => m.id));
        // Lookups of IDs that are not there, in every form, find nothing.
        assert.equal(g.imageIndex(`sha256:${'f'.repeat(63)}e`), ms.some((m) => m.id === `sha256:${'f'.repeat(63)}e`) ? 0 : undefined);
        assert.equal(g.imageIndex('sha256:ABC'), undefined);
        assert.equal(g.imageIndex(ms[0].id.toUpperCase()), undefined);
      }
    }),
    { numRuns: 60 },
  );
});

test('image columns: a graph given ImageMeta objects answers the same as one given columns', () => {
  const ms: ImageMeta[] = [
    { id: `sha256:${'1'.repeat(64)}`, repoTags: ['a:1'], created: 5 },
    { id: `sha256:${'2'.repeat(64)}`, parent: `sha256:${'1'.repeat(64)}`, platform: 'linux/amd64' },
  ];
  const base = { layerDiffId: [`sha256:${'0'.repeat(64)}`], layerDigest: [undefined], layerMediaType: [undefined], layerSize: Float64Array.of(3), layerCompressed: Float64Array.of(NaN), stackStart: Uint32Array.of(0, 1, 2), stackLayer: Uint32Array.of(0, 0), containers: [] };
  const a = new ImageGraph({ ...base, images: ms });
  const b = new ImageGraph({ ...base, images: imageColumnsOf(ms) });
  assert.equal(a.images, a.images);
  assert.deepEqual(a.images, ms);
  assert.deepEqual(b.images, ms);
  assert.deepEqual([...a.imageParent], [-1, 0]);
  assert.deepEqual([...b.imageChildCount], [1, 0]);
});

test('image columns: an unknown parent and a duplicate ID are input errors naming the IDs', () => {
  const b = new GraphBuilder();
  b.addImageFields(`sha256:${'1'.repeat(64)}`, { parent: `sha256:${'9'.repeat(64)}` }, []);
  assert.throws(() => b.build(), (e: unknown) => e instanceof LayerlabError && e.code === 'EINPUT' && e.message === `image sha256:${'1'.repeat(64)}: parent sha256:${'9'.repeat(64)} is not in the image set`);
  const d = new GraphBuilder();
  d.addImageFields(`sha256:${'1'.repeat(64)}`, {}, []);
  d.addImageSha256(Buffer.alloc(32, 0x11), 0, {}, []);
  const g = d.build();
  assert.throws(() => g.imageIndex('sha256:x'), (e: unknown) => e instanceof LayerlabError && e.message === `duplicate image ID sha256:${'1'.repeat(64)}`);
  const s = new GraphBuilder();
  s.addImageFields(`sha512:${'1'.repeat(128)}`, {}, []);
  s.addImageFields(`sha512:${'1'.repeat(128)}`, {}, []);
  assert.throws(() => s.build().imageIndex('sha256:x'), /duplicate image ID sha512:1{128}/);
});

test('image columns: a bad layer index names the image, also when its ID came as bytes', () => {
  const b = new GraphBuilder();
  assert.throws(() => b.addImageSha256(Buffer.alloc(32, 0xab), 0, {}, [0]), { message: `image sha256:${'ab'.repeat(32)}: layer index 0 is not a known layer` });
});

test('image columns: a container image index given by the loader is used only when it names the same image', () => {
  const ms: ImageMeta[] = [{ id: `sha256:${'1'.repeat(64)}` }, { id: `sha256:${'2'.repeat(64)}` }];
  const base = { layerDiffId: [], layerDigest: [], layerMediaType: [], layerSize: new Float64Array(0), layerCompressed: new Float64Array(0), stackStart: Uint32Array.of(0, 0, 0), stackLayer: new Uint32Array(0), images: imageColumnsOf(ms) };
  const c = (image: string) => ({ id: 'c'.repeat(64), image, state: 'exited' as const });
  for (const hint of [[1], [0], [7], [-1], undefined]) {
    const g = new ImageGraph({ ...base, containers: [c(ms[1].id)], containerImage: hint });
    assert.deepEqual([...g.containerImage], [1]);
  }
  assert.throws(() => new ImageGraph({ ...base, containers: [c(`sha256:${'3'.repeat(64)}`)], containerImage: [0] }), /container c{64}: image sha256:3{64} is not in the image set/);
});

test('image columns: df without rows reads no image ID and makes no layer digest string', async () => {
  const { syntheticColumns } = await import('../src/sources/synthetic.js');
  const { systemDf, systemDfSummary } = await import('../src/analyze/df.js');
  const cols = syntheticColumns({ images: 300, seed: 5, containers: 20 });
  let idReads = 0;
  let digestStrings = 0;
  const images = Object.create(cols.images, { idBytes: { get: () => (idReads++, cols.images.idBytes) }, idOther: { get: () => (idReads++, cols.images.idOther) } });
  const lazy = (c: (string | undefined)[]) => ({ length: c.length, strings: () => (digestStrings++, c) });
  // The loader knows each container's image, as the columnar reader does.
  const containerImage = cols.containers.map((c) => cols.images.idOther.size === 0 && new ImageGraph(cols).imageIndex(c.image)!);
  const g = new ImageGraph({ ...cols, images, containerImage: containerImage as number[], layerDiffId: lazy(cols.layerDiffId), layerDigest: lazy(cols.layerDigest) });
  const reads = idReads; // the container check reads a few IDs
  const summary = systemDfSummary(g);
  assert.equal(idReads, reads);
  assert.equal(digestStrings, 0);
  const { Images, Containers, ...totals } = systemDf(g);
  assert.equal(Images.length + Containers.length > 0, true);
  assert.deepEqual(summary, totals);
  assert.ok(idReads > reads, 'the full answer does read IDs (the spy works)');
});
