// Writes fixtures/waste/app.oci.tar: a small OCI archive (gzip layers) whose layers copy over,
// chmod/chown, delete (a whiteout of a directory) and hide (an opaque directory) files, for the
// README's `files` and `waste` examples and their tests. Layer 0 and 1 of app:1 are dive's own
// unit vector (efficiency_test.go: 2000 then 5000 bytes for one path, then a whiteout of its
// directory: efficiency 0.75); app:2 shares the base and copies a file's bytes to another path.
// Deterministic: fixed mtimes, owners and modes; run: node --import tsx scripts/make-waste-fixture.ts
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

type Entry = { name: string; data?: string | Buffer; type?: tar.Header['type']; mode?: number; uid?: number; gid?: number; linkname?: string };
const mtime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const type = e.type ?? 'file';
    const header = { name: e.name, type, size: type === 'file' ? data.length : 0, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime, ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (type === 'file') pack.entry(header, data);
    else pack.entry(header, '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const x = (n: number, c: string) => c.repeat(n);
const TOOL = x(4000, 't');
const dir = (name: string): Entry => ({ name, type: 'directory' });
const base = await tarOf([
  dir('etc/'), dir('etc/nginx/'), { name: 'etc/nginx/nginx.conf', data: x(2000, 'c') }, { name: 'etc/nginx/public', data: x(3000, 'p') },
  dir('usr/'), dir('usr/bin/'), { name: 'usr/bin/tool', data: TOOL, mode: 0o755 },
  dir('var/'), dir('var/cache/'), { name: 'var/cache/old', data: x(600, 'o') },
]);
const update = await tarOf([
  dir('etc/'), dir('etc/nginx/'), { name: 'etc/nginx/nginx.conf', data: x(5000, 'C') }, { name: 'etc/athing', data: x(10000, 'a') },
  dir('usr/'), dir('usr/bin/'), { name: 'usr/bin/tool', data: TOOL, mode: 0o700, uid: 1000, gid: 1000 },
]);
const cleanup = await tarOf([
  dir('etc/'), { name: 'etc/.wh.nginx' },
  dir('var/'), dir('var/cache/'), { name: 'var/cache/.wh..wh..opq' }, { name: 'var/cache/new', data: x(100, 'n') },
  dir('usr/'), dir('usr/bin/'), { name: 'usr/bin/run', type: 'symlink', linkname: 'tool', mode: 0o777 },
]);
const other = await tarOf([dir('srv/'), { name: 'srv/copy.conf', data: x(2000, 'c') }, { name: 'srv/tool', type: 'link', linkname: 'usr/bin/tool' }]);

const blobs = new Map<string, Buffer>();
const put = (b: Buffer) => (blobs.set(sha(b), b), sha(b));
function image(ref: string, layers: Buffer[], history: string[]) {
  const gz = layers.map((l) => gzipSync(l, { level: 9 }));
  const config = Buffer.from(JSON.stringify({ created: '2026-01-02T03:04:05Z', architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map(sha) }, history: history.map((h) => ({ created: '2026-01-02T03:04:05Z', created_by: h })) }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
    layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(g), size: g.length })),
  }));
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': ref } };
}
const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
  image('app:1', [base, update, cleanup], ['COPY base /', 'COPY nginx.conf athing / && chmod 700 /usr/bin/tool && chown 1000:1000 /usr/bin/tool', 'RUN rm -rf /etc/nginx /var/cache && mkdir /var/cache && ...']),
  image('app:2', [base, other], ['COPY base /', 'COPY copy.conf /srv/ && ln /usr/bin/tool /srv/tool']),
] };
const out = tar.pack();
const chunks: Buffer[] = [];
out.on('data', (c: unknown) => void chunks.push(c as Buffer));
const done = new Promise<void>((r) => out.on('end', () => r()));
const file = (name: string, b: Buffer) => out.entry({ name, size: b.length, mode: 0o644, mtime }, b);
file('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
file('index.json', Buffer.from(JSON.stringify(index)));
for (const [d, b] of [...blobs].sort()) file(`blobs/sha256/${d.slice(7)}`, b);
out.finalize();
await done;
writeFileSync('fixtures/waste/app.oci.tar', Buffer.concat(chunks));
console.log(`fixtures/waste/app.oci.tar: ${Buffer.concat(chunks).length} bytes, ${blobs.size} blobs`);
