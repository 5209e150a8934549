import Table from 'cli-table3';
import type { DedupComparison } from '../analyze/dedup.js';
import type { ContentDedup, DedupRow } from '../analyze/dedup-content.js';
import type { ImagePair, SharedLayer } from '../analyze/sharing.js';
import { shortId } from '../model/digest.js';
import { describeCaveat } from './caveats.js';
import { humanSize } from './units.js';
import { count } from './words.js';

function table(head: string[], rows: string[][], right: number[] = []): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (right.includes(i) ? 'right' : 'left')),
  });
  t.push(...rows);
  return t.toString() + '\n';
}

/** The dedup-model comparison as a table, with each model's caveats below it. */
export function renderDedup(d: DedupComparison): string {
  const rows = d.models.map((m) =>
    m.available
      ? [m.model, m.key, humanSize(m.logicalBytes), humanSize(m.storedBytes), humanSize(m.savedBytes), m.ratio.toFixed(2) + 'x', m.basis]
      : [m.model, m.key, 'n/a', 'n/a', 'n/a', 'n/a', m.basis],
  );
  let out = `${count(d.images, 'image')}, ${count(d.layerReferences, 'layer reference')}, ${count(d.distinctLayers, 'distinct layer')}, ${count(d.distinctChainLayers, 'distinct chain layer')}, ${count(d.distinctBlobs, 'distinct blob')}\n`;
  out += table(['MODEL', 'SHARES BY', 'LOGICAL', 'STORED', 'SAVED', 'RATIO', 'SIZES'], rows, [2, 3, 4, 5]);
  for (const m of d.models) for (const c of m.caveats) out += `  ${m.model}: ${describeCaveat(c)}\n`;
  return out;
}

/** The most-shared layers. */
export function renderSharedLayers(layers: SharedLayer[]): string {
  if (layers.length === 0) return 'No layer is shared by two images.\n';
  const rows = layers.map((l) => [
    shortId(l.diffId ?? l.digest ?? ''),
    l.diffId ? 'diffID' : 'blob',
    humanSize(l.size),
    String(l.images),
    String(l.chainPositions),
    humanSize(l.savedBytes),
    humanSize(l.dockerSavedBytes),
  ]);
  return table(['LAYER', 'ID KIND', 'SIZE', 'IMAGES', 'POSITIONS', 'SAVED (IDEAL)', 'SAVED ON DOCKER'], rows, [2, 3, 4, 5, 6]);
}

/** Pairwise shared bytes. */
export function renderPairs(p: { considered: number; of: number; pairs: ImagePair[] }, top: number): string {
  const shown = Math.min(top, p.pairs.length);
  const head = `Shared bytes between images (${p.considered === p.of ? `all ${count(p.of, 'image')}` : `the ${p.considered} largest of ${count(p.of, 'image')}`}; top ${count(shown, 'pair')}):\n`;
  if (p.pairs.length === 0) return head + 'No two images share a layer.\n';
  const rows = p.pairs.slice(0, top).map((x) => [x.a, x.b, humanSize(x.sameLayerBytes), humanSize(x.commonChainBytes)]);
  return head + table(['IMAGE', 'IMAGE', 'SAME LAYERS', 'COMMON CHAIN (DOCKER)'], rows, [2, 3]);
}

const pct = (v: number) => v.toFixed(2) + '%';
const opt = (v: number | undefined) => (v === undefined ? '-' : humanSize(v));

/** The dedup ladder (`dedup --level`): one row per granularity, algorithm and mode, then each row's size histogram. */
/** A ladder row the source cannot answer (the blob row of a data root): shown n/a with why. */
export interface UnavailableDedupRow {
  level: DedupRow['level'];
  key: string;
  basis: DedupRow['basis'];
  available: false;
  reason: string;
}

/** A ladder whose rows may be n/a (see {@link UnavailableDedupRow}). */
export type ShownContentDedup = Omit<ContentDedup, 'rows'> & { rows: (DedupRow | UnavailableDedupRow)[] };

/**
 * Marks the layer blob row n/a for sources that keep no compressed blobs: a data root stores
 * layers unpacked and the Engine API reports uncompressed sizes, so a "blob" there would be the
 * uncompressed tar again (or nothing), not what a registry stores. A layer row computed from
 * recorded sizes where no layer has one is n/a too.
 */
export function withoutBlobRow(d: ContentDedup, sourceKinds: readonly string[]): ShownContentDedup {
  const noBlobs = sourceKinds.filter((k) => k === 'data-root' || k === 'engine');
  const blobReason = noBlobs.length ? `a ${noBlobs[0] === 'engine' ? 'live daemon' : 'Docker data root'} keeps layers unpacked: no compressed blob to count` : undefined;
  const na = (r: DedupRow, reason: string): UnavailableDedupRow => ({ level: r.level, key: r.key, basis: r.basis, available: false, reason });
  return {
    ...d,
    rows: d.rows.map((r) => {
      if (r.level !== 'layer') return r;
      if (r.key === 'blob' && blobReason) return na(r, blobReason);
      // Sizes from the graph alone, none recorded (a snapshot of registry manifests has compressed sizes only): unknown, not 0 bytes at 1.000x.
      if (d.layersRead === 0 && d.distinctLayers > 0 && r.units === 0) return na(r, `no layer of these images has a recorded ${r.key === 'blob' ? 'compressed' : 'uncompressed'} size in this source`);
      return r;
    }),
  };
}

export function renderContentDedup(d: ShownContentDedup): string {
  let out = `${count(d.images, 'image')}, ${count(d.layerReferences, 'layer reference')}, ${count(d.distinctLayers, 'distinct layer')}`;
  out += d.layersRead > 0 ? `, ${count(d.layersRead, 'layer')} read once in ${d.scanSeconds.toFixed(2)} s\n` : ' (layer rows from recorded sizes; no layer read)\n';
  const na = d.rows.filter((r): r is UnavailableDedupRow => 'available' in r);
  const rows = d.rows.map((r) => 'available' in r ? [r.level, r.key, '', r.basis, ...Array<string>(12).fill('n/a')] : [
    r.level,
    r.key,
    r.mode ?? '',
    r.basis,
    humanSize(r.logicalBytes),
    humanSize(r.storedBytes),
    r.ratio.toFixed(3) + 'x',
    pct(r.savingsPercent),
    String(r.units),
    String(r.distinctUnits),
    humanSize(r.meanSize),
    humanSize(r.stdDevSize),
    r.indexBytes ? humanSize(r.indexBytes) : '-',
    opt(r.storedGzipBytes),
    opt(r.storedZstdBytes),
    r.mbPerSecond === undefined ? '-' : r.mbPerSecond.toFixed(0),
  ]);
  out += table(['LEVEL', 'KEY', 'MODE', 'BASIS', 'LOGICAL', 'STORED', 'RATIO', 'SAVED', 'UNITS', 'DISTINCT', 'MEAN', 'STDDEV', 'INDEX', 'GZIP', 'ZSTD', 'MB/S'], rows, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  out += 'Size histograms (log2 buckets, count of units):\n';
  for (const r of d.rows) {
    if ('available' in r) continue;
    const label = `${r.level} ${r.key}${r.mode ? ' ' + r.mode : ''}`;
    out += `  ${label}: ${r.histogram.map((h) => `${humanSize(h.fromBytes)}-${humanSize(h.toBytes + 1)}:${Math.round(h.count)}`).join(' ')}\n`;
  }
  for (const c of d.caveats) out += `note: ${describeCaveat(c)}\n`;
  for (const r of na) out += `note: ${r.level} ${r.key} is n/a: ${r.reason}\n`;
  return out;
}
