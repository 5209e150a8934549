#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { constants, freemem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { heapPlan } from './heap.js';
import { runCommand } from './run.js';

// The only place that touches the process: arguments and standard input in, exit code out.

/**
 * A reader that stops early (`layerlab … | head`) closes the pipe: stop at once, quietly, with
 * the status a shell reports for a program killed by SIGPIPE (128 + 13 = 141). That is what the
 * docker CLI does (a Go program writing to a closed stdout dies by SIGPIPE) and what coreutils
 * do; Node ignores SIGPIPE, so the write fails with EPIPE instead and would otherwise end in an
 * unhandled 'error' event and a stack trace.
 */
export const EXIT_BROKEN_PIPE = 128 + (constants.signals.SIGPIPE ?? 13);
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw e;
  });
}
const io = {
  stdout: (s: string) => void process.stdout.write(s),
  drain: () =>
    new Promise<void>((r) => {
      if (!process.stdout.writableNeedDrain) return r();
      const done = () => (process.stdout.off('drain', done).off('close', done), r());
      process.stdout.on('drain', done).on('close', done);
    }),
  stderr: (s: string) => void process.stderr.write(s),
  now: () => Math.floor(Date.now() / 1000),
  // Opened when a command reads `-`, not at every start (a stream: a few ms).
  get stdin() {
    return process.stdin;
  },
};

const argv = process.argv.slice(2);
const heapMb = process.env.LAYERLAB_HEAP_SET ? undefined : heapPlan(argv, getHeapStatistics().heap_size_limit, freemem());
if (heapMb !== undefined) {
  process.stderr.write(`layerlab: this input needs a larger heap than node's default; running with --max-old-space-size=${heapMb} (${(heapMb / 1024).toFixed(1)} GiB)\n`);
  const r = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, process.argv[1], ...argv], {
    stdio: 'inherit',
    env: { ...process.env, LAYERLAB_HEAP_SET: String(heapMb) },
  });
  process.exitCode = r.status ?? (r.signal ? 128 + (constants.signals[r.signal] ?? 9) : 70);
} else {
  runCommand(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // A bug, not a user error: say so plainly, keep the stack for the report.
      process.stderr.write(`layerlab: internal error: ${(e as Error)?.stack ?? String(e)}\nPlease report this with the command line that caused it.\n`);
      process.exitCode = 70;
    },
  );
}
