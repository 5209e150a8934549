// `layerlab pull` tables: per layer what Docker and an ideal store do, then the timed schedule.
import type { MetadataSource } from '../analyze/host-state.js';
import type { PullPlan } from '../analyze/pull.js';
import type { OrderedPulls } from '../analyze/pull-schedule.js';
import { trimLines } from './removal.js';
import { tabwrite } from './tabwriter.js';
import { humanSize, shortSeconds } from './units.js';

/** Refs of the plans whose image holds a blob twice (their Docker bytes depend on the order). */
export function repeatingRefs(plans: readonly PullPlan[]): string[] {
  return plans.filter((p) => new Set(p.layers.map((l) => l.digest)).size < p.layers.length).map((p) => p.ref);
}

export function renderPullSchedule(r: OrderedPulls, repeating: readonly string[]): string {
  const s = r.schedule;
  const n = s.network;
  const rows = [['ORDER', 'IMAGE', 'DOWNLOAD', 'START', 'READY']];
  s.pulls.forEach((p, k) => rows.push([String(k + 1), p.ref, humanSize(p.downloadBytes), shortSeconds(p.start), shortSeconds(p.ready)]));
  let out = '\n' + trimLines(tabwrite(rows));
  out += `Estimated: all ready after ${shortSeconds(s.total)}, the first after ${shortSeconds(s.firstReady)} (mean ${shortSeconds(s.meanReady)}); pulls ${s.mode === 'sequential' ? 'one after another' : 'all at once, sharing transfers'}, ${r.how}.\n`;
  out += `Model: ${humanSize(n.bandwidth)}/s link, ${shortSeconds(n.latency)} per request, ${n.concurrency} concurrent downloads, ${n.extractRate > 0 ? `extraction at ${humanSize(n.extractRate)}/s` : 'extraction not timed'}.\n`;
  out += repeating.length
    ? `${repeating.join(', ')} repeat(s) a blob: docker fetches a repeat again when its first copy was already on the host, so Docker's bytes here depend on the order (the ideal ones do not).\n`
    : 'The bytes do not depend on the order (no image repeats a blob).\n';
  return out;
}

export function renderPullTable(plans: readonly PullPlan[], metadata: MetadataSource): string {
  const rows = [['IMAGE', 'LAYER', 'DOCKER', 'DOWNLOAD', 'IDEAL STORE']];
  for (const p of plans) {
    if (p.imagePresent) rows.push([p.ref, '', 'image present: nothing read', '', '']);
    else
      for (const l of p.layers) {
        const docker = l.status === 'download' ? 'download' : l.status === 'Already exists' ? 'Already exists' : l.plannedBy === p.ref ? 'same blob lower in this image' : `Already exists (pulled by ${l.plannedBy} above)`;
        rows.push([p.ref, l.id12, docker, l.downloadBytes ? humanSize(l.downloadBytes) : '', l.ideal === 'present' ? 'has it' : 'download']);
      }
  }
  const sum = (f: (p: PullPlan) => number) => plans.reduce((s, p) => s + f(p), 0);
  let out = trimLines(tabwrite(rows));
  out += `\nCompressed bytes to download: ${humanSize(sum((p) => p.downloadBytes))} (Docker's rule), ${humanSize(sum((p) => p.idealDownloadBytes))} (ideal content-addressed store); each pulled alone onto an empty host: ${humanSize(sum((p) => p.coldBytes))}.\n`;
  if (plans.some((p) => !p.sizesKnown)) out += 'Some blob sizes are unknown: totals are lower bounds.\n';
  if (plans.some((p) => !p.diffIdsKnown)) out += 'The registry data has no image configs: blob digests stand in for diffIDs (exact for layers pulled from this registry).\n';
  out += `Blob metadata (which blobs the host already has): ${metadata === 'read' ? 'read from the Docker data root' : metadata === 'inferred' ? 'inferred from images that carry a RepoDigest of this registry (a loaded image with one would be counted as pulled)' : 'none (an empty host)'}.\n`;
  return out;
}
