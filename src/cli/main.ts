#!/usr/bin/env node
import { runMain } from './bin.js';

// The entry point of the sources (`node --import tsx src/cli/main.ts`, tsc's dist/cli/main.js);
// the built bin replaces it with a loader of the bundled program (scripts/bundle-cli.mjs).
runMain(process.argv.slice(2));
