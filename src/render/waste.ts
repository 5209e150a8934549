// `layerlab waste`: dive's figures per image, dive's CI report, and files duplicated across images.
import type { DiveCiResult } from '../analyze/dive-ci.js';
import { goFloat } from '../analyze/dive-ci.js';
import type { FileDedup, WasteAnalysis } from '../analyze/waste.js';
import { humanSize } from './units.js';
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
    out.push(`${w.image}  (${w.id.slice(7, 19)})`);
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

/** dive's CI report for one image (runtime/ci/evaluator.go Report): analysis lines, then each rule, then the result. */
export function renderDiveCi(w: WasteImage, ci: DiveCiResult): string {
  const lines = [`${w.image}:`, '  efficiency: ' + `${goFloat(w.efficiency * 100)} %`, `  wastedBytes: ${w.wastedBytes} bytes (${humanSize(w.wastedBytes)})`, `  userWastedPercent: ${w.wastedUserPercent === null ? 'NaN' : goFloat(w.wastedUserPercent * 100)} %`, 'Inefficient Files:', 'Count  Wasted Space  File Path'];
  for (const f of w.inefficiencies) lines.push(`${String(f.count).padEnd(5)}  ${humanSize(f.sizeBytes).padEnd(12)}  ${f.file}`);
  lines.push('Results:');
  const count = { pass: 0, fail: 0, skip: 0 };
  for (const r of ci.results) {
    const status = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : r.status === 'skip' ? 'SKIP' : 'MISCONFIGURED';
    if (r.status === 'pass') count.pass++;
    else if (r.status === 'fail') count.fail++;
    else if (r.status === 'skip') count.skip++;
    lines.push(`  ${status}: ${r.rule}${r.message ? `: ${r.message}` : ''}`);
  }
  lines.push(`Result:${ci.pass ? 'PASS' : 'FAIL'} [Total:${ci.results.length}] [Passed:${count.pass}] [Failed:${count.fail}] [Warn:0] [Skipped:${count.skip}]`, '');
  return lines.join('\n');
}
