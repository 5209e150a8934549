// Every shipped query gives the engine's numbers: on the bundled example, the real-daemon
// fixtures and a synthetic set, over in-memory tables and over a Parquet export alike.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareDedupModels } from '../src/analyze/dedup.js';
import { imageUsage, systemDf } from '../src/analyze/df.js';
import { mostSharedLayers } from '../src/analyze/sharing.js';
import type { ImageGraph } from '../src/model/graph.js';
import { writeColumnar } from '../src/sources/columnar.js';
import type { Duck } from '../src/sources/duckdb.js';
import { loadSource } from '../src/sources/load.js';
import { duckOverParquet, duckWithGraph, runSql, shippedQuery, SHIPPED_QUERIES } from '../src/sources/sql-queries.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import type { SqlResult } from '../src/render/sql.js';
import { tempDir } from './helpers/tmp.js';

const objects = (r: SqlResult): Record<string, unknown>[] => r.rows.map((row) => Object.fromEntries(r.columns.map((c, k) => [c, row[k]])));

async function query(duck: Duck, name: string): Promise<Record<string, unknown>[]> {
  return objects(await runSql(duck, shippedQuery(name)));
}

async function checkAll(graph: ImageGraph, duck: Duck): Promise<void> {
  const df = systemDf(graph, 'current');
  const [imagesRow, containersRow] = await query(duck, 'df');
  assert.deepEqual(imagesRow, { type: 'Images', total: df.ImagesUsage.TotalCount, active: df.ImagesUsage.ActiveCount, size: df.ImagesUsage.TotalSize, reclaimable: df.ImagesUsage.Reclaimable });
  assert.deepEqual(containersRow, {
    type: 'Containers',
    total: df.ContainersUsage.TotalCount,
    active: df.ContainersUsage.ActiveCount,
    size: df.ContainersUsage.TotalSize,
    reclaimable: df.ContainersUsage.Reclaimable,
  });

  const u = imageUsage(graph);
  const want = new Map<number, object>();
  for (let i = 0; i < graph.imageCount; i++) {
    if (u.listed[i]) want.set(i, { size: u.size[i], shared_size: u.shared[i], unique_size: u.size[i] - u.shared[i], containers: graph.imageContainerCount[i], id: graph.images[i].id });
  }
  const got = new Map((await query(duck, 'df-images')).map((r) => [r.image_key as number, { size: r.size, shared_size: r.shared_size, unique_size: r.unique_size, containers: r.containers, id: r.id }]));
  assert.deepEqual(got, want);

  const dedup = compareDedupModels(graph);
  const rows = await query(duck, 'dedup');
  assert.deepEqual(
    rows.map((r) => [r.model, r.logical_bytes, r.stored_bytes, r.saved_bytes]),
    dedup.models.map((m) => [m.model, m.logicalBytes, m.storedBytes, m.savedBytes]),
  );
  rows.forEach((r, k) => assert.ok(Math.abs((r.ratio as number) - dedup.models[k].ratio) < 1e-9, `${r.model} ratio`));

  const shared = mostSharedLayers(graph, 10);
  assert.deepEqual(
    (await query(duck, 'shared-layers')).map((r) => ({
      diffId: r.diff_id,
      digest: r.digest,
      size: r.size,
      images: r.images,
      chainPositions: r.chain_positions,
      savedBytes: r.saved_bytes,
      dockerSavedBytes: r.docker_saved_bytes,
    })),
    shared,
  );
  // No file or chunk index yet: the queries run and answer nothing.
  for (const q of ['dedup-files', 'dedup-chunks', 'most-shared-files']) assert.deepEqual(await query(duck, q), [], q);
}

const INPUTS: [string, () => Promise<ImageGraph>][] = [
  ['the bundled example', async () => (await loadSource('fixtures/official-images/host.snapshot.json')).graph],
  ['the Docker 20.10 scenario', async () => (await loadSource('fixtures/docker-20.10-scenario/host.snapshot.json')).graph],
  ['the Docker 20.10 data root', async () => (await loadSource('fixtures/docker-20.10-root/root')).graph],
  ['a synthetic set', async () => syntheticGraph({ images: 3000, seed: 7, containers: 40 })],
];

for (const [label, make] of INPUTS) {
  describe(`sql: shipped queries equal the engine on ${label}`, () => {
    let graph: ImageGraph;
    before(async () => {
      graph = await make();
    });
    test('in-memory tables', async () => {
      const duck = await duckWithGraph(graph);
      try {
        await checkAll(graph, duck);
      } finally {
        duck.close();
      }
    });
    test('a Parquet export queried in place', async () => {
      const out = join(tempDir('layerlab-sql-'), 'p');
      await writeColumnar(graph, 'parquet', out);
      const duck = await duckOverParquet(out);
      try {
        await checkAll(graph, duck);
      } finally {
        duck.close();
      }
    });
  });
}

test('sql: the shipped list is exactly the sql/ folder', async () => {
  const { readdirSync } = await import('node:fs');
  assert.deepEqual(
    readdirSync('sql').filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort(),
    [...SHIPPED_QUERIES].sort(),
  );
});

after(() => undefined);
