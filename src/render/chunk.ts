// `layerlab chunk`: one line per chunk, written as chunks are found, the chunker's spec and the
// count last. Columns have fixed widths (Go tabwriter's rule over the widest value each can hold)
// since rows are printed before the later ones are known.
import type { ChunkRow } from '../sources/chunk-stream.js';
import { tabwrite } from './tabwriter.js';

// The widest values: a petabyte offset, a 1 GiB length, a 64-bit fingerprint.
const SIZING = [['0'.repeat(16), '0'.repeat(10), '0'.repeat(20), '']];

const cells = (r: ChunkRow) => [String(r.offset), String(r.length), r.hash ?? '-', r.sha256];

/** The table's header line. */
export function chunkTableHeader(): string {
  return tabwrite([['OFFSET', 'LENGTH', 'HASH', 'SHA256']], SIZING);
}

/** Table lines for some chunks: offset, length, fingerprint at the cut ('-' when the chunker has none), sha256. */
export function chunkTableRows(rows: readonly ChunkRow[]): string {
  return tabwrite(rows.map(cells), SIZING);
}

/** The line after the last row. */
export function chunkTableFooter(spec: string, count: number): string {
  return `${spec}: ${count === 1 ? '1 chunk' : `${count} chunks`}\n`;
}

/** The chunks as a whole table (header, rows, count). */
export function renderChunks(spec: string, rows: readonly ChunkRow[]): string {
  return chunkTableHeader() + chunkTableRows(rows) + chunkTableFooter(spec, rows.length);
}

/** `--format json` written piecewise: `{"algo", "chunks": [...]}`, one array element per line. */
export const chunkJson = {
  open: (spec: string) => `{\n  "algo": ${JSON.stringify(spec)},\n  "chunks": [`,
  row: (r: ChunkRow, first: boolean) => `${first ? '' : ','}\n    ${JSON.stringify(r)}`,
  close: (count: number) => `${count ? '\n  ' : ''}]\n}\n`,
};
