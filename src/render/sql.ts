import type { ColumnarMarker } from '../sources/columnar-tables.js';

/** A cell of a query result: numbers, strings (digests as `sha256:<hex>`), booleans, null. */
export type SqlCell = string | number | boolean | null;

/** A query's answer: column names and rows in order. */
export interface SqlResult {
  columns: string[];
  rows: SqlCell[][];
}

const isNumber = (v: SqlCell): boolean => typeof v === 'number';
const show = (v: SqlCell): string => (v === null ? 'NULL' : String(v));

/** An aligned text table: numbers right-aligned, a header line, the row count last. */
export function renderSqlTable(r: SqlResult): string {
  const widths = r.columns.map((c, k) => Math.max(c.length, ...r.rows.map((row) => show(row[k]).length)));
  const line = (cells: string[], right: boolean[]): string =>
    cells
      .map((c, k) => (right[k] ? c.padStart(widths[k]) : c.padEnd(widths[k])))
      .join('  ')
      .trimEnd();
  const numeric = r.columns.map((_, k) => r.rows.length > 0 && r.rows.every((row) => row[k] === null || isNumber(row[k])));
  const out = [line(r.columns, numeric), ...r.rows.map((row) => line(row.map(show), numeric))];
  return `${out.join('\n')}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}

function csvCell(v: SqlCell): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 CSV with a header row; NULL is an empty field. */
export function renderSqlCsv(r: SqlResult): string {
  return [r.columns, ...r.rows].map((row) => row.map((v) => csvCell(v as SqlCell)).join(',')).join('\r\n') + '\r\n';
}

/** Rows as JSON objects keyed by column name. */
export function sqlRowsAsObjects(r: SqlResult): Record<string, SqlCell>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, k) => [c, row[k]])));
}

/** The line `layerlab export` prints when done. */
export function renderExportSummary(path: string, m: ColumnarMarker): string {
  const rows = m.rows;
  return `wrote ${path} (${m.format}): ${rows.images} images, ${rows.layers} layers, ${rows.image_layers} image_layers rows, ${rows.chains} chains, ${rows.containers} containers${m.contents ? `, ${rows.files} files, ${rows.chunks} chunks` : ''}\n`;
}

/** The list `layerlab sql --list` prints: each shipped query and its first comment line. */
export function renderQueryList(queries: readonly { name: string; summary: string }[]): string {
  const w = Math.max(...queries.map((q) => q.name.length));
  return queries.map((q) => `${q.name.padEnd(w)}  ${q.summary}`).join('\n') + '\n';
}
