// Conformance: layerlab df of a live daemon (docker://) against what that daemon and its own CLI
// say, on a scenario built on a sandboxed dockerd. Never skips: if the daemon cannot start,
// every test here fails with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../src/cli/run.js';
import { systemDf, type SystemDf } from '../src/analyze/df.js';
import { dockerCliProfile, renderDfSummary, renderDfVerbose } from '../src/render/df.js';
import { EngineClient, loadEngine, parseEngineHost } from '../src/sources/engine-api.js';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readImageArchive } from '../src/sources/image-archive.js';
import { readOciLayout } from '../src/sources/oci-layout.js';
import { readDockerRoot } from '../src/sources/docker-root.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { writeFileSync } from 'node:fs';
import { makeTar, sha } from '../test/helpers/oci.js';
import { buildScenario } from './helpers/scenario.js';

let sb: Sandbox;

/**
 * `docker load`s two images whose configs have rootfs but no history (as ko, nix and Bazel
 * write them): `nohist-a:1` with one 6-byte file, `nohist-b:1` with that layer and a 1-byte one.
 * The daemon's /images/{id}/history is [] for them.
 */
async function loadImagesWithoutHistory(sb: Sandbox): Promise<void> {
  const l1 = await makeTar([{ name: 'six', data: 'sixsix' }]);
  const l2 = await makeTar([{ name: 'one', data: '1' }]);
  const config = (layers: Buffer[]) => Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) } }));
  const ca = config([l1]);
  const cb = config([l1, l2]);
  const hex = (b: Buffer) => sha(b).slice(7);
  const files: { name: string; data: Buffer }[] = [
    { name: `${hex(ca)}.json`, data: ca },
    { name: `${hex(cb)}.json`, data: cb },
    { name: `${hex(l1)}/layer.tar`, data: l1 },
    { name: `${hex(l2)}/layer.tar`, data: l2 },
    {
      name: 'manifest.json',
      data: Buffer.from(
        JSON.stringify([
          { Config: `${hex(ca)}.json`, RepoTags: ['nohist-a:1'], Layers: [`${hex(l1)}/layer.tar`] },
          { Config: `${hex(cb)}.json`, RepoTags: ['nohist-b:1'], Layers: [`${hex(l1)}/layer.tar`, `${hex(l2)}/layer.tar`] },
        ]),
      ),
    },
  ];
  const archive = join(sb.dir, 'nohist.tar');
  writeFileSync(archive, await makeTar(files));
  sb.docker(['load', '-i', archive]);
}

async function layerlab(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), now: () => Math.floor(Date.now() / 1000) });
  return { code, stdout, stderr };
}

async function liveDf(rule: 'current' | 'legacy'): Promise<SystemDf> {
  const { graph } = await loadEngine(new EngineClient(parseEngineHost(sb.host)));
  return systemDf(graph, rule);
}

describe('docker system df on a live dockerd', () => {
  before(async () => {
    sb = await startDockerd();
    buildScenario(sb);
    await loadImagesWithoutHistory(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  test('the scenario has what the comparison needs', async () => {
    const hist = await sb.api<unknown[]>('/images/nohist-b:1/history');
    assert.deepEqual(hist, [], 'an image whose config has no history');
    const images = await sb.api<{ RepoTags: string[] | null }[]>('/images/json?all=1');
    assert.ok(images.some((i) => !i.RepoTags || i.RepoTags[0] === '<none>:<none>'), 'an untagged image');
    const containers = await sb.api<{ State: string; SizeRw?: number }[]>('/containers/json?all=1&size=1');
    assert.deepEqual([...new Set(containers.map((c) => c.State))].sort(), ['created', 'exited', 'running']);
    assert.ok(containers.some((c) => (c.SizeRw ?? 0) > 0), 'a container with a non-empty writable layer');
  });

  test('layerlab df --format json docker://… equals GET /system/df field by field', async () => {
    const r = await layerlab('df', '--format', 'json', '--reclaimable', 'legacy', `docker://${sb.host}`);
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout) as SystemDf;
    const theirs = await sb.api<{ LayersSize: number; Images: Record<string, unknown>[]; Containers: Record<string, unknown>[] }>('/system/df');
    assert.equal(ours.LayersSize, theirs.LayersSize, 'LayersSize');
    const byId = new Map(ours.Images.map((i) => [i.Id, i as unknown as Record<string, unknown>]));
    assert.equal(ours.Images.length, theirs.Images.length, 'number of images listed');
    for (const w of theirs.Images) {
      const g = byId.get(w.Id as string);
      assert.ok(g, `image ${w.Id} missing`);
      // Reference lists come from a map in the daemon: compare them as sets.
      const norm = (v: unknown): unknown => (Array.isArray(v) ? [...v].sort() : v);
      for (const f of ['ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'VirtualSize', 'Containers']) {
        assert.deepEqual(norm(g[f]), norm(w[f]), `${w.Id} ${f}`);
      }
      assert.equal(g.UniqueSize, (w.Size as number) - (w.SharedSize as number));
    }
    const cById = new Map(ours.Containers.map((c) => [c.Id, c as unknown as Record<string, unknown>]));
    for (const w of theirs.Containers) {
      const g = cById.get(w.Id as string)!;
      for (const f of ['Names', 'Image', 'ImageID', 'Command', 'Created', 'State']) assert.deepEqual(g[f], w[f], `container ${w.Names} ${f}`);
      assert.equal(g.SizeRw, (w.SizeRw as number | undefined) ?? 0, `container ${w.Names} SizeRw`);
    }
  });

  test('the summary table equals `docker system df` byte for byte (the daemon\'s legacy rule)', async () => {
    const docker = sb.docker(['system', 'df']).stdout.split('\n').slice(0, 3);
    const ours = renderDfSummary(await liveDf('legacy')).split('\n').slice(0, 3);
    assert.deepEqual(ours, docker);
  });

  test('df -v images and containers sections equal `docker system df -v` byte for byte', async () => {
    // CREATED and STATUS are relative to the moment each answer is made (the daemon computes
    // "Exited (0) 1 second ago" per request): read both inside one second, and retry a few times
    // so a boundary between the two reads cannot decide; a real difference stays and fails.
    let last = '';
    const cliVersion = sb.docker(['version', '--format', '{{.Client.Version}}']).stdout.trim();
    for (let attempt = 0; attempt < 10; attempt++) {
      const t0 = Math.floor(Date.now() / 1000);
      const df = await liveDf('legacy');
      const out = sb.docker(['system', 'df', '-v']).stdout;
      const t1 = Math.floor(Date.now() / 1000);
      const docker = out.slice(0, out.indexOf('\nLocal Volumes space usage:'));
      const ours = renderDfVerbose(df, t0, dockerCliProfile(cliVersion)!.style);
      if (t0 === t1 && ours === docker) return;
      last = `--- docker\n${docker}\n--- layerlab\n${ours}`;
      await new Promise((r) => setTimeout(r, 350));
    }
    assert.fail(`df -v differs:\n${last}`);
  });

  test('the same images read from `docker save` and from skopeo\'s OCI layout agree with the daemon', async () => {
    const tags = ['base:1', 'app-b:1', 'app-c:1', 'team/app-c:2', 'chain:1'];
    const archive = join(sb.dir, 'save.tar');
    sb.docker(['save', '-o', archive, ...tags]);
    const live = await sb.api<{ Images: { Id: string; RepoTags: string[] | null; Size: number; SharedSize: number }[] }>('/system/df');
    const rows = live.Images.filter((i) => i.RepoTags?.some((t) => tags.includes(t)));
    const saved = systemDf(await readImageArchive(archive));
    assert.equal(saved.Images.length, rows.length);
    for (const w of rows) {
      const g = saved.Images.find((i) => i.Id === w.Id)!;
      assert.ok(g, `${w.RepoTags} missing from the archive`);
      assert.deepEqual([g.Size, g.SharedSize, [...(g.RepoTags ?? [])].sort()], [w.Size, w.SharedSize, [...(w.RepoTags ?? [])].sort()]);
    }
    const layout = join(sb.dir, 'layout');
    for (const t of tags) {
      const r = spawnSync('skopeo', ['copy', '-q', `docker-archive:${archive}:${t}`, `oci:${layout}:${t.replace(/[/:]/g, '-')}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const oci = systemDf(await readOciLayout(layout));
    const key = (i: { Size: number; SharedSize: number }) => `${i.Size}/${i.SharedSize}`;
    assert.deepEqual(oci.Images.map(key).sort(), rows.map(key).sort());
  });

  test('the current rule (Docker >= 29.4) is the unique size of images without containers', async () => {
    const df = await liveDf('current');
    const want = df.Images.filter((i) => i.Containers === 0).reduce((s, i) => s + i.UniqueSize, 0);
    assert.equal(df.ImagesUsage.Reclaimable, want);
    assert.ok(want > 0);
  });
});

describe('a Docker data root read offline', () => {
  before(async () => {
    sb = await startDockerd();
    buildScenario(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  test('its df equals the live daemon\'s /system/df for every image and the totals', async () => {
    const offline = systemDf(readDockerRoot(join(sb.dir, 'root')).graph, 'legacy');
    const live = await sb.api<{ LayersSize: number; Images: Record<string, unknown>[] }>('/system/df');
    assert.equal(offline.LayersSize, live.LayersSize);
    assert.equal(offline.Images.length, live.Images.length);
    const norm = (v: unknown): unknown => (Array.isArray(v) ? [...v].sort() : v);
    const byId = new Map(offline.Images.map((i) => [i.Id, i as unknown as Record<string, unknown>]));
    for (const w of live.Images) {
      const g = byId.get(w.Id as string)!;
      assert.ok(g, `image ${w.Id} missing offline`);
      for (const f of ['ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Containers']) assert.deepEqual(norm(g[f]), norm(w[f]), `${w.Id} ${f}`);
    }
    const liveDfSummary = renderDfSummary(await liveDf('legacy')).split('\n')[1];
    assert.equal(renderDfSummary(offline).split('\n')[1], liveDfSummary, 'Images row');
  });

  test('its containers match the live list (writable sizes are unknown offline and say so)', async () => {
    const offline = systemDf(readDockerRoot(join(sb.dir, 'root')).graph, 'legacy');
    const live = await sb.api<Record<string, unknown>[]>('/containers/json?all=1');
    assert.equal(offline.Containers.length, live.length);
    const byId = new Map(offline.Containers.map((c) => [c.Id, c as unknown as Record<string, unknown>]));
    for (const w of live) {
      const g = byId.get(w.Id as string)!;
      for (const f of ['Names', 'Image', 'ImageID', 'Command', 'Created', 'State']) assert.deepEqual(g[f], w[f], `container ${w.Names} ${f}`);
      // Status is relative to when each was read ("Exited (0) 3 seconds ago"): compare all but the time.
      const when = (x: unknown) => String(x).replace(/(Less than a second|About a minute|About an hour|\d+ \w+) ago$/, '<time> ago');
      if (w.State !== 'running') assert.equal(when(g.Status), when(w.Status), `container ${w.Names} Status`);
    }
    assert.equal(offline.ContainersWithoutSize, live.length);
  });
});
