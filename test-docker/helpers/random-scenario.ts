// A seeded random scenario on a sandbox daemon: a few FROM-scratch bases, children built on
// random earlier images, tags in one or two repositories, some untagged parents, containers in
// random states. Returns the names it created, for random command sequences.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { prng } from '../../src/sources/synthetic.js';

export { prng };

export function buildRandomScenario(sb: Sandbox, seed: number): { tags: string[]; containers: string[] } {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const ctx = mkdtempSync(join(tmpdir(), 'layerlab-rctx-'));
  const tags: string[] = [];
  const containers: string[] = [];
  try {
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    const images = 3 + Math.floor(rnd() * 4);
    for (let k = 0; k < images; k++) {
      const bytes = Buffer.alloc(500 + Math.floor(rnd() * 5000), k + seed);
      writeFileSync(join(ctx, `f${k}`), bytes);
      const from = k === 0 || rnd() < 0.3 ? 'scratch' : pick(tags);
      const lines = [`FROM ${from}`];
      if (from === 'scratch') lines.push('COPY busybox /bin/busybox');
      lines.push(`COPY f${k} /f${k}`, 'CMD ["/bin/busybox", "sleep", "3600"]');
      writeFileSync(join(ctx, 'Dockerfile'), lines.join('\n') + '\n');
      const names = [`r${seed}/img${k}:v1`];
      if (rnd() < 0.3) names.push(`r${seed}/other${k}:v2`);
      sb.docker(['build', '-q', ...names.flatMap((t) => ['-t', t]), '.'], { cwd: ctx });
      tags.push(...names);
    }
    // Some images lose their tag (dangling, or untagged parents when they have children).
    for (const t of tags.filter(() => rnd() < 0.2)) sb.docker(['rmi', '--no-prune', t], { allowFail: true });
    const left = tags.filter((t) => sb.docker(['image', 'inspect', t], { allowFail: true }).code === 0);
    for (let k = 0; k < 1 + Math.floor(rnd() * 4) && left.length; k++) {
      const name = `c${seed}x${k}`;
      const state = pick(['running', 'created', 'exited']);
      if (state === 'running') sb.docker(['run', '-d', '--network', 'none', '--name', name, pick(left)]);
      else if (state === 'created') sb.docker(['create', '--name', name, pick(left)]);
      else sb.docker(['run', '--network', 'none', '--name', name, pick(left), '/bin/busybox', 'true']);
      containers.push(name);
    }
    return { tags: left, containers };
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
