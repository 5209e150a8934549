// Parquet through embedded DuckDB: its writer gives row groups, statistics, zstd and Hive-style
// PARTITION_BY; the same engine runs `layerlab sql`. Each table is a folder of Parquet files.
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { LayerlabError } from '../errors.js';
import { tableError } from './columnar-graph.js';
import { SCHEMA, type ColumnData, type ColumnSpec, type FlatTable } from './columnar-schema.js';
import { DIGEST_BYTES, TABLE_NAMES, type DigestColumn, type StringColumn, type TableName } from './columnar-tables.js';
import { duckError, openDuck, sqlString } from './duckdb.js';

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

/** Loads flat tables into DuckDB tables of the same names, 2048 rows per appended chunk. */
export async function insertTables(conn: DuckDBConnection, tables: Record<TableName, FlatTable>): Promise<void> {
  const api = await import('@duckdb/node-api');
  const types = await duckTypes();
  for (const name of TABLE_NAMES) {
    await conn.run(createTableSql(name));
    const specs = SCHEMA[name];
    const t = tables[name];
    const appender = await conn.createAppender(name);
    for (let off = 0; off < t.rows; off += 2048) {
      const n = Math.min(2048, t.rows - off);
      const chunk = api.DuckDBDataChunk.create(
        specs.map((s) => types[s.type]),
        n,
      );
      specs.forEach((s, c) => chunk.setColumnValues(c, chunkValues(s, t.columns[s.name], off, n, api.DuckDBBlobValue)));
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
  }
}

type BlobCtor = new (bytes: Uint8Array) => DuckDBValue;
function chunkValues(spec: ColumnSpec, v: ColumnData, off: number, n: number, Blob: BlobCtor): DuckDBValue[] {
  const out = new Array<DuckDBValue>(n);
  for (let i = 0; i < n; i++) {
    const r = off + i;
    switch (spec.type) {
      case 'key':
      case 'ref': {
        const x = (v as Int32Array)[r];
        out[i] = spec.nullable && x === -1 ? null : x;
        break;
      }
      case 'int64': {
        const x = (v as Float64Array)[r];
        out[i] = Number.isNaN(x) ? null : BigInt(x);
        break;
      }
      case 'digest': {
        const d = v as DigestColumn;
        out[i] = d.valid && d.valid[r] === 0 ? null : new Blob(d.bytes.subarray(r * DIGEST_BYTES, (r + 1) * DIGEST_BYTES));
        break;
      }
      case 'string':
        out[i] = (v as StringColumn)[r];
    }
  }
  return out;
}

/** How many buckets image_layers is split into. */
export function bucketCount(imageLayerRows: number): number {
  return Math.max(1, Math.min(256, Math.ceil(imageLayerRows / ROWS_PER_BUCKET)));
}

/** Writes every table as `dir/<table>/` Parquet (zstd), the big ones partitioned by bucket. */
export async function writeParquetTables(dir: string, tables: Record<TableName, FlatTable>): Promise<number> {
  const duck = await openDuck();
  const buckets = bucketCount(tables.image_layers.rows);
  try {
    await insertTables(duck.connection, tables);
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
      } else {
        mkdirSync(target);
        await duck.connection.run(`COPY (SELECT * FROM ${name} ORDER BY ${key}) TO ${sqlString(join(target, 'data_0.parquet'))} (${PARQUET_OPTIONS})`);
      }
    }
  } catch (e) {
    throw duckError(e, 'EANALYSIS', { file: dir });
  } finally {
    duck.close();
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

/** Reads the graph tables of a Parquet export (files and chunks are left to SQL). */
export async function readParquetTables(exportPath: string): Promise<Record<TableName, FlatTable>> {
  const duck = await openDuck();
  try {
    const out = {} as Record<TableName, FlatTable>;
    for (const name of TABLE_NAMES) {
      const files = parquetFiles(exportPath, name);
      if (name === 'files' || name === 'chunks') {
        out[name] = { rows: 0, columns: {} };
        continue;
      }
      out[name] = await readParquetTable(duck.connection, exportPath, name, files);
    }
    return out;
  } finally {
    duck.close();
  }
}

async function readParquetTable(conn: DuckDBConnection, exportPath: string, name: TableName, files: string[]): Promise<FlatTable> {
  const specs = SCHEMA[name];
  const scan = parquetScan(files);
  let described;
  try {
    described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`)).getRowObjectsJS();
  } catch (e) {
    throw duckError(e, 'EINPUT', { file: exportPath, path: name });
  }
  const typeOf = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  for (const s of specs) {
    const got = typeOf.get(s.name);
    if (got === undefined) tableError(exportPath, name, undefined, s.name, `missing (expected ${SQL_TYPE[s.type]})`);
    if (got !== SQL_TYPE[s.type]) tableError(exportPath, name, undefined, s.name, `expected ${SQL_TYPE[s.type]}, got ${got}`);
  }
  const order = name === 'image_layers' ? 'image_key, position' : specs[0].type === 'key' ? specs[0].name : specs.map((s) => s.name).join(', ');
  // Digests come over as their lengths here (bulk INTEGER vectors) and their bytes in blocks
  // below: one native call per 32-byte BLOB was a third of the load time.
  const blocked = specs[0].type === 'key';
  const cols: ColumnData[] = [];
  let rows = 0;
  try {
    const dicts = await Promise.all(specs.map((s) => (s.type === 'string' ? dictionary(conn, scan, s.name) : undefined)));
    const select = specs.map((s, c) => {
      if (blocked && s.type === 'digest') return `octet_length(${s.name})`;
      const dict = dicts[c];
      return dict ? `CASE WHEN ${s.name} IS NULL THEN -1 ELSE list_position([${dict.map(sqlString).join(', ')}], ${s.name}) END` : s.name;
    });
    const result = await conn.run(`SELECT ${select.join(', ')} FROM ${scan} ORDER BY ${order}`);
    const parts: ColumnData[][] = specs.map(() => []);
    const counts: number[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      specs.forEach((s, c) => parts[c].push(vectorValues(exportPath, name, s, chunk.getColumnVector(c), rows, blocked, dicts[c])));
      counts.push(chunk.rowCount);
      rows += chunk.rowCount;
    }
    specs.forEach((s, c) => cols.push(concat(s, parts[c], counts, rows)));
    if (blocked) await fillDigests(conn, scan, specs, cols, rows);
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    throw duckError(e, 'EINPUT', { file: exportPath, path: name });
  }
  return { rows, columns: Object.fromEntries(specs.map((s, c) => [s.name, cols[c]])) };
}

interface RawVector {
  itemCount: number;
  getItem(i: number): unknown;
  getItemBytes?(i: number): Uint8Array | null;
}

/** Block of rows per string_agg value: ~1 MB of hex per digest column, one native call each. */
const DIGEST_BLOCK = 16384;
/** Keys per digest query (a multiple of DIGEST_BLOCK). */
const DIGEST_RANGE = 16 * DIGEST_BLOCK;
const NO_BYTES = new Uint8Array(0);

/** Most distinct values a string column may have to come over as codes into a dictionary. */
const DICTIONARY_MAX = 256;

/**
 * The distinct non-null values of a string column when there are few (media types, platforms,
 * ref kinds): the rows then come over as INTEGER codes in bulk instead of one native call per
 * string, a third of the remaining load time on 1M images.
 */
async function dictionary(conn: DuckDBConnection, scan: string, column: string): Promise<string[] | undefined> {
  const r = await conn.runAndReadAll(`SELECT v FROM (SELECT DISTINCT ${column} AS v FROM ${scan} WHERE ${column} IS NOT NULL) LIMIT ${DICTIONARY_MAX + 1}`);
  const values = r.getColumnsJS()[0] as string[] | undefined;
  return values && values.length > 0 && values.length <= DICTIONARY_MAX ? values : undefined;
}

function vectorValues(file: string, table: TableName, spec: ColumnSpec, raw: unknown, base: number, lengthsOnly: boolean, dict?: readonly string[]): ColumnData {
  const v = raw as RawVector;
  const n = v.itemCount;
  const nullAt = (r: number): never => tableError(file, table, base + r, spec.name, 'is null, which this column does not allow');
  const wrongLength = (r: number, len: number): never => tableError(file, table, base + r, spec.name, `expected a 32-byte sha256 digest, got ${len} bytes`);
  if (spec.type === 'digest' && lengthsOnly) {
    // The bytes are filled in by fillDigests; this pass keeps the same checks in the same order.
    let valid: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const got = v.getItem(i) as bigint | null;
      if (got === null) {
        if (!spec.nullable) nullAt(i);
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      } else if (got !== BigInt(DIGEST_BYTES)) wrongLength(i, Number(got));
    }
    return valid ? { bytes: NO_BYTES, valid } : { bytes: NO_BYTES };
  }
  if (spec.type === 'digest') {
    const bytes = new Uint8Array(n * DIGEST_BYTES);
    let valid: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const b = (v.getItemBytes as (i: number) => Uint8Array | null)(i);
      if (b === null) {
        if (!spec.nullable) nullAt(i);
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      } else if (b.length !== DIGEST_BYTES) wrongLength(i, b.length);
      else bytes.set(b, i * DIGEST_BYTES);
    }
    return valid ? { bytes, valid } : { bytes };
  }
  if (spec.type === 'string' && dict) {
    const out: StringColumn = new Array(n);
    for (let i = 0; i < n; i++) {
      const code = Number(v.getItem(i));
      if (code === -1) {
        if (!spec.nullable) nullAt(i);
        out[i] = null;
      } else if (code >= 1 && code <= dict.length) out[i] = dict[code - 1];
      else throw new Error(`${table}.${spec.name} row ${base + i}: value missing from its dictionary (file changed while read?)`);
    }
    return out;
  }
  if (spec.type === 'string') {
    const out: StringColumn = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = v.getItem(i) as string | null;
      if (s === null && !spec.nullable) nullAt(i);
      out[i] = s;
    }
    return out;
  }
  const out = spec.type === 'int64' ? new Float64Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = v.getItem(i) as number | bigint | null;
    if (x === null) {
      if (!spec.nullable) nullAt(i);
      out[i] = spec.type === 'int64' ? NaN : -1;
      continue;
    }
    out[i] = Number(x);
    if (spec.type === 'key' && out[i] !== base + i) tableError(file, table, base + i, spec.name, `expected ${base + i}: keys run 0, 1, 2, ... without gaps or repeats`);
    if (spec.type === 'ref' && out[i] < 0) tableError(file, table, base + i, spec.name, `${out[i]} is not a key (keys are >= 0)`);
  }
  return out;
}

/**
 * Reads a key table's digest columns as one hex string per DIGEST_BLOCK rows (in key order, nulls
 * as zeros under their validity) into the columns' byte arrays. The keys were checked to run
 * 0..rows-1 and every non-null digest to be 32 bytes, so each block's length is known.
 */
async function fillDigests(conn: DuckDBConnection, scan: string, specs: readonly ColumnSpec[], cols: ColumnData[], rows: number): Promise<void> {
  const at = specs.flatMap((s, c) => (s.type === 'digest' ? [c] : []));
  if (at.length === 0 || rows === 0) return;
  const key = specs[0].name;
  const zeros = sqlString('0'.repeat(2 * DIGEST_BYTES));
  // As BLOB, so the ASCII hex arrives as bytes (no UTF-8 decode into a JS string).
  const aggs = at.map((c) => `CAST(string_agg(coalesce(hex(${specs[c].name}), ${zeros}), '' ORDER BY ${key}) AS BLOB)`);
  const views = at.map((c) => {
    const bytes = new Uint8Array(rows * DIGEST_BYTES);
    (cols[c] as DigestColumn).bytes = bytes;
    return bytes;
  });
  let block = 0;
  // A range of keys per query keeps DuckDB's aggregate (all hex of the range) small; with the
  // files written in key order, row-group statistics let each query skip the other ranges.
  for (let lo = 0; lo < rows; lo += DIGEST_RANGE) {
    const result = await conn.run(`SELECT ${key} // ${DIGEST_BLOCK} AS block, ${aggs.join(', ')} FROM ${scan} WHERE ${key} >= ${lo} AND ${key} < ${lo + DIGEST_RANGE} GROUP BY block ORDER BY block`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const blocks = chunk.getColumnVector(0) as unknown as RawVector;
      for (let i = 0; i < chunk.rowCount; i++, block++) {
        if (Number(blocks.getItem(i)) !== block) throw new Error(`digest block ${block} missing`);
        const off = block * DIGEST_BLOCK * DIGEST_BYTES;
        const want = (Math.min(rows, (block + 1) * DIGEST_BLOCK) - block * DIGEST_BLOCK) * DIGEST_BYTES;
        at.forEach((_, j) => {
          const hex = (chunk.getColumnVector(j + 1) as unknown as RawVector).getItemBytes!(i);
          if (hex === null || hex.length !== 2 * want || !unhex(hex, views[j], off)) throw new Error(`digest block ${block} is not ${want} bytes of hex`);
        });
      }
    }
  }
  if (block * DIGEST_BLOCK < rows) throw new Error(`digest blocks cover ${block * DIGEST_BLOCK} of ${rows} rows`);
}

/** Byte value of each pair of ASCII hex digits read as one little-endian 16-bit word; -1 if not hex. */
const HEX_PAIR = ((): Int16Array => {
  const t = new Int16Array(65536).fill(-1);
  const digits = '0123456789abcdef';
  for (let hi = 0; hi < 16; hi++) {
    for (let lo = 0; lo < 16; lo++) {
      for (const h of [digits[hi], digits[hi].toUpperCase()]) {
        for (const l of [digits[lo], digits[lo].toUpperCase()]) t[h.charCodeAt(0) | (l.charCodeAt(0) << 8)] = (hi << 4) | lo;
      }
    }
  }
  return t;
})();

/** Decodes ASCII hex into out at off, a word (two digits) per lookup; false on a non-hex byte. */
function unhex(hex: Uint8Array, out: Uint8Array, off: number): boolean {
  const n = hex.length >> 1;
  const words = hex.byteOffset % 2 === 0 ? new Uint16Array(hex.buffer, hex.byteOffset, n) : new Uint16Array(hex.slice().buffer, 0, n);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const v = HEX_PAIR[words[i]];
    bad |= v;
    out[off + i] = v;
  }
  return bad >= 0;
}

function concat(spec: ColumnSpec, parts: ColumnData[], counts: readonly number[], rows: number): ColumnData {
  if (spec.type === 'string') {
    // Array.prototype.flat over millions of strings was a measurable share of the load.
    const out: StringColumn = new Array(rows);
    let r = 0;
    for (const p of parts as StringColumn[]) for (let i = 0; i < p.length; i++) out[r++] = p[i];
    return out;
  }
  if (spec.type === 'digest') {
    const bytes = new Uint8Array((parts as DigestColumn[]).some((p) => p.bytes.length > 0) ? rows * DIGEST_BYTES : 0);
    let valid: Uint8Array | undefined;
    let r = 0;
    (parts as DigestColumn[]).forEach((p, k) => {
      if (p.bytes.length > 0) bytes.set(p.bytes, r * DIGEST_BYTES);
      if (p.valid) (valid ??= new Uint8Array(rows).fill(1)).set(p.valid, r);
      r += counts[k];
    });
    return valid ? { bytes, valid } : { bytes };
  }
  const out = spec.type === 'int64' ? new Float64Array(rows) : new Int32Array(rows);
  let r = 0;
  for (const p of parts as (Int32Array | Float64Array)[]) {
    out.set(p, r);
    r += p.length;
  }
  return out;
}
