// `layerlab export --contents`: the files and chunks tables, and the shipped file and chunk queries
// over them (Arrow and Parquet) give `layerlab dedup --level file|chunk`'s numbers on the real fixtures.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ContentDedup, DedupRow } from '../src/analyze/dedup-content.js';
import { cli } from './helpers/cli.js';
import { sha } from './helpers/oci.js';
import { tempDir } from './helpers/tmp.js';
import { zstdFixtureTar } from './helpers/zstd-fixture.js';

const ALGOS = ['fixed:size=1k', 'fastcdc2020:avg=1k,min=256,max=4k'];
const work = tempDir('layerlab-export-contents-');
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** An OCI layout whose one layer is fixtures/zstd/layer.tar.zst (application/vnd.oci.image.layer.v1.tar+zstd). */
async function zstdLayout(): Promise<string> {
  const dir = join(work, 'zstd-layout');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => (writeFileSync(join(dir, 'blobs', 'sha256', sha(b).slice(7)), b), sha(b));
  const zst = readFileSync('fixtures/zstd/layer.tar.zst');
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha(await zstdFixtureTar())] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: put(zst), size: zst.length }],
    }),
  );
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length }] }));
  return dir;
}

async function engine(sources: string[]): Promise<ContentDedup> {
  const r = await cli('dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', ...ALGOS.flatMap((a) => ['--algo', a]), '--no-compress', '--format', 'json', ...sources);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ContentDedup;
}

async function exportContents(sources: string[], format: string): Promise<string> {
  const out = join(work, `export-${n++}`);
  const r = await cli('export', '--format', format, '--contents', ...ALGOS.flatMap((a) => ['--algo', a]), ...sources, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

async function sql(source: string, args: string[]): Promise<Record<string, unknown>[]> {
  const r = await cli('sql', source, '--format', 'json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

const counts = (r: DedupRow) => ({ units: r.units, distinct: r.distinctUnits, logical: r.logicalBytes, stored: r.storedBytes });

/** Every shipped file and chunk query over the export equals the engine's rows. */
async function checkExport(out: string, want: ContentDedup): Promise<void> {
  const file = want.rows.find((r) => r.level === 'file')!;
  const [files] = await sql(out, ['--query', 'dedup-files']);
  assert.deepEqual({ units: files.files, distinct: files.distinct_files, logical: files.logical_bytes, stored: files.stored_bytes }, counts(file), 'dedup-files');
  assert.equal(files.saved_bytes, file.logicalBytes - file.storedBytes);

  const chunkRows = want.rows.filter((r) => r.level === 'chunk');
  const got = await sql(out, ['--query', 'dedup-chunks']);
  assert.deepEqual(
    got.map((r) => [r.algo, r.mode, { units: r.chunks, distinct: r.distinct_chunks, logical: r.logical_bytes, stored: r.stored_bytes }]),
    chunkRows.map((r) => [r.key, r.mode, counts(r)]).sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
    'dedup-chunks',
  );

  // most-shared-files: each duplicated content's saving; below the top-20 cut they add up to the file row's.
  const shared = await sql(out, ['--query', 'most-shared-files']);
  for (const r of shared) assert.equal(r.saved_bytes, (r.size as number) * ((r.copies as number) - 1));
  assert.ok(shared.length < 20, 'the fixtures have fewer than 20 duplicated contents, so the list is whole');
  assert.equal(
    shared.reduce((s, r) => s + (r.saved_bytes as number), 0),
    file.logicalBytes - file.storedBytes,
    'most-shared-files sums to the saved bytes',
  );

  // The stream chunks of each layer cover its uncompressed tar: their bytes over distinct layers are the diffID row's stored bytes.
  const diff = want.rows.find((r) => r.key === 'diffID')!;
  for (const algo of new Set(chunkRows.map((r) => r.key))) {
    const [s] = await sql(out, ['-e', `SELECT SUM(chunk_length) AS bytes FROM chunks WHERE mode = 'stream' AND algo = '${algo}'`]);
    assert.equal(s.bytes, diff.storedBytes, `${algo}: stream chunks cover every tar`);
  }
  // Offsets: each chunk starts where the one before it in its file (per-file) or tar (stream) ends.
  const [gaps] = await sql(out, [
    '-e',
    `SELECT COUNT(*) AS bad FROM (SELECT chunk_offset, SUM(chunk_length) OVER (PARTITION BY layer_digest, algo, mode, path ORDER BY chunk_offset) - chunk_length AS want FROM chunks) x WHERE chunk_offset <> want`,
  ]);
  assert.equal(gaps.bad, 0);
  // Every files and chunks row names a layer of the export by its diffID.
  const [orphans] = await sql(out, ['-e', 'SELECT (SELECT COUNT(*) FROM files WHERE layer_digest NOT IN (SELECT diff_id FROM layers WHERE diff_id IS NOT NULL)) + (SELECT COUNT(*) FROM chunks WHERE layer_digest NOT IN (SELECT diff_id FROM layers WHERE diff_id IS NOT NULL)) AS n']);
  assert.equal(orphans.n, 0);
}

const FIXTURES: [string, () => Promise<string[]>][] = [
  ['the dive-style waste image (OCI archive)', async () => ['fixtures/waste/app.oci.tar']],
  ['the Docker 20.10 scenario as docker save', async () => ['fixtures/archives/scenario.docker-save.tar']],
  ['the scenario in Docker 25 docker save shape (gzip)', async () => ['fixtures/archives/scenario.docker25-shape.tar.gz']],
  ['the scenario as an OCI layout', async () => ['fixtures/archives/scenario.oci']],
  ['the scenario as an OCI archive', async () => ['fixtures/archives/scenario.oci-archive.tar']],
  ['a zstd layer in an OCI layout', async () => [await zstdLayout()]],
  ['two sources merged (shared layers read once)', async () => ['fixtures/archives/scenario.docker-save.tar', 'fixtures/archives/scenario.oci-archive.tar', 'fixtures/waste/app.oci.tar']],
];

for (const [label, sources] of FIXTURES) {
  describe(`export --contents: shipped file and chunk SQL equals dedup --level on ${label}`, () => {
    for (const format of ['arrow', 'parquet']) {
      test(format, async () => {
        const src = await sources();
        const want = await engine(src);
        assert.ok(want.rows.find((r) => r.level === 'file')!.units > 0, 'the fixture has files');
        await checkExport(await exportContents(src, format), want);
      });
    }
  });
}

test('export --contents: the marker and summary say what was read; graph commands read the export as before', async () => {
  const out = await exportContents(['fixtures/waste/app.oci.tar'], 'arrow');
  const marker = JSON.parse(readFileSync(join(out, 'layerlab-columnar.json'), 'utf8'));
  assert.deepEqual(marker.contents, { algos: ['fixed:size=1024', 'fastcdc2020:avg=1024,min=256,max=4096,level=1,seed=0'], layersRead: 4, layersNotRead: 0 });
  assert.ok(marker.rows.files > 0 && marker.rows.chunks > 0);
  const df = await cli('df', '--format', 'json', out);
  const direct = await cli('df', '--format', 'json', 'fixtures/waste/app.oci.tar');
  assert.equal(df.code, 0, df.stderr);
  assert.deepEqual(JSON.parse(df.stdout).images, JSON.parse(direct.stdout).images);
  // Without --algo the chunks table stays empty and the chunk query answers nothing.
  const filesOnly = join(work, 'files-only');
  const r = await cli('export', '--format', 'parquet', '--contents', 'fixtures/waste/app.oci.tar', '-o', filesOnly);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\d+ files, 0 chunks/);
  assert.deepEqual(await sql(filesOnly, ['--query', 'dedup-chunks']), []);
  assert.equal((await sql(filesOnly, ['--query', 'dedup-files'])).length, 1);
});

test('export --contents: sources without layer bytes and bad flags are clear errors', async () => {
  const snapshot = await cli('export', '--format', 'arrow', '--contents', 'fixtures/official-images/host.snapshot.json', '-o', join(work, 'no'));
  assert.equal(snapshot.code, 1);
  assert.match(snapshot.stderr, /host\.snapshot\.json.*--contents reads layer bytes, and no layer of these images can be read/s);
  const columnar = await exportContents(['fixtures/waste/app.oci.tar'], 'arrow');
  const again = await cli('export', '--format', 'arrow', '--contents', columnar, '-o', join(work, 'no'));
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no layer of these images can be read/);
  const stray = await cli('export', '--format', 'arrow', '--algo', 'fixed:size=4k', 'fixtures/waste/app.oci.tar', '-o', join(work, 'no'));
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--algo goes with --contents/);
  const bad = await cli('export', '--format', 'arrow', '--contents', '--algo', 'nosuch:avg=1k', 'fixtures/waste/app.oci.tar', '-o', join(work, 'no'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown algorithm "nosuch"/);
});

test('export --contents: layers no source holds the bytes of are left out with a warning, and the SQL still equals the engine', async () => {
  // An export holds digests and sizes but no layer bytes: merged with an archive, only the archive's layers are read.
  const sizesOnly = await exportContents(['fixtures/waste/app.oci.tar'], 'arrow');
  const sources = [sizesOnly, 'fixtures/archives/scenario.oci-archive.tar'];
  const out = join(work, 'partial');
  const r = await cli('export', '--format', 'parquet', '--contents', ...ALGOS.flatMap((a) => ['--algo', a]), ...sources, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the bytes of 4 of 9 distinct layers are not in these sources/);
  const want = await engine(sources);
  assert.deepEqual(want.caveats, [{ code: 'layers-not-read', params: { layers: 4, of: 9 } }]);
  await checkExport(out, want);
});

test('a version 1 export (files and chunks always empty, chunks in the old schema) still reads: graph as before, no file or chunk rows', async () => {
  const { tableFromArrays, tableToIPC } = await import('apache-arrow');
  for (const format of ['arrow', 'parquet']) {
    const out = join(work, `v1-${format}`);
    const r = await cli('export', '--format', format, 'fixtures/waste/app.oci.tar', '-o', out);
    assert.equal(r.code, 0, r.stderr);
    const markerFile = join(out, 'layerlab-columnar.json');
    writeFileSync(markerFile, JSON.stringify({ ...JSON.parse(readFileSync(markerFile, 'utf8')), version: 1 }));
    // The old chunks table had no algo, mode or path.
    if (format === 'arrow') writeFileSync(join(out, 'chunks.arrow'), tableToIPC(tableFromArrays({ chunk_offset: new BigInt64Array(0), chunk_length: new BigInt64Array(0) }), 'file'));
    const df = await cli('df', '--format', 'json', out);
    assert.equal(df.code, 0, df.stderr);
    assert.deepEqual(await sql(out, ['--query', 'dedup-chunks']), []);
    assert.deepEqual(await sql(out, ['--query', 'dedup-files']), []);
    const future = JSON.parse(readFileSync(markerFile, 'utf8'));
    writeFileSync(markerFile, JSON.stringify({ ...future, version: 3 }));
    const refused = await cli('df', out);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /unsupported columnar export version 3; this layerlab reads versions 1 and 2/);
  }
});
