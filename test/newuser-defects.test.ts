// Defects a new-user trial found on main (prompts/newuser-report.md), each pinned by a test that
// failed before its fix; the item number is the report's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';
import { fakeEngine } from './helpers/fake-engine.js';
import { tempDir } from './helpers/tmp.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;


interface FakeImage {
  layers: string[];
  size: number;
  history: unknown[];
  tag: string;
  created?: string;
}

function engineAnswers(images: Record<string, FakeImage>): Record<string, unknown> {
  const answers: Record<string, unknown> = {
    '/version': { Version: '20.10.24', ApiVersion: '1.41' },
    '/images/json?all=1': Object.keys(images).map((Id) => ({ Id })),
    '/containers/json?all=1&size=1': [],
  };
  for (const [Id, i] of Object.entries(images)) {
    answers[`/images/${encodeURIComponent(Id)}/json`] = { Id, RepoTags: [i.tag], Os: 'linux', Architecture: 'amd64', RootFS: { Type: 'layers', Layers: i.layers }, Size: i.size, ...(i.created ? { Created: i.created } : {}) };
    answers[`/images/${encodeURIComponent(Id)}/history`] = i.history;
  }
  return answers;
}

test('1: docker:// images whose config has no history take their layer sizes from image Size (what docker system df adds up)', async () => {
  const dir = tempDir('layerlab-nohist-');
  // base: one layer, history present. app: base + one layer, no history. solo: one layer, no history.
  // pair: two layers, no history, nothing else pins them apart (left unknown).
  const [L1, L2, L3, L4, L5] = ['1', '2', '3', '4', '5'].map(sha);
  const images: Record<string, FakeImage> = {
    [sha('a')]: { layers: [L1], size: 2004044, history: [{ Created: 1, CreatedBy: 'ADD x /', Size: 2004044 }], tag: 'base:1' },
    [sha('b')]: { layers: [L1, L2], size: 2004045, history: [], tag: 'app:1' },
    [sha('c')]: { layers: [L3], size: 6, history: [], tag: 'h:1' },
    [sha('d')]: { layers: [L4, L5], size: 9, history: [], tag: 'pair:1' },
  };
  const e = await fakeEngine(dir, engineAnswers(images));
  try {
    const s = await loadSource(`docker://unix://${e.sock}`);
    const size = (d: string) => s.graph.layerSize[s.graph.layerDiffId.indexOf(d as never)];
    assert.deepEqual([L1, L2, L3].map(size), [2004044, 1, 6]);
    const r = await cli('df', '-v', '--format', 'json', `docker://unix://${e.sock}`);
    assert.equal(r.code, 0, r.stderr);
    const df = JSON.parse(r.stdout);
    const byTag = new Map<string, { Size: number }>(df.Images.map((i: { RepoTags: string[]; Size: number }) => [i.RepoTags[0], i]));
    assert.equal(byTag.get('h:1')?.Size, 6);
    assert.equal(byTag.get('app:1')?.Size, 2004045);
    // Only pair's two layers stay unknown: the note counts them, not the solved ones.
    assert.match((await cli('df', `docker://unix://${e.sock}`)).stderr, /note: 2 layers have no size/);
  } finally {
    await e.close();
  }
});

test('15: df -v leaves CREATED empty for the zero time (an image config without created), as docker/cli CreatedSince does', async () => {
  const dir = tempDir('layerlab-zerotime-');
  const e = await fakeEngine(
    dir,
    engineAnswers({
      [sha('a')]: { layers: [sha('1')], size: 6, history: [], tag: 'zero:1', created: '0001-01-01T00:00:00Z' },
      [sha('b')]: { layers: [sha('2')], size: 7, history: [], tag: 'dated:1', created: '2025-01-01T00:00:00Z' },
    }),
  );
  try {
    const r = await cli('df', '-v', '--docker-cli', '20.10', `docker://unix://${e.sock}`);
    assert.equal(r.code, 0, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.startsWith('zero '))!;
    assert.match(row, /^zero\s+1\s+a{12}\s+6B\s+0B\s+6B\s+0$/);
    assert.match(r.stdout, /^dated\s+1\s+b{12}\s+\d+ months ago\s+7B/m);
  } finally {
    await e.close();
  }
});

const ALPINE_DIGEST = 'sha256:5b02b42e375f7426f8d65c3af331ca05d9878f9989230354504e0b9dfd431f60';

test('4: rm NAME:TAG@DIGEST finds the image by its digest (moby favorDigest) and untags it as typed', async () => {
  const r = await cli('rm', 'fixtures/official-images/host.snapshot.json', `alpine:latest@${ALPINE_DIGEST}`, 'alpine:latest');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, new RegExp(`^Untagged: alpine:latest@${ALPINE_DIGEST}\nUntagged: alpine:latest\nDeleted: sha256:320994c3b997`));
});

test('5: rm errors are worded as docker words them, per docker version (--docker-cli)', async () => {
  const root = 'fixtures/docker-20.10-root/root';
  const err = async (...argv: string[]) => {
    const r = await cli('rm', ...argv);
    assert.equal(r.code, 1, argv.join(' '));
    return r.stderr;
  };
  // Not found: CLIs before 23.0 print the argument as typed; later ones the daemon's name:latest.
  assert.equal(await err('--docker-cli', '20.10', root, 'dang'), 'Error: No such image: dang\n');
  assert.equal(await err('--docker-cli', '28.2.2', root, 'dang'), 'Error response from daemon: No such image: dang:latest\n');
  assert.equal(await err(root, 'dang'), 'Error response from daemon: No such image: dang:latest\n');
  // Invalid references: the daemon answers 400 before looking; daemons from 25.0 (distribution/reference) name the repository.
  assert.equal(await err('--docker-cli', '20.10', root, 'UPPER:1'), 'Error response from daemon: invalid reference format: repository name must be lowercase\n');
  assert.equal(await err('--docker-cli', '28.2.2', root, 'UPPER:1'), 'Error response from daemon: invalid reference format: repository name (library/UPPER) must be lowercase\n');
  assert.equal(await err(root, 'UPPER:1'), 'Error response from daemon: invalid reference format: repository name (library/UPPER) must be lowercase\n');
  assert.equal(await err(root, 'app-c:1@sha256:abc'), 'Error response from daemon: invalid reference format\n');
  // -f ignores only not-found: an invalid reference still fails.
  assert.equal((await cli('rm', '-f', root, 'dang')).code, 0);
  assert.equal((await cli('rm', '-f', root, 'UPPER:1')).code, 1);
  assert.equal((await cli('rm', '--docker-cli', 'x', root, 'dang')).code, 2);
});

test('7: a reader that closes early (| head) stops layerlab quietly with 141, as a Go CLI killed by SIGPIPE', async () => {
  const { spawn } = await import('node:child_process');
  // generate writes far more than a pipe holds: it must meet the closed pipe. df -v may finish first.
  for (const [argv, codes] of [[['generate', '--images', '3000', '-o', '-'], [141]], [['df', '-v', 'fixtures/official-images/host.snapshot.json'], [0, 141]]] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    // Read one chunk, then close the read end as head does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.doesNotMatch(stderr, /EPIPE|internal error|at .*\(node:/, argv.join(' '));
    assert.ok((codes as readonly number[]).includes(code!), `${argv.join(' ')}: exit ${code}`);
  }
});

test('9, 23: a repeatable option with allowed values checks each value (dedup --level); its help line lists them once', async () => {
  for (const bad of ['bogus', '', 'file,chunk']) {
    const r = await cli('dedup', '--level', bad, 'fixtures/official-images/host.snapshot.json');
    assert.equal(r.code, 2, bad);
    assert.equal(r.stderr, `layerlab dedup: --level must be one of layer, file, chunk (got ${JSON.stringify(bad)})\n`);
    assert.equal(r.stdout, '');
  }
  const help = (await cli('dedup', '--help')).stdout;
  assert.match(help, /^ {6}--level LEVEL +dedup granularity: layer; file; chunk \(repeatable\)$/m);
});

test('23: a positional named with a vowel takes "an" in the usage error', async () => {
  const r = await cli('files', 'fixtures/official-images/host.snapshot.json');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /files needs a SOURCE and an IMAGE;/);
});

test('13: tree shows the source notes as the other commands do (stderr, JSON notes)', async () => {
  const table = await cli('tree', '--platform', 'linux/arm64', 'fixtures/registry-manifests');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stderr, /^note: fixtures\/registry-manifests: 4 manifests of platforms other than linux\/arm64 left out \(see --platform\)$/m);
  const json = await cli('tree', '--format', 'json', '--platform', 'linux/arm64', 'fixtures/registry-manifests');
  assert.deepEqual(
    JSON.parse(json.stdout).notes.map((n: { code: string; params: unknown }) => [n.code, n.params]),
    [
      ['other-platforms-left-out', { count: 4, platform: 'linux/arm64' }],
      ['named-manifests-missing', { count: 4, platform: 'linux/arm64' }],
    ],
  );
});

test('23: tree and files word a missing image alike', async () => {
  const tree = await cli('tree', '--image', 'nosuch', 'fixtures/archives/scenario.docker-save.tar');
  const files = await cli('files', 'fixtures/archives/scenario.docker-save.tar', 'nosuch');
  assert.equal(tree.code, 1);
  assert.equal(tree.stderr.replace('layerlab tree:', ''), files.stderr.replace('layerlab files:', ''));
});

test('14: a registry folder whose indexes name manifests for the platform that are absent says so, with count and platform', async () => {
  const r = await cli('df', '--format', 'json', '--platform', 'linux/arm64', 'fixtures/registry-manifests');
  assert.equal(r.code, 0, r.stderr);
  const notes = JSON.parse(r.stdout).notes.map((n: { code: string; params: unknown }) => [n.code, n.params]);
  assert.deepEqual(notes, [
    ['other-platforms-left-out', { count: 4, platform: 'linux/arm64' }],
    ['named-manifests-missing', { count: 4, platform: 'linux/arm64' }],
  ]);
  // The folder holds every amd64 manifest its indexes name: no such note by default.
  const amd = await cli('df', '--format', 'json', 'fixtures/registry-manifests');
  assert.ok(!JSON.parse(amd.stdout).notes.some((n: { code: string }) => n.code === 'named-manifests-missing'));
});

test('18: plan --free 0 is an empty plan; an unknown --keep is an input error before any plan; --free beyond 2^53 refused like 1EB', async () => {
  const S = 'fixtures/official-images/host.snapshot.json';
  const zero = await cli('plan', S, '--free', '0', '--format', 'json');
  assert.equal(zero.code, 0, zero.stderr);
  const z = JSON.parse(zero.stdout);
  assert.deepEqual([z.steps, z.freedBytes, z.reachedGoal], [[], 0, true]);
  const keep = await cli('plan', S, '--free', '1MB', '--keep', 'nosuch');
  assert.equal(keep.code, 1);
  assert.equal(keep.stdout, '');
  assert.match(keep.stderr, /--keep "nosuch": no such image/);
  for (const huge of ['99999999999999999999', '9007199254740992', '10PB', '1EB']) {
    const r = await cli('plan', S, '--free', huge, '--format', 'json');
    assert.equal(r.code, 2, huge);
    assert.equal(r.stdout, '', huge);
  }
  const max = await cli('plan', S, '--free', '9007199254740991', '--format', 'json');
  assert.doesNotMatch(max.stdout, /e\+/);
});

test('20: long arguments are not echoed whole (rm table) nor twice (df of a too-long file name)', async () => {
  const S = 'fixtures/official-images/host.snapshot.json';
  const long = 'a'.repeat(100_000);
  for (const format of ['docker', 'table']) {
    const r = await cli('rm', '--format', format, S, long);
    assert.equal(r.code, 1);
    assert.ok(r.stdout.length + r.stderr.length < 1000, `${format}: ${r.stdout.length + r.stderr.length} bytes`);
  }
  const name = 'b'.repeat(300);
  const df = await cli('df', name);
  assert.equal(df.code, 1);
  assert.equal(df.stderr.split(name).length - 1, 1, df.stderr);
  assert.match(df.stderr, /name too long/);
});

test('21: the README states the snapshot limit the reader applies (streamed, a cap per record)', async () => {
  const { readFileSync } = await import('node:fs');
  const { RECORD_LIMIT } = await import('../src/sources/snapshot-stream.js');
  const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
  assert.match(readme, new RegExp(`Snapshots are streamed record by record, with no cap on the whole file and at most ${RECORD_LIMIT / 1024 / 1024} MiB per record`));
  assert.doesNotMatch(readme, /a snapshot at 512 MiB/);
});

test('7: the README says what a closed stdout does', async () => {
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync('README.md', 'utf8').replace(/\s+/g, ' '), /141 when the reader of stdout went away/);
});

test('22: an OCI index or manifest descriptor whose size is not its blob\'s length is refused, as layer sizes are', async () => {
  const { makeLayout } = await import('./helpers/oci.js');
  const { readFileSync, writeFileSync, rmSync } = await import('node:fs');
  const { dir } = await makeLayout([{ files: [{ a: 'aaaa' }] }]);
  try {
    assert.equal((await cli('df', dir)).code, 0);
    const indexFile = join(dir, 'index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    const real = index.manifests[0].size;
    index.manifests[0].size = 5;
    writeFileSync(indexFile, JSON.stringify(index));
    const r = await cli('df', dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`\\$\\.manifests\\[0\\]\\.size: manifest blob sha256:[0-9a-f]{64} has ${real} bytes, but its descriptor says 5`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('16: dedup --level on a data root shows the layer blob row n/a with the reason (no compressed blobs there)', async () => {
  const root = 'fixtures/docker-20.10-root/root';
  const t = await cli('dedup', '--level', 'layer', root);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /│ layer │ blob +│ +│ blob +│ +n\/a │/);
  assert.match(t.stdout, /note: layer blob is n\/a: a Docker data root keeps layers unpacked/);
  const j = JSON.parse((await cli('dedup', '--level', 'layer', '--format', 'json', root)).stdout);
  assert.deepEqual(j.rows.find((r: { key: string }) => r.key === 'blob'), { level: 'layer', key: 'blob', basis: 'blob', available: false, reason: 'a Docker data root keeps layers unpacked: no compressed blob to count' });
  // an archive holds real blobs: its blob row stays
  const a = JSON.parse((await cli('dedup', '--level', 'layer', '--format', 'json', 'fixtures/archives/scenario.oci')).stdout);
  assert.equal(typeof a.rows.find((r: { key: string }) => r.key === 'blob').storedBytes, 'number');
});

test('17: pull --format docker prints the non-TTY status lines docker pull prints per downloaded layer', async () => {
  const r = await cli('pull', '--format', 'docker', '--from', 'fixtures/official-images/manifests', 'nginx:stable-trixie', 'redis');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const redis = lines.slice(lines.indexOf('Using default tag: latest'));
  const perLayer = new Map<string, string[]>();
  for (const l of redis) {
    const m = /^([0-9a-f]{12}): (.+)$/.exec(l);
    if (m) perLayer.set(m[1], [...(perLayer.get(m[1]) ?? []), m[2]]);
  }
  const downloaded = [...perLayer].filter(([, s]) => s[0] !== 'Already exists');
  assert.equal(downloaded.length, 6);
  // redis downloads 6 layers; dockerd's default max-concurrent-downloads is 3: the last 3 wait.
  downloaded.forEach(([id, seq], k) => {
    assert.deepEqual(seq, ['Pulling fs layer', ...(k >= 3 ? ['Waiting'] : []), 'Verifying Checksum', 'Download complete', 'Pull complete'], id);
  });
  assert.deepEqual(perLayer.get('6b37362b3da7'), ['Already exists']);
  const one = await cli('pull', '--format', 'docker', '--concurrency', '10', '--from', 'fixtures/official-images/manifests', 'redis');
  assert.ok(!one.stdout.includes('Waiting'));
});
