import { parseNormalizedNamed, familiarName } from '../model/reference.js';
import { shortId } from '../model/digest.js';
import type { SystemDf, DfTotals } from '../analyze/df.js';
import { humanDuration, humanSize, humanSizeWithPrecision } from './units.js';
import { tabwrite, tabwriteLines } from './tabwriter.js';

function reclaimableCell(t: DfTotals): string {
  const r = humanSize(t.Reclaimable);
  return t.TotalSize > 0 ? `${r} (${Math.trunc((t.Reclaimable * 100) / t.TotalSize)}%)` : r;
}

/**
 * `docker system df` summary table. Volumes and build cache are not modelled, so their rows are
 * left out; the TYPE column is still sized for them, which keeps the printed rows Docker's bytes.
 */
export function renderDfSummary(df: Pick<SystemDf, 'ImagesUsage' | 'ContainersUsage'>): string {
  return tabwrite([
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    ['Images', String(df.ImagesUsage.TotalCount), String(df.ImagesUsage.ActiveCount), humanSize(df.ImagesUsage.TotalSize), reclaimableCell(df.ImagesUsage)],
    ['Containers', String(df.ContainersUsage.TotalCount), String(df.ContainersUsage.ActiveCount), humanSize(df.ContainersUsage.TotalSize), reclaimableCell(df.ContainersUsage)],
  ], [['Local Volumes', ''], ['Build Cache', '']]);
}

/** Go's zero time.Time in Unix seconds: what the daemon reports for an image config without `created`. */
export const GO_ZERO_TIME = -62135596800;

function since(created: number, now: number): string {
  // docker/cli's CreatedSince prints nothing for the zero time (time.Unix(c.Created, 0).IsZero()).
  if (created === GO_ZERO_TIME) return '';
  return created > 0 ? humanDuration(now - created) + ' ago' : 'N/A';
}

function repoAndTag(tags: string[] | null): [string, string] {
  if (!tags || tags.length === 0 || tags[0] === '<none>:<none>') return ['<none>', '<none>'];
  try {
    const r = parseNormalizedNamed(tags[0]);
    if (r.tag !== undefined) return [familiarName(r), r.tag];
  } catch {
    // docker/cli skips what it cannot parse; the row then shows <none>.
  }
  return ['<none>', '<none>'];
}

/** docker/cli `Ellipsis` by code points; reads at most max+1 of them, so a 50 MB command costs no more than a short one. */
export function ellipsis(s: string, max: number): string {
  if (s.length <= max) return s; // max UTF-16 units hold at most max code points
  let kept = '';
  let n = 0;
  for (const ch of s) {
    if (++n > max) return kept + '…';
    if (n < max) kept += ch;
  }
  return s;
}

function containerImage(image: string, imageId: string): string {
  if (image === '') return '<no image>';
  if (image === imageId || /^(sha256:)?[0-9a-f]{64}$/.test(image)) return shortId(image);
  return image;
}

/** How a given docker CLI prints df -v: CLIs before 25.0 print `{{.VirtualSize}}` (4 digits). */
export interface DfTableStyle {
  /** Significant digits of the per-image SIZE column: 3 (current CLIs) or 4 (e.g. 20.10). */
  sizeDigits: 3 | 4;
}

/** The table style and default RECLAIMABLE rule of a docker CLI version (`20.10`, `28.2.2`, …). */
export function dockerCliProfile(version: string): { style: DfTableStyle; rule: 'current' | 'legacy' } | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const v = Number(m[1]) * 1000 + Number(m[2]);
  return { style: { sizeDigits: v < 25_000 ? 4 : 3 }, rule: v < 29_004 ? 'legacy' : 'current' };
}

/** `docker system df -v`: the images and containers sections, newest first. `now` in Unix seconds. */
export function renderDfVerbose(df: SystemDf, now: number, style: DfTableStyle = { sizeDigits: 3 }): string {
  return [...renderDfVerboseLines(df, now, style)].join('');
}

/** {@link renderDfVerbose} a line at a time (millions of images make more than one string holds). */
export function* renderDfVerboseLines(df: SystemDf, now: number, style: DfTableStyle = { sizeDigits: 3 }): Generator<string> {
  function* images(): Generator<string[]> {
    yield ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'];
    for (const i of df.Images) {
      const [repo, tag] = repoAndTag(i.RepoTags);
      yield [repo, tag, shortId(i.Id), since(i.Created, now), humanSizeWithPrecision(i.Size, style.sizeDigits), humanSize(i.SharedSize), humanSize(i.UniqueSize), String(i.Containers)];
    }
  }
  function* containers(): Generator<string[]> {
    yield ['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'];
    for (const c of df.Containers) {
      yield [
        c.Id.slice(0, 12),
        containerImage(c.Image, c.ImageID),
        JSON.stringify(ellipsis(c.Command, 20)),
        '0',
        humanSizeWithPrecision(c.SizeRw, 3),
        since(c.Created, now),
        c.Status,
        c.Names.map((n) => n.replace(/^\//, '')).join(','),
      ];
    }
  }
  yield 'Images space usage:\n\n';
  yield* tabwriteLines(images);
  yield '\nContainers space usage:\n\n';
  yield* tabwriteLines(containers);
}
