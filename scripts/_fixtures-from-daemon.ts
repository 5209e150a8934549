// Helper of make-fixtures.sh: runs the scenario on a sandbox daemon and writes the archives.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDockerd } from '../test-docker/helpers/sandbox.js';
import { buildScenario } from '../test-docker/helpers/scenario.js';

const out = resolve(process.argv[2]);
const run = (cmd: string, args: string[], cwd?: string) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const sb = await startDockerd();
try {
  buildScenario(sb);
  const tags = ['base:1', 'app-b:1', 'app-c:1', 'team/app-c:2', 'chain:1'];
  sb.docker(['save', '-o', join(out, 'scenario.docker-save.tar'), ...tags]);
  writeFileSync(join(out, 'system-df.json'), JSON.stringify(await sb.api('/system/df'), null, 2) + '\n');
  // skopeo: docker-archive -> OCI layout, one ref.name per tag.
  const layout = join(out, 'scenario.oci');
  for (const t of tags) run('skopeo', ['copy', '-q', `docker-archive:${join(out, 'scenario.docker-save.tar')}:${t}`, `oci:${layout}:${t.replace('/', '-').replace(':', '-')}`]);
  // OCI archive: the layout as a tar. Docker-25 shape: the layout plus manifest.json naming blobs.
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', join(out, 'scenario.oci-archive.tar'), '-C', layout, '.']);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const manifestJson = index.manifests.map((d) => {
    const m = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', d.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    return { Config: `blobs/sha256/${m.config.digest.slice(7)}`, RepoTags: [], Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) };
  });
  const d25 = join(out, '_d25');
  mkdirSync(d25);
  run('cp', ['-r', `${layout}/.`, d25]);
  writeFileSync(join(d25, 'manifest.json'), JSON.stringify(manifestJson));
  writeFileSync(join(d25, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: null }));
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', join(out, 'scenario.docker25-shape.tar.gz'), '-C', d25, '.']);
  run('rm', ['-rf', d25]);
  for (const f of readdirSync(out)) console.log(f, statSync(join(out, f)).size);
} finally {
  await sb.stop();
}
