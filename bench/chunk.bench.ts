// Chunker throughput: MB/s of every built-in chunker next to node:crypto sha256 of the same
// bytes, in the same run, interleaved round by round so that machine noise hits both alike.
// `npm run bench:chunk` writes the "Chunker throughput" section of reports/dedup.md (and
// `npm run bench` runs it too).
import { createHash } from 'node:crypto';
import { cpus, platform, release } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createChunker } from '../src/chunk/registry.js';
import { referenceFastcdc2020 } from '../src/chunk/reference.js';
import { fmt, measure } from './common.js';

const BLOCK = 1 << 20;

export const CHUNKER_SPECS = [
  'fastcdc2020:avg=16k',
  'fastcdc2020:avg=16k,level=2',
  'fastcdc2020:avg=64k',
  'fastcdc2016:avg=16k',
  'gear:avg=16k',
  'rabin:window=48,avg=16k',
  'fixed:size=64k',
];

/** Deterministic pseudo-random bytes (xorshift32): incompressible, like layer contents after gzip. */
export function pseudoRandomBytes(n: number, seed = 2463534242): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return out;
}

export interface ChunkBenchRow {
  name: string;
  chunks: number;
  mbPerSec: { median: number; min: number; max: number };
  /** Throughput over sha256's in the same round: median, min, max over rounds. */
  ratio: { median: number; min: number; max: number };
}

export interface ChunkBenchResult {
  megabytes: number;
  rounds: number;
  iterations: number;
  sha256: { median: number; min: number; max: number };
  rows: ChunkBenchRow[];
  reference: { megabytes: number; mbPerSec: number; ratio: number };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, min: s[0], max: s[s.length - 1] };
};

function sha256Task(data: Uint8Array): () => void {
  return () => {
    const h = createHash('sha256');
    for (let o = 0; o < data.length; o += BLOCK) h.update(data.subarray(o, o + BLOCK));
    h.digest();
  };
}

function chunkTask(spec: string, data: Uint8Array): { run: () => void; count: () => number } {
  const c = createChunker(spec);
  let chunks = 0;
  return {
    run: () => {
      c.reset();
      chunks = 0;
      for (let o = 0; o < data.length; o += BLOCK) chunks += c.push(data.subarray(o, o + BLOCK));
      chunks += c.finish();
    },
    count: () => chunks,
  };
}

export async function runChunkBench(quick: boolean, log: (s: string) => void = () => {}): Promise<ChunkBenchResult> {
  const megabytes = quick ? 16 : 64;
  const rounds = quick ? 3 : 7;
  const iterations = quick ? 2 : 3;
  const data = pseudoRandomBytes(megabytes << 20);
  const mb = data.length / 1e6;
  const tasks = CHUNKER_SPECS.map((spec) => ({ spec, ...chunkTask(spec, data) }));
  const sha: number[] = [];
  const per = new Map<string, { speed: number[]; ratio: number[] }>(CHUNKER_SPECS.map((s) => [s, { speed: [], ratio: [] }]));
  for (let r = 0; r < rounds; r++) {
    const fns: Record<string, () => unknown> = { sha256: sha256Task(data) };
    for (const t of tasks) fns[t.spec] = t.run;
    const measured = await measure(fns, iterations);
    const shaSpeed = mb / (measured.find((m) => m.name === 'sha256')!.meanMs / 1000);
    sha.push(shaSpeed);
    for (const m of measured) {
      if (m.name === 'sha256') continue;
      const speed = mb / (m.meanMs / 1000);
      per.get(m.name)!.speed.push(speed);
      per.get(m.name)!.ratio.push(speed / shaSpeed);
    }
    log(`chunk bench round ${r + 1}/${rounds}: sha256 ${fmt(shaSpeed, 0)} MB/s, ${measured.filter((m) => m.name !== 'sha256').map((m) => `${m.name} ${fmt(mb / (m.meanMs / 1000), 0)}`).join(', ')}`);
  }
  // The BigInt reference (the spec the wasm is tested against), on a smaller sample: what a plain JS loop costs.
  const sample = data.subarray(0, 2 << 20);
  const [refRun, shaRun] = await measure({ reference: () => referenceFastcdc2020(sample, { min: 4096, avg: 16384, max: 65536, level: 1 }), sha256: sha256Task(sample) }, 2);
  const refSpeed = sample.length / 1e6 / (refRun.meanMs / 1000);
  return {
    megabytes,
    rounds,
    iterations,
    sha256: stats(sha),
    rows: tasks.map((t) => ({ name: createChunker(t.spec).spec, chunks: t.count(), mbPerSec: stats(per.get(t.spec)!.speed), ratio: stats(per.get(t.spec)!.ratio) })),
    reference: { megabytes: sample.length / 1e6, mbPerSec: refSpeed, ratio: refSpeed / (sample.length / 1e6 / (shaRun.meanMs / 1000)) },
  };
}

export function renderChunkBench(r: ChunkBenchResult, quick: boolean): string {
  const lines = ['## Chunker throughput', ''];
  lines.push(
    `Run ${new Date().toISOString()} with \`npm run bench:chunk${quick ? ' -- --quick' : ''}\` on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ${platform()} ${release()}, Node ${process.version}, one core.`,
    `Input: ${r.megabytes} MiB of pseudo-random bytes (xorshift32), pushed in 1 MiB blocks, the way a layer stream arrives; sha256 is \`node:crypto\` over the same blocks. ` +
      `${r.rounds} rounds; in each, every task runs ${r.iterations} times (tinybench, after a warm-up) and its mean is compared with sha256's mean of the same round. Figures are medians over rounds, [min–max] the spread.`,
    '',
    '| chunker (canonical spec) | chunks | MB/s median [min–max] | × sha256 median [min–max] |',
    '|---|---:|---:|---:|',
    `| sha256 (node:crypto) | – | ${fmt(r.sha256.median, 0)} [${fmt(r.sha256.min, 0)}–${fmt(r.sha256.max, 0)}] | 1 |`,
  );
  for (const row of r.rows) {
    if (row.name.startsWith('fixed:')) {
      lines.push(`| \`${row.name}\` | ${row.chunks.toLocaleString('en-US')} | – (no per-byte work: ${fmt(row.mbPerSec.median / 1e3, 0)} GB/s of bookkeeping) | – |`);
      continue;
    }
    lines.push(`| \`${row.name}\` | ${row.chunks.toLocaleString('en-US')} | ${fmt(row.mbPerSec.median, 0)} [${fmt(row.mbPerSec.min, 0)}–${fmt(row.mbPerSec.max, 0)}] | ${fmt(row.ratio.median, 2)} [${fmt(row.ratio.min, 2)}–${fmt(row.ratio.max, 2)}] |`);
  }
  const f2020 = r.rows.find((x) => x.name.startsWith('fastcdc2020:avg=16384'))!;
  lines.push(
    '',
    `Target (issue 13): FastCDC 2020 at ≥ 0.80 × sha256 in the same run. Measured: ${fmt(f2020.ratio.median, 2)} × (worst round ${fmt(f2020.ratio.min, 2)} ×) — ${f2020.ratio.min >= 0.8 ? 'met in every round' : f2020.ratio.median >= 0.8 ? 'met at the median, not in every round' : 'NOT met'}.`,
    `The same FastCDC 2020 as a plain JavaScript loop (the BigInt reference in src/chunk/reference.ts, on ${fmt(r.reference.megabytes, 1)} MB): ${fmt(r.reference.mbPerSec, 1)} MB/s, ${fmt(r.reference.ratio, 3)} × sha256 — why the kernels are AssemblyScript compiled to WebAssembly (native u64).`,
    'FastCDC reads only the bytes after each chunk\'s minimum (cut-point skipping) and 2020 rolls two bytes per step; plain Gear hashes every byte; Rabin does a table lookup to slide a byte out and another to reduce, per byte; fixed-size reads no byte at all.',
    '',
  );
  return lines.join('\n');
}

/** Replaces (or adds) the "Chunker throughput" section of reports/dedup.md, leaving other sections alone. */
export function writeChunkReport(section: string, path = 'reports/dedup.md'): void {
  mkdirSync('reports', { recursive: true });
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Dedup benchmarks\n\n';
  const start = old.indexOf('## Chunker throughput');
  let text: string;
  if (start < 0) text = old.replace(/\n*$/, '\n\n') + section;
  else {
    const next = old.indexOf('\n## ', start + 1);
    text = old.slice(0, start) + section + (next < 0 ? '' : old.slice(next + 1));
  }
  writeFileSync(path, text);
}

export async function runChunkBenchReport(quick: boolean, log: (s: string) => void): Promise<void> {
  const section = renderChunkBench(await runChunkBench(quick, log), quick);
  writeChunkReport(section);
  log(section);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runChunkBenchReport(process.argv.includes('--quick'), (s) => process.stderr.write(s + '\n'));
}
