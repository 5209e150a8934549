// What every live test that builds images needs: deterministic file contents, and a temporary
// build context holding busybox, so FROM-scratch images have a shell without pulling anything.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';

/** Deterministic bytes of a given length, different per seed; incompressible (gzip keeps their size). */
export function bytes(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Runs `use` in a fresh build context that holds `/bin/busybox` as `busybox`; removes the context afterwards. */
export function withBusyboxContext<T>(use: (ctx: string) => T): T {
  const ctx = mkdtempSync(join(tmpdir(), 'layerlab-ctx-'));
  try {
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    return use(ctx);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Writes `dockerfile` into `ctx` and builds it quietly with these tags (and extra `docker build` flags). */
export function buildIn(sb: Sandbox, ctx: string, tags: readonly string[], dockerfile: string, flags: readonly string[] = []): void {
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  sb.docker(['build', '-q', ...flags, ...tags.flatMap((t) => ['-t', t]), '.'], { cwd: ctx });
}
