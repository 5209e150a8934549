// The images of the simulation replay (test-docker/simulate-live.test.ts): built FROM scratch on a
// throw-away daemon and pushed to the loopback registry as `<registry>/replay/<name>`. Repositories
// share bases: every image but solo starts with the same busybox layer; web and api stack on base;
// api:2 extends api:1; web:2 is a new tag of web on the old base.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytes } from './build-context.js';
import type { Sandbox } from './sandbox.js';


const SLEEP = 'CMD ["/bin/busybox", "sleep", "3600"]';

/** name → Dockerfile; files are COPY'd from a context holding busybox and `<x>.bin` payloads. */
const IMAGES: Array<[name: string, dockerfile: string]> = [
  ['bb:local', 'FROM scratch\nCOPY busybox /bin/busybox\n'],
  ['base:1', `FROM bb:local\nCOPY a.bin /a\n${SLEEP}\n`],
  ['web:1', 'FROM base:1\nCOPY w1.bin /w\n'],
  ['web:2', 'FROM base:1\nCOPY w2.bin /w\n'],
  ['api:1', 'FROM base:1\nCOPY c1.bin /c1\nCOPY c2.bin /c2\n'],
  ['api:2', 'FROM api:1\nCOPY c3.bin /c3\n'],
  ['tools:1', `FROM bb:local\nCOPY t1.bin /t\n${SLEEP}\n`],
  ['solo:1', 'FROM scratch\nCOPY s1.bin /s\nCMD ["/s"]\n'],
];

const PAYLOADS: Array<[file: string, bytes: number]> = [
  ['a.bin', 300_000], ['w1.bin', 600_000], ['w2.bin', 700_000], ['c1.bin', 400_000],
  ['c2.bin', 200_000], ['c3.bin', 500_000], ['t1.bin', 800_000], ['s1.bin', 900_000],
];

/** The pushed images (`bb:local` is a build step only). */
export const REPLAY_IMAGES = IMAGES.map(([n]) => n).filter((n) => n !== 'bb:local');

/** Images whose containers can run (they hold busybox); the others are only created. */
export const RUNNABLE = new Set(REPLAY_IMAGES.filter((n) => n !== 'solo:1'));

/** Builds every image on `sb` and pushes it to `<registry>/replay/<name>`. */
export function buildAndPushReplayImages(sb: Sandbox, registry: string): void {
  const ctx = mkdtempSync(join(tmpdir(), 'layerlab-replay-ctx-'));
  try {
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    PAYLOADS.forEach(([f, n], i) => writeFileSync(join(ctx, f), bytes(i + 11, n)));
    for (const [name, dockerfile] of IMAGES) {
      writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
      sb.docker(['build', '-q', '-t', name, '.'], { cwd: ctx });
    }
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  for (const n of REPLAY_IMAGES) {
    sb.docker(['tag', n, `${registry}/replay/${n}`]);
    sb.docker(['push', '-q', `${registry}/replay/${n}`]);
  }
}
