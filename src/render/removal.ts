import type { RemovalRecord, RemovalResult } from '../analyze/removal.js';

type Deletion = Exclude<RemovalRecord, { untagged: string }>;

/** What a Deleted line names: the image ID or layer chainID docker prints, or that the chainID is unknown. */
export function deletedName(r: Deletion): string {
  return r.deleted ?? `(chainID unknown) layer ${r.layer}`;
}
import { quote } from '../errors.js';
import { humanSize } from './units.js';
import { tabwrite } from './tabwriter.js';

/**
 * How a Docker version words `docker rmi`'s errors. Not found: CLIs before 23.0 turn the daemon's
 * 404 into `Error: No such image: <argument as typed>` (moby client wrapResponseError, removed by
 * moby#43398); later ones print the daemon's `Error response from daemon: No such image:
 * <name:latest>`. Invalid names: daemons before 25.0 (docker/distribution reference) say
 * `repository name must be lowercase`; distribution/reference v0.5+ names the repository.
 */
export interface RmiMessageStyle {
  clientNotFound: boolean;
  unnamedLowercase: boolean;
}

/** The current CLI and daemon (the default when no version is given). */
export const CURRENT_RMI_STYLE: RmiMessageStyle = { clientNotFound: false, unnamedLowercase: false };

/** The rmi message style of a Docker version (`20.10`, `28.2.2`), undefined when it is no version. */
export function rmiMessageStyle(version: string): RmiMessageStyle | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const major = Number(m[1]);
  return { clientNotFound: major < 23, unnamedLowercase: major < 25 };
}

/** The error line `docker rmi` prints for a refused argument. */
export function rmiErrorLine(r: RemovalResult, style: RmiMessageStyle = CURRENT_RMI_STYLE): string {
  if (r.notFound && style.clientNotFound) return `Error: No such image: ${r.ref}`;
  const message = r.invalidReference && style.unnamedLowercase ? r.error!.replace(/^(invalid reference format: repository name) \(.*\) (must be lowercase)$/s, '$1 $2') : r.error;
  return `Error response from daemon: ${message}`;
}

/** `docker rmi` output: records on stdout, errors as the CLI prints them. */
export function renderRmiDocker(results: RemovalResult[], style: RmiMessageStyle = CURRENT_RMI_STYLE): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const r of results) {
    for (const rec of r.records) stdout += 'untagged' in rec ? `Untagged: ${rec.untagged}\n` : `Deleted: ${deletedName(rec)}\n`;
    if (r.error) stderr += `${rmiErrorLine(r, style)}\n`;
  }
  return { stdout, stderr };
}

/** The what-if as a table: each record with the bytes it frees. */
export function renderRmiTable(results: RemovalResult[]): string {
  const rows = [['IMAGE', 'RECORD', 'ID', 'FREES']];
  for (const r of results) {
    // an argument is echoed as typed unless it is long (a 100 kB argument is no column)
    const ref = r.ref.length > 100 ? quote(r.ref) : r.ref;
    if (r.error) rows.push([ref, r.conflict ? `conflict (${r.conflict})` : 'error', r.error, '']);
    for (const rec of r.records) rows.push([ref, 'untagged' in rec ? 'Untagged' : 'Deleted', 'untagged' in rec ? rec.untagged : deletedName(rec), 'untagged' in rec ? '' : humanSize(rec.bytes)]);
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
  return [...renderPruneDockerPieces(records, reclaimedBytes)].join('');
}

/** {@link renderPruneDocker} a line at a time (prune -a of a million images prints four million lines). */
export function* renderPruneDockerPieces(records: RemovalRecord[], reclaimedBytes: number): Generator<string> {
  if (records.length) {
    yield 'Deleted Images:\n';
    for (const r of records) yield 'untagged' in r ? `untagged: ${r.untagged}\n` : `deleted: ${deletedName(r)}\n`;
    yield '\n';
  }
  yield `Total reclaimed space: ${humanSize(reclaimedBytes)}\n`;
}
