// Parquet written through embedded DuckDB: its writer gives row groups, statistics, zstd and
// Hive-style PARTITION_BY; the same engine runs `layerlab sql`. Each table is a folder of Parquet
// files. Reading them back into a graph is columnar-parquet-read.ts (no DuckDB on that path).
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { tableError } from './columnar-graph.js';
import { SCHEMA, type ColumnData, type ColumnSpec, type FlatTable } from './columnar-schema.js';
import { DIGEST_BYTES, TABLE_NAMES, type DigestColumn, type StringColumn, type TableName } from './columnar-tables.js';
import type { BatchHook } from './columnar-arrow.js';
import { batchRanges, DEFAULT_BATCH_ROWS, flatSources, int64Words, type TableSources } from './columnar-batches.js';
import { duckError, openDuck, sqlString, type Duck } from './duckdb.js';

/** About the largest Parquet file a table not split into buckets is written as (then data_1.parquet, ...). */
export const PARQUET_FILE_BYTES = 256 * 1024 * 1024;
/** DuckDB's memory cap while writing Parquet (it spills to its database file and temp folder beyond it). */
const DUCK_MEMORY = '1GB';

/** The first and last bytes of a Parquet file. */
export const PARQUET_MAGIC = Buffer.from('PAR1');
/** Tables split into `bucket=N` folders by image_key % buckets (the big ones); the rest are one file. */
const PARTITIONED: readonly TableName[] = ['images', 'image_layers'];
/** Rows of image_layers per bucket: a bucket is what one Spark task or DuckDB thread reads. */
const ROWS_PER_BUCKET = 4_000_000;

const SQL_TYPE: Record<ColumnSpec['type'], string> = { key: 'INTEGER', ref: 'INTEGER', int64: 'BIGINT', digest: 'BLOB', string: 'VARCHAR' };

/** CREATE TABLE statement of a table (DuckDB types; the Parquet physical types follow). */
export function createTableSql(name: TableName): string {
  return `CREATE TABLE ${name} (${SCHEMA[name].map((c) => `${c.name} ${SQL_TYPE[c.type]}${c.nullable ? '' : ' NOT NULL'}`).join(', ')})`;
}

async function duckTypes(): Promise<Record<ColumnSpec['type'], DuckDBType>> {
  const api = await import('@duckdb/node-api');
  return { key: api.INTEGER, ref: api.INTEGER, int64: api.BIGINT, digest: api.BLOB, string: api.VARCHAR };
}

/** Loads flat tables into DuckDB tables of the same names (what `layerlab sql` queries). */
export async function insertTables(conn: DuckDBConnection, tables: Record<TableName, FlatTable>): Promise<void> {
  await insertTableSources(conn, flatSources(tables), DEFAULT_BATCH_ROWS);
}

/** DuckDB's vector size: an appended chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

/**
 * Creates DuckDB tables of the export's names and appends the sources into them, `batchRows` rows
 * made at a time (appended 2048 rows per chunk), so only one batch is held on the JS side.
 */
export async function insertTableSources(conn: DuckDBConnection, tables: TableSources, batchRows: number, onBatch?: BatchHook): Promise<void> {
  const api = await import('@duckdb/node-api');
  const types = await duckTypes();
  for (const name of TABLE_NAMES) {
    await conn.run(createTableSql(name));
    const specs = SCHEMA[name];
    const src = tables[name];
    const appender = await conn.createAppender(name);
    for (const [from, to] of batchRanges(src.rows, batchRows)) {
      const t = src.slice(from, to);
      for (let off = 0; off < t.rows; off += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, t.rows - off);
        const chunk = api.DuckDBDataChunk.create(
          specs.map((s) => types[s.type]),
          n,
        );
        specs.forEach((s, c) => fillVector(chunk.getColumnVector(c), s, t.columns[s.name], off, n, api.DuckDBBlobValue));
        appender.appendDataChunk(chunk);
      }
      onBatch?.(name, to);
    }
    appender.closeSync();
  }
}

/** The parts of a DuckDB vector filling it touches (its typed items for INTEGER and BIGINT). */
interface VectorView {
  items?: Int32Array | BigInt64Array;
  validity: { setItemValid(i: number, valid: boolean): void };
  setItem(i: number, v: DuckDBValue): void;
  flush(): void;
}

type BlobCtor = new (bytes: Uint8Array) => DuckDBValue;
/** Rows [off, off+n) of a column into a chunk's vector: numbers straight into its typed items, no value object per row. */
function fillVector(vector: unknown, spec: ColumnSpec, v: ColumnData, off: number, n: number, Blob: BlobCtor): void {
  const out = vector as VectorView;
  switch (spec.type) {
    case 'key':
    case 'ref': {
      const src = (v as Int32Array).subarray(off, off + n);
      (out.items as Int32Array).set(src);
      if (spec.nullable) for (let i = 0; i < n; i++) if (src[i] === -1) out.validity.setItemValid(i, false);
      break;
    }
    case 'int64': {
      const src = (v as Float64Array).subarray(off, off + n);
      int64Words(src, out.items as BigInt64Array);
      for (let i = 0; i < n; i++) if (Number.isNaN(src[i])) out.validity.setItemValid(i, false);
      break;
    }
    case 'digest': {
      const d = v as DigestColumn;
      for (let i = 0; i < n; i++) {
        const r = off + i;
        out.setItem(i, d.valid && d.valid[r] === 0 ? null : new Blob(d.bytes.subarray(r * DIGEST_BYTES, (r + 1) * DIGEST_BYTES)));
      }
      break;
    }
    case 'string': {
      const s = v as StringColumn;
      for (let i = 0; i < n; i++) out.setItem(i, s[off + i]);
    }
  }
  out.flush();
}

/** How many buckets image_layers is split into. */
export function bucketCount(imageLayerRows: number): number {
  return Math.max(1, Math.min(256, Math.ceil(imageLayerRows / ROWS_PER_BUCKET)));
}

/** Writes every table as `dir/<table>/` Parquet (zstd), the big ones partitioned by bucket. */
export async function writeParquetTables(dir: string, tables: TableSources, batchRows: number, onBatch?: BatchHook, fileBytes = PARQUET_FILE_BYTES): Promise<number> {
  // DuckDB's tables go in a database file beside the export, its memory capped: at 10M images they
  // would otherwise sit uncompressed in memory next to the graph. Removed whatever happens.
  const work = `${dir}.duckdb`;
  mkdirSync(work);
  const buckets = bucketCount(tables.image_layers.rows);
  let duck: Duck | undefined;
  try {
    duck = await openDuck(join(work, 'export.duckdb'), { memory_limit: DUCK_MEMORY, temp_directory: join(work, 'spill'), preserve_insertion_order: 'true' });
    await insertTableSources(duck.connection, tables, batchRows, onBatch);
    for (const name of TABLE_NAMES) {
      // Bloom filters off: DuckDB 1.5.6 probes the ones of BLOB columns with the wrong bytes (duckdb
      // issue 24994, PR 23829), so `WHERE digest = x` and digest joins found nothing (test/export-contents.test.ts).
      const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, WRITE_BLOOM_FILTER false';
      // files and chunks: bucketed by layer (a layer's rows stay together), sorted as a layer is read.
      const content = name === 'files' || name === 'chunks';
      const key = name === 'image_layers' ? 'image_key, position' : name === 'files' ? 'layer_digest, path' : name === 'chunks' ? 'layer_digest, algo, mode, path, chunk_offset' : SCHEMA[name][0].name;
      const target = join(dir, name);
      if ((PARTITIONED.includes(name) || content) && tables[name].rows > 0) {
        const bucket = content ? `hash(layer_digest) % ${bucketCount(tables[name].rows)}` : `image_key % ${buckets}`;
        await duck.connection.run(`COPY (SELECT *, ${bucket} AS bucket FROM ${name} ORDER BY ${key}) TO ${sqlString(target)} (${PARQUET_OPTIONS}, PARTITION_BY (bucket))`);
      } else if (tables[name].rows > 0) {
        // Files of at most about fileBytes (whole row groups; data_0.parquet, data_1.parquet, ...):
        // the reader copies a file into wasm memory for each few row groups it decodes, and the
        // layers of ten million images are one 1.5 GB file otherwise.
        await duck.connection.run(`COPY (SELECT * FROM ${name} ORDER BY ${key}) TO ${sqlString(target)} (${PARQUET_OPTIONS}, FILE_SIZE_BYTES ${fileBytes})`);
      } else {
        mkdirSync(target);
        await duck.connection.run(`COPY (SELECT * FROM ${name} ORDER BY ${key}) TO ${sqlString(join(target, 'data_0.parquet'))} (${PARQUET_OPTIONS})`);
      }
    }
  } catch (e) {
    throw duckError(e, 'EANALYSIS', { file: dir });
  } finally {
    duck?.close();
    rmSync(work, { recursive: true, force: true });
  }
  return buckets;
}

/** Every .parquet file under a table folder, each checked to start and end with PAR1. */
export function parquetFiles(exportPath: string, name: TableName): string[] {
  const root = join(exportPath, name);
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      return tableError(exportPath, name, undefined, undefined, `cannot list ${relative(exportPath, d) || name}/: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  walk(root);
  if (out.length === 0) tableError(exportPath, name, undefined, undefined, `no Parquet files in ${name}/`);
  for (const f of out) {
    const size = statSync(f).size;
    const fd = openSync(f, 'r');
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    try {
      readSync(fd, head, 0, 4, 0);
      if (size >= 8) readSync(fd, tail, 0, 4, size - 4);
    } finally {
      closeSync(fd);
    }
    if (size < 12 || !head.equals(PARQUET_MAGIC) || !tail.equals(PARQUET_MAGIC)) {
      tableError(exportPath, name, undefined, undefined, `${relative(exportPath, f)} is not a Parquet file (it must start and end with PAR1; truncated?)`);
    }
  }
  return out.sort();
}

/** `read_parquet([...])` over a table's files, partition column dropped. */
export function parquetScan(files: readonly string[]): string {
  return `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false)`;
}
