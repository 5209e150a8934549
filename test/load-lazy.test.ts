import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Issue 12: `df docker://` paid ~20 ms at startup for readers it never runs. A resolve hook refuses
// every reader module and heavy dependency, so importing one through load.ts fails the import.
const HEAVY = /\/sources\/(engine-api|engine|docker-root|oci-layout|image-archive|registry|registry-client|columnar|columnar-[a-z]+|snapshot|snapshot-[a-z]+|tar|blobs|duckdb)\.[jt]s$|\/node_modules\/(tar-stream|fzstd|apache-arrow|@duckdb)\//;
const HOOKS = `export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (${HEAVY}.test(r.url)) throw new Error('imported at startup: ' + r.url);
  return r;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

function importWithHooks(module: string): { status: number | null; stderr: string } {
  const url = pathToFileURL(fileURLToPath(new URL(`../src/${module}`, import.meta.url))).href;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', `await import(${JSON.stringify(url)});`], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('importing load.ts and the df command imports no source reader until one loads', () => {
  for (const m of ['sources/load.ts', 'cli/df.ts']) {
    const r = importWithHooks(m);
    assert.equal(r.status, 0, `${m}: ${r.stderr}`);
  }
});

test('the hook does refuse a reader module (the check above is not vacuous)', () => {
  const r = importWithHooks('sources/registry.ts');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /imported at startup: .*\/sources\/registry\.ts/);
});
