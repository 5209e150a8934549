// Builds the conformance scenario on a sandbox daemon: shared bases, an image in two
// repositories, a dangling image, a local build chain (child of a tagged image), and
// containers running, created and exited (one with a non-empty writable layer).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIn as dockerBuild, bytes, withBusyboxContext } from './build-context.js';
import type { Sandbox } from './sandbox.js';

const SLEEP = 'CMD ["/bin/busybox", "sleep", "3600"]';

export function buildScenario(sb: Sandbox): void {
  withBusyboxContext((ctx) => buildIn(sb, ctx));
}

function buildIn(sb: Sandbox, ctx: string): void {
  const files: [string, number, number][] = [['a.bin', 1, 4096], ['b.bin', 2, 8192], ['c.bin', 3, 3000], ['d.bin', 4, 1000], ['e.bin', 5, 5000], ['f1.bin', 6, 700], ['f2.bin', 7, 900]];
  for (const [name, seed, n] of files) writeFileSync(join(ctx, name), bytes(seed, n));
  // The daemon orders images by whole-second Created with an unstable sort, so same-second
  // images come out in no fixed order: give every image its own second.
  const build = (tags: string[], dockerfile: string) => {
    dockerBuild(sb, ctx, tags, dockerfile);
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
