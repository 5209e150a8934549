#!/usr/bin/env node
import { runCommand } from './run.js';

// The only place that touches the process: arguments and standard input in, exit code out.
const io = {
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
  now: () => Math.floor(Date.now() / 1000),
  stdin: process.stdin,
};

runCommand(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug, not a user error: say so plainly, keep the stack for the report.
    process.stderr.write(`layerlab: internal error: ${(e as Error)?.stack ?? String(e)}\nPlease report this with the command line that caused it.\n`);
    process.exitCode = 70;
  },
);
