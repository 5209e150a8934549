// Captures fixtures/docker-20.10-root: the metadata of a real dockerd data root after the
// conformance scenario (test-docker/helpers/scenario.ts), and the daemon's own /system/df and
// /containers/json answers for it. Layer contents (vfs/dir, tar-split) are left out; the files
// layerlab reads are copied unchanged. Needs root and dockerd (scripts/setup-test-deps.sh).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDockerd } from '../test-docker/helpers/sandbox.js';
import { buildScenario } from '../test-docker/helpers/scenario.js';

const out = new URL('../fixtures/docker-20.10-root/', import.meta.url).pathname;
const sb = await startDockerd();
try {
  buildScenario(sb);
  const root = join(sb.dir, 'root');
  rmSync(out, { recursive: true, force: true });
  const img = join(root, 'image', 'vfs');
  const dst = join(out, 'root', 'image', 'vfs');
  cpSync(join(img, 'imagedb'), join(dst, 'imagedb'), { recursive: true });
  cpSync(join(img, 'repositories.json'), join(dst, 'repositories.json'));
  if (existsSync(join(img, 'distribution'))) cpSync(join(img, 'distribution'), join(dst, 'distribution'), { recursive: true });
  for (const chain of readdirSync(join(img, 'layerdb', 'sha256'))) {
    for (const f of ['diff', 'size', 'parent']) {
      const src = join(img, 'layerdb', 'sha256', chain, f);
      if (existsSync(src)) cpSync(src, join(dst, 'layerdb', 'sha256', chain, f));
    }
  }
  for (const c of readdirSync(join(root, 'containers'))) {
    cpSync(join(root, 'containers', c, 'config.v2.json'), join(out, 'root', 'containers', c, 'config.v2.json'));
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'system-df.json'), JSON.stringify(await sb.api('/system/df'), null, 2) + '\n');
  writeFileSync(join(out, 'containers.json'), JSON.stringify(await sb.api('/containers/json?all=1&size=1'), null, 2) + '\n');
  writeFileSync(join(out, 'version.json'), JSON.stringify(await sb.api('/version'), null, 2) + '\n');
  writeFileSync(join(out, 'captured-at.txt'), `${Math.floor(Date.now() / 1000)}\n`);
  console.log(`captured ${out}`);
} finally {
  await sb.stop();
}
