// The installed bin (package.json "bin": dist/cli/layerlab.cjs) loads one esbuild bundle of
// src/cli (scripts/bundle-cli.mjs) with the V8 code cache the build made; dist/cli/main.js
// requires it. Built by `npm ci` / `npm run build`. It must answer as the sources do, command by
// command, with its cache or without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMANDS } from '../src/cli/run.js';
import { loadOptionsOf } from '../src/cli/common.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const BIN = 'dist/cli/main.js';
const LOADER = 'dist/cli/layerlab.cjs';
const PROGRAM = 'dist/cli/layerlab.program.cjs';
const OFFICIAL = 'fixtures/official-images/host.snapshot.json';
const STALE = ' (is dist/ stale? npm run build)';

function bin(...argv: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const buildId = (source: string) => /^\/\*layerlab-build:([0-9a-f]+)\*\//.exec(source)?.[1];

test('the bin is package.json\'s, a loader of one bundled program; main.js only requires it', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.layerlab, LOADER);
  for (const f of [BIN, LOADER]) assert.match(readFileSync(f, 'utf8'), /^#!\/usr\/bin\/env node\n\/\/ layerlab: bundled by scripts\/bundle-cli\.mjs\n/, f);
  const main = readFileSync(BIN, 'utf8');
  // tsc's main.js imports ./bin.js; the loader has the program inlined in one file.
  assert.doesNotMatch(main, /from ["']\.\/(run|heap|bin)\.js["']/);
  const staticImports = [...main.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
  for (const s of staticImports) assert.match(s, /^node:/, `main.js imports only builtins at start-up, not ${s}`);
  const loaderRequires = [...readFileSync(LOADER, 'utf8').matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  for (const s of loaderRequires) assert.match(s, /^node:/, `the loader requires only builtins, not ${s}`);
  const program = readFileSync(PROGRAM, 'utf8');
  assert.ok(buildId(program), 'the program starts with its build ID');
  assert.doesNotMatch(program, /^\s*import .* from /m, 'the program is CommonJS (vm.Script compiles no ES module)');
});

test('the code cache the build made is the program\'s, and a node without flags accepts it', () => {
  const id = buildId(readFileSync(PROGRAM, 'utf8'));
  const caches = readdirSync('dist/cli').filter((f) => f.endsWith('.cache'));
  assert.deepEqual(caches, [`layerlab.program.${id}.cache`], 'one cache, named after the program it was made from' + STALE);
  // compiled as the loader compiles it, in a node started as the bin is
  const probe = `const fs = require('node:fs'), vm = require('node:vm');
const source = fs.readFileSync(${JSON.stringify(resolve(PROGRAM))}, 'utf8');
const s = new vm.Script(source, { filename: ${JSON.stringify(resolve(PROGRAM))}, cachedData: fs.readFileSync(${JSON.stringify(resolve('dist/cli', caches[0]))}) });
process.stdout.write(String(s.cachedDataRejected));`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'false', 'V8 rejected the code cache the build made');
});

test('without its cache, with garbage for one or with a cache of another program, the bin answers the same', () => {
  const want = spawnSync(process.execPath, [LOADER, 'df', '-v', '--format', 'json', resolve(OFFICIAL)], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  const source = readFileSync(PROGRAM, 'utf8');
  const id = buildId(source);
  const cache = readFileSync(`dist/cli/layerlab.program.${id}.cache`);
  const cases: [string, string, Buffer | undefined][] = [
    ['no cache', source, undefined],
    ['garbage', source, Buffer.from('not a V8 code cache, '.repeat(100))],
    // same build ID, one byte more of program: V8 must see the cache is not this program's
    ['another program', `${source}\n`, cache],
  ];
  for (const [label, program, bytes] of cases) {
    const dir = tempDir('layerlab-bin-');
    copyFileSync(LOADER, join(dir, 'layerlab.cjs'));
    writeFileSync(join(dir, 'layerlab.program.cjs'), program);
    if (bytes) writeFileSync(join(dir, `layerlab.program.${id}.cache`), bytes);
    const got = spawnSync(process.execPath, [join(dir, 'layerlab.cjs'), 'df', '-v', '--format', 'json', resolve(OFFICIAL)], { encoding: 'utf8', env: { ...process.env, NODE_PATH: resolve('node_modules') } });
    assert.equal(got.status, 0, `${label}: ${got.stderr}`);
    assert.equal(got.stdout, want.stdout, label);
    assert.equal(got.stderr, want.stderr, label);
  }
});

test('every command\'s --help from the bundle is the one the sources print', async () => {
  for (const c of COMMANDS) {
    const r = bin(c.name, '--help');
    assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
    assert.equal(r.stdout, (await cli(c.name, '--help')).stdout, c.name + STALE);
  }
  assert.equal(bin('--help').stdout, (await cli('--help')).stdout, STALE);
});

test('the bundle computes what the sources compute, with their exit codes and messages', async () => {
  const dir = tempDir('layerlab-bin-');
  const exports = { parquet: join(dir, 'x.parquet'), arrow: join(dir, 'x.arrow') };
  for (const [format, path] of Object.entries(exports)) assert.equal((await cli('export', '--format', format, OFFICIAL, '-o', path)).code, 0);
  for (const argv of [
    ['df', '--format', 'json', OFFICIAL],
    ['dedup', OFFICIAL],
    ['rm', '--format', 'json', OFFICIAL, 'debian:bookworm'],
    ['df', '--bogus', OFFICIAL],
    ['df', 'no/such/file.json'],
    // the externals, loaded when used: DuckDB (sql, Parquet) and apache-arrow
    ['sql', '--query', 'df', OFFICIAL],
    ['df', '-v', exports.parquet],
    ['df', '-v', exports.arrow],
  ]) {
    const want = await cli(...argv);
    const got = bin(...argv);
    assert.equal(got.code, want.code, argv.join(' ') + STALE);
    assert.equal(got.stdout, want.stdout, argv.join(' ') + STALE);
    assert.equal(got.stderr, want.stderr, argv.join(' ') + STALE);
  }
});

test('standard input is opened only when a command reads `-`, not at start-up', () => {
  let touched = 0;
  const io = { stdout: () => undefined, stderr: () => undefined, now: () => 0, get stdin() {
    touched++;
    return undefined;
  } };
  const opts = loadOptionsOf(undefined, io);
  assert.equal(touched, 0);
  assert.equal(opts.stdin, undefined);
  assert.equal(touched, 1);
  // the bin: a df of a file with stdin a pipe nobody writes to or closes still ends at once
  const r = spawnSync(process.execPath, [BIN, 'df', OFFICIAL], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
});
