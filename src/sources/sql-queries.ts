// The shipped queries (sql/*.sql, in the common subset of DuckDB, Spark SQL and Trino) and the
// DuckDB session they run in: a Parquet export is queried in place, any other SOURCE is loaded
// into in-memory tables of the same schema.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import type { SqlCell, SqlResult } from '../render/sql.js';
import { readMarker } from './columnar.js';
import { flattenTables, type ContentTables } from './columnar-schema.js';
import { COLUMNAR_MARKER, CONTENT_TABLES, DIGEST_BYTES, TABLE_NAMES, tablesFromGraph } from './columnar-tables.js';
import { duckError, openDuck, type Duck } from './duckdb.js';
import { loadSources, probe, type LoadOptions } from './load.js';

/** The shipped query names: sql/NAME.sql. */
export const SHIPPED_QUERIES = ['df', 'df-images', 'dedup', 'shared-layers', 'dedup-files', 'dedup-chunks', 'most-shared-files'] as const;

/** The folder of shipped queries (beside src/ and dist/ alike). */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** The text of a shipped query. */
export function shippedQuery(name: string): string {
  if (!(SHIPPED_QUERIES as readonly string[]).includes(name)) {
    throw new LayerlabError('EUSAGE', `no shipped query ${quote(name)}; --list shows them (${SHIPPED_QUERIES.join(', ')})`);
  }
  return readFileSync(new URL(`${name}.sql`, `file://${SQL_DIR}`), 'utf8');
}

/** The first comment line of a shipped query. */
export function querySummary(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/^--\s*/, '');
}

/** A DuckDB session with a graph's tables (and, when given, its files and chunks) ready to query. */
export async function duckWithGraph(graph: ImageGraph, content?: ContentTables): Promise<Duck> {
  const duck = await openDuck();
  try {
    const { insertTables } = await import('./columnar-parquet.js');
    await insertTables(duck.connection, flattenTables(tablesFromGraph(graph), content));
    return duck;
  } catch (e) {
    duck.close();
    throw e;
  }
}

/**
 * A DuckDB session whose tables are views over a Parquet export's files (nothing loaded into
 * memory); a version 1 export's files and chunks (always empty, an older chunks schema) are empty tables.
 */
export async function duckOverParquet(dir: string): Promise<Duck> {
  const { createTableSql, parquetFiles, parquetScan } = await import('./columnar-parquet.js');
  const v1 = readMarker(dir).version === 1;
  const duck = await openDuck();
  try {
    for (const name of TABLE_NAMES) {
      const files = parquetFiles(dir, name);
      await duck.connection.run(v1 && CONTENT_TABLES.includes(name) ? createTableSql(name) : `CREATE VIEW ${name} AS SELECT * FROM ${parquetScan(files)}`);
    }
    return duck;
  } catch (e) {
    duck.close();
    if (e instanceof LayerlabError) throw e;
    throw duckError(e, 'EINPUT', { file: dir });
  }
}

/**
 * The DuckDB session `layerlab sql` queries: views over a lone Parquet export, else the sources
 * loaded into tables, with an Arrow export's files and chunks read too (graph loads skip them).
 */
export async function duckForSources(args: readonly string[], opts: LoadOptions = {}): Promise<Duck> {
  const only = args.length === 1 ? probe(args[0]) : undefined;
  const marker = only?.type === 'directory' && only.entries.includes(COLUMNAR_MARKER) ? readMarker(args[0]) : undefined;
  if (marker?.format === 'parquet') return duckOverParquet(args[0]);
  const { graph } = await loadSources(args, opts);
  if (marker?.format !== 'arrow' || marker.version === 1) return duckWithGraph(graph);
  const { readArrowTable } = await import('./columnar-arrow.js');
  return duckWithGraph(graph, { files: readArrowTable(args[0], 'files', args[0]), chunks: readArrowTable(args[0], 'chunks', args[0]) });
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function cell(v: unknown): SqlCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) {
    let hex = '';
    for (const b of v) hex += HEX[b];
    return v.length === DIGEST_BYTES ? `sha256:${hex}` : `\\x${hex}`;
  }
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Runs one SQL text (the last statement's rows are the answer); DuckDB errors become EANALYSIS. */
export async function runSql(duck: Duck, sql: string): Promise<SqlResult> {
  try {
    const reader = await duck.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJS().map((row) => row.map(cell));
    return { columns, rows };
  } catch (e) {
    throw duckError(e, 'EANALYSIS');
  }
}
