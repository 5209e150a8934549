// Builds tiny OCI layouts and archives in memory / temp folders for tests.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { tempDir } from './tmp.js';

export const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

const EPOCH = new Date(0);

/** A tar of the given entries (files, or raw headers for hostile cases). */
export async function makeTar(entries: ({ name: string; data: Buffer | string } | { header: Partial<tar.Header> & { name: string }; data?: Buffer })[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    // a fixed mtime: tar-stream stamps the current time otherwise, and the same layer built on both
    // sides of a second boundary would be two layers
    if ('header' in e) pack.entry({ mtime: EPOCH, ...e.header } as tar.Header, e.data ?? Buffer.alloc(0));
    else pack.entry({ name: e.name, size: Buffer.byteLength(e.data), mtime: EPOCH }, e.data);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface TinyImage {
  files: Record<string, string>[];
  platform?: { os: string; architecture: string; variant?: string };
  refName?: string;
  /** The config's `history`, written as given (left out when undefined). */
  history?: unknown;
}

/** Writes an OCI layout with gzip layers; returns its folder and the image IDs. */
export async function makeLayout(images: TinyImage[], extra: { attestation?: boolean; schema1?: boolean } = {}): Promise<{ dir: string; ids: string[]; blobs: Record<string, Buffer> }> {
  const dir = tempDir('layerlab-oci-');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blobs: Record<string, Buffer> = {};
  const put = (b: Buffer) => {
    const d = sha(b);
    blobs[d] = b;
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const ids: string[] = [];
  const manifests = [];
  for (const img of images) {
    const layers = [];
    const diffIds = [];
    for (const files of img.files) {
      const t = await makeTar(Object.entries(files).map(([name, data]) => ({ name, data })));
      diffIds.push(sha(t));
      const gz = gzipSync(t);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(gz), size: gz.length });
    }
    const config = Buffer.from(JSON.stringify({ created: '2026-01-02T03:04:05Z', os: img.platform?.os ?? 'linux', architecture: img.platform?.architecture ?? 'amd64', rootfs: { type: 'layers', diff_ids: diffIds }, ...(img.history !== undefined ? { history: img.history } : {}) }));
    const configDigest = put(config);
    ids.push(configDigest);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers }));
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: put(manifest),
      size: manifest.length,
      ...(img.platform ? { platform: img.platform } : {}),
      ...(img.refName ? { annotations: { 'org.opencontainers.image.ref.name': img.refName } } : {}),
    });
  }
  if (extra.attestation) {
    const att = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha('x'), size: 1 }, layers: [] }));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(att), size: att.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } });
  }
  if (extra.schema1) {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
    manifests.push({ mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', digest: put(s1), size: s1.length });
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return { dir, ids, blobs };
}
