// A dedup corpus no one here wrote: consecutive versions of large, popular npm packages, fetched
// with `npm pack`, each packed as an image layer over one shared base layer (the npm CLI, as a
// node image has it), one OCI layout per package: a version series like a repository's tags.
// Deterministic: entries sorted, fixed mtime/uid/gid/modes, gzip with node:zlib at level 6 and no
// header timestamp, no `created` in configs; the same inputs give the same digests every run.
// Downloads are kept in the cache folder (.cache/, out of git).
//
//   node --import tsx scripts/make-npm-corpus.ts [--out DIR] [--cache DIR] [--series NAME]...
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** One package's version series. */
export interface Series {
  name: string;
  versions: string[];
}

/** Consecutive releases (checked with `npm view NAME versions`). */
export const SERIES: Series[] = [
  { name: 'typescript', versions: ['5.4.2', '5.4.3', '5.4.4', '5.4.5'] },
  { name: '@types/node', versions: ['20.11.20', '20.11.21', '20.11.22', '20.11.23', '20.11.24'] },
  { name: 'eslint', versions: ['8.54.0', '8.55.0', '8.56.0', '8.57.0'] },
];

/** The shared base layer: the npm CLI where a node image keeps it. */
export const BASE = { name: 'npm', version: '10.5.0', prefix: 'usr/local/lib/node_modules/npm' };

const MTIME = new Date(Date.UTC(2000, 0, 1));
const GZIP_LEVEL = 6;

/** Fetches NAME@VERSION's tarball into `cache` with `npm pack` unless it is there; returns its path. */
export function fetchPackage(name: string, version: string, cache: string): string {
  const file = join(cache, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(cache, { recursive: true });
  const tmp = join(cache, `.partial-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const out = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = (JSON.parse(out) as { filename: string }[])[0].filename.replace(/^@/, '').replace('/', '-');
    renameSync(join(tmp, packed), file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

interface FileEntry {
  path: string;
  mode: number;
  body: Buffer;
}

/** The files of an npm tarball (under its `package/` folder), in memory: packages are tens of MB. */
async function filesOf(tgz: string): Promise<FileEntry[]> {
  const extract = tar.extract();
  const files: FileEntry[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (entry.header.type !== 'file') continue;
      const path = entry.header.name.replace(/^[^/]+\//, '');
      files.push({ path, mode: (entry.header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644, body: Buffer.concat(chunks) });
    }
  })();
  extract.end(gunzipSync(readFileSync(tgz)));
  await done;
  return files;
}

/** A layer tar of `files` under `prefix`: parent directories added, everything sorted, fixed metadata. */
async function layerTar(files: FileEntry[], prefix: string): Promise<Buffer> {
  const entries = new Map<string, FileEntry | undefined>();
  for (const f of files) {
    const full = `${prefix}/${f.path}`;
    const parts = full.split('/');
    for (let i = 1; i < parts.length; i++) entries.set(parts.slice(0, i).join('/'), undefined);
    entries.set(full, f);
  }
  const pack = tar.pack();
  const out: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) out.push(c as Buffer);
  })();
  for (const name of [...entries.keys()].sort()) {
    const f = entries.get(name);
    const common = { mtime: MTIME, uid: 0, gid: 0, uname: '', gname: '' };
    if (f) pack.entry({ ...common, name, type: 'file', mode: f.mode, size: f.body.length }, f.body);
    else pack.entry({ ...common, name: name + '/', type: 'directory', mode: 0o755 });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(out);
}

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Writes a blob into the layout; returns its descriptor. */
function blob(dir: string, bytes: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } {
  const digest = sha(bytes);
  const path = join(dir, 'blobs', 'sha256', digest.slice(7));
  if (!existsSync(path)) writeFileSync(path, bytes);
  return { mediaType, digest, size: bytes.length };
}

interface Layer {
  gz: Buffer;
  diffId: string;
}

async function makeLayer(tgz: string, prefix: string): Promise<Layer> {
  const plain = await layerTar(await filesOf(tgz), prefix);
  return { gz: gzipSync(plain, { level: GZIP_LEVEL }), diffId: sha(plain) };
}

/** Writes one OCI layout for a series: one image per version, tagged `npm-corpus/NAME:VERSION`. */
export async function writeSeriesLayout(dir: string, series: Series, cache: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const base = await makeLayer(fetchPackage(BASE.name, BASE.version, cache), BASE.prefix);
  const manifests = [];
  for (const version of series.versions) {
    const app = await makeLayer(fetchPackage(series.name, version, cache), `app/node_modules/${series.name}`);
    const layers = [base, app];
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/app' },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [{ created_by: `npm pack ${BASE.name}@${BASE.version}` }, { created_by: `npm pack ${series.name}@${version}` }],
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: blob(dir, Buffer.from(config), 'application/vnd.oci.image.config.v1+json'),
      layers: layers.map((l) => blob(dir, l.gz, 'application/vnd.oci.image.layer.v1.tar+gzip')),
    });
    const desc = blob(dir, Buffer.from(manifest), 'application/vnd.oci.image.manifest.v1+json');
    const repo = `npm-corpus/${series.name.replace('@', '').replace('/', '-')}`;
    manifests.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': `${repo}:${version}` } });
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

/** The folder name of a series' layout. */
export const layoutName = (s: Series) => s.name.replace('@', '').replace('/', '-');

/** Makes the corpus: one layout per series under `out`; returns the layout folders. */
export async function makeNpmCorpus(out: string, cache: string, series: Series[] = SERIES): Promise<string[]> {
  const dirs: string[] = [];
  for (const s of series) {
    const dir = join(out, layoutName(s));
    await writeSeriesLayout(dir, s, cache);
    dirs.push(dir);
  }
  return dirs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (flag: string, dflt: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const names = args.flatMap((a, i) => (args[i - 1] === '--series' ? [a] : []));
  const chosen = names.length ? SERIES.filter((s) => names.includes(s.name)) : SERIES;
  const cache = value('--cache', '.cache/npm-corpus/tarballs');
  const dirs = await makeNpmCorpus(value('--out', '.cache/npm-corpus/layouts'), cache, chosen);
  for (const d of dirs) process.stdout.write(d + '\n');
}
