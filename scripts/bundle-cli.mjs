// Builds the command line a user runs (issue 12, start-up) from tsc's dist/:
// - dist/cli/layerlab.program.cjs: every command as one esbuild bundle in CommonJS form, written
//   as the function expression the loader compiles (modules a command does not import are
//   wrapped, never run); noble's unused SHA-512 tables are tree-shaken. Packages with native
//   code, wasm files or their own large module graphs stay external (required when used).
// - dist/cli/layerlab.program.<build id>.cache: V8's code cache of that program, made here by
//   compiling it as the loader does and running a few command lines through it, so the
//   functions of `--help`, `df` of a snapshot and `df` of a live daemon are in it compiled.
//   Node 20 has no compile cache of its own; without this every start parses and compiles.
// - dist/cli/layerlab.cjs (package.json "bin"): the loader, scripts/cli-loader.cjs.
// - dist/cli/main.js: tsc's entry replaced by an ES module that requires the loader, for
//   `node dist/cli/main.js` (an ES module entry costs node some 4 ms more than CommonJS).
// Everything sits in dist/cli/, one folder below dist/ like every module it comes from, so
// `new URL('../../sql/', import.meta.url)` (import.meta.url is the program's URL) still points
// where it did. dist/index.js and dist/internals.js (the library) are tsc's.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const OUT = 'dist/cli';
const PROGRAM = `${OUT}/layerlab.program.cjs`;
const EXTERNAL = ['@bokuweb/zstd-wasm', '@duckdb/node-api', 'apache-arrow', 'cli-table3', 'fzstd', 'parquet-wasm', 'tar-stream'];
// The loader passes these; `import.meta.url` in the sources becomes the last.
const PARAMS = 'exports, require, module, __filename, __dirname, __layerlab_url';

const MARK = '// layerlab: bundled by scripts/bundle-cli.mjs';
if (readFileSync(`${OUT}/main.js`, 'utf8').includes(MARK)) throw new Error(`${OUT}/main.js is already the loader: run tsc -p tsconfig.build.json first (npm run build)`);
// Outputs of earlier builds: ES module chunks of the previous layout, caches of other build IDs.
for (const f of readdirSync(OUT)) if (f.startsWith('bundle-') || /^layerlab\.program\..*\.cache$/.test(f)) rmSync(`${OUT}/${f}`);

const bundled = await build({
  entryPoints: [`${OUT}/bin.js`],
  write: false,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  define: { 'import.meta.url': '__layerlab_url' },
  legalComments: 'none',
  charset: 'ascii',
  // import() of an external becomes require(): a function V8 restores from a code cache has no
  // dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and every external has a
  // CommonJS build (an ES-only one would load through require(esm), Node >= 20.19).
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
// The loader reads the program as latin1: one read and a one-byte string, where node's utf8
// path reads in 8 KiB pieces and one non-ASCII character makes all of it a two-byte string.
// esbuild escapes strings; what it leaves is in comments (a `→` in a doc comment).
const text = bundled.outputFiles[0].text.replace(/^(\s*(?:\/\/|\/\*|\*).*)$/gm, (line) => line.replace(/[^\x00-\x7f]/g, '?'));
const dynamicImport = /\bimport\(/.exec(text);
if (dynamicImport) throw new Error(`the bundled program has an import() the loader cannot serve: ${JSON.stringify(text.slice(dynamicImport.index - 40, dynamicImport.index + 40))}`);
const stray = /[^\x00-\x7f]/.exec(text);
if (stray) throw new Error(`the bundled program has a non-ASCII character outside comments at ${stray.index}: ${JSON.stringify(text.slice(stray.index - 40, stray.index + 10))}`);
const body = `(function (${PARAMS}) {\n${text}\n})`;
const id = createHash('sha256').update(body).digest('hex').slice(0, 16);
const source = `/*layerlab-build:${id}*/${body}`;
writeFileSync(PROGRAM, source);
copyFileSync('scripts/cli-loader.cjs', `${OUT}/layerlab.cjs`);
chmodSync(`${OUT}/layerlab.cjs`, 0o755);
writeFileSync(`${OUT}/main.js`, `#!/usr/bin/env node\n${MARK}\nimport { createRequire } from 'node:module';\n\ncreateRequire(import.meta.url)('./layerlab.cjs');\n`);
chmodSync(`${OUT}/main.js`, 0o755);

// Worker threads' entry points ({ in, out }), bundled as ES modules next to the program: a module
// starts one with `new Worker(new URL('./OUT.js', import.meta.url))`, import.meta.url being the
// program's URL in dist/cli/.
// The snapshot reading thread (src/sources/snapshot-pipeline.ts starts ./snapshot-worker.js next to the program).
const WORKERS = [{ in: 'dist/sources/snapshot-worker.js', out: 'snapshot-worker' }];
if (WORKERS.length) await build({ entryPoints: WORKERS, outdir: OUT, bundle: true, format: 'esm', platform: 'node', target: 'node20', external: EXTERNAL, legalComments: 'none', logLevel: 'warning' });

/** A daemon of two images sharing a layer and one container, enough to run the engine reader's code once. */
const sha = (c) => `sha256:${c.repeat(64)}`;
const ENGINE = {
  '/version': { Version: '29.0.0', ApiVersion: '1.52', Os: 'linux', Arch: 'amd64' },
  '/images/json?all=1': [{ Id: sha('a') }, { Id: sha('b') }],
  '/containers/json?all=1&size=1': [{ Id: sha('c').slice(7), Names: ['/c'], Image: 'a:1', ImageID: sha('a'), Command: 'sh', Created: 2, State: 'exited', Status: 'Exited (0)', SizeRw: 3, SizeRootFs: 8 }],
  [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RepoTags: ['a:1'], RepoDigests: [], Created: '1970-01-01T00:00:01Z', RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
  [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Id: sha('a'), Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
  [`/images/${encodeURIComponent(sha('b'))}/json`]: { Id: sha('b'), RepoTags: ['b:1'], RepoDigests: [], Created: '1970-01-01T00:00:02Z', RootFS: { Type: 'layers', Layers: [sha('1'), sha('2')] }, Size: 12 },
  [`/images/${encodeURIComponent(sha('b'))}/history`]: [{ Id: sha('b'), Created: 2, Size: 7, CreatedBy: 'COPY g /' }, { Id: sha('a'), Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
};

/** Compiles the program as the loader does, runs `lines` through it, returns V8's code cache of everything compiled. */
async function codeCache(lines) {
  const file = resolve(PROGRAM);
  const script = new vm.Script(source, { filename: file });
  const program = { exports: {} };
  script.runInThisContext()(program.exports, createRequire(file), program, file, resolve(OUT), pathToFileURL(file).href);
  for (const argv of lines) {
    let err = '';
    const io = { stdout: () => undefined, stderr: (s) => void (err += s), now: () => 1795715247 };
    const code = await program.exports.runCommand(argv, io);
    if (code !== 0) throw new Error(`layerlab ${argv.join(' ')} exited ${code} while making the code cache: ${err}`);
  }
  return script.createCachedData();
}

const dir = mkdtempSync(join(tmpdir(), 'layerlab-bundle-'));
const server = createServer((req, res) => {
  const answer = ENGINE[req.url ?? ''];
  // Every dockerd answer carries these (moby's version middleware); the reader takes the version from them.
  res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/json', server: 'Docker/29.0.0 (linux)', 'api-version': '1.52', ostype: 'linux' });
  res.end(JSON.stringify(answer ?? { message: 'no such route' }));
});
try {
  const sock = join(dir, 'docker.sock');
  await new Promise((r) => server.listen(sock, r));
  const snapshot = 'fixtures/official-images/host.snapshot.json';
  const cache = await codeCache([['--help'], ['df', '--help'], ['df', '-v', snapshot], ['df', '-v', `docker://unix://${sock}`], ['df', `docker://unix://${sock}`]]);
  writeFileSync(`${OUT}/layerlab.program.${id}.cache`, cache);
} finally {
  await new Promise((r) => (server.close(() => r()), server.closeAllConnections()));
  rmSync(dir, { recursive: true, force: true });
}
