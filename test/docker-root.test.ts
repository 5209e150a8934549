import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemDf } from '../src/analyze/df.js';
import { LayerlabError } from '../src/errors.js';
import { containerCommand, containerStateAndStatus, isDockerRoot, readDockerRoot } from '../src/sources/docker-root.js';
import { sha256Digest } from '../src/model/digest.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const FIX = 'fixtures/docker-20.10-root/';
const read = (f: string) => JSON.parse(readFileSync(FIX + f, 'utf8'));
const capturedAt = Number(readFileSync(FIX + 'captured-at.txt', 'utf8'));

test('data root read offline: df equals the daemon\'s /system/df (real capture)', () => {
  const { graph, driver } = readDockerRoot(FIX + 'root', { now: capturedAt });
  assert.equal(driver, 'vfs');
  const df = systemDf(graph, 'legacy');
  const live = read('system-df.json');
  assert.equal(df.LayersSize, live.LayersSize);
  assert.equal(df.Images.length, live.Images.length);
  const norm = (v: unknown): unknown => (Array.isArray(v) ? [...v].sort() : v);
  for (const w of live.Images) {
    const g = df.Images.find((i) => i.Id === w.Id) as unknown as Record<string, unknown>;
    assert.ok(g, w.Id);
    for (const f of ['ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Containers']) assert.deepEqual(norm(g[f]), norm(w[f]), `${w.Id} ${f}`);
  }
});

test('data root read offline: containers as the daemon listed them, status at capture time', () => {
  const df = systemDf(readDockerRoot(FIX + 'root', { now: capturedAt }).graph);
  const live = read('containers.json') as Record<string, unknown>[];
  assert.deepEqual(df.Containers.map((c) => c.Id), live.map((c) => c.Id), 'newest first');
  for (const w of live) {
    const g = df.Containers.find((c) => c.Id === w.Id) as unknown as Record<string, unknown>;
    for (const f of ['Names', 'Image', 'ImageID', 'Command', 'Created', 'State']) assert.deepEqual(g[f], w[f], `${w.Names} ${f}`);
  }
  assert.equal(df.ContainersWithoutSize, live.length);
});

test('df on a data root folder from the CLI says writable sizes are unknown', async () => {
  const r = await cli('df', FIX + 'root');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TYPE {12}TOTAL/);
  assert.match(r.stderr, /containers have no known writable-layer size/);
});

test('container state and status follow moby container/state.go', () => {
  const now = Date.parse('2026-01-01T12:00:00Z') / 1000;
  const t = (s: number) => new Date((now - s) * 1000).toISOString();
  assert.deepEqual(containerStateAndStatus({ Running: true, StartedAt: t(7200) }, now), { state: 'running', status: 'Up 2 hours' });
  assert.deepEqual(containerStateAndStatus({ Running: true, Paused: true, StartedAt: t(30) }, now), { state: 'paused', status: 'Up 30 seconds (Paused)' });
  assert.deepEqual(containerStateAndStatus({ Running: true, Restarting: true, ExitCode: 1, FinishedAt: t(5) }, now), { state: 'restarting', status: 'Restarting (1) 5 seconds ago' });
  assert.deepEqual(containerStateAndStatus({ StartedAt: '0001-01-01T00:00:00Z' }, now), { state: 'created', status: 'Created' });
  assert.deepEqual(containerStateAndStatus({ StartedAt: t(100), FinishedAt: t(60), ExitCode: 137 }, now), { state: 'exited', status: 'Exited (137) About a minute ago' });
  assert.deepEqual(containerStateAndStatus({ Dead: true, StartedAt: t(100) }, now), { state: 'dead', status: 'Dead' });
  assert.deepEqual(containerStateAndStatus({ RemovalInProgress: true }, now), { state: 'removing', status: 'Removal In Progress' });
  assert.equal(containerCommand('/bin/sh', ['-c', 'echo "a b" > /x']), `/bin/sh -c 'echo "a b" > /x'`);
  assert.equal(containerCommand('/x', []), '/x');
});

function tinyRoot(drivers: string[]): string {
  const dir = tempDir('layerlab-root-');
  for (const d of drivers) mkdirSync(join(dir, 'image', d, 'imagedb', 'content', 'sha256'), { recursive: true });
  return dir;
}

test('data root errors name the file and what is wrong', () => {
  const plain = tempDir('layerlab-root-');
  assert.equal(isDockerRoot(plain), false);
  assert.throws(() => readDockerRoot(plain), (e: unknown) => e instanceof LayerlabError && /not a Docker data root/.test(e.message) && e.place.file === plain);
  const two = tinyRoot(['vfs', 'overlay2']);
  assert.throws(() => readDockerRoot(two), (e: unknown) => e instanceof LayerlabError && /several storage drivers \(.*\); choose one/.test(e.message));
  assert.equal(readDockerRoot(two, { driver: 'vfs' }).graph.imageCount, 0);
  const bad = tinyRoot(['vfs']);
  const hex = sha256Digest('config').slice(7);
  const file = join(bad, 'image', 'vfs', 'imagedb', 'content', 'sha256', hex);
  writeFileSync(file, '{"rootfs": ');
  assert.throws(() => readDockerRoot(bad), (e: unknown) => e instanceof LayerlabError && e.place.file === file && /not valid JSON/.test(e.message));
  writeFileSync(file, JSON.stringify({ rootfs: { diff_ids: ['sha256:nothex'] } }));
  assert.throws(() => readDockerRoot(bad), (e: unknown) => e instanceof LayerlabError && e.place.path === '$.rootfs.diff_ids[0]');
});

test('distribution metadata (blob digest <-> diffID) is read', () => {
  const dir = tinyRoot(['vfs']);
  const blob = sha256Digest('blob');
  const diff = sha256Digest('diff');
  const d = join(dir, 'image', 'vfs', 'distribution');
  mkdirSync(join(d, 'diffid-by-digest', 'sha256'), { recursive: true });
  mkdirSync(join(d, 'v2metadata-by-diffid', 'sha256'), { recursive: true });
  writeFileSync(join(d, 'diffid-by-digest', 'sha256', blob.slice(7)), diff);
  writeFileSync(join(d, 'v2metadata-by-diffid', 'sha256', diff.slice(7)), JSON.stringify([{ Digest: blob, SourceRepository: 'docker.io/library/redis', HMAC: '' }]));
  const { distribution } = readDockerRoot(dir);
  assert.equal(distribution.diffIdByDigest.get(blob), diff);
  assert.deepEqual(distribution.digestsByDiffId.get(diff), [{ digest: blob, sourceRepository: 'docker.io/library/redis' }]);
});

test('Engine API answers captured from the daemon give the daemon\'s own df, containers and layer chainIDs', async () => {
  // Expectations come from the daemon (system-df.json, images-all.json, layerdb.txt; PROVENANCE.md),
  // never from a file layerlab wrote.
  const { graphFromEngine } = await import('../src/sources/engine.js');
  const dir = 'fixtures/docker-20.10-scenario/';
  const layerdb = readFileSync(dir + 'layerdb.txt', 'utf8').trim().split('\n').map((line) => line.split(' '));
  const sizes = new Map(layerdb.map(([, diffId, size]) => [diffId, Number(size)]));
  const inspects = (JSON.parse(readFileSync(dir + 'image-inspect.json', 'utf8')) as { Id: string }[]).filter((img, i, all) => all.findIndex((o) => o.Id === img.Id) === i);
  const g = graphFromEngine(inspects, JSON.parse(readFileSync(dir + 'containers.json', 'utf8')), sizes);
  const daemonDf = JSON.parse(readFileSync(dir + 'system-df.json', 'utf8'));
  const df = systemDf(g, 'legacy');
  assert.equal(df.LayersSize, daemonDf.LayersSize);
  const byId = (xs: { Id: string }[]) => [...xs].sort((a, b) => a.Id.localeCompare(b.Id));
  const fields = ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Containers'] as const;
  const pick = (i: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, Array.isArray(i[f]) ? [...(i[f] as string[])].sort() : i[f] ?? null]));
  assert.deepEqual(byId(df.Images).map((i) => pick(i as never)), byId(daemonDf.Images).map(pick));
  const all = JSON.parse(readFileSync(dir + 'images-all.json', 'utf8')) as { Id: string }[];
  assert.deepEqual(g.images.map((m) => m.id).sort(), all.map((i) => i.Id).sort(), 'every image /images/json?all=1 lists, intermediates included');
  assert.deepEqual(df.Containers.map((c) => [c.Id, c.Image, c.Command]), daemonDf.Containers.map((c: Record<string, string>) => [c.Id, c.Image, c.Command]));
  // the daemon's layerdb is keyed by chainID: every stack prefix layerlab computes must be one of them, with its parent
  const daemonChains = new Map(layerdb.map(([chain, , , parent]) => ['sha256:' + chain, parent || undefined]));
  for (let i = 0; i < g.imageCount; i++) {
    let parent: string | undefined;
    for (const node of g.stackNode.subarray(g.stackStart[i], g.stackStart[i + 1])) {
      const chain = g.chainIdOf(node)!;
      assert.ok(daemonChains.has(chain), `${chain} is in the daemon's layerdb`);
      assert.equal(daemonChains.get(chain), parent, `parent of ${chain}`);
      parent = chain;
    }
  }
});
