// A real root filesystem series for the dedup ladder (issue 13 §5): two consecutive Debian releases
// bootstrapped from deb.debian.org (`debootstrap --variant=minbase SUITE DIR`, as root), each packed
// as the single layer of a base image, in one OCI layout — the shape of alpine:3.10 next to
// alpine:3.11, whose layer bytes are not available on this machine. Like Docker's official Debian
// images (debuerreotype), the downloaded .deb files and apt lists are left out of the layer.
//   node --import tsx scripts/make-debian-corpus.ts OUT NAME=ROOTFS_DIR...
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function blob(dir: string, bytes: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } {
  const digest = sha(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

/** The rootfs as a layer tar: sorted names, numeric owners, no package caches. */
function rootfsTar(root: string): Buffer {
  const r = spawnSync('tar', ['-C', root, '--sort=name', '--numeric-owner', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '--exclude=./var/cache/apt/archives/*.deb', '--exclude=./var/lib/apt/lists/*', '--exclude=./debootstrap', '-cf', '-', '.'], { maxBuffer: 2 ** 31 });
  if (r.status !== 0) throw new Error(`tar of ${root} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

export function writeRootfsLayout(out: string, images: { name: string; root: string }[]): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
  const manifests = [];
  for (const { name, root } of images) {
    const plain = rootfsTar(root);
    const gz = gzipSync(plain, { level: 6 });
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['bash'] }, rootfs: { type: 'layers', diff_ids: [sha(plain)] }, history: [{ created_by: `debootstrap --variant=minbase ${name}` }] });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: blob(out, Buffer.from(config), 'application/vnd.oci.image.config.v1+json'),
      layers: [blob(out, gz, 'application/vnd.oci.image.layer.v1.tar+gzip')],
    });
    manifests.push({ ...blob(out, Buffer.from(manifest), 'application/vnd.oci.image.manifest.v1+json'), annotations: { 'org.opencontainers.image.ref.name': `debian-minbase:${name}` } });
  }
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(out, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

if (process.argv[1]?.endsWith('make-debian-corpus.ts')) {
  const [out, ...pairs] = process.argv.slice(2);
  if (!out || pairs.length === 0) throw new Error('usage: make-debian-corpus.ts OUT NAME=ROOTFS_DIR...');
  writeRootfsLayout(out, pairs.map((p) => ({ name: p.split('=')[0], root: p.split('=').slice(1).join('=') })));
}
