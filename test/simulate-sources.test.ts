// What `layerlab simulate` takes from its images SOURCE: layer sizes on disk (uncompressed, measured
// from the blobs when the source holds them and does not say), config sizes (the real ones where the
// source knows them), and a loud note where it can only stand in compressed sizes or a guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenario } from '../src/cli/simulate.js';
import { parseScenario } from '../src/simulate/scenario.js';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const LAYOUT = 'fixtures/archives/scenario.oci';
const REPO = 'scenario';
const SAVED = 'fixtures/archives/scenario.docker-save.tar';
/** Docker 25's `docker save`, gzipped: configs under blobs/sha256/. */
const SAVED_25 = 'fixtures/archives/scenario.docker25-shape.tar.gz';

/** A loopback registry serving the OCI layout's images as repository `scenario`, tags from ref.name (GET and HEAD). */
async function layoutRegistry(dir: string): Promise<{ address: string; close: () => Promise<void> }> {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[] };
  const tags = new Map(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m]));
  const blob = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '').replace(/\?.*$/, '');
    const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Length': String(body.length), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (v: unknown) => send(200, Buffer.from(JSON.stringify(v)), { 'Content-Type': 'application/json' });
    let m: RegExpExecArray | null;
    if (url === '/v2/') return json({});
    if (url === '/v2/_catalog') return json({ repositories: [REPO] });
    if (url === `/v2/${REPO}/tags/list`) return json({ name: REPO, tags: [...tags.keys()].sort() });
    if ((m = new RegExp(`^/v2/${REPO}/manifests/(.+)$`).exec(url))) {
      const d = tags.get(m[1])?.digest ?? m[1];
      const bytes = readFileSync(blob(d));
      return send(200, bytes, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': d });
    }
    if ((m = new RegExp(`^/v2/${REPO}/blobs/(sha256:[0-9a-f]{64})$`).exec(url))) {
      try {
        return send(200, readFileSync(blob(m[1])), { 'Content-Type': 'application/octet-stream' });
      } catch {
        return send(404, Buffer.from('{}'));
      }
    }
    send(404, Buffer.from('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { address, close: () => new Promise((r) => server.close(() => r())) };
}

/** A scenario over `images` with one unlimited node and a trace pulling each of `refs` once. */
function scenarioFile(dir: string, images: string, refs: readonly string[]): string {
  writeFileSync(join(dir, 'pods.jsonl'), refs.map((image, k) => JSON.stringify({ t: k * 10, image, duration: 5 })).join('\n') + '\n');
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify({ images, nodes: [{ name: 'n1', disk: 'unlimited' }], scheduler: 'round-robin', imagePullPolicy: 'IfNotPresent', workload: { trace: 'pods.jsonl' } }));
  return file;
}

async function universeOf(file: string) {
  return (await loadScenario(parseScenario(JSON.parse(readFileSync(file, 'utf8')), file), file)).config.universe;
}

test('simulate over registry://: layers are measured from the blobs, so disk is in uncompressed bytes as from the OCI layout', async () => {
  const layout = await loadSource(LAYOUT);
  const reg = await layoutRegistry(LAYOUT);
  const dir = tempDir('layerlab-simsrc-');
  try {
    const refs = ['base-1', 'app-b-1', 'app-c-1', 'chain-1'];
    const file = scenarioFile(dir, `registry://${reg.address}`, refs.map((t) => `${reg.address}/${REPO}:${t}`));
    const u = await universeOf(file);
    const g = layout.graph;
    for (let l = 0; l < g.layerCount; l++) {
      const d = u.diffOf(g.layerDiffId[l]!);
      assert.ok(d !== undefined, `layer ${g.layerDiffId[l]} is in the simulated catalog`);
      assert.equal(u.diffSize[d], g.layerSize[l], `layer ${l}: on disk it is its uncompressed size, not its ${g.layerCompressed[l]} B blob`);
      assert.equal(u.blobSize[u.blobOf(g.layerDigest[l]!)!], g.layerCompressed[l], `layer ${l}: downloads stay compressed`);
    }
    const viaRegistry = await cli('simulate', file, '--format', 'json');
    assert.equal(viaRegistry.code, 0, viaRegistry.stderr);
    const fromLayout = await cli('simulate', scenarioFile(dir, resolve(LAYOUT), refs.map((t) => `scenario.oci:${t}`)), '--format', 'json');
    assert.equal(fromLayout.code, 0, fromLayout.stderr);
    const disk = (out: string) => (JSON.parse(out) as { nodes: { finalDisk: number }[] }).nodes[0].finalDisk;
    assert.equal(disk(viaRegistry.stdout), disk(fromLayout.stdout), 'the same images take the same disk whichever way they are read');
    assert.doesNotMatch(viaRegistry.stderr, /compressed/);
  } finally {
    await reg.close();
  }
});

test('simulate over a source without layer bytes or sizes: disk in compressed bytes is said on stderr and in JSON', async () => {
  const dir = tempDir('layerlab-simsrc-');
  const file = scenarioFile(dir, resolve('fixtures/official-images/manifests'), ['alpine:latest', 'busybox:latest']);
  const r = await cli('simulate', file, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: .*manifests: disk use is counted in compressed bytes: 74 layers have no uncompressed size/);
  const notes = (JSON.parse(r.stdout) as { notes: { code: string; params: Record<string, unknown> }[] }).notes;
  assert.deepEqual(
    notes.filter((n) => n.code === 'disk-in-compressed-bytes').map((n) => n.params.layers),
    [74],
  );
  const table = await cli('simulate', file, '--compare', 'gc=kubelet,layer-aware', '--format', 'json');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stderr, /disk use is counted in compressed bytes/);
  assert.ok((JSON.parse(table.stdout) as { notes: { code: string }[] }).notes.some((n) => n.code === 'disk-in-compressed-bytes'), '--compare JSON carries the notes too');
});

/** The byte length of each image config in the OCI layout, by image ID (the config's digest). */
function layoutConfigSizes(): Map<string, number> {
  const index = JSON.parse(readFileSync(join(LAYOUT, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const out = new Map<string, number>();
  for (const m of index.manifests) {
    const manifest = JSON.parse(readFileSync(join(LAYOUT, 'blobs', ...m.digest.split(':')), 'utf8')) as { config: { digest: string } };
    out.set(manifest.config.digest, statSync(join(LAYOUT, 'blobs', ...manifest.config.digest.split(':'))).size);
  }
  return out;
}

/** The byte length of each image config a source's blobs hold (read through them). */
async function blobConfigSizes(source: string): Promise<number[]> {
  const s = await loadSource(source);
  const out = [];
  for (const m of s.graph.images) {
    let n = 0;
    for await (const c of await s.blobs!.open(m.id)) n += (c as Buffer).length;
    out.push(n);
  }
  return out;
}

const numeric = (a: number, b: number) => a - b;

test('simulate: image configs cost their real size where the source knows it (registry, OCI layout, docker save), a guess said in a note where not', async () => {
  const sizes = [...layoutConfigSizes().values()].sort(numeric);
  const saved = (await blobConfigSizes(SAVED)).sort(numeric);
  const saved25 = (await blobConfigSizes(SAVED_25)).sort(numeric);
  assert.ok([...sizes, ...saved, ...saved25].every((s) => s !== 1500), 'the fixture configs are not the guess');
  const reg = await layoutRegistry(LAYOUT);
  const dir = tempDir('layerlab-simsrc-');
  try {
    for (const [images, refs] of [
      [`registry://${reg.address}`, [`${reg.address}/${REPO}:base-1`]],
      [resolve(LAYOUT), ['scenario.oci:base-1']],
      [resolve(SAVED), ['base:1']],
      [resolve(SAVED_25), [(await loadSource(SAVED_25)).graph.images[0].id]], // untagged: named by ID
    ] as const) {
      const u = await universeOf(scenarioFile(dir, images, refs));
      // Image ids in the catalog are references, which differ by source: compare the sizes as a set.
      assert.deepEqual([...u.imageConfigSize].sort(numeric), images === resolve(SAVED) ? saved : images === resolve(SAVED_25) ? saved25 : sizes, images);
    }
  } finally {
    await reg.close();
  }
  const snap = await cli('simulate', 'fixtures/simulate/official.json', '--format', 'json');
  assert.equal(snap.code, 0, snap.stderr);
  assert.match(snap.stderr, /note: .*host\.snapshot\.json: image config sizes are not known: 17 images are charged 1500 B each/);
  const notes = (JSON.parse(snap.stdout) as { notes: { code: string; params: Record<string, unknown> }[] }).notes;
  assert.deepEqual(notes.find((n) => n.code === 'config-size-guessed')?.params, { images: 17, bytes: 1500 });
});
