// An export read back is the same image set: every fixture and a synthetic set, Arrow and
// Parquet, through loadSource (chosen by content) and through the CLI.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../src/cli/run.js';
import { LayerlabError } from '../src/errors.js';
import { GraphBuilder, type ImageGraph } from '../src/model/graph.js';
import { writeColumnar } from '../src/sources/columnar.js';
import { openDuck, sqlString } from '../src/sources/duckdb.js';
import { loadSource } from '../src/sources/load.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';
import { syntheticGraph } from '../src/sources/synthetic.js';
import { tempDir } from './helpers/tmp.js';

const FIXTURES = ['fixtures/official-images/host.snapshot.json', 'fixtures/docker-20.10-scenario/host.snapshot.json', 'fixtures/docker-20.10-root/root'];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), now: () => 1_800_000_000 });
  return { code, out, err };
}

for (const format of ['arrow', 'parquet'] as const) {
  test(`columnar ${format}: every fixture and a synthetic set load back identical`, async () => {
    const graphs: [string, ImageGraph][] = [];
    for (const f of FIXTURES) graphs.push([f, (await loadSource(f)).graph]);
    graphs.push(['synthetic', syntheticGraph({ images: 2000, seed: 3, containers: 25 })]);
    const dir = tempDir('layerlab-columnar-');
    for (const [k, [label, graph]] of graphs.entries()) {
      const out = join(dir, `e${k}`);
      await writeColumnar(graph, format, out);
      const back = await loadSource(out);
      assert.equal(back.kind, 'columnar');
      assert.equal(serializeSnapshot(back.graph), serializeSnapshot(graph), label);
    }
  });

  test(`columnar ${format}: recognised by content, not by name; df through the CLI equals df of the snapshot`, async () => {
    const dir = tempDir('layerlab-columnar-');
    const snap = 'fixtures/docker-20.10-scenario/host.snapshot.json';
    const out = join(dir, 'export.json'); // a misleading name on purpose
    const r = await cli(['export', '--format', format, snap, '-o', out]);
    assert.equal(r.code, 0, r.err);
    const want = await cli(['df', '-v', '--format', 'json', snap]);
    const got = await cli(['df', '-v', '--format', 'json', out]);
    assert.equal(got.code, 0, got.err);
    assert.equal(got.out, want.out);
    // A lone table file is recognised by its magic bytes and refused with the reason.
    const table = format === 'arrow' ? join(out, 'layers.arrow') : join(out, 'layers', 'data_0.parquet');
    const renamed = join(dir, 'layers.json');
    renameSync(table, renamed);
    const lone = await cli(['df', renamed]);
    assert.equal(lone.code, 1);
    assert.match(lone.err, format === 'arrow' ? /is an Arrow IPC file: give the folder/ : /is a Parquet file: give the folder/);
  });
}

test('columnar export: an existing PATH is refused, a failed export leaves nothing behind', async () => {
  const dir = tempDir('layerlab-columnar-');
  const taken = join(dir, 'taken');
  writeFileSync(taken, 'x');
  const r = await cli(['export', '--format', 'arrow', 'fixtures/official-images/host.snapshot.json', '-o', taken]);
  assert.equal(r.code, 1);
  assert.match(r.err, /already exists/);
  const b = new GraphBuilder();
  const l = b.addLayer({ diffId: 'sha512:' + 'a'.repeat(128), size: 1 });
  b.addImage({ id: 'sha256:' + 'b'.repeat(64) }, [l]);
  const out = join(dir, 'never');
  await assert.rejects(writeColumnar(b.build(), 'parquet', out), (e: unknown) => e instanceof LayerlabError && /sha256 digests \(32 bytes\) only/.test(e.message));
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir), ['taken']);
});

test('columnar parquet: digests spanning several blocks load back from a file not in key order', async () => {
  const graph = syntheticGraph({ images: 9000, seed: 5, containers: 10 });
  assert.ok(graph.layerCount > 16384, 'more layers than one digest block');
  const dir = tempDir('layerlab-columnar-');
  const out = join(dir, 'e');
  await writeColumnar(graph, 'parquet', out);
  const duck = await openDuck();
  try {
    for (const t of ['layers', 'chains']) {
      const f = join(out, t, 'data_0.parquet');
      const tmp = join(out, `${t}.tmp.parquet`);
      await duck.connection.run(`COPY (SELECT * FROM read_parquet(${sqlString(f)}) ORDER BY hash(${t === 'layers' ? 'layer_key' : 'chain_key'})) TO ${sqlString(tmp)} (FORMAT parquet)`);
      renameSync(tmp, f);
    }
  } finally {
    duck.close();
  }
  assert.equal(serializeSnapshot((await loadSource(out)).graph), serializeSnapshot(graph));
});
