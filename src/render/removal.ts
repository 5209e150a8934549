import type { RemovalRecord, RemovalResult } from '../analyze/removal.js';

type Deletion = Exclude<RemovalRecord, { untagged: string }>;

/** What a Deleted line names: the image ID or layer chainID docker prints, or that the chainID is unknown. */
export function deletedName(r: Deletion): string {
  return r.deleted ?? `(chainID unknown) layer ${r.layer}`;
}
import { humanSize } from './units.js';
import { tabwrite } from './tabwriter.js';

/** `docker rmi` output: records on stdout, errors as the CLI prints them. */
export function renderRmiDocker(results: RemovalResult[]): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const r of results) {
    for (const rec of r.records) stdout += 'untagged' in rec ? `Untagged: ${rec.untagged}\n` : `Deleted: ${deletedName(rec)}\n`;
    if (r.error) stderr += `${r.conflict ? 'Error response from daemon: ' : 'Error: '}${r.error}\n`;
  }
  return { stdout, stderr };
}

/** The what-if as a table: each record with the bytes it frees. */
export function renderRmiTable(results: RemovalResult[]): string {
  const rows = [['IMAGE', 'RECORD', 'ID', 'FREES']];
  for (const r of results) {
    if (r.error) rows.push([r.ref, r.conflict ? `conflict (${r.conflict})` : 'error', r.error, '']);
    for (const rec of r.records) rows.push([r.ref, 'untagged' in rec ? 'Untagged' : 'Deleted', 'untagged' in rec ? rec.untagged : deletedName(rec), 'untagged' in rec ? '' : humanSize(rec.bytes)]);
  }
  const freed = results.reduce((s, r) => s + r.freedBytes, 0);
  const df = results.reduce((s, r) => s + r.dfSizeChange, 0);
  return trimLines(tabwrite(rows)) + `\nFreed on disk: ${humanSize(freed)}; docker system df SIZE drops by ${humanSize(df)}\n`;
}

/** layerlab's own tables end lines without padding. */
export function trimLines(s: string): string {
  return s.replace(/ +$/gm, '');
}

/** `docker image prune` output. */
export function renderPruneDocker(records: RemovalRecord[], reclaimedBytes: number): string {
  let out = '';
  if (records.length) {
    out += 'Deleted Images:\n';
    for (const r of records) out += 'untagged' in r ? `untagged: ${r.untagged}\n` : `deleted: ${deletedName(r)}\n`;
    out += '\n';
  }
  return out + `Total reclaimed space: ${humanSize(reclaimedBytes)}\n`;
}
