// Reads a Parquet export's graph tables without DuckDB: parquet-wasm (arrow-rs's Parquet reader
// compiled to wasm) decodes a few row groups at a time into Arrow, whose buffers are copied in
// bulk from wasm memory into the flat columns. DuckDB handed values over one native call at a time and sorted in
// SQL (12.7 CPU-s on 1M images); here the rows are put in key order in JS, checked, not trusted.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { tableFromIPC, Type, type DataType, type Field, type FixedSizeBinary, type Int, type Table, type Vector } from 'apache-arrow';
import type { FFIStream } from 'parquet-wasm';
import { LayerlabError } from '../errors.js';
import { int64Into, isValid, utf8Into, type ChunkView } from './columnar-arrow.js';
import { keyOrder, permute, stackOrder, type Gathered } from './columnar-order.js';
import { tableError } from './columnar-graph.js';
import { PARQUET_MAGIC, parquetFiles } from './columnar-parquet.js';
import { emptyTable, SCHEMA, type ColumnData, type ColumnSpec, type FlatTable } from './columnar-schema.js';
import { CONTENT_TABLES, DIGEST_BYTES, TABLE_NAMES, type StringColumn, type TableName } from './columnar-tables.js';

/** Rows decoded per call (whole row groups): each call copies the file into wasm memory, so few, yet little decoded at once. */
const ROWS_PER_READ = 1 << 19;

/** The SQL type each column had in DuckDB's schema (what `layerlab sql` shows) and its Arrow name. */
const WANT: Record<ColumnSpec['type'], string> = { key: 'INTEGER (int32)', ref: 'INTEGER (int32)', int64: 'BIGINT (int64)', digest: 'BLOB (binary)', string: 'VARCHAR (utf8)' };

function typeMatches(spec: ColumnSpec, v: Vector): boolean {
  const t = v.type;
  switch (spec.type) {
    case 'key':
    case 'ref':
      return t.typeId === Type.Int && (t as Int).bitWidth === 32 && (t as Int).isSigned;
    case 'int64':
      return t.typeId === Type.Int && (t as Int).bitWidth === 64 && (t as Int).isSigned;
    case 'digest':
      return t.typeId === Type.Binary || t.typeId === Type.LargeBinary || t.typeId === Type.FixedSizeBinary;
    case 'string':
      return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
  }
}

type ParquetWasm = typeof import('parquet-wasm');
const require = createRequire(import.meta.url);
let loaded: ParquetWasm | undefined;
/** The wasm module, instantiated again after a trap (a Rust panic on a corrupt file leaves its state unknown). */
function parquetWasm(): ParquetWasm {
  return (loaded ??= require('parquet-wasm') as ParquetWasm);
}

/** Reads the graph tables of a Parquet export (files and chunks are checked to be Parquet files, left to SQL). */
export async function readParquetTables(exportPath: string): Promise<Record<TableName, FlatTable>> {
  const out = {} as Record<TableName, FlatTable>;
  for (const name of TABLE_NAMES) {
    const files = parquetFiles(exportPath, name);
    out[name] = CONTENT_TABLES.includes(name) ? emptyTable(name) : await readTable(exportPath, name, files);
  }
  return out;
}

/** What a wasm call failing says, as the file's error; after a trap the module is instantiated again. */
function unreadable(exportPath: string, name: TableName, file: string, e: unknown): never {
  if (e instanceof Error && e.name === 'RuntimeError') {
    delete require.cache[require.resolve('parquet-wasm')];
    loaded = undefined;
  }
  return tableError(exportPath, name, undefined, undefined, `${file} is not a readable Parquet file: ${message(e)}`);
}

/**
 * A file's footer alone, as a Parquet file the reader accepts (PAR1, metadata, its length, PAR1):
 * the schema and row-group sizes come from it without copying the whole file into wasm memory.
 */
function footerOf(exportPath: string, name: TableName, file: string, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.length - 8);
  if (len > bytes.length - 12) tableError(exportPath, name, undefined, undefined, `${file} is not a readable Parquet file: its footer length (${len} bytes) does not fit in the file`);
  const out = new Uint8Array(len + 12);
  out.set(PARQUET_MAGIC);
  out.set(bytes.subarray(bytes.length - 8 - len), 4);
  return out;
}

/**
 * The file's schema, through one synchronous call into the wasm reader. Synchronous calls first:
 * a panic inside the asynchronous reader escapes its promise (an uncaught exception; the promise
 * never settles), where here it is a thrown RuntimeError, reported as the file's error.
 */
function readSchemaOf(exportPath: string, name: TableName, file: string, footer: Uint8Array): Table {
  try {
    return tableFromIPC(parquetWasm().readSchema(footer).intoIPCStream());
  } catch (e) {
    return unreadable(exportPath, name, file, e);
  }
}

/**
 * The columns of some row groups, decoded by the wasm reader and read in place from its memory
 * through the Arrow C data interface (each record batch a struct array, a child per field, wasm32
 * layout: five int64 then five pointers). Serialising to Arrow IPC and parsing that back cost a
 * third of the decode. The views are valid until the next call into the module: the caller copies
 * each chunk out at once, in `use`.
 */
function readChunks(exportPath: string, name: TableName, file: string, bytes: Uint8Array, rowGroups: number[], fields: readonly { name: string; type: DataType }[], use: (field: number, chunk: ChunkView) => void): number {
  const pw = parquetWasm();
  let stream: FFIStream;
  try {
    stream = pw.readParquet(bytes, { rowGroups, batchSize: ROWS_PER_READ }).intoFFI();
  } catch (e) {
    return unreadable(exportPath, name, file, e);
  }
  try {
    const buf = pw.wasmMemory().buffer;
    const mem = new DataView(buf);
    const int = (at: number): number => Number(mem.getBigInt64(at, true));
    let rows = 0;
    for (let b = 0, n = stream.numArrays(); b < n; b++) {
      const batch = stream.arrayAddr(b);
      const children = mem.getUint32(batch + 44, true);
      if (int(batch + 32) !== fields.length) throw new Error(`a record batch has ${int(batch + 32)} columns, the schema ${fields.length}`);
      for (let f = 0; f < fields.length; f++) {
        const at = mem.getUint32(children + 4 * f, true);
        const length = int(at);
        const offset = int(at + 16);
        const ptrs = mem.getUint32(at + 40, true);
        const ptr = (k: number): number => mem.getUint32(ptrs + 4 * k, true);
        const end = offset + length;
        const type = fields[f].type;
        const nullCount = int(at + 8);
        const chunk: ChunkView = { type, length, offset, nullCount, values: EMPTY, nullBitmap: nullCount !== 0 && ptr(0) !== 0 ? new Uint8Array(buf, ptr(0), (end + 7) >> 3) : undefined };
        if (type.typeId === Type.Int) chunk.values = (type as Int).bitWidth === 64 ? new BigInt64Array(buf, ptr(1), end) : new Int32Array(buf, ptr(1), end);
        else if (type.typeId === Type.FixedSizeBinary) chunk.values = new Uint8Array(buf, ptr(1), end * (type as FixedSizeBinary).byteWidth);
        else if (type.typeId === Type.Binary || type.typeId === Type.Utf8) {
          const offsets = new Int32Array(buf, ptr(1), end + 1);
          chunk.valueOffsets = offsets;
          chunk.values = new Uint8Array(buf, ptr(2), Math.max(0, offsets[end]));
        } else {
          const offsets = new BigInt64Array(buf, ptr(1), end + 1);
          chunk.valueOffsets = offsets;
          chunk.values = new Uint8Array(buf, ptr(2), Math.max(0, Number(offsets[end])));
        }
        use(f, chunk);
      }
      rows += int(batch);
    }
    return rows;
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    return unreadable(exportPath, name, file, e);
  } finally {
    stream.free();
  }
}

const EMPTY = new Uint8Array(0);

/** Rows of each row group, from the footer (which readSchema parsed synchronously, so it does not trap here). */
async function rowGroupRows(footer: Uint8Array<ArrayBuffer>): Promise<number[]> {
  const pf = await parquetWasm().ParquetFile.fromFile(new Blob([footer]));
  try {
    const meta = pf.metadata();
    return Array.from({ length: meta.numRowGroups() }, (_, g) => meta.rowGroup(g).numRows());
  } finally {
    pf.free();
  }
}

async function readTable(exportPath: string, name: TableName, paths: readonly string[]): Promise<FlatTable> {
  const specs = SCHEMA[name];
  const files: { file: string; bytes: Uint8Array; groups: number[]; fields: Field[] }[] = [];
  for (const path of paths) {
    const file = relative(exportPath, path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      return tableError(exportPath, name, undefined, undefined, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? message(e)}`);
    }
    const footer = footerOf(exportPath, name, file, bytes);
    const schema = readSchemaOf(exportPath, name, file, footer);
    checkSchema(exportPath, name, file, schema);
    let groups: number[];
    try {
      groups = await rowGroupRows(footer);
    } catch (e) {
      return tableError(exportPath, name, undefined, undefined, `${file} is not a readable Parquet file: ${message(e)}`);
    }
    files.push({ file, bytes, groups, fields: schema.schema.fields });
  }
  const rows = files.reduce((a, f) => a + f.groups.reduce((x, y) => x + y, 0), 0);
  const cols = specs.map((spec) => gatherInto(spec, rows));
  const starts: number[] = [];
  let at = 0;
  for (const { file, bytes, groups, fields } of files) {
    starts.push(at);
    // The gathered column of each of the file's fields (undefined: a column the graph does not use).
    const target = fields.map((f) => cols.find((c) => c.spec.name === f.name));
    // A few row groups per call: wasm memory (which never shrinks) holds the file and about ROWS_PER_READ rows.
    for (let g = 0; g < groups.length; ) {
      const batch: number[] = [];
      let want = 0;
      while (g < groups.length && (batch.length === 0 || want + groups[g] <= ROWS_PER_READ)) {
        want += groups[g];
        batch.push(g++);
      }
      if (at + want > rows) tableError(exportPath, name, undefined, undefined, `${file}: more rows than its metadata says`);
      const filled = target.map(() => at);
      const got = readChunks(exportPath, name, file, bytes, batch, fields, (f, chunk) => {
        const c = target[f];
        if (!c) return;
        if (filled[f] + chunk.length > at + want) tableError(exportPath, name, undefined, c.spec.name, `${file}: more rows than its metadata says`);
        append(c, chunk, filled[f], (row) => tableError(exportPath, name, row, c.spec.name, `${file}: offsets point outside the column (corrupt file)`));
        filled[f] += chunk.length;
      });
      if (got !== want || filled.some((r, f) => target[f] && r !== at + want)) tableError(exportPath, name, undefined, undefined, `${file}: row groups ${batch.join(', ')} hold ${got} rows, its metadata says ${want}`);
      at += want;
    }
  }
  const perm = specs[0].type === 'key' ? keyOrder(exportPath, name, cols[0]) : stackOrder(cols[0], cols[1], starts);
  if (perm) for (const c of cols) permute(c, perm);
  firstBadRow(exportPath, name, cols);
  return { rows, columns: Object.fromEntries(cols.map((c) => [c.spec.name, finish(c, rows)])) };
}

const message = (e: unknown): string =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .slice(0, 300);

/** Every column of the table present with its type (extra columns are ignored, as SQL would). */
function checkSchema(exportPath: string, name: TableName, file: string, t: Table, specs: readonly ColumnSpec[] = SCHEMA[name]): void {
  for (const spec of specs) {
    const v = t.getChild(spec.name);
    if (!v) tableError(exportPath, name, undefined, spec.name, `${file}: missing (expected ${WANT[spec.type].split(' ')[0]})`);
    if (!typeMatches(spec, v)) tableError(exportPath, name, undefined, spec.name, `${file}: expected ${WANT[spec.type]}, got ${String(v.type)}`);
  }
}

function gatherInto(spec: ColumnSpec, rows: number): Gathered {
  switch (spec.type) {
    case 'key':
    case 'ref':
      return { spec, rows, values: new Int32Array(rows) };
    case 'int64':
      return { spec, rows, values: new Float64Array(rows) };
    case 'digest':
      return { spec, rows, values: new Uint8Array(rows * DIGEST_BYTES) };
    case 'string':
      return { spec, rows, values: new Array<string | null>(rows) };
  }
}

function markNulls(c: Gathered, d: ChunkView, at: number): void {
  if (d.nullCount === 0) return;
  for (let i = 0; i < d.length; i++) if (!isValid(d, i)) (c.nulls ??= new Uint8Array(c.rows))[at + i] = 1;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Copies one Arrow chunk into the gathered column at row `at`: typed buffers in bulk, strings decoded. */
function append(c: Gathered, d: ChunkView, at: number, corrupt: (row: number) => never): void {
  switch (c.spec.type) {
    case 'key':
    case 'ref':
      (c.values as Int32Array).set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), at);
      return markNulls(c, d, at);
    case 'int64': {
      const out = c.values as Float64Array;
      if (LITTLE_ENDIAN) int64Into(out, at, d.values as BigInt64Array, d.offset, d.length, true);
      else for (let i = 0; i < d.length; i++) out[at + i] = Number((d.values as BigInt64Array)[d.offset + i]);
      markNulls(c, d, at);
      if (c.nulls) for (let i = 0; i < d.length; i++) if (c.nulls[at + i]) out[at + i] = NaN;
      return;
    }
    case 'digest':
      markNulls(c, d, at);
      return digestsInto(c, d, at, corrupt);
    case 'string':
      return utf8Into(d, c.values as StringColumn, at, corrupt);
  }
}

function badDigest(c: Gathered, row: number, len: number): void {
  (c.badLength ??= new Int32Array(c.rows))[row] = len + 1;
}

/** Binary values that are all 32 bytes (the writer's case) are copied as one block; others one by one, lengths kept. */
function digestsInto(c: Gathered, d: ChunkView, at: number, corrupt: (row: number) => never): void {
  const out = c.values as Uint8Array;
  const values = d.values as Uint8Array;
  if (d.type.typeId === Type.FixedSizeBinary) {
    const w = (d.type as FixedSizeBinary).byteWidth;
    if (w === DIGEST_BYTES) out.set(values.subarray(d.offset * w, (d.offset + d.length) * w), at * DIGEST_BYTES);
    else for (let i = 0; i < d.length; i++) if (isValid(d, i)) badDigest(c, at + i, w);
    return;
  }
  const offsets = d.valueOffsets as Int32Array | BigInt64Array;
  const off = (i: number): number => Number(offsets[d.offset + i]);
  let uniform = d.nullCount === 0 && offsets instanceof Int32Array;
  if (uniform) {
    const o = offsets as Int32Array;
    for (let i = d.offset, e = d.offset + d.length; i < e; i++) if (o[i + 1] - o[i] !== DIGEST_BYTES) uniform = false;
  }
  if (uniform && off(0) >= 0 && off(d.length) <= values.length) {
    out.set(values.subarray(off(0), off(d.length)), at * DIGEST_BYTES);
    return;
  }
  for (let i = 0; i < d.length; i++) {
    if (!isValid(d, i)) continue;
    const a = off(i);
    const b = off(i + 1);
    if (!(a >= 0 && b >= a && b <= values.length)) corrupt(at + i);
    if (b - a !== DIGEST_BYTES) badDigest(c, at + i, b - a);
    else out.set(values.subarray(a, b), (at + i) * DIGEST_BYTES);
  }
}

/** The first row (in key order) breaking a column rule; ties go to the first column. */
function firstBadRow(exportPath: string, name: TableName, cols: readonly Gathered[]): void {
  let best: { row: number; column: string; message: string } | undefined;
  const offer = (row: number, column: string, message: string): void => {
    if (row >= 0 && (best === undefined || row < best.row)) best = { row, column, message };
  };
  const hasValue = (c: Gathered, r: number): boolean => c.nulls === undefined || c.nulls[r] === 0;
  for (const c of cols) {
    const { spec, rows } = c;
    if (!spec.nullable) {
      const r = spec.type === 'string' ? (c.values as StringColumn).indexOf(null) : c.nulls ? c.nulls.indexOf(1) : -1;
      offer(r, spec.name, 'is null, which this column does not allow');
    }
    const lengths = c.badLength;
    if (lengths) {
      let r = 0;
      while (r < rows && !(lengths[r] > 0 && hasValue(c, r))) r++;
      if (r < rows) offer(r, spec.name, `expected a 32-byte sha256 digest, got ${lengths[r] - 1} bytes`);
    }
    if (spec.type === 'ref') {
      const v = c.values as Int32Array;
      let r = 0;
      while (r < rows && !(v[r] < 0 && hasValue(c, r))) r++;
      if (r < rows) offer(r, spec.name, `${v[r]} is not a key (keys are >= 0)`);
    }
  }
  if (best) tableError(exportPath, name, best.row, best.column, best.message);
}

/** The flat column: refs -1 where null, digests with their validity. */
function finish(c: Gathered, rows: number): ColumnData {
  if (c.spec.type === 'digest') {
    const bytes = c.values as Uint8Array;
    if (!c.nulls) return { bytes };
    const valid = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) valid[r] = 1 - c.nulls[r];
    return { bytes, valid };
  }
  if ((c.spec.type === 'ref' || c.spec.type === 'key') && c.nulls) {
    const v = c.values as Int32Array;
    for (let r = 0; r < rows; r++) if (c.nulls[r]) v[r] = -1;
  }
  return c.values as ColumnData;
}
