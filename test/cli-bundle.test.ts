// The installed bin, dist/cli/main.js, is an esbuild bundle of src/cli (scripts/bundle-cli.mjs),
// built by `npm ci` / `npm run build`. It must answer as the sources do, command by command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../src/cli/run.js';
import { loadOptionsOf } from '../src/cli/common.js';
import { cli } from './helpers/cli.js';

const BIN = 'dist/cli/main.js';
const OFFICIAL = 'fixtures/official-images/host.snapshot.json';
const STALE = ' (is dist/ stale? npm run build)';

function bin(...argv: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bin is the bundle: one file for the command line, each command a lazily imported chunk', () => {
  const text = readFileSync(BIN, 'utf8');
  assert.match(text, /^#!\/usr\/bin\/env node\n\/\/ layerlab: bundled by scripts\/bundle-cli\.mjs\n/);
  // tsc's main.js imports ./run.js and ./heap.js; the bundle has them inlined.
  assert.doesNotMatch(text, /from ["']\.\/(run|heap)\.js["']/);
  const staticImports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
  for (const s of staticImports) assert.match(s, /^(node:|\.\/bundle-)/, `main.js imports only builtins and its own chunks at start-up, not ${s}`);
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
  for (const argv of [
    ['df', '--format', 'json', OFFICIAL],
    ['dedup', OFFICIAL],
    ['rm', '--format', 'json', OFFICIAL, 'debian:bookworm'],
    ['df', '--bogus', OFFICIAL],
    ['df', 'no/such/file.json'],
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
