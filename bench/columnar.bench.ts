// npm run bench:columnar [-- --quick]: (1) `layerlab df` and `dedup` on an Arrow and a Parquet
// export of a synthetic set, spawned as a user runs it (several runs, median and spread, wall and
// CPU time and peak RSS from /usr/bin/time, load average noted, Parquet as a ratio to Arrow); (2) DuckDB running the shipped queries over
// Parquet generated in DuckDB from 1M to 100M image_layers rows, each size in its own process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { writeColumnar } from '../src/sources/columnar.js';
import { openDuck, sqlString } from '../src/sources/duckdb.js';
import { createTableSql } from '../src/sources/columnar-parquet.js';
import { shippedQuery } from '../src/sources/sql-queries.js';
import { syntheticGraph } from '../src/sources/synthetic.js';

const arg = (name: string, def: number): number => {
  const k = process.argv.indexOf(name);
  return k < 0 ? def : Number(process.argv[k + 1]);
};
const quick = process.argv.includes('--quick');
const log = (s: string): void => void process.stderr.write(s + '\n');
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of one CLI run. */
function timed(argv: string[]): { s: number; cpu: number; mb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, 'dist/cli/main.js', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`layerlab ${argv.join(' ')} failed: ${r.stderr}`);
  const [s, user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { s, cpu: user + sys, mb: kb / 1024 };
}

const spread = (xs: number[], digits = 2): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/**
 * `layerlab df` and `dedup` of the same set exported as Arrow and as Parquet, the runs of the two
 * formats alternating so that machine load falls on both alike. Arrow is the baseline: the
 * Parquet reader decodes to Arrow (parquet-wasm) and then copies as the Arrow reader does, so
 * the ratio is what reading Parquet costs over reading Arrow. Target (issue 12): Parquet load +
 * df of 1M images <= 5 s and <= 2 GB.
 */
async function cliBench(images: number, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-bench-columnar-'));
  try {
    const graph = syntheticGraph({ images, seed: 1, containers: 1000 });
    log(`synthetic: ${images} images, ${graph.layerCount} layers, ${graph.referenceCount} refs`);
    const exportS: Record<string, number> = {};
    for (const format of ['arrow', 'parquet'] as const) {
      const t0 = performance.now();
      await writeColumnar(graph, format, join(dir, format));
      exportS[format] = (performance.now() - t0) / 1000;
    }
    const loads: string[] = [];
    const res: Record<string, { s: number; cpu: number; mb: number }[]> = {};
    for (let k = 0; k < runs; k++) {
      loads.push(loadavg().split(' ')[0]);
      for (const command of ['df', 'dedup']) for (const format of ['arrow', 'parquet']) (res[`${format} ${command}`] ??= []).push(timed([command, join(dir, format)]));
    }
    console.log(`${runs} runs each, formats alternating; load avg (1 min) before each round: ${loads.join(', ')}`);
    console.log('');
    console.log('| format | export s | command | wall s median (min–max) | CPU s median (min–max) | peak RSS MB median (max) |');
    console.log('|---|---:|---|---:|---:|---:|');
    for (const command of ['df', 'dedup']) {
      for (const format of ['arrow', 'parquet']) {
        const r = res[`${format} ${command}`];
        const mb = r.map((x) => x.mb);
        console.log(`| ${format} | ${exportS[format].toFixed(1)} | ${command} | ${spread(r.map((x) => x.s))} | ${spread(r.map((x) => x.cpu))} | ${median(mb).toFixed(0)} (${Math.max(...mb).toFixed(0)}) |`);
      }
    }
    console.log('');
    for (const command of ['df', 'dedup']) {
      const a = res[`arrow ${command}`];
      const p = res[`parquet ${command}`];
      const ratio = (f: (x: { s: number; cpu: number }) => number): string => (median(p.map(f)) / median(a.map(f))).toFixed(2);
      console.log(`- ${command}: Parquet / Arrow = ${ratio((x) => x.s)}x wall, ${ratio((x) => x.cpu)}x CPU (medians)`);
    }
    const pdf = res['parquet df'];
    const wall = median(pdf.map((x) => x.s));
    const gb = Math.max(...pdf.map((x) => x.mb)) / 1024;
    console.log(`- target (Parquet load + df of ${images.toLocaleString('en')} images <= 5 s, <= 2 GB): ${wall.toFixed(2)} s, ${gb.toFixed(2)} GB — ${wall <= 5 && gb <= 2 ? 'met' : 'not met'}${images === 1_000_000 ? '' : ' (the target is for 1M images)'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Parquet tables generated in DuckDB: 6-tag repositories over 2000 base families, stacks of
 * 8 (4 base, 3 repository, 1 own layer), so chains, sharing and the listing rule have real work.
 */
function generateSql(dir: string, images: number): string[] {
  const F = 2000;
  const R = Math.ceil(images / 6);
  const base = F * 4;
  const p = (t: string): string => sqlString(join(dir, t, 'data_0.parquet'));
  return [
    `CREATE TABLE s AS SELECT i AS image_key, i // 6 AS repo, (i // 6) % ${F} AS family FROM range(${images}) t(i)`,
    `COPY (SELECT s.image_key, q.position,
        CASE WHEN q.position < 4 THEN s.family * 4 + q.position WHEN q.position < 7 THEN ${base} + s.repo * 3 + q.position - 4 ELSE ${base + R * 3} + s.image_key END AS layer_key
      FROM s CROSS JOIN range(8) q(position)) TO ${p('il')} (FORMAT parquet)`,
    `COPY (SELECT image_key, position, layer_key, layer_key AS chain_key FROM read_parquet(${p('il')})) TO ${p('image_layers')} (FORMAT parquet, COMPRESSION zstd)`,
    `COPY (SELECT k AS layer_key, unhex(sha256('d' || k)) AS diff_id, unhex(sha256('b' || k)) AS digest, CAST(1000 + hash(k) % 100000000 AS BIGINT) AS size, CAST(400 + hash(k) % 40000000 AS BIGINT) AS compressed_size, 'application/vnd.oci.image.layer.v1.tar+gzip' AS media_type FROM range(${base + R * 3 + images}) t(k)) TO ${p('layers')} (FORMAT parquet, COMPRESSION zstd)`,
    `COPY (SELECT k AS chain_key, CASE WHEN k < ${base} THEN (CASE WHEN k % 4 = 0 THEN NULL ELSE k - 1 END) WHEN k < ${base + R * 3} THEN (CASE WHEN (k - ${base}) % 3 = 0 THEN ((k - ${base}) // 3 % ${F}) * 4 + 3 ELSE k - 1 END) ELSE ${base} + ((k - ${base + R * 3}) // 6) * 3 + 2 END AS parent_chain_key, k AS layer_key, unhex(sha256('c' || k)) AS chain_id FROM range(${base + R * 3 + images}) t(k)) TO ${p('chains')} (FORMAT parquet, COMPRESSION zstd)`,
    `COPY (SELECT image_key, unhex(sha256('i' || image_key)) AS id, CAST(NULL AS INTEGER) AS parent_key, CAST(1600000000 + image_key AS BIGINT) AS created, 'linux/amd64' AS platform FROM s) TO ${p('images')} (FORMAT parquet, COMPRESSION zstd)`,
    `COPY (SELECT image_key AS ref_key, image_key, 'tag' AS kind, 'r' || repo || ':t' || (image_key % 6) AS ref FROM s) TO ${p('image_refs')} (FORMAT parquet, COMPRESSION zstd)`,
    `COPY (SELECT k AS container_key, unhex(sha256('k' || k)) AS container_id, NULL AS name, k * 997 % ${images} AS image_key, NULL AS image_ref, CASE WHEN k % 3 = 0 THEN 'running' ELSE 'exited' END AS state, NULL AS status, CAST(k * 1000 AS BIGINT) AS size_rw, CAST(NULL AS BIGINT) AS created, NULL AS command FROM range(1000) t(k)) TO ${p('containers')} (FORMAT parquet)`,
  ];
}

/** Child mode: generate one size, time each shipped query, print one JSON line. */
async function duckChild(rows: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-bench-duck-'));
  const { mkdirSync } = await import('node:fs');
  for (const t of ['il', 'image_layers', 'layers', 'chains', 'images', 'image_refs', 'containers']) mkdirSync(join(dir, t));
  const duck = await openDuck();
  try {
    const t0 = performance.now();
    for (const s of generateSql(dir, rows / 8)) await duck.connection.run(s);
    await duck.connection.run('DROP TABLE s');
    rmSync(join(dir, 'il'), { recursive: true });
    const genS = (performance.now() - t0) / 1000;
    for (const t of ['image_layers', 'layers', 'chains', 'images', 'image_refs', 'containers']) {
      await duck.connection.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet(${sqlString(join(dir, t, 'data_0.parquet'))})`);
    }
    await duck.connection.run(createTableSql('files'));
    const times: Record<string, number> = {};
    for (const q of ['df', 'df-images', 'dedup', 'shared-layers']) {
      const sql = q === 'df-images' ? `SELECT COUNT(*), SUM(shared_size) FROM (${shippedQuery(q).replace(/ORDER BY[^)]*$/, '')})` : shippedQuery(q);
      const t = performance.now();
      await duck.connection.runAndReadAll(sql);
      times[q] = (performance.now() - t) / 1000;
    }
    const { execSync } = await import('node:child_process');
    const bytes = Number(execSync(`du -sb ${dir}`).toString().split('\t')[0]);
    console.log(JSON.stringify({ rows, genS, times, parquetMb: bytes / 2 ** 20, rssMb: resourceUsage().maxRSS / 1024 }));
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function duckBench(sizes: number[]): Promise<void> {
  console.log('| image_layers rows | images | Parquet MB | generate s | df s | df-images s | dedup s | shared-layers s | peak RSS MB | load avg before |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const rows of sizes) {
    const load = loadavg();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/columnar.bench.ts', '--duck-child', String(rows)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const t = j.times;
    console.log(`| ${rows.toLocaleString('en')} | ${(rows / 8).toLocaleString('en')} | ${j.parquetMb.toFixed(0)} | ${j.genS.toFixed(1)} | ${t.df.toFixed(2)} | ${t['df-images'].toFixed(2)} | ${t.dedup.toFixed(2)} | ${t['shared-layers'].toFixed(2)} | ${j.rssMb.toFixed(0)} | ${load} |`);
  }
}

/**
 * Files rows over the 1M-stack-row image set of {@link generateSql} (125,000 images, 195,500
 * layers): each row a layer (by its diffID, uniformly), a path, and a content drawn from a pool
 * of 3% of the row count (the Docker Hub study: 3% of files unique), sizes 100 B to 1 MB by
 * content. Parquet partitioned by layer as `export --contents` writes it.
 */
function filesSql(dir: string, rows: number, layers: number): string {
  const contents = Math.max(1, Math.round(rows * 0.03));
  return `COPY (SELECT unhex(sha256('d' || (hash(i) % ${layers}))) AS layer_digest, 'usr/lib/f' || i AS path,
      CAST(100 + hash(c) % 1000000 AS BIGINT) AS size, unhex(sha256('f' || c)) AS content_digest, hash(hash(i) % ${layers}) % ${Math.max(1, Math.ceil(rows / 4_000_000))} AS bucket
    FROM (SELECT i, hash(i * 7) % ${contents} AS c FROM range(${rows}) t(i)))
    TO ${sqlString(join(dir, 'files'))} (FORMAT parquet, COMPRESSION zstd, WRITE_BLOOM_FILTER false, PARTITION_BY (bucket))`;
}

/** Child mode: the 1M-row image set plus `rows` files rows; dedup-files and most-shared-files timed `runs` times each. */
async function filesChild(rows: number, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-bench-files-'));
  const { mkdirSync } = await import('node:fs');
  for (const t of ['il', 'image_layers', 'layers', 'chains', 'images', 'image_refs', 'containers']) mkdirSync(join(dir, t));
  const duck = await openDuck();
  try {
    const images = 125_000;
    for (const s of generateSql(dir, images)) await duck.connection.run(s);
    await duck.connection.run('DROP TABLE s');
    rmSync(join(dir, 'il'), { recursive: true });
    const layers = 2000 * 4 + Math.ceil(images / 6) * 3 + images;
    const t0 = performance.now();
    await duck.connection.run(filesSql(dir, rows, layers));
    const genS = (performance.now() - t0) / 1000;
    for (const t of ['image_layers', 'layers', 'chains', 'images', 'image_refs', 'containers']) {
      await duck.connection.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet(${sqlString(join(dir, t, 'data_0.parquet'))})`);
    }
    await duck.connection.run(`CREATE VIEW files AS SELECT * FROM read_parquet(${sqlString(join(dir, 'files', '**', '*.parquet'))}, hive_partitioning = false)`);
    await duck.connection.run(createTableSql('chunks'));
    const times: Record<string, { wall: number[]; cpu: number[] }> = {};
    let answer: unknown;
    for (const q of ['dedup-files', 'most-shared-files']) {
      times[q] = { wall: [], cpu: [] };
      for (let k = 0; k < runs; k++) {
        const c = process.cpuUsage();
        const t = performance.now();
        const r = await duck.connection.runAndReadAll(shippedQuery(q));
        times[q].wall.push((performance.now() - t) / 1000);
        const d = process.cpuUsage(c);
        times[q].cpu.push((d.user + d.system) / 1e6);
        if (q === 'dedup-files') answer = r.getRowsJS()[0].map(Number);
      }
    }
    const { execSync } = await import('node:child_process');
    const bytes = Number(execSync(`du -sb ${join(dir, 'files')}`).toString().split('\t')[0]);
    console.log(JSON.stringify({ rows, genS, times, answer, filesMb: bytes / 2 ** 20, rssMb: resourceUsage().maxRSS / 1024 }));
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function filesBench(sizes: number[], runs: number): Promise<void> {
  console.log('| files rows | files Parquet MB | generate s | dedup-files median wall s (min–max) | CPU s | most-shared-files median wall s (min–max) | CPU s | peak RSS MB | load avg before |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const rows of sizes) {
    const load = loadavg();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/columnar.bench.ts', '--files-child', String(rows), '--runs', String(runs)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const cell = (q: string): string => {
      const w = j.times[q].wall as number[];
      return `${median(w).toFixed(2)} (${Math.min(...w).toFixed(2)}–${Math.max(...w).toFixed(2)}) | ${median(j.times[q].cpu).toFixed(2)}`;
    };
    log(`files ${rows}: dedup-files answer ${JSON.stringify(j.answer)}`);
    console.log(`| ${rows.toLocaleString('en')} | ${j.filesMb.toFixed(0)} | ${j.genS.toFixed(1)} | ${cell('dedup-files')} | ${cell('most-shared-files')} | ${j.rssMb.toFixed(0)} | ${load} |`);
  }
}

if (process.argv.includes('--duck-child')) await duckChild(arg('--duck-child', 1e6));
else if (process.argv.includes('--files-child')) await filesChild(arg('--files-child', 1e6), arg('--runs', 3));
else if (process.argv.includes('--files')) await filesBench(quick ? [1_000_000] : [1_000_000, 10_000_000, 30_000_000], arg('--runs', 3));
else {
  if (!process.argv.includes('--no-cli')) await cliBench(arg('--images', quick ? 50_000 : 1_000_000), arg('--runs', quick ? 2 : 5));
  if (!process.argv.includes('--no-duck')) await duckBench(quick ? [1_000_000] : [1_000_000, 10_000_000, 30_000_000, 100_000_000]);
}
