import { heapNeeded, heapPlan } from './heap.js';
import { runCommand, startDaemonReads } from './run.js';

// The process side of the command line: arguments and standard input in, exit code out. main.ts
// calls runMain; the bundled bin (scripts/bundle-cli.mjs) calls it from its loader, and the build
// runs runCommand through the same compiled program to fill the bin's code cache.

export { runCommand };

const SIGPIPE = 13;

/**
 * A reader that stops early (`layerlab … | head`) closes the pipe: stop at once, quietly, with
 * the status a shell reports for a program killed by SIGPIPE (128 + 13 = 141). That is what the
 * docker CLI does (a Go program writing to a closed stdout dies by SIGPIPE) and what coreutils
 * do; Node ignores SIGPIPE, so the write fails with EPIPE instead and would otherwise end in an
 * unhandled 'error' event and a stack trace.
 */
export const EXIT_BROKEN_PIPE = 128 + SIGPIPE;

/** Runs one command line as the process: sets process.exitCode, never calls process.exit except on a closed stdout. */
export function runMain(argv: string[]): void {
  // node:v8, node:os and node:child_process are loaded only for an input that may need a larger heap (a few ms of every start otherwise).
  const heapMb = process.env.LAYERLAB_HEAP_SET || heapNeeded(argv) === 0 ? undefined : heapPlan(argv, process.getBuiltinModule('node:v8').getHeapStatistics().heap_size_limit, process.getBuiltinModule('node:os').freemem());
  if (heapMb !== undefined) {
    process.stderr.write(`layerlab: this input needs a larger heap than node's default; running with --max-old-space-size=${heapMb} (${(heapMb / 1024).toFixed(1)} GiB)\n`);
    const r = process.getBuiltinModule('node:child_process').spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, process.argv[1], ...argv], {
      stdio: 'inherit',
      env: { ...process.env, LAYERLAB_HEAP_SET: String(heapMb) },
    });
    process.exitCode = r.status ?? (r.signal ? 128 + (process.getBuiltinModule('node:os').constants.signals[r.signal] ?? 9) : 70);
    return;
  }
  // A daemon's first requests go out once its sockets connect, in a turn of the event loop: ask
  // before anything else, and set up standard output and load the command (some 3 ms) once they
  // are written, so the daemon computes its lists meanwhile (issue 12).
  const sent = startDaemonReads(argv);
  if (sent) void sent.then(() => runInProcess(argv));
  else runInProcess(argv);
}

function runInProcess(argv: string[]): void {
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
