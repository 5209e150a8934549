// Columnar exports (Arrow IPC or Parquet) as a source, recognised by content: a folder whose
// marker file says so, every table file checked by its magic bytes (ARROW1, PAR1), never its name.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { graphFromTables } from './columnar-graph.js';
import type { BatchHook } from './columnar-arrow.js';
import { checkDigests, DEFAULT_BATCH_ROWS, graphTableSources } from './columnar-batches.js';
import { emptyTable, unflattenTables, type ContentTables, type FlatTable } from './columnar-schema.js';
import { COLUMNAR_MARKER, COLUMNAR_VERSION, CONTENT_TABLES, READABLE_COLUMNAR_VERSIONS, TABLE_NAMES, type ColumnarMarker, type ContentsNote, type TableName } from './columnar-tables.js';
import type { LoadedSource, SourceReader } from './source.js';
import { isColumnarFile, isColumnarFolder } from './sniff.js';

/** The two columnar formats. */
export type ColumnarFormat = 'arrow' | 'parquet';

const PAR1 = Buffer.from('PAR1');

/** Reads and checks the marker file of an export folder. */
export function readMarker(dir: string): ColumnarMarker {
  const file = join(dir, COLUMNAR_MARKER);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LayerlabError('EINPUT', `cannot read the export's marker file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  const m = doc as Partial<ColumnarMarker> | null;
  if (m === null || typeof m !== 'object' || m.kind !== 'layerlab-columnar') throw new LayerlabError('EINPUT', 'expected "kind": "layerlab-columnar"', { file, path: '$.kind' });
  if (!READABLE_COLUMNAR_VERSIONS.includes(m.version as number)) {
    throw new LayerlabError('EVERSION', `unsupported columnar export version ${quote(m.version)}; this layerlab reads versions ${READABLE_COLUMNAR_VERSIONS.join(' and ')}`, { file, path: '$.version' });
  }
  if (m.format !== 'arrow' && m.format !== 'parquet') throw new LayerlabError('EINPUT', `expected "format": "arrow" or "parquet", got ${quote(m.format)}`, { file, path: '$.format' });
  return m as ColumnarMarker;
}

/** Loads an export folder into a validated graph. */
export async function readColumnar(dir: string): Promise<{ graph: ImageGraph; marker: ColumnarMarker }> {
  const marker = readMarker(dir);
  let flat: Record<TableName, FlatTable>;
  if (marker.format === 'arrow') {
    const { readArrowTableFile, checkArrowFile } = await import('./columnar-arrow.js');
    flat = {} as Record<TableName, FlatTable>;
    // The graph needs no file or chunk rows: those tables are only checked to be Arrow files here, read by `layerlab sql`.
    for (const name of TABLE_NAMES) {
      if (CONTENT_TABLES.includes(name)) {
        checkArrowFile(dir, name);
        flat[name] = emptyTable(name);
      } else flat[name] = await readArrowTableFile(dir, name, dir);
    }
  } else {
    const { readParquetTables } = await import('./columnar-parquet-read.js');
    flat = await readParquetTables(dir);
  }
  return { graph: graphFromTables(unflattenTables(flat), dir), marker };
}

/** How {@link writeColumnar} cuts its tables into batches and files (tests make batches small, or stop it mid-way). */
export interface WriteColumnarOptions {
  /** Rows per record batch (Arrow) or per append (Parquet); {@link DEFAULT_BATCH_ROWS} by default. */
  batchRows?: number;
  /** Called after each batch is written. */
  onBatch?: BatchHook;
  /** Parquet: about the largest file of a table not split into buckets (256 MiB by default). */
  parquetFileBytes?: number;
}

/**
 * Writes a graph as an export folder at `out`, atomically: everything goes into a sibling temp
 * folder that is renamed into place last, so `out` is either absent or complete. `content` fills
 * the files and chunks tables (sources/content-tables.ts); without it they are written empty. The
 * tables are made and written a batch at a time, so memory beyond the graph stays bounded.
 */
export async function writeColumnar(graph: ImageGraph, format: ColumnarFormat, out: string, content?: ContentTables & { note: ContentsNote }, options: WriteColumnarOptions = {}): Promise<ColumnarMarker> {
  if (existsSync(out)) throw new LayerlabError('EIO', 'already exists: export writes a new folder (remove it first)', { file: out });
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${Date.now()}`);
  checkDigests(graph);
  const tables = graphTableSources(graph, content);
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  try {
    mkdirSync(tmp);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot create the export folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: out });
  }
  try {
    const rows = Object.fromEntries(TABLE_NAMES.map((n) => [n, tables[n].rows])) as Record<TableName, number>;
    const marker: ColumnarMarker = { kind: 'layerlab-columnar', version: COLUMNAR_VERSION, format, rows, ...(content ? { contents: content.note } : {}) };
    if (format === 'arrow') (await import('./columnar-arrow.js')).writeArrowTables(tmp, tables, batchRows, options.onBatch);
    else await (await import('./columnar-parquet.js')).writeParquetTables(tmp, tables, batchRows, options.onBatch, options.parquetFileBytes);
    writeFileSync(join(tmp, COLUMNAR_MARKER), JSON.stringify(marker, null, 2) + '\n');
    renameSync(tmp, out);
    return marker;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof LayerlabError) throw e;
    throw new LayerlabError('EIO', `cannot write the export: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: out });
  }
}

/** A folder with `layerlab-columnar.json`: an Arrow or Parquet export. */
export const columnarReader: SourceReader = {
  kind: 'columnar',
  claims: (_arg, p) => isColumnarFolder(p),
  async load(arg): Promise<LoadedSource> {
    const { graph, marker } = await readColumnar(arg);
    return { source: arg, kind: 'columnar', graph, notes: [], meta: { source: arg, format: marker.format } };
  },
};

/** A lone Arrow or Parquet file (by its magic bytes): one table of an export, refused with the reason. */
export const columnarFileReader: SourceReader = {
  kind: 'columnar',
  claims: (_arg, p) => isColumnarFile(p),
  load(arg) {
    const fd = openSync(arg, 'r');
    const head = Buffer.alloc(4);
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    const what = head.equals(PAR1) ? 'a Parquet file' : 'an Arrow IPC file';
    throw new LayerlabError('EINPUT', `is ${what}: give the folder layerlab export wrote (with ${COLUMNAR_MARKER}), not one of its tables`, { file: arg });
  },
};
