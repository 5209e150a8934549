// Builds the conformance scenario on a sandbox daemon: shared bases, an image in two
// repositories, a dangling image, a local build chain (child of a tagged image), and
// containers running, created and exited (one with a non-empty writable layer).
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';

/** Deterministic bytes of a given length (content differs per seed). */
function bytes(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const SLEEP = 'CMD ["/bin/busybox", "sleep", "3600"]';

export function buildScenario(sb: Sandbox): void {
  const ctx = mkdtempSync(join(tmpdir(), 'layerlab-ctx-'));
  try {
    buildIn(sb, ctx);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

function buildIn(sb: Sandbox, ctx: string): void {
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  const files: [string, number, number][] = [['a.bin', 1, 4096], ['b.bin', 2, 8192], ['c.bin', 3, 3000], ['d.bin', 4, 1000], ['e.bin', 5, 5000], ['f1.bin', 6, 700], ['f2.bin', 7, 900]];
  for (const [name, seed, n] of files) writeFileSync(join(ctx, name), bytes(seed, n));
  // The daemon orders images by whole-second Created with an unstable sort, so same-second
  // images come out in no fixed order: give every image its own second.
  const build = (tags: string[], dockerfile: string) => {
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    sb.docker(['build', '-q', ...tags.flatMap((t) => ['-t', t]), '.'], { cwd: ctx });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
  };
  build(['base:1'], 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY a.bin /a\n');
  build(['app-b:1'], `FROM base:1\nCOPY b.bin /b\n${SLEEP}\n`);
  build(['app-c:1', 'team/app-c:2'], `FROM base:1\nCOPY c.bin /c\n${SLEEP}\n`);
  build(['solo:1'], 'FROM scratch\nCOPY d.bin /d\nCMD ["/d"]\n');
  build(['chain:1'], 'FROM app-b:1\nCOPY e.bin /e\n');
  build(['dang:1'], 'FROM scratch\nCOPY f1.bin /f\nCMD ["/f"]\n');
  build(['dang:1'], 'FROM scratch\nCOPY f2.bin /f\nCMD ["/f"]\n'); // the first dang:1 is now dangling
  sb.docker(['run', '-d', '--network', 'none', '--name', 'running', 'app-b:1']);
  sb.docker(['create', '--name', 'created', 'solo:1']);
  sb.docker(['run', '--network', 'none', '--name', 'exited', 'app-c:1', '/bin/busybox', 'true']);
  sb.docker(['run', '--network', 'none', '--name', 'writer', 'team/app-c:2', '/bin/busybox', 'sh', '-c', 'head -c 2500 /a > /written']);
}
