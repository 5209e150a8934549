// Layers Docker loads must be measured, not refused (new-user trial item 3). docker load applies a
// layer through pkg/chrootarchive: it chroots into the layer folder and untars at "/", so in moby's
// pkg/archive/archive.go createTarFile
//   case tar.TypeSymlink: targetPath := filepath.Join(filepath.Dir(path), hdr.Linkname)
//                         if !strings.HasPrefix(targetPath, extractDir) { breakoutError }
// extractDir is "/" and a `..` above it stays at "/": a symlink's target is only text. Unpack
// starts each entry with `hdr.Name = filepath.Clean(hdr.Name)` and joins it under the root, so
// `/etc/abs` lands at `etc/abs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LayerlabError } from '../src/errors.js';
import { normalisePath } from '../src/model/files.js';
import { bufferStream, measureLayer } from '../src/sources/tar.js';
import { cli } from './helpers/cli.js';
import { makeLayout, makeTar, sha } from './helpers/oci.js';

const symlink = (name: string, linkname: string) => ({ header: { name, type: 'symlink' as const, linkname, size: 0, mode: 0o777, mtime: new Date(0) } });

async function dockerLoadable(): Promise<Buffer> {
  return makeTar([
    { name: 'lib/x86_64-linux-gnu/ld.so', data: 'elf!' },
    { name: 'lib64/', data: '' },
    symlink('lib64/ld', '../../lib/x86_64-linux-gnu/ld.so'),
    { header: { name: '/etc/abs', type: 'file', size: 3, mode: 0o644, mtime: new Date(0) }, data: Buffer.from('abs') },
  ]);
}

/** An OCI layout whose only layer is `layer`. */
async function layoutWith(layer: Buffer): Promise<{ dir: string; id: string }> {
  const { dir } = await makeLayout([{ files: [{ ok: 'x' }] }]);
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifestPath = join(dir, 'blobs', 'sha256', idx.manifests[0].digest.slice(7));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const configPath = join(dir, 'blobs', 'sha256', manifest.config.digest.slice(7));
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.rootfs.diff_ids = [sha(layer)];
  const c2 = Buffer.from(JSON.stringify(config));
  writeFileSync(join(dir, 'blobs', 'sha256', sha(c2).slice(7)), c2);
  const gz = gzipSync(layer);
  writeFileSync(join(dir, 'blobs', 'sha256', sha(gz).slice(7)), gz);
  manifest.config = { ...manifest.config, digest: sha(c2), size: c2.length };
  manifest.layers[0] = { ...manifest.layers[0], digest: sha(gz), size: gz.length };
  const m2 = Buffer.from(JSON.stringify(manifest));
  writeFileSync(join(dir, 'blobs', 'sha256', sha(m2).slice(7)), m2);
  idx.manifests[0] = { ...idx.manifests[0], digest: sha(m2), size: m2.length };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(idx));
  return { dir, id: sha(c2).slice(7, 19) };
}

test('a symlink whose target climbs above the root and an absolute entry name are measured as Docker loads them', async () => {
  const seen: string[] = [];
  const m = await measureLayer(bufferStream(await dockerLoadable()), {}, [{ entry: (e) => void seen.push(e.resolvedPath) }]);
  assert.equal(m.size, 7);
  assert.deepEqual(seen.slice(-2), ['lib64/ld', 'etc/abs']);
  assert.equal(normalisePath('/etc/abs'), 'etc/abs');
});

test('df and files read a layout with such a layer', async () => {
  const { dir, id } = await layoutWith(await dockerLoadable());
  const df = await cli('df', dir);
  assert.equal(df.code, 0, df.stderr);
  const files = await cli('files', '--format', 'json', dir, id);
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stdout, /"abs"|etc\/abs/);
  assert.match(files.stdout, /lib\/x86_64-linux-gnu\/ld\.so|"ld\.so"/);
});

test('still refused: an entry written through a symlink that leaves the root unclamped, and an entry whose own name climbs', async () => {
  const through = await makeTar([symlink('link', '../../../../etc'), { name: 'link/passwd', data: 'x' }]);
  await assert.rejects(measureLayer(bufferStream(through), {}), (e: unknown) => e instanceof LayerlabError && /climbs above the layer root/.test(e.message));
  const climbing = await makeTar([{ name: 'lib64/', data: '' }, symlink('lib64/ld', '../../lib'), { name: 'lib64/ld/x', data: 'x' }]);
  await assert.rejects(measureLayer(bufferStream(climbing), {}), (e: unknown) => e instanceof LayerlabError && /lib64\/ld\/x/.test(e.message));
  const own = await makeTar([{ name: '../evil', data: 'x' }]);
  await assert.rejects(measureLayer(bufferStream(own), {}), (e: unknown) => e instanceof LayerlabError && /escapes/.test(e.message));
  assert.throws(() => normalisePath('../evil'), /escapes/);
});
