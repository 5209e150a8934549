// Arrow IPC files, one per table (an IPC file holds exactly one schema): built zero-copy from the
// typed columns and read back the same way, digests as FixedSizeBinary(32) throughout.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LayerlabError } from '../errors.js';
import { join } from 'node:path';
import { AsyncByteQueue, FixedSizeBinary, Int32, Int64, makeData, makeVector, RecordBatchFileWriter, RecordBatchReader, Table, type RecordBatch, tableFromIPC, Type, Utf8, type DataType, type Vector } from 'apache-arrow';
import { batchRanges, int64Words, type TableSources } from './columnar-batches.js';
import { tableError } from './columnar-graph.js';
import { SCHEMA, type ColumnData, type ColumnSpec, type FlatTable } from './columnar-schema.js';
import { DIGEST_BYTES, TABLE_NAMES, type DigestColumn, type StringColumn, type TableName } from './columnar-tables.js';

/** The first bytes of an Arrow IPC file. */
export const ARROW_MAGIC = Buffer.from('ARROW1');

function bitmap(n: number, isNull: (i: number) => boolean): { nullBitmap?: Uint8Array; nullCount: number } {
  let nulls = 0;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (isNull(i)) nulls++;
    else bits[i >> 3] |= 1 << (i & 7);
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bits, nullCount: nulls };
}

function arrowColumn(spec: ColumnSpec, v: ColumnData, n: number): Vector {
  switch (spec.type) {
    case 'key':
    case 'ref': {
      const a = v as Int32Array;
      return makeVector(makeData({ type: new Int32(), length: n, data: a, ...(spec.nullable ? bitmap(n, (i) => a[i] === -1) : { nullCount: 0 }) }));
    }
    case 'int64': {
      const a = v as Float64Array;
      const data = new BigInt64Array(n);
      int64Words(a, data);
      return makeVector(makeData({ type: new Int64(), length: n, data, ...bitmap(n, (i) => Number.isNaN(a[i])) }));
    }
    case 'digest': {
      const d = v as DigestColumn;
      return makeVector(makeData({ type: new FixedSizeBinary(DIGEST_BYTES), length: n, data: d.bytes, ...bitmap(n, (i) => d.valid !== undefined && d.valid[i] === 0) }));
    }
    case 'string':
      return utf8Vector(v as StringColumn, n);
  }
}

/**
 * A Utf8 vector made directly (offsets and bytes; a value equal to the previous one copied, not
 * encoded again): what vectorFromArray's builder makes, at a fraction of its CPU and garbage.
 */
function utf8Vector(v: StringColumn, n: number): Vector {
  const valueOffsets = new Int32Array(n + 1);
  let total = 0;
  let prev: string | null = null;
  let prevLen = 0;
  for (let i = 0; i < n; i++) {
    const s = v[i];
    if (s !== null) {
      if (s !== prev) {
        prev = s;
        prevLen = Buffer.byteLength(s, 'utf8');
      }
      total += prevLen;
    }
    valueOffsets[i + 1] = total;
  }
  if (total > 0x7fffffff) throw new RangeError(`a string column of ${total} bytes does not fit one Arrow batch`);
  const data = Buffer.alloc(total);
  prev = null;
  let prevAt = 0;
  for (let i = 0; i < n; i++) {
    const s = v[i];
    if (s === null) continue;
    const at = valueOffsets[i];
    if (s === prev) data.copy(data, at, prevAt, valueOffsets[i + 1] - at + prevAt);
    else data.write(s, at, 'utf8');
    prev = s;
    prevAt = at;
  }
  const nulls = bitmap(n, (i) => v[i] === null);
  // apache-arrow's builder hands the file a validity bitmap rounded up to 64 bytes; so does this,
  // so that a table written in one batch is byte for byte what the builder-based writer wrote.
  if (nulls.nullBitmap) {
    const padded = new Uint8Array(Math.max(64, Math.ceil(nulls.nullBitmap.length / 64) * 64));
    padded.set(nulls.nullBitmap);
    nulls.nullBitmap = padded;
  }
  return makeVector(makeData({ type: new Utf8(), length: n, valueOffsets, data, ...nulls }));
}

/** The writer's byte sink made a file: each piece goes to disk as it is made, nothing is queued. */
class FileSink extends AsyncByteQueue {
  constructor(private readonly fd: number) {
    super();
  }
  override write(value: unknown): void {
    const b = value as Uint8Array;
    for (let done = 0; done < b.byteLength; ) done += writeSync(this.fd, b, done, b.byteLength - done);
  }
}

/** A flat table as an Arrow table (one record batch), digests and integers zero-copy. */
export function arrowTable(name: TableName, t: FlatTable): Table {
  const vectors: Record<string, Vector> = {};
  for (const spec of SCHEMA[name]) vectors[spec.name] = arrowColumn(spec, t.columns[spec.name], t.rows);
  return new Table(vectors);
}

/** What a writer reports after each batch it wrote (tests stop the export there). */
export type BatchHook = (table: TableName, rowsWritten: number) => void;

/**
 * Writes each table as `<table>.arrow` in `dir`, a record batch of at most `batchRows` rows at a
 * time, each written before the next is made. A table of one batch is byte for byte what
 * `tableToIPC(table, 'file')` makes.
 */
export function writeArrowTables(dir: string, tables: TableSources, batchRows: number, onBatch?: BatchHook): void {
  for (const name of TABLE_NAMES) {
    const src = tables[name];
    const fd = openSync(join(dir, `${name}.arrow`), 'wx');
    try {
      const writer = new RecordBatchFileWriter();
      writer.reset(new FileSink(fd) as unknown as AsyncByteQueue);
      let first = true;
      for (const [from, to] of batchRanges(src.rows, batchRows)) {
        const table = arrowTable(name, src.slice(from, to));
        // The schema goes first even when no batch follows (an empty table), as tableToIPC writes it.
        if (first) writer.reset(undefined, table.schema);
        first = false;
        for (const b of table.batches) writer.write(b);
        onBatch?.(name, to);
      }
      writer.finish();
    } finally {
      closeSync(fd);
    }
  }
}

function typeMatches(spec: ColumnSpec, v: Vector): boolean {
  const t = v.type;
  switch (spec.type) {
    case 'key':
    case 'ref':
      return t.typeId === Type.Int && (t as Int32).bitWidth === 32 && (t as Int32).isSigned;
    case 'int64':
      return t.typeId === Type.Int && (t as Int64).bitWidth === 64;
    case 'digest':
      return t.typeId === Type.FixedSizeBinary && (t as FixedSizeBinary).byteWidth === DIGEST_BYTES;
    case 'string':
      return t.typeId === Type.Utf8;
  }
}

const WANT: Record<ColumnSpec['type'], string> = { key: 'int32', ref: 'int32', int64: 'int64', digest: 'fixed_size_binary[32]', string: 'utf8' };

/** One column's values out of an Arrow vector (its chunks concatenated), nulls as the in-memory form says. */
function columnValues(file: string, table: TableName, spec: ColumnSpec, v: Vector): ColumnData {
  const n = v.length;
  let row = 0;
  const nullAt = (r: number): never => tableError(file, table, r, spec.name, 'is null, which this column does not allow');
  if (spec.type === 'string') {
    const out: StringColumn = new Array(n);
    for (const d of v.data) {
      utf8Into(d, out, row, (r) => tableError(file, table, r, spec.name, 'string offsets point outside the column (corrupt file)'));
      row += d.length;
    }
    if (!spec.nullable) for (let r = 0; r < n; r++) if (out[r] === null) nullAt(r);
    return out;
  }
  if (spec.type === 'digest') {
    const bytes = new Uint8Array(n * DIGEST_BYTES);
    let valid: Uint8Array | undefined;
    for (const d of v.data) {
      const values = d.values as Uint8Array;
      bytes.set(values.subarray(d.offset * DIGEST_BYTES, (d.offset + d.length) * DIGEST_BYTES), row * DIGEST_BYTES);
      for (let i = 0; i < d.length; i++) {
        if (isValid(d, i)) continue;
        if (!spec.nullable) nullAt(row + i);
        valid ??= new Uint8Array(n).fill(1);
        valid[row + i] = 0;
      }
      row += d.length;
    }
    return valid ? { bytes, valid } : { bytes };
  }
  const out = spec.type === 'int64' ? new Float64Array(n) : new Int32Array(n);
  for (const d of v.data) {
    if (d.nullCount === 0 && LITTLE_ENDIAN) {
      // No nulls: copied in bulk, then checked in a tight loop (tens of millions of stack rows).
      if (spec.type === 'int64') int64Into(out as Float64Array, row, d.values as BigInt64Array, d.offset, d.length, (v.type as Int64).isSigned);
      else (out as Int32Array).set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), row);
      checkInts(file, table, spec, out, row, row + d.length);
      row += d.length;
      continue;
    }
    const values = d.values as Int32Array | BigInt64Array;
    for (let i = 0; i < d.length; i++, row++) {
      if (!isValid(d, i)) {
        if (!spec.nullable) nullAt(row);
        out[row] = spec.type === 'int64' ? NaN : -1;
        continue;
      }
      out[row] = Number(values[d.offset + i]);
      if (spec.type === 'key' && out[row] !== row) tableError(file, table, row, spec.name, `expected ${row}: rows are keyed 0, 1, 2, ... in order`);
      if (spec.type === 'ref' && out[row] < 0) tableError(file, table, row, spec.name, `${out[row]} is not a key (keys are >= 0)`);
    }
  }
  return out;
}

/** The parts of an Arrow chunk that copying it reads: an apache-arrow Data, or a view of another reader's buffers. */
export interface ChunkView {
  type: DataType;
  length: number;
  offset: number;
  nullCount: number;
  values: Uint8Array | Int32Array | BigInt64Array;
  valueOffsets?: Int32Array | BigInt64Array;
  nullBitmap?: Uint8Array;
}

/**
 * The strings of one Utf8 chunk into out from row `at` (null where the chunk has none). Decoded
 * from the offsets natively; a value equal to the previous one (media types, states, kinds) is
 * reused rather than decoded again.
 */
export function utf8Into(d: ChunkView, out: StringColumn, at: number, corrupt: (row: number) => never): void {
  // LargeUtf8 (64-bit offsets, from writers that ask for it) read through numbers.
  const offsets = d.valueOffsets instanceof BigInt64Array ? Float64Array.from(d.valueOffsets, Number) : (d.valueOffsets as Int32Array);
  const values = d.values as Uint8Array;
  const buf = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  // The previous value as its bytes' place and its string (plain locals: no object per value).
  let pA = -1;
  let pB = 0;
  let pS = '';
  for (let i = 0; i < d.length; i++) {
    if (!isValid(d, i)) {
      out[at + i] = null;
      continue;
    }
    const a = offsets[d.offset + i];
    const b = offsets[d.offset + i + 1];
    if (!(a >= 0 && b >= a && b <= buf.length)) corrupt(at + i);
    if (pA >= 0 && pB - pA === b - a && sameBytes(buf, pA, buf, a, b - a)) out[at + i] = pS;
    else {
      pS = out[at + i] = buf.toString('utf8', a, b);
      pA = a;
      pB = b;
    }
  }
}

/** True when row i of an Arrow chunk has a value. */
export const isValid = (d: Pick<ChunkView, 'offset' | 'nullCount' | 'nullBitmap'>, i: number): boolean => !d.nullBitmap || d.nullCount === 0 || ((d.nullBitmap[(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1) === 1;

function sameBytes(x: Uint8Array, xa: number, y: Uint8Array, ya: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (x[xa + k] !== y[ya + k]) return false;
  return true;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** int64 values as numbers without a BigInt per value: high word * 2^32 + low word, rounded as Number(bigint) rounds. */
export function int64Into(out: Float64Array, at: number, values: BigInt64Array | BigUint64Array, offset: number, length: number, signed: boolean): void {
  const words = new Int32Array(values.buffer, values.byteOffset + offset * 8, length * 2);
  if (signed) for (let i = 0; i < length; i++) out[at + i] = words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0);
  else for (let i = 0; i < length; i++) out[at + i] = (words[2 * i + 1] >>> 0) * 4294967296 + (words[2 * i] >>> 0);
}

/** The key and ref rules of rows [from, to) (a chunk without nulls). */
function checkInts(file: string, table: TableName, spec: ColumnSpec, out: Int32Array | Float64Array, from: number, to: number): void {
  if (spec.type === 'key') {
    for (let r = from; r < to; r++) if (out[r] !== r) tableError(file, table, r, spec.name, `expected ${r}: rows are keyed 0, 1, 2, ... in order`);
  } else if (spec.type === 'ref') {
    for (let r = from; r < to; r++) if (out[r] < 0) tableError(file, table, r, spec.name, `${out[r]} is not a key (keys are >= 0)`);
  }
}

const notArrow = (exportPath: string, name: TableName): never =>
  tableError(exportPath, name, undefined, undefined, `${name}.arrow is not an Arrow IPC file (it must start and end with ARROW1; truncated?)`);
const unreadable = (exportPath: string, name: TableName, e: unknown): never =>
  tableError(exportPath, name, undefined, undefined, `cannot read ${name}.arrow: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);

/** Checks that `<table>.arrow` in `dir` starts and ends with the Arrow magic, without reading it. */
export function checkArrowFile(dir: string, name: TableName): void {
  const path = join(dir, `${name}.arrow`);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(6);
    const tail = Buffer.alloc(6);
    if (size < 12) notArrow(dir, name);
    readSync(fd, head, 0, 6, 0);
    readSync(fd, tail, 0, 6, size - 6);
    if (!head.equals(ARROW_MAGIC) || !tail.equals(ARROW_MAGIC)) notArrow(dir, name);
  } catch (e) {
    if (e instanceof LayerlabError) throw e;
    unreadable(dir, name, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads `<table>.arrow` from `dir`, checking its magic bytes and every column's type. */
export function readArrowTable(dir: string, name: TableName, exportPath: string): FlatTable {
  const path = join(dir, `${name}.arrow`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return unreadable(exportPath, name, e);
  }
  if (bytes.length < 12 || !bytes.subarray(0, 6).equals(ARROW_MAGIC) || !bytes.subarray(bytes.length - 6).equals(ARROW_MAGIC)) notArrow(exportPath, name);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    return notReadable(exportPath, name, e);
  }
  return flatFromTable(exportPath, name, table);
}

/**
 * Files larger than this are read a record batch at a time through a file handle: Node reads at
 * most 2 GiB into one buffer, and the layers table of ten million images is about 2.7 GB.
 */
export const WHOLE_READ_LIMIT = 1 << 30;

/** {@link readArrowTable}, reading a file above `wholeLimit` bytes batch by batch (same checks, same columns). */
export async function readArrowTableFile(dir: string, name: TableName, exportPath: string, wholeLimit = WHOLE_READ_LIMIT): Promise<FlatTable> {
  const path = join(dir, `${name}.arrow`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return unreadable(exportPath, name, e);
  }
  if (size <= wholeLimit) return readArrowTable(dir, name, exportPath);
  checkArrowFile(dir, name);
  let table: Table;
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const reader = await RecordBatchReader.from(fh);
    const batches: RecordBatch[] = [];
    for await (const b of reader) batches.push(b);
    table = batches.length > 0 ? new Table(batches) : new Table(reader.schema);
  } catch (e) {
    return notReadable(exportPath, name, e);
  } finally {
    await fh?.close();
  }
  return flatFromTable(exportPath, name, table);
}

const notReadable = (exportPath: string, name: TableName, e: unknown): never =>
  tableError(exportPath, name, undefined, undefined, `${name}.arrow is not a readable Arrow IPC file: ${(e as Error).message.split('\n')[0]}`);

function flatFromTable(exportPath: string, name: TableName, table: Table): FlatTable {
  const columns: Record<string, ColumnData> = {};
  for (const spec of SCHEMA[name]) {
    const v = table.getChild(spec.name);
    if (!v) tableError(exportPath, name, undefined, spec.name, `missing (expected ${WANT[spec.type]})`);
    if (!typeMatches(spec, v)) tableError(exportPath, name, undefined, spec.name, `expected ${WANT[spec.type]}, got ${String(v.type)}`);
    columns[spec.name] = columnValues(exportPath, name, spec, v);
  }
  return { rows: table.numRows, columns };
}
