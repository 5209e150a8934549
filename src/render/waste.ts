// `layerlab waste`: dive's figures per image, dive's CI report, and files duplicated across images.
import type { DiveCiResult } from '../analyze/dive-ci.js';
import type { FileDedup, WasteAnalysis } from '../analyze/waste.js';
import { goFixed, goHumanizeBytes, humanSize } from './units.js';
import { count } from './words.js';

/** One image's waste (`layerlab waste --format json`, `images[]`): dive's definitions. */
export interface WasteImage {
  image: string;
  id: string;
  efficiency: number;
  sizeBytes: number;
  userSizeBytes: number;
  wastedBytes: number;
  /** wastedBytes / userSizeBytes; null where Go's division gives NaN or Inf (no user bytes). */
  wastedUserPercent: number | null;
  /** Paths more than one layer touches, largest first. */
  inefficiencies: { file: string; count: number; sizeBytes: number }[];
}

/** Regular files over the distinct layers of the images, by content digest (any path). */
export interface WasteAcross extends FileDedup {
  images: number;
  layers: number;
  /** uniqueFiles / logicalFiles (1 when there are none). */
  uniqueFilesRatio: number;
  uniqueBytesRatio: number;
}

/** `layerlab waste --format json`. */
export interface WasteResult {
  source: string;
  images: WasteImage[];
  acrossImages: WasteAcross;
}

/** Go's float division, where NaN and Inf have no JSON: null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** One image's analysis in the JSON shape. */
export function wasteImage(label: string, id: string, a: WasteAnalysis): WasteImage {
  return {
    image: label,
    id,
    efficiency: a.efficiency,
    sizeBytes: a.sizeBytes,
    userSizeBytes: a.userSizeBytes,
    wastedBytes: a.wastedBytes,
    wastedUserPercent: finite(a.wastedUserPercent),
    inefficiencies: a.inefficiencies.map((f) => ({ file: f.file, count: f.count, sizeBytes: f.sizeBytes })),
  };
}

/** The files of `layers` distinct layers of `images` images, with the unique shares (1 when there is nothing). */
export function wasteAcross(images: number, layers: number, d: FileDedup): WasteAcross {
  return { images, layers, ...d, uniqueFilesRatio: d.logicalFiles ? d.uniqueFiles / d.logicalFiles : 1, uniqueBytesRatio: d.logicalBytes ? d.uniqueBytes / d.logicalBytes : 1 };
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(4)} %`);

/** Per image: efficiency, wasted bytes and the top inefficient files; then files across images. */
export function renderWaste(r: WasteResult, top: number): string {
  const out: string[] = [];
  for (const w of r.images) {
    const short = w.id.slice(7, 19);
    out.push(w.image === short ? short : `${w.image}  (${short})`);
    out.push(`  efficiency: ${pct(w.efficiency)}`);
    out.push(`  wastedBytes: ${w.wastedBytes} bytes (${humanSize(w.wastedBytes)})`);
    out.push(`  userWastedPercent: ${pct(w.wastedUserPercent)}`);
    out.push(`  size: ${humanSize(w.sizeBytes)}, added after the first layer: ${humanSize(w.userSizeBytes)}`);
    if (w.inefficiencies.length) {
      out.push('  Inefficient Files:', `  ${'Count'.padEnd(6)} ${'Wasted Space'.padEnd(13)} File Path`);
      for (const f of w.inefficiencies.slice(0, top)) out.push(`  ${String(f.count).padEnd(6)} ${humanSize(f.sizeBytes).padEnd(13)} ${f.file}`);
      if (w.inefficiencies.length > top) out.push(`  ... ${w.inefficiencies.length - top} more (--top, or --format json)`);
    }
    out.push('');
  }
  out.push(renderAcross(r.acrossImages));
  return out.join('\n');
}

function renderAcross(a: WasteAcross): string {
  return (
    `Across ${count(a.images, 'image')}, ${count(a.layers, 'distinct layer')}, by content (any path):\n` +
    `  files: ${a.logicalFiles}, unique ${a.uniqueFiles} (${(a.uniqueFilesRatio * 100).toFixed(1)} %)\n` +
    `  bytes: ${humanSize(a.logicalBytes)}, unique ${humanSize(a.uniqueBytes)} (${(a.uniqueBytesRatio * 100).toFixed(1)} %)\n`
  );
}

const CI_STATUS = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', misconfigured: 'MISCONFIGURED', configured: 'CONFIGURED   ' } as const;

/** dive's `%5s  %12s  %-s` row. */
const ciRow = (count: string, size: string, path: string) => `${count.padStart(5)}  ${size.padStart(12)}  ${path}`;

/**
 * dive's CI output for one image: runCi's three lines (`%2.4f %%`, go-humanize sizes), then
 * runtime/ci/evaluator.go Report: inefficient files (`None` when there are none; none are
 * gathered when the config is invalid), the rules sorted by key, then the tally or
 * `CI Misconfigured`. dive's ANSI colours on FAIL/SKIP and the titles are left out.
 */
export function renderDiveCi(w: WasteImage, ci: DiveCiResult): string {
  const lines = [
    `${w.image}:`,
    `  efficiency: ${goFixed(w.efficiency * 100, 4)} %`,
    `  wastedBytes: ${w.wastedBytes} bytes (${goHumanizeBytes(w.wastedBytes)})`,
    `  userWastedPercent: ${w.wastedUserPercent === null ? 'NaN' : goFixed(w.wastedUserPercent * 100, 4)} %`,
    'Inefficient Files:',
    ciRow('Count', 'Wasted Space', 'File Path'),
  ];
  const files = ci.misconfigured ? [] : w.inefficiencies;
  if (files.length === 0) lines.push('None');
  for (const f of files) lines.push(ciRow(String(f.count), goHumanizeBytes(f.sizeBytes), f.file));
  lines.push('Results:');
  const count = { pass: 0, fail: 0, skip: 0 };
  for (const r of [...ci.results].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0))) {
    if (r.status === 'pass' || r.status === 'fail' || r.status === 'skip') count[r.status]++;
    // dive records a valid rule of an invalid config as CONFIGURED with the message "test"
    const message = ci.misconfigured && r.status === 'configured' ? 'test' : r.message;
    lines.push(`  ${CI_STATUS[r.status]}: ${r.rule}${message ? `: ${message}` : ''}`);
  }
  if (ci.misconfigured) lines.push('CI Misconfigured', '');
  else lines.push(`Result:${ci.pass ? 'PASS' : 'FAIL'} [Total:${ci.results.length}] [Passed:${count.pass}] [Failed:${count.fail}] [Warn:0] [Skipped:${count.skip}]`, '');
  return lines.join('\n');
}
