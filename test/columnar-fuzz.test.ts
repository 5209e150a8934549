// Malformed columnar exports (truncated or corrupted files, wrong column types, bad digests,
// dangling references, cycles) are refused with a LayerlabError naming table, row and column —
// never a stack trace.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { tableFromIPC, tableToIPC, Table, vectorFromArray, Int64, Float64 } from 'apache-arrow';
import { LayerlabError } from '../src/errors.js';
import { writeArrowTables } from '../src/sources/columnar-arrow.js';
import { DEFAULT_BATCH_ROWS, flatSources } from '../src/sources/columnar-batches.js';
import { flattenTables, type FlatTable } from '../src/sources/columnar-schema.js';
import { COLUMNAR_MARKER, TABLE_NAMES, tablesFromGraph, type TableName } from '../src/sources/columnar-tables.js';
import { writeColumnar } from '../src/sources/columnar.js';
import { loadSource } from '../src/sources/load.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';
import { openDuck, sqlString } from '../src/sources/duckdb.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { tempDir } from './helpers/tmp.js';

const graph = syntheticGraph({ images: 60, seed: 5, containers: 4 });

async function refused(dir: string, pattern?: RegExp): Promise<LayerlabError> {
  try {
    await loadSource(dir);
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `expected a LayerlabError, got ${(e as Error).stack}`);
    if (pattern) assert.match(e.describe(), pattern);
    return e;
  }
  assert.fail('expected the export to be refused');
}

async function loadsOrRefuses(dir: string): Promise<void> {
  try {
    await loadSource(dir);
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `expected a LayerlabError, got ${(e as Error).stack}`);
  }
}

/** An Arrow export of the graph's tables after `mutate` changed them (the writer does no checks). */
function arrowExport(mutate: (t: Record<TableName, FlatTable>) => void): string {
  const dir = join(tempDir('layerlab-fuzz-'), 'x');
  const flat = flattenTables(tablesFromGraph(graph));
  mutate(flat);
  cpSync(tempDir('layerlab-fuzz-'), dir, { recursive: true });
  writeArrowTables(dir, flatSources(flat), DEFAULT_BATCH_ROWS);
  writeFileSync(join(dir, COLUMNAR_MARKER), JSON.stringify({ kind: 'layerlab-columnar', version: 1, format: 'arrow', rows: {} }));
  return dir;
}

test('columnar fuzz: truncated and corrupted Arrow tables are refused or load, never crash', async () => {
  const base = join(tempDir('layerlab-fuzz-'), 'a');
  await writeColumnar(graph, 'arrow', base);
  const work = join(tempDir('layerlab-fuzz-'), 'w');
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TABLE_NAMES), fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.integer({ min: 0, max: 255 })), async (table, at, flip) => {
      rmSync(work, { recursive: true, force: true });
      cpSync(base, work, { recursive: true });
      const file = join(work, `${table}.arrow`);
      const bytes = readFileSync(file);
      const k = Math.floor(at * bytes.length);
      if (flip === null) writeFileSync(file, bytes.subarray(0, k));
      else {
        bytes[Math.min(k, bytes.length - 1)] ^= flip || 1;
        writeFileSync(file, bytes);
      }
      if (flip === null) await refused(work, new RegExp(`${table}`));
      else await loadsOrRefuses(work);
    }),
    { numRuns: 60, seed: 12 },
  );
});

test('columnar fuzz: truncated Parquet files are refused naming the table', async () => {
  const base = join(tempDir('layerlab-fuzz-'), 'p');
  await writeColumnar(graph, 'parquet', base);
  for (const [table, file] of [['layers', 'layers/data_0.parquet'], ['image_layers', 'image_layers/bucket=0/data_0.parquet']] as const) {
    for (const cut of [0, 3, 100, -1]) {
      const work = join(tempDir('layerlab-fuzz-'), 'w');
      cpSync(base, work, { recursive: true });
      const bytes = readFileSync(join(work, file));
      writeFileSync(join(work, file), bytes.subarray(0, cut < 0 ? bytes.length - 1 : cut));
      await refused(work, new RegExp(`${table}: .*not a Parquet file`));
    }
  }
});

test('columnar fuzz: a wrong column type is refused naming table and column', async () => {
  const dir = arrowExport(() => undefined);
  const file = join(dir, 'layers.arrow');
  const t = tableFromIPC(readFileSync(file));
  const cols: Record<string, unknown> = {};
  for (const f of t.schema.fields) cols[f.name] = f.name === 'size' ? vectorFromArray(Array.from({ length: t.numRows }, () => 1.5), new Float64()) : t.getChild(f.name);
  writeFileSync(file, tableToIPC(new Table(cols as never), 'file'));
  await refused(dir, /layers column size: expected int64, got Float64/);
  assert.ok(Int64);
});

test('columnar fuzz: bad digests, dangling references, cycles and disordered stacks name table, row and column', async () => {
  const cases: [string, (t: Record<TableName, FlatTable>) => void, RegExp][] = [
    ['dangling layer', (t) => ((t.image_layers.columns.layer_key as Int32Array)[5] = 99_999), /image_layers row 5 column layer_key: 99999 is not a key of layers/],
    ['dangling image', (t) => ((t.containers.columns.image_key as Int32Array)[1] = 4242), /containers row 1 column image_key: 4242 is not a key of images/],
    [
      'parent cycle',
      (t) => {
        const p = t.images.columns.parent_key as Int32Array;
        p[3] = 4;
        p[4] = 3;
      },
      /images row \d column parent_key: parent links form a cycle/,
    ],
    ['self parent', (t) => ((t.images.columns.parent_key as Int32Array)[2] = 2), /images row 2 column parent_key: an image cannot be its own parent/],
    ['positions', (t) => ((t.image_layers.columns.position as Int32Array)[1] = 7), /image_layers row 1 column position: expected 1/],
    ['chain key', (t) => ((t.image_layers.columns.chain_key as Int32Array)[2] = 0), /image_layers row 2 column chain_key: expected/],
    [
      'duplicate image id',
      (t) => {
        const id = t.images.columns.id as { bytes: Uint8Array };
        id.bytes.copyWithin(32, 0, 32);
      },
      /images row 1 column id: duplicate sha256:/,
    ],
    ['bad tag', (t) => ((t.image_refs.columns.ref as string[])[0] = 'UPPER:case'), /image_refs row 0 column ref: invalid reference/],
    ['bad state', (t) => ((t.containers.columns.state as string[])[0] = 'zombie'), /containers row 0 column state: expected one of/],
    ['negative size', (t) => ((t.layers.columns.size as Float64Array)[0] = -5), /layers row 0 column size: expected a size in bytes/],
  ];
  for (const [label, mutate, pattern] of cases) {
    const e = await refused(arrowExport(mutate), pattern);
    assert.ok(e.place.file, label);
  }
});

test('columnar fuzz: a Parquet digest of the wrong length is refused with its row', async () => {
  const base = join(tempDir('layerlab-fuzz-'), 'p');
  await writeColumnar(graph, 'parquet', base);
  const duck = await openDuck();
  try {
    const f = join(base, 'layers', 'data_0.parquet');
    const tmp = join(base, 'layers.tmp.parquet');
    await duck.connection.run(`COPY (SELECT * REPLACE (CASE WHEN layer_key = 7 THEN '\\xAA\\xBB'::BLOB ELSE digest END AS digest) FROM read_parquet(${sqlString(f)}) ORDER BY layer_key) TO ${sqlString(tmp)} (FORMAT parquet)`);
    cpSync(tmp, f);
    rmSync(tmp);
  } finally {
    duck.close();
  }
  await refused(base, /layers row 7 column digest: expected a 32-byte sha256 digest, got 2 bytes/);
});

test('columnar fuzz: a bad marker is refused', async () => {
  const dir = arrowExport(() => undefined);
  writeFileSync(join(dir, COLUMNAR_MARKER), '{"kind":"layerlab-columnar","version":9,"format":"arrow"}');
  await refused(dir, /unsupported columnar export version 9/);
  writeFileSync(join(dir, COLUMNAR_MARKER), '{not json');
  await refused(dir, /cannot read the export's marker file/);
});

test('columnar fuzz: Parquet string columns with nulls and quotes keep their values and their null checks', async () => {
  const base = join(tempDir('layerlab-fuzz-'), 'p');
  await writeColumnar(graph, 'parquet', base);
  const rewrite = async (table: string, key: string, replace: string): Promise<void> => {
    const duck = await openDuck();
    try {
      const f = join(base, table, 'data_0.parquet');
      const tmp = join(base, `${table}.tmp.parquet`);
      await duck.connection.run(`COPY (SELECT * REPLACE (${replace}) FROM read_parquet(${sqlString(f)}) ORDER BY ${key}) TO ${sqlString(tmp)} (FORMAT parquet)`);
      cpSync(tmp, f);
      rmSync(tmp);
    } finally {
      duck.close();
    }
  };
  await rewrite('layers', 'layer_key', `CASE WHEN layer_key = 3 THEN NULL WHEN layer_key = 5 THEN 'it''s/x' ELSE media_type END AS media_type`);
  const back = serializeSnapshot((await loadSource(base)).graph);
  assert.match(back, /it's\/x/);
  assert.equal(back.split('application/vnd.oci.image.layer.v1.tar+gzip').length, serializeSnapshot(graph).split('application/vnd.oci.image.layer.v1.tar+gzip').length - 2);
  await rewrite('image_refs', 'ref_key', `CASE WHEN ref_key = 4 THEN NULL ELSE kind END AS kind`);
  await refused(base, /image_refs row 4 column kind: is null, which this column does not allow/);
});
