import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { COMMANDS as ENTRIES, loadAllCommands, runCommand } from '../src/cli/run.js';

const COMMANDS = await loadAllCommands();
import { cli, cliProcess } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const OFFICIAL = 'fixtures/official-images/host.snapshot.json';
const SCENARIO = 'fixtures/docker-20.10-scenario/host.snapshot.json';

test('the command list names each command by its own name and summary (help lists them without loading them)', () => {
  assert.deepEqual(
    ENTRIES.map((e) => [e.name, e.summary]),
    COMMANDS.map((c) => [c.name, c.summary]),
  );
});

test('every command has --help, printed to stdout with exit 0', async () => {
  for (const c of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await cli(c.name, flag);
      assert.equal(r.code, 0, `${c.name} ${flag}`);
      assert.match(r.stdout, new RegExp(`^Usage: layerlab ${c.name}`));
    }
  }
  const top = await cli('--help');
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${c.name} `));
});

test('usage errors exit 2 and say what is wrong', async () => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: layerlab COMMAND/],
    [['nope'], /unknown command "nope"/],
    [['df'], /df needs at least one SOURCE/],
    [['df', '--format', 'xml', SCENARIO], /--format must be one of table, json/],
    [['df', '--reclaimable', 'sometimes', SCENARIO], /--reclaimable must be one of current, legacy/],
    [['df', '--bogus', SCENARIO], /unknown option "--bogus"/],
    [['dedup', '--pairs', '9999', SCENARIO], /--pairs takes a whole number from 0 to 200/],
    [['ref'], /at least one NAME/],
    [['generate', '-o', '-'], /needs --images N/],
    [['generate', '--images', '0', '-o', '-'], /--images must be ≥ 1 \(got "0"\)/],
    [['generate', '--images', '20000001', '-o', '-'], /--images takes a whole number from 1 to 20000000/],
  ];
  for (const [argv, msg] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stdout + r.stderr, msg, argv.join(' '));
  }
});

test('bad input exits 1 with the file and JSON path, never a stack trace', async () => {
  const dir = tempDir('layerlab-');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ kind: 'layerlab-snapshot', version: 1, layers: [{ diffId: 'sha256:12' }], images: [], containers: [] }));
  const r = await cli('df', bad);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `layerlab df: ${bad}:1: $.layers[0].diffId: invalid checksum digest length: sha256 needs 64 hex characters, got 2 (got "sha256:12")\n`);
  const missing = await cli('df', join(dir, 'nope.json'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.json: cannot read source: no such file or directory/);
  const dirSource = await cli('df', tempDir('layerlab-empty-'));
  assert.equal(dirSource.code, 1);
  assert.match(dirSource.stderr, /is a directory but neither a Docker data root .* nor a folder of registry documents/);
  const scheme = await cli('df', 'oci://somewhere');
  assert.equal(scheme.code, 1);
  assert.match(scheme.stderr, /not supported yet/);
  const absent = await cli('df', `docker://unix://${join(dir, 'no.sock')}`);
  assert.equal(absent.code, 1);
  assert.match(absent.stderr, /no\.sock: GET \/images\/json\?all=1: cannot connect to the Docker daemon: is it running\?/);
  const remote = await cli('df', 'docker://tcp://192.0.2.1:2375');
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /only loopback daemons are read/);
});

test('real process: exit codes 0, 1, 2 as a shell sees them', () => {
  assert.equal(cliProcess('df', SCENARIO).code, 0);
  const bad = cliProcess('df', 'no-such-file.json');
  assert.equal(bad.code, 1);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, 'no stack trace');
  assert.equal(cliProcess('df').code, 2);
});

test('df on the bundled official example: 17 images, compressed sizes labelled', async () => {
  const r = await cli('df', OFFICIAL);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.split('\n')[1], 'Images          17        0         1.319GB   1.113GB (84%)');
  assert.match(r.stderr, /sizes are compressed \(registry\) sizes/);
  const v = await cli('df', '-v', OFFICIAL);
  assert.match(v.stdout, /\nredis        latest                7e3b4d0d1a5d   N\/A       55\.5MB    29\.83MB       25\.64MB       0\n/);
});

test('df --format json has a stable schema with Engine API names', async () => {
  const r = await cli('df', '--format', 'json', SCENARIO);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['LayersSize', 'Images', 'Containers', 'ImagesUsage', 'ContainersUsage', 'ReclaimableRule', 'SizeBasis', 'LayersWithoutSize', 'ContainersWithoutSize', 'notes']);
  assert.deepEqual(Object.keys(j.Images[0]), ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'UniqueSize', 'Reclaimable', 'VirtualSize', 'Labels', 'Containers']);
  assert.deepEqual(Object.keys(j.ImagesUsage), ['TotalCount', 'ActiveCount', 'TotalSize', 'Reclaimable']);
  assert.equal(j.ReclaimableRule, 'current');
  assert.equal(j.SizeBasis, 'uncompressed');
});

test('ref: table and json; exit 1 when a name is invalid', async () => {
  const ok = await cli('ref', '--format', 'json', 'redis', 'localhost:5000/a/b:c');
  assert.equal(ok.code, 0);
  const [redis, local] = JSON.parse(ok.stdout);
  assert.equal(redis.canonical, 'docker.io/library/redis:latest');
  assert.equal(local.registry, 'localhost:5000');
  const bad = await cli('ref', 'redis', 'Redis');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /Redis\s+invalid:\s+invalid reference format: repository name \(library\/Redis\) must be lowercase/);
});

test('dedup on the official example: the trixie-slim base saves 6 x 29.83MB', async () => {
  const r = await cli('dedup', '--format', 'json', OFFICIAL);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  const top = j.mostSharedLayers[0];
  assert.equal(top.digest, 'sha256:6b37362b3da78869050b894b799ad4df04f1f3b52774087db0d81151570244c8');
  assert.equal(top.images, 7);
  assert.equal(top.savedBytes, 6 * 29830418);
  const blob = j.models.find((m: { model: string }) => m.model === 'blob');
  assert.equal(blob.available, true);
  assert.equal(blob.basis, 'compressed');
  const table = await cli('dedup', OFFICIAL);
  assert.match(table.stdout, /MODEL/);
  assert.match(table.stdout, /Most-shared layers/);
});

test('generate writes a loadable, deterministic snapshot atomically', async () => {
  const dir = tempDir('layerlab-');
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  assert.equal((await cli('generate', '--images', '300', '--seed', '7', '-o', a)).code, 0);
  assert.equal((await cli('generate', '--images', '300', '--seed', '7', '--refs', 'index', '-o', b)).code, 0);
  assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json'], 'no temp files left');
  const dfA = await cli('df', '--format', 'json', a);
  const dfB = await cli('df', '--format', 'json', b);
  assert.equal(dfA.code, 0);
  assert.equal(dfA.stdout, dfB.stdout);
  assert.equal(JSON.parse(dfA.stdout).Images.length, 300);
  assert.ok(readFileSync(b).length < readFileSync(a).length);
  const failed = await cli('generate', '--images', '5', '-o', join(dir, 'missing-dir', 'x.json'));
  assert.equal(failed.code, 1);
  assert.equal(existsSync(join(dir, 'missing-dir')), false);
});

test('the README command works as written: npx layerlab runs the built, executable bin', () => {
  // npm ci builds dist/ (prepare); npx runs the package's own bin, which must be executable.
  const r = spawnSync('npx', ['layerlab', 'df', '-v', 'fixtures/official-images/host.snapshot.json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `npx layerlab: ${r.stderr}`);
  assert.match(r.stdout, /^Images space usage:/);
});

test('a negative number is taken as the option\'s value, then refused as below the minimum', async () => {
  const cases: [string[], string][] = [
    [['dedup', '--top', '-1', SCENARIO], 'layerlab dedup: --top must be ≥ 0 (got "-1")\n'],
    [['dedup', SCENARIO, '--pairs=-7'], 'layerlab dedup: --pairs must be ≥ 0 (got "-7")\n'],
    [['plan', SCENARIO, '--free', '-5MB'], 'layerlab plan: --free must be ≥ 0 (got "-5MB")\n'],
    [['generate', '--images', '-2', '-o', '-'], 'layerlab generate: --images must be ≥ 1 (got "-2")\n'],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.stderr, message, argv.join(' '));
  }
});

test('unknown options and missing values: one clean sentence with balanced quotes', async () => {
  const unknown = await cli('df', '--bogus', SCENARIO);
  assert.equal(unknown.stderr, 'layerlab df: unknown option "--bogus" (see layerlab df --help)\n');
  const short = await cli('df', '-x', SCENARIO);
  assert.equal(short.stderr, 'layerlab df: unknown option "-x" (see layerlab df --help)\n');
  const missing = await cli('df', SCENARIO, '--format');
  assert.equal(missing.stderr, 'layerlab df: --format needs a value (FORMAT)\n');
  const flagValue = await cli('df', '--verbose=yes', SCENARIO);
  assert.equal(flagValue.stderr, 'layerlab df: --verbose takes no value (got "yes")\n');
  for (const r of [unknown, short, missing, flagValue]) assert.equal(r.code, 2);
});

test('usage errors cut the values they echo: a 5 MB argument gives a short message', async () => {
  const huge = 'x'.repeat(5_000_000);
  for (const argv of [[huge], ['df', '--format', huge, SCENARIO], ['df', `--${huge}`, SCENARIO], ['dedup', '--top', huge, SCENARIO], ['plan', SCENARIO, '--free', huge], ['df', '--docker-cli', huge, SCENARIO], ['generate', huge]]) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv[0].slice(0, 20));
    // the message itself, without the command list an unknown command is followed by
    const message = r.stderr.split('\n\nUsage: layerlab COMMAND')[0];
    assert.ok(message.length < 2000, `${argv.map((a) => a.slice(0, 20)).join(' ')}: ${message.length} chars`);
    assert.match(r.stderr, /…\(500000[02] bytes\)/);
  }
});

test('every command that reads a SOURCE accepts --platform and lists it in its help', async () => {
  for (const name of ['pull', 'push', 'registry']) assert.match(COMMANDS.find((c) => c.name === name)!.usage, /\n +--platform P +/, `${name} --help lists --platform`);
  const sourceCommands = COMMANDS.filter((c) => /SOURCE/.test(c.usage.split('\n')[0]) && !['pull', 'push', 'registry'].includes(c.name));
  assert.deepEqual(sourceCommands.map((c) => c.name).sort(), ['bindings', 'dedup', 'df', 'export', 'files', 'plan', 'prune', 'report', 'rm', 'sql', 'tree', 'waste']);
  const extra: Record<string, string[]> = { rm: ['redis:latest'], plan: ['--prune'], report: ['-o', '-'], files: ['alpine'], export: ['--format', 'arrow', '-o', 'fixtures'], sql: ['-q', 'df'] };
  for (const c of sourceCommands) {
    assert.match(c.usage, /\n +--platform P +/, `${c.name} --help lists --platform`);
    const r = await cli(c.name, '--platform', 'linux/amd64', OFFICIAL, ...(extra[c.name] ?? []));
    assert.notEqual(r.code, 2, `${c.name} --platform: ${r.stderr}`);
    const bad = await cli(c.name, '--platform', 'linux', OFFICIAL, ...(extra[c.name] ?? []));
    assert.equal(bad.code, 2, `${c.name} --platform linux is refused`);
  }
});

test('help lists exactly the options a command accepts (generated from its option spec)', async () => {
  for (const c of COMMANDS) {
    if (!c.options) continue;
    const listed = [...c.usage.matchAll(/^ {2}(?:-\w, )? *--([\w-]+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, [...Object.keys(c.options), 'help'].sort(), c.name);
  }
  // every command is declared with defineCommand: none hand-writes its help
  assert.deepEqual(COMMANDS.filter((c) => !c.options).map((c) => c.name), []);
});

test('counts agree with their noun: 1 image, 1 layer, 2 images', async () => {
  const dir = tempDir('layerlab-');
  try {
    const one = join(dir, 'one.json');
    const g = await cli('generate', '--images', '1', '-o', one);
    assert.match(g.stderr, /^wrote 1 image, \d+ layers?, \d+ layer references?\n$/);
    assert.doesNotMatch(g.stderr, /\b1 (images|layers|layer references)\b/);
    const d = await cli('dedup', one);
    assert.match(d.stdout, /^1 image, /);
    assert.doesNotMatch(d.stdout + d.stderr, /\b1 (images|layers|layer references|distinct layers|distinct blobs|pairs)\b/);
    const two = await cli('dedup', SCENARIO);
    assert.match(two.stdout, /^\d+ images, /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generate --help states the --refs index saving that a generated set shows', async () => {
  const help = (await cli('generate', '--help')).stdout;
  const m = /--refs .*?about (\d\.\d)x smaller/s.exec(help);
  assert.ok(m, help);
  const readme = readFileSync('README.md', 'utf8');
  assert.match(readme, new RegExp(`\`--refs index\` [^.]*about ${m[1].replace('.', '\\.')}x smaller`));
  const dir = tempDir('layerlab-');
  try {
    for (const refs of ['digest', 'index']) assert.equal((await cli('generate', '--images', '3000', '--refs', refs, '-o', join(dir, refs))).code, 0);
    const ratio = statSync(join(dir, 'digest')).size / statSync(join(dir, 'index')).size;
    assert.ok(Math.abs(ratio - Number(m[1])) < 0.1, `measured ${ratio.toFixed(2)}x, help says ${m[1]}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start runs the bundled example', () => {
  const r = spawnSync('npm', ['start', '--silent'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Images space usage:/);
  assert.match(r.stdout, /\nredis +latest +7e3b4d0d1a5d /);
});

test('--format json: each command writes its analysis result with a fixed set of top-level fields', async () => {
  const keys = async (...argv: string[]) => Object.keys(JSON.parse((await cli(...argv, '--format', 'json')).stdout));
  assert.deepEqual(await keys('dedup', SCENARIO), ['images', 'layerReferences', 'distinctLayers', 'distinctChainLayers', 'distinctBlobs', 'models', 'mostSharedLayers', 'pairs', 'notes']);
  const dedup = JSON.parse((await cli('dedup', OFFICIAL, '--format', 'json')).stdout);
  assert.deepEqual(Object.keys(dedup.models[0]), ['model', 'key', 'whoDoesIt', 'available', 'logicalBytes', 'storedBytes', 'savedBytes', 'ratio', 'basis', 'caveats']);
  assert.deepEqual(dedup.models[0].caveats, [{ code: 'sizes-compressed', params: {} }]);
  assert.deepEqual(await keys('rm', SCENARIO, 'solo:1'), ['removedContainers', 'results', 'notes']);
  assert.deepEqual(await keys('prune', SCENARIO), ['all', 'records', 'reclaimedBytes', 'dfSizeChange', 'refused', 'notes']);
});

/** A folder of registry documents: one image manifest, and an index naming it and one attestation manifest. */
function folderWithAttestation(dir: string): void {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: 'sha256:' + 'a'.repeat(64), size: 1 }, layers: [{ digest: 'sha256:' + 'b'.repeat(64), size: 10 }] });
  const attestation = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: 'sha256:' + 'c'.repeat(64), size: 1 }, layers: [{ digest: 'sha256:' + 'd'.repeat(64), size: 10 }] });
  const sha = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
  writeFileSync(join(dir, 'm.json'), manifest);
  writeFileSync(join(dir, 'a.json'), attestation);
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { digest: sha(manifest), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: sha(attestation), platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  ] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}

test('source notes: on stderr as "note: SOURCE: ..." and in JSON as notes, only where they concern the answer', async () => {
  const dir = tempDir('layerlab-notes-');
  try {
    folderWithAttestation(dir);
    const note = { source: dir, code: 'attestations-left-out', params: { count: 1 }, message: '1 attestation manifest (provenance, SBOM) left out: not images' };
    for (const argv of [['df', dir], ['dedup', dir], ['registry', dir], ['bindings', dir], ['prune', dir], ['plan', dir, '--prune']]) {
      const r = await cli(...argv);
      assert.equal(r.code, 0, `${argv[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`(^|\\n)note: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 attestation manifest \\(provenance, SBOM\\) left out: not images\\n`), argv[0]);
      assert.doesNotMatch(r.stdout, /attestation/, `${argv[0]}: notes stay off stdout`);
      const j = JSON.parse((await cli(...argv, '--format', 'json')).stdout);
      assert.deepEqual(j.notes, [note], `${argv[0]} --format json`);
    }
    // a data root cannot give layer bytes, which df, rm, plan never read; its container sizes df says in its own note
    const root = 'fixtures/docker-20.10-root/root';
    for (const argv of [['df', root], ['rm', root, 'solo:1'], ['plan', root, '--prune'], ['prune', root]]) {
      const r = await cli(...argv);
      assert.doesNotMatch(r.stderr, /unpacked trees|layer bytes|cannot be known offline/, argv[0]);
      assert.deepEqual(JSON.parse((await cli(...argv, '--format', 'json')).stdout).notes, [], argv[0]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--format json of pull, push, registry, plan, bindings: fixed top-level fields, notes included', async () => {
  const keys = async (...argv: string[]) => {
    const r = await cli(...argv, '--format', 'json');
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    return Object.keys(JSON.parse(r.stdout));
  };
  const manifests = 'fixtures/official-images/manifests';
  assert.deepEqual(await keys('pull', '--from', manifests, '--into', OFFICIAL, 'redis'), ['metadata', 'order', 'plans', 'schedule', 'notes']);
  assert.deepEqual(await keys('push', '--from', 'fixtures/docker-20.10-root/root', '--registry', manifests, 'solo:1'), ['metadata', 'plans', 'notes']);
  assert.deepEqual(await keys('registry', manifests), ['rows', 'storedWithoutDedup', 'storedWithDedup', 'sizesKnown', 'host', 'notes']);
  assert.deepEqual(await keys('plan', SCENARIO, '--prune'), ['goal', 'steps', 'freedBytes', 'blocked', 'method', 'optimal', 'reachedGoal', 'notes']);
  assert.deepEqual(await keys('bindings', SCENARIO), ['images', 'notes']);
});

test('SOURCE "-" and chunk "-" read the standard input the CommandIo gives (main.ts passes process.stdin)', async () => {
  const run = async (argv: string[], input: Buffer) => {
    let stdout = '';
    const code = await runCommand(argv, { stdout: (s) => void (stdout += s), stderr: () => {}, now: () => 1795715247, stdin: Readable.from([input]) });
    return { code, stdout };
  };
  const fromFile = await cli('df', '-v', SCENARIO);
  const fromStdin = await run(['df', '-v', '-'], readFileSync(SCENARIO));
  assert.deepEqual(fromStdin, { code: 0, stdout: fromFile.stdout });
  const chunked = await run(['chunk', '--algo', 'fixed:size=1k', '--format', 'json', '-'], Buffer.alloc(2500, 7));
  assert.deepEqual(JSON.parse(chunked.stdout).chunks.map((c: { length: number }) => c.length), [1024, 1024, 452]);
  const none = await cli('chunk', '--algo', 'fixed', '-');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no standard input/);
});

test('a folder of registry documents without any image manifest is refused (exit 1), not read as 0 images', async () => {
  const dir = tempDir('layerlab-noimage-');
  try {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 100, platform: { os: 'linux', architecture: 'amd64' } }] };
    writeFileSync(join(dir, 'i.json'), JSON.stringify(index));
    for (const argv of [['registry', dir], ['df', dir], ['pull', '--from', dir, 'x']]) {
      const r = await cli(...argv);
      assert.equal(r.code, 1, `${argv.join(' ')}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /: holds no image manifest: its indexes name 1 manifest, which is not in the folder\n$/, argv[0]);
    }
    writeFileSync(join(dir, 'i.json'), JSON.stringify({ index: { manifests: [] }, digest: 'sha256:' + 'b'.repeat(64) }));
    const empty = await cli('registry', dir);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /holds no image manifest: its indexes name none\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan says how it searched with the count and noun agreeing: "the 1 image that may go"', async () => {
  const dir = tempDir('layerlab-plan1-');
  try {
    const one = join(dir, 'one.json');
    assert.equal((await cli('generate', '--images', '1', '-o', one)).code, 0);
    const ok = await cli('plan', one, '--free', '1');
    assert.match(ok.stdout, /How: exhaustive search over the 1 image that may go: /);
    const tooMuch = await cli('plan', one, '--free', '1000TB');
    assert.match(tooMuch.stdout, /How: exhaustive search over the 1 image that may go: no set frees that much/);
    assert.doesNotMatch(ok.stdout + tooMuch.stdout, /\b1 images\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
