// `layerlab chunk`: one line per chunk, under the chunker's full spec and the chunk count.
import type { ChunkRow } from '../sources/chunk-stream.js';
import { tabwrite } from './tabwriter.js';

/** The chunks as a table: offset, length, fingerprint at the cut ('-' when the chunker has none), sha256. */
export function renderChunks(spec: string, rows: readonly ChunkRow[]): string {
  const table = [['OFFSET', 'LENGTH', 'HASH', 'SHA256'], ...rows.map((r) => [String(r.offset), String(r.length), r.hash ?? '-', r.sha256])];
  return `${spec}: ${rows.length} chunks\n` + tabwrite(table);
}
