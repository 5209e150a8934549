// Replaces tsc's dist/cli/main.js with an esbuild bundle of the command line (issue 12, start-up).
// Node 20 resolves, stats, reads and compiles every ES module file on its own; `df docker://`
// loaded 41 of layerlab's files and 5 of @noble/hashes before answering. Bundled with code
// splitting, each command still loads only what it imports (the dynamic imports in run.ts and
// sources/load.ts stay lazy: esbuild makes them chunks), from about 20 files, and noble's unused
// SHA-512 tables are tree-shaken. The chunks sit next to main.js in dist/cli/, one folder below
// dist/ like every module they come from, so `new URL('../../sql/', import.meta.url)` and the
// like still point where they did. dist/index.js and dist/internals.js (the library) are tsc's.
// Packages with native code, wasm files or their own large module graphs stay external.
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const OUT = 'dist/cli';
const CHUNK = 'bundle-';
const EXTERNAL = ['@bokuweb/zstd-wasm', '@duckdb/node-api', 'apache-arrow', 'cli-table3', 'fzstd', 'parquet-wasm', 'tar-stream'];

const MARK = '// layerlab: bundled by scripts/bundle-cli.mjs';
if (readFileSync(`${OUT}/main.js`, 'utf8').includes(MARK)) throw new Error(`${OUT}/main.js is already a bundle: run tsc -p tsconfig.build.json first (npm run build)`);
// Chunks of an earlier build: their names carry content hashes, so stale ones would pile up.
for (const f of readdirSync(OUT)) if (f.startsWith(CHUNK)) rmSync(`${OUT}/${f}`);
await build({
  entryPoints: [`${OUT}/main.js`],
  outdir: OUT,
  allowOverwrite: true,
  chunkNames: `${CHUNK}[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  legalComments: 'none',
  banner: { js: MARK },
  logLevel: 'warning',
});
chmodSync(`${OUT}/main.js`, 0o755);
