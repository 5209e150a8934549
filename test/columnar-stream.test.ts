// The export writes its tables a batch at a time: the files are the ones the whole-table writer
// made (one batch), batch boundaries anywhere read back to the same tables and graph, and an
// export stopped mid-way (an error, or the process killed) leaves no PATH behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { FixedSizeBinary, Int32, Int64, makeData, makeVector, Table, tableToIPC, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { LayerlabError } from '../src/errors.js';
import { GraphBuilder, type ImageGraph } from '../src/model/graph.js';
import { readArrowTable, readArrowTableFile } from '../src/sources/columnar-arrow.js';
import { batchRanges, graphTableSources } from '../src/sources/columnar-batches.js';
import { flattenTables, SCHEMA, type ColumnData, type ColumnSpec, type FlatTable } from '../src/sources/columnar-schema.js';
import { TABLE_NAMES, tablesFromGraph, type DigestColumn, type StringColumn, type TableName } from '../src/sources/columnar-tables.js';
import { writeColumnar } from '../src/sources/columnar.js';
import { loadSource } from '../src/sources/load.js';
import { parseSnapshot, serializeSnapshot } from '../src/sources/snapshot.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { tempDir } from './helpers/tmp.js';

const hex = (c: string) => c.repeat(64);

/** Layers without a diffID (null chainIDs above them), tags and digest references, platforms, containers. */
function oddGraph(): ImageGraph {
  const b = new GraphBuilder();
  const l0 = b.addLayer({ diffId: `sha256:${hex('1')}`, digest: `sha256:${hex('a')}`, size: 10, compressedSize: 4, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
  const l1 = b.addLayer({ digest: `sha256:${hex('b')}`, compressedSize: 7 });
  const l2 = b.addLayer({ diffId: `sha256:${hex('2')}`, size: 3 });
  b.addImage({ id: `sha256:${hex('c')}`, repoTags: ['a:1', 'a:2'], repoDigests: [`a@sha256:${hex('d')}`], platform: 'linux/arm64/v8', created: -5 }, [l0, l1, l2]);
  b.addImage({ id: `sha256:${hex('e')}`, parent: `sha256:${hex('c')}` }, [l0, l2]);
  b.addImage({ id: `sha256:${hex('f')}`, repoDigests: [`b@sha256:${hex('9')}`, `c@sha256:${hex('8')}`] }, [l2, l0, l1]);
  b.addContainer({ id: hex('7'), image: `sha256:${hex('e')}`, state: 'running', name: 'x', sizeRw: 12, command: 'sh' });
  return b.build();
}

/** Every table of a graph as the whole-table code makes it (tablesFromGraph, what `sql` loads). */
const wholeTables = (g: ImageGraph) => flattenTables(tablesFromGraph(g));

/** A source's rows [from, to) joined back from batches of `batchRows`. */
function rejoined(g: ImageGraph, name: TableName, batchRows: number): FlatTable[] {
  const src = graphTableSources(g)[name];
  return [...batchRanges(src.rows, batchRows)].map(([a, b]) => src.slice(a, b));
}

function assertSameTable(got: FlatTable, want: FlatTable, label: string): void {
  assert.equal(got.rows, want.rows, label);
  for (const [k, v] of Object.entries(want.columns)) {
    const g = got.columns[k];
    if (Array.isArray(v)) assert.deepEqual(g, v, `${label}.${k}`);
    else if (v instanceof Int32Array || v instanceof Float64Array) assert.deepEqual(Array.from(g as typeof v), Array.from(v), `${label}.${k}`);
    else {
      const gd = g as { bytes: Uint8Array; valid?: Uint8Array };
      assert.deepEqual(Buffer.from(gd.bytes), Buffer.from(v.bytes), `${label}.${k} bytes`);
      assert.deepEqual(gd.valid ? Array.from(gd.valid) : undefined, v.valid ? Array.from(v.valid) : undefined, `${label}.${k} valid`);
    }
  }
}

/** The batches of a table concatenated (what a reader of several batches sees). */
function concat(parts: FlatTable[]): FlatTable {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const columns: FlatTable['columns'] = {};
  for (const k of Object.keys(parts[0].columns)) {
    const vs = parts.map((p) => p.columns[k]);
    const v0 = vs[0];
    if (Array.isArray(v0)) columns[k] = (vs as (string | null)[][]).flat();
    else if (v0 instanceof Int32Array) columns[k] = Int32Array.from((vs as Int32Array[]).flatMap((a) => Array.from(a)));
    else if (v0 instanceof Float64Array) columns[k] = Float64Array.from((vs as Float64Array[]).flatMap((a) => Array.from(a)));
    else {
      const ds = vs as { bytes: Uint8Array; valid?: Uint8Array }[];
      const anyNull = ds.some((d) => d.valid);
      const bytes = Buffer.concat(ds.map((d) => d.bytes));
      columns[k] = anyNull ? { bytes, valid: Uint8Array.from(ds.flatMap((d) => (d.valid ? Array.from(d.valid) : new Array(d.bytes.length / 32).fill(1)))) } : { bytes };
    }
  }
  return { rows, columns };
}

// The whole-table writer as it was (apache-arrow's builders for strings, a BigInt per int64): the
// oracle the batch writer's bytes are checked against.
function oldBitmap(n: number, isNull: (i: number) => boolean): { nullBitmap?: Uint8Array; nullCount: number } {
  let nulls = 0;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (isNull(i)) nulls++;
    else bits[i >> 3] |= 1 << (i & 7);
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bits, nullCount: nulls };
}
function oldColumn(spec: ColumnSpec, v: ColumnData, n: number): Vector {
  switch (spec.type) {
    case 'key':
    case 'ref': {
      const a = v as Int32Array;
      return makeVector(makeData({ type: new Int32(), length: n, data: a, ...(spec.nullable ? oldBitmap(n, (i) => a[i] === -1) : { nullCount: 0 }) }));
    }
    case 'int64': {
      const a = v as Float64Array;
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (!Number.isNaN(a[i])) data[i] = BigInt(a[i]);
      return makeVector(makeData({ type: new Int64(), length: n, data, ...oldBitmap(n, (i) => Number.isNaN(a[i])) }));
    }
    case 'digest': {
      const d = v as DigestColumn;
      return makeVector(makeData({ type: new FixedSizeBinary(32), length: n, data: d.bytes, ...oldBitmap(n, (i) => d.valid !== undefined && d.valid[i] === 0) }));
    }
    case 'string':
      return vectorFromArray(v as StringColumn, new Utf8());
  }
}
const oldArrowFile = (name: TableName, t: FlatTable): Buffer =>
  Buffer.from(tableToIPC(new Table(Object.fromEntries(SCHEMA[name].map((c) => [c.name, oldColumn(c, t.columns[c.name], t.rows)]))), 'file'));

const graphArb = fc.oneof(
  snapshotDoc({ maxImages: 12 }).map((d) => parseSnapshot(JSON.stringify(d)).graph),
  fc.record({ images: fc.integer({ min: 1, max: 60 }), seed: fc.nat(), containers: fc.nat(6) }).map((o) => syntheticGraph(o)),
  fc.constant(null).map(() => oddGraph()),
);

test('columnar stream: batches of any size join back to the whole-table columns', () => {
  fc.assert(
    fc.property(graphArb, fc.integer({ min: 1, max: 9 }), (g, batchRows) => {
      const whole = wholeTables(g);
      for (const name of TABLE_NAMES) assertSameTable(concat(rejoined(g, name, batchRows)), whole[name], `${name} by ${batchRows}`);
    }),
    { numRuns: 60 },
  );
});

test('columnar stream: one batch writes the bytes the whole-table writer wrote', async () => {
  const dir = tempDir('layerlab-stream-');
  let k = 0;
  await fc.assert(
    fc.asyncProperty(graphArb, async (g) => {
      const out = join(dir, `e${k++}`);
      await writeColumnar(g, 'arrow', out);
      const whole = wholeTables(g);
      for (const name of TABLE_NAMES) assert.deepEqual(readFileSync(join(out, `${name}.arrow`)), oldArrowFile(name, whole[name]), name);
    }),
    { numRuns: 25 },
  );
  // Bitmaps of more than 64 bytes (over 512 rows), nulls among repeated and distinct strings.
  const b = new GraphBuilder();
  const ls = Array.from({ length: 1500 }, (_, i) =>
    b.addLayer({ diffId: `sha256:${i.toString(16).padStart(64, '0')}`, size: i * 1e9, ...(i % 3 === 0 ? {} : { mediaType: i % 7 === 0 ? `type/${i}` : 'application/x' }) }),
  );
  for (let i = 0; i < 700; i++) b.addImage({ id: `sha256:${(i + 5000).toString(16).padStart(64, '0')}`, ...(i % 2 ? { platform: 'linux/amd64' } : {}) }, [ls[i], ls[i + 800]]);
  const big = b.build();
  const out = join(dir, 'big');
  await writeColumnar(big, 'arrow', out);
  const whole = wholeTables(big);
  for (const name of TABLE_NAMES) assert.deepEqual(readFileSync(join(out, `${name}.arrow`)), oldArrowFile(name, whole[name]), name);
});

for (const format of ['arrow', 'parquet'] as const) {
  test(`columnar stream ${format}: small batches read back to the same graph${format === 'arrow' ? ' and tables' : ''}`, async () => {
    const dir = tempDir('layerlab-stream-');
    const graphs = [oddGraph(), syntheticGraph({ images: 300, seed: 11, containers: 9 })];
    for (const [k, g] of graphs.entries()) {
      for (const batchRows of [1, 7, 1000]) {
        const out = join(dir, `e${k}-${batchRows}`);
        let batches = 0;
        await writeColumnar(g, format, out, undefined, { batchRows, onBatch: () => void batches++ });
        if (batchRows === 1) assert.ok(batches > g.referenceCount, 'one batch per row');
        assert.equal(serializeSnapshot((await loadSource(out)).graph), serializeSnapshot(g), `${format} graph ${k} by ${batchRows}`);
        if (format === 'arrow') {
          const whole = wholeTables(g);
          for (const name of TABLE_NAMES) assertSameTable(readArrowTable(out, name, out), whole[name], `${name} read back`);
        }
      }
    }
  });

  test(`columnar stream ${format}: an export failing mid-way leaves no PATH and no temp folder`, async () => {
    const dir = tempDir('layerlab-stream-');
    const g = syntheticGraph({ images: 200, seed: 2 });
    const out = join(dir, 'e');
    const stop = new Error('stopped on purpose');
    await assert.rejects(
      writeColumnar(g, format, out, undefined, {
        batchRows: 50,
        onBatch: (t, rows) => {
          if (t === 'image_layers' && rows >= 100) throw stop;
        },
      }),
      (e: unknown) => e instanceof LayerlabError && /stopped on purpose/.test(e.message),
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir), []);
  });
}

test('columnar stream: an export killed mid-way leaves no PATH', async () => {
  const dir = tempDir('layerlab-stream-');
  const out = join(dir, 'e');
  // A child writes an export and stops for good in its third batch of image_layers; it is then killed.
  const script = join(dir, "child.mts");
  writeFileSync(
    script,
    `import { writeColumnar } from ${JSON.stringify(new URL('../src/sources/columnar.js', import.meta.url).href)};
import { syntheticGraph } from ${JSON.stringify(new URL('../src/sources/synthetic.js', import.meta.url).href)};
await writeColumnar(syntheticGraph({ images: 300, seed: 4 }), 'arrow', ${JSON.stringify(out)}, undefined, {
  batchRows: 100,
  onBatch: (t, rows) => {
    if (t === 'image_layers' && rows >= 300) {
      process.stdout.write('stuck\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
  },
});
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('stuck')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited first (${code})`)));
  });
  const tmp = readdirSync(dir).filter((f) => f.startsWith('.e.tmp-'));
  assert.equal(tmp.length, 1, 'the export is being written into its temp folder');
  assert.ok(readdirSync(join(dir, tmp[0])).includes('image_layers.arrow'), 'mid-way: image_layers is being written');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(existsSync(out), false);
  await assert.rejects(loadSource(join(dir, tmp[0])));
});

test('columnar stream: a file read batch by batch through a handle gives the tables read whole', async () => {
  const dir = tempDir('layerlab-stream-');
  const g = syntheticGraph({ images: 250, seed: 8, containers: 4 });
  const out = join(dir, 'e');
  await writeColumnar(g, 'arrow', out, undefined, { batchRows: 64 });
  for (const name of TABLE_NAMES) assertSameTable(await readArrowTableFile(out, name, out, 0), readArrowTable(out, name, out), name);
  // Damaged past its magic bytes (a batch cut short): refused with the table named, never a crash.
  const f = join(out, 'image_layers.arrow');
  const bytes = readFileSync(f);
  writeFileSync(f, Buffer.concat([bytes.subarray(0, 2000), bytes.subarray(bytes.length - 6)]));
  await assert.rejects(readArrowTableFile(out, 'image_layers', out, 0), (e: unknown) => e instanceof LayerlabError && /image_layers/.test(e.message));
  truncateSync(f, 3);
  await assert.rejects(readArrowTableFile(out, 'image_layers', out, 0), (e: unknown) => e instanceof LayerlabError && /not an Arrow IPC file/.test(e.message));
});

test('columnar stream parquet: a table written as several files reads back to the same graph', async () => {
  const dir = tempDir('layerlab-stream-');
  const g = syntheticGraph({ images: 65_000, seed: 6, containers: 3 });
  assert.ok(g.layerCount > 122_880, "more layers than one DuckDB row group");
  const out = join(dir, 'e');
  await writeColumnar(g, 'parquet', out, undefined, { parquetFileBytes: 1 });
  const files = readdirSync(join(out, 'layers')).sort();
  assert.ok(files.length > 1 && files[0] === 'data_0.parquet' && files.every((f) => /^data_\d+\.parquet$/.test(f)), files.join(' '));
  assert.equal(serializeSnapshot((await loadSource(out)).graph), serializeSnapshot(g));
});
