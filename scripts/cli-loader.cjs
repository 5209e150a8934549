#!/usr/bin/env node
// layerlab: bundled by scripts/bundle-cli.mjs
'use strict';
// The bin (package.json "bin", copied to dist/cli/layerlab.cjs by scripts/bundle-cli.mjs). Node 20
// compiles every start from source and has no compile cache of its own (module.enableCompileCache
// is Node 22), so the command line is one CommonJS program compiled here through vm.Script with a
// V8 code cache the build made by running it (issue 12, start-up). V8 refuses a cache made by
// another node or V8 flags (script.cachedDataRejected); the program then compiles from source
// as it would without one, slower and otherwise the same. The cache's name carries the
// program's build ID, so a cache never meets a program it was not made from.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const file = join(__dirname, 'layerlab.program.cjs');
const source = readFileSync(file, 'latin1'); // ASCII, the build makes sure
const id = /^\/\*layerlab-build:([0-9a-f]+)\*\//.exec(source)?.[1];
let cachedData;
try {
  cachedData = id === undefined ? undefined : readFileSync(join(__dirname, `layerlab.program.${id}.cache`));
} catch {
  // no cache: compiled from source
}
// The program has no import(): the build turns each into require() (restored from a cache, a
// function would have no dynamic-import callback).
const script = new vm.Script(source, { filename: file, cachedData });
const program = { exports: {} };
script.runInThisContext()(program.exports, require, program, file, __dirname, pathToFileURL(file).href);
program.exports.runMain(process.argv.slice(2));
