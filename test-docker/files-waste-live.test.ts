// Conformance: `layerlab files` and `layerlab waste` on images a sandboxed dockerd built with
// copies, chmods, chowns, moves, deletes, a directory replaced by a file, a directory emptied and
// recreated, hard and symbolic links - checked against (1) the container's own view of its files
// and (2) an independent brute-force computation over the layer tars of `docker save`, written
// here from the OCI image-spec's whiteout rules and dive's definitions, sharing no code with
// layerlab. Never skips: if the daemon cannot start, every test fails with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import tar from 'tar-stream';
import { cli as layerlab } from '../test/helpers/cli.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { buildIn, bytes, withBusyboxContext } from './helpers/build-context.js';

let sb: Sandbox;
let work: string;
let archive: string;

const SH = (cmd: string) => `RUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(cmd)}]`;

/** Each layer changes files in a way a student should see: copy, chmod, chown, move, delete, replace, opaque-style recreate, links. */
const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'COPY tree/ /data/',
  SH('/bin/busybox chmod 600 /data/keep.txt && /bin/busybox chown 1000:100 /data/own.txt'),
  SH('cd /data && /bin/busybox mv mv-me moved && /bin/busybox rm big.bin && /bin/busybox rm -rf opq && /bin/busybox mkdir opq && echo new > opq/c && /bin/busybox rm -rf replace && echo file > replace && /bin/busybox ln keep.txt hard && /bin/busybox ln -s keep.txt sym'),
  'COPY big.bin /data/big2.bin',
  SH('/bin/busybox cp /data/dir/x /data/dir/x-copy && /bin/busybox rm /data/dir/y'),
  'COPY tree/keep.txt /data/keep.txt',
].join('\n');

function buildImage(): void {
  withBusyboxContext((ctx) => {
    mkdirSync(join(ctx, 'tree', 'dir'), { recursive: true });
    mkdirSync(join(ctx, 'tree', 'opq'));
    mkdirSync(join(ctx, 'tree', 'replace'));
    const put = (p: string, b: Buffer | string) => writeFileSync(join(ctx, 'tree', p), b);
    put('keep.txt', 'keep me\n');
    put('own.txt', bytes(1, 3000));
    put('mv-me', bytes(2, 5000));
    put('dir/x', bytes(3, 7000));
    put('dir/y', bytes(4, 1100));
    put('opq/a', bytes(5, 900));
    put('opq/b', bytes(6, 800));
    put('replace/child', bytes(7, 1300));
    writeFileSync(join(ctx, 'big.bin'), bytes(8, 64 * 1024));
    put('big.bin', bytes(8, 64 * 1024));
    buildIn(sb, ctx, ['waste:1'], DOCKERFILE, ['--network', 'none']);
  });
  sb.docker(['save', '-o', archive, 'waste:1']);
}

/** One tar entry as the brute force keeps it. */
interface Raw {
  path: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  digest?: string;
}

/** Every layer tar of the archive (manifest.json order), each as its list of entries. */
async function layersOf(file: string): Promise<Raw[][]> {
  const files = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => void chunks.push(c as Buffer));
      body.on('end', () => {
        files.set(h.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        if (h.type === 'symlink') files.set(h.name, files.get(join(h.name, '..', h.linkname!)) ?? Buffer.alloc(0));
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(readFileSync(file));
  await done;
  const manifest = JSON.parse(files.get('manifest.json')!.toString());
  const out: Raw[][] = [];
  for (const name of manifest[0].Layers as string[]) out.push(await entriesOf(files.get(name)!));
  return out;
}

async function entriesOf(layer: Buffer): Promise<Raw[]> {
  const out: Raw[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, body, next) => {
      const hash = createHash('sha256');
      body.on('data', (c: unknown) => void hash.update(c as Buffer));
      body.on('end', () => {
        const path = h.name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
        if (path !== '') out.push({ path, type: h.type!, size: h.size ?? 0, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, ...(h.linkname ? { linkname: h.linkname } : {}), ...(h.type === 'file' ? { digest: 'sha256:' + hash.digest('hex') } : {}) });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(layer);
  await done;
  return out;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join2 = (d: string, n: string) => (d ? `${d}/${n}` : n);
const dropTree = (m: Map<string, unknown>, p: string) => {
  for (const k of [...m.keys()]) if (k === p || k.startsWith(p + '/')) m.delete(k);
};

/** The image-spec's "Applying Changesets", naively: whiteouts and opaque markers first, then entries in order. */
function applyNaively(layers: Raw[][]): Map<string, Raw & { layer: number }> {
  const fs = new Map<string, Raw & { layer: number }>();
  layers.forEach((entries, layer) => {
    for (const e of entries) {
      if (base(e.path) === '.wh..wh..opq') for (const k of [...fs.keys()]) if (k.startsWith(dirOf(e.path) + '/')) fs.delete(k);
    }
    for (const e of entries) if (base(e.path).startsWith('.wh.') && base(e.path) !== '.wh..wh..opq') dropTree(fs, join2(dirOf(e.path), base(e.path).slice(4)));
    for (const e of entries) {
      if (base(e.path).startsWith('.wh.')) continue;
      const old = fs.get(e.path);
      if (!(old?.type === 'directory' && e.type === 'directory')) dropTree(fs, e.path);
      const row = { ...e, layer };
      if (e.type === 'link') {
        const t = fs.get(e.linkname!.replace(/^\/+/, ''));
        if (t) Object.assign(row, { digest: t.digest, size: t.size });
      }
      fs.set(e.path, row);
    }
  });
  return fs;
}

/** dive's numbers by their definitions, written directly over the layer entry lists. */
function diveNumbers(layers: Raw[][]): { efficiency: number; wasted: number; sizes: number[]; files: Map<string, { count: number; size: number }> } {
  const stacked = new Map<string, { size: number; isDir: boolean }>();
  const per = new Map<string, { count: number; size: number; min: number }>();
  const treeOf = (entries: Raw[]) => {
    const t = new Map<string, { size: number; isDir: boolean }>();
    for (const e of entries) {
      if (base(e.path) === '.wh..wh..opq') continue;
      for (let d = dirOf(e.path); d !== ''; d = dirOf(d)) if (!t.has(d)) t.set(d, { size: 0, isDir: false });
      t.set(e.path, { size: e.type === 'link' ? 0 : e.size, isDir: e.type === 'directory' });
    }
    return t;
  };
  layers.forEach((entries, idx) => {
    if (idx > 0) {
      // Child first, as dive stacks: deeper paths before their parents.
      const prev = [...treeOf(layers[idx - 1])].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
      for (const [p, v] of prev) {
        if (base(p).startsWith('.wh.')) dropTree(stacked, join2(dirOf(p), base(p).slice(4)));
        else stacked.set(p, v);
      }
    } else for (const [p, v] of treeOf(entries)) stacked.set(p, v);
    const tree = treeOf(entries);
    for (const [p, v] of tree) {
      if ([...tree.keys()].some((k) => k.startsWith(p + '/'))) continue; // not a leaf
      const wh = base(p).startsWith('.wh.');
      const key = wh ? join2(dirOf(p), base(p).slice(4)) : p;
      let size = v.size;
      if (wh) {
        const lower = stacked.get(key);
        size = lower?.isDir ? [...stacked].filter(([k]) => k === key || k.startsWith(key + '/')).reduce((s, [, x]) => s + x.size, 0) : 0;
      }
      const d = per.get('/' + key) ?? { count: 0, size: 0, min: Infinity };
      d.count++;
      d.size += size;
      d.min = Math.min(d.min, size);
      per.set('/' + key, d);
    }
  });
  let min = 0;
  let all = 0;
  let wasted = 0;
  const files = new Map<string, { count: number; size: number }>();
  for (const [k, d] of per) {
    min += d.min;
    all += d.size;
    if (d.count > 1) {
      wasted += d.size;
      files.set(k, { count: d.count, size: d.size });
    }
  }
  return { efficiency: all === 0 ? 1 : min / all, wasted, sizes: layers.map((l) => l.reduce((s, e) => s + e.size, 0)), files };
}

// Every check runs on a vfs and on an overlay2 daemon: overlay2 keeps a layer's own files in
// overlay2/<cache-id>/diff, whiteouts as 0/0 character devices and opaque directories as an xattr.
for (const driver of ['vfs', 'overlay2'] as const) describe(`layerlab files and waste against docker save and the container itself (${driver})`, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'layerlab-fw-'));
    archive = join(work, 'waste.tar');
    sb = await startDockerd({ storageDriver: driver });
    assert.equal((await sb.api<{ Driver: string }>('/info')).Driver, driver);
    buildImage();
  });
  after(async () => {
    await sb?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('files: the final tree equals the layers applied naively, path by path (type, size, mode, owner, link, providing layer)', async () => {
    const layers = await layersOf(archive);
    assert.equal(layers.length, 7);
    const whiteouts = layers.flat().filter((e) => base(e.path).startsWith('.wh.')).map((e) => e.path);
    for (const p of ['data/.wh.mv-me', 'data/.wh.big.bin', 'data/dir/.wh.y']) assert.ok(whiteouts.includes(p), `${p} in ${whiteouts.join(' ')}`);
    const want = applyNaively(layers);
    const r = await layerlab('files', '--format', 'json', archive, 'waste:1');
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout).entries as { path: string; type: string; size: number; mode: string; uid: number; gid: number; layer: number; implicit: boolean; linkTarget?: string; digest?: string }[];
    const typeName: Record<string, string> = { file: 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink' };
    const explicit = got.filter((e) => !e.implicit);
    assert.deepEqual(explicit.map((e) => e.path).sort(), [...want.keys()].sort());
    for (const e of explicit) {
      const w = want.get(e.path)!;
      assert.deepEqual(
        { type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, layer: e.layer, digest: e.digest, size: e.type === 'file' || e.type === 'hardlink' ? e.size : 0 },
        { type: typeName[w.type], mode: w.mode.toString(8).padStart(4, '0'), uid: w.uid, gid: w.gid, layer: w.layer, digest: w.digest, size: w.type === 'file' || w.type === 'link' ? w.size : 0 },
        e.path,
      );
    }
    // The scenario did what it says: moved, deleted, replaced, recreated, chmod, chown, links.
    const at = (p: string) => got.find((e) => e.path === p);
    assert.equal(at('data/mv-me'), undefined);
    assert.equal(at('data/big.bin'), undefined);
    assert.equal(at('data/dir/y'), undefined);
    assert.equal(at('data/opq/a'), undefined);
    assert.equal(at('data/replace')?.type, 'file');
    assert.equal(at('data/own.txt')?.uid, 1000);
    // docker's tar writer emits the first name of a hard-linked pair as the file, the next as the link.
    assert.ok(got.some((e) => e.type === 'hardlink') || at('data/hard')?.digest === createHash('sha256').update('keep me\n').digest('hex').replace(/^/, 'sha256:'));
    assert.equal(at('data/sym')?.linkTarget, 'keep.txt');
    assert.equal(at('data/keep.txt')?.mode, '0644'); // copied again over the chmod 600
  });

  test('files: what the container sees under /data (find + stat inside it) is the listing', async () => {
    const run = sb.docker(['run', '--rm', '--network', 'none', 'waste:1', '/bin/busybox', 'find', '/data', '-exec', '/bin/busybox', 'stat', '-c', '%n|%s|%a|%u|%g|%F', '{}', ';']);
    const theirs = run.stdout.trim().split('\n').map((l) => l.split('|')).map(([n, s, a, u, g, f]) => ({ path: n.slice(1), size: Number(s), mode: Number.parseInt(a, 8), uid: Number(u), gid: Number(g), kind: f }));
    const r = await layerlab('files', '--format', 'json', archive, 'waste:1', '/data');
    const ours = JSON.parse(r.stdout).entries as { path: string; type: string; size: number; mode: string; uid: number; gid: number }[];
    assert.deepEqual(ours.map((e) => e.path).sort(), theirs.map((e) => e.path).sort());
    const kind: Record<string, string> = { 'regular file': 'file', 'regular empty file': 'file', directory: 'dir', 'symbolic link': 'symlink' };
    for (const t of theirs) {
      const o = ours.find((e) => e.path === t.path)!;
      assert.equal(o.type === 'hardlink' ? 'file' : o.type, kind[t.kind], t.path);
      if (t.kind !== 'symbolic link') assert.equal(parseInt(o.mode, 8), t.mode, `${t.path} mode`);
      assert.equal(o.uid, t.uid, `${t.path} uid`);
      assert.equal(o.gid, t.gid, `${t.path} gid`);
      if (o.type === 'file' || o.type === 'hardlink') assert.equal(o.size, t.size, `${t.path} size`);
    }
  });

  test('files --layer N: each layer\'s changes are its tar entries seen against the tree below', async () => {
    const layers = await layersOf(archive);
    for (let n = 1; n < layers.length; n++) {
      const r = await layerlab('files', '--format', 'json', '--layer', String(n), archive, 'waste:1');
      assert.equal(r.code, 0, r.stderr);
      const changes = JSON.parse(r.stdout).changes as { path: string; change: string }[];
      const before = applyNaively(layers.slice(0, n));
      const after = applyNaively(layers.slice(0, n + 1));
      const removed = [...before.keys()].filter((k) => !after.has(k)).sort();
      const added = [...after.keys()].filter((k) => !before.has(k)).sort();
      const pick = (c: string) => changes.filter((x) => x.change === c).map((x) => x.path).filter((p) => before.has(p) || after.has(p)).sort();
      assert.deepEqual(pick('removed'), removed, `layer ${n} removed`);
      assert.deepEqual(pick('added'), added, `layer ${n} added`);
    }
  });

  test('waste: efficiency, wasted bytes, user wasted percent and inefficient files equal the direct formulas', async () => {
    const layers = await layersOf(archive);
    const want = diveNumbers(layers);
    const r = await layerlab('waste', '--format', 'json', archive, 'waste:1');
    assert.equal(r.code, 0, r.stderr);
    const w = JSON.parse(r.stdout).images[0];
    assert.ok(Math.abs(w.efficiency - want.efficiency) < 1e-12, `${w.efficiency} vs ${want.efficiency}`);
    assert.equal(w.wastedBytes, want.wasted);
    assert.equal(w.sizeBytes, want.sizes.reduce((a, b) => a + b, 0));
    assert.equal(w.userSizeBytes, want.sizes.slice(1).reduce((a, b) => a + b, 0));
    assert.equal(w.wastedUserPercent, want.wasted / w.userSizeBytes);
    assert.deepEqual(new Map(w.inefficiencies.map((f: { file: string; count: number; sizeBytes: number }) => [f.file, { count: f.count, size: f.sizeBytes }])), want.files);
    for (let k = 1; k < w.inefficiencies.length; k++) assert.ok(w.inefficiencies[k - 1].sizeBytes >= w.inefficiencies[k].sizeBytes, 'largest first');
    // The scenario wastes what it should: the chmod/chown copies, big.bin deleted, keep.txt copied again.
    for (const p of ['/data/keep.txt', '/data/own.txt', '/data/big.bin']) assert.ok(want.files.has(p), p);
    const ci = await layerlab('waste', '--ci', '--lowest-efficiency', '0.99', archive, 'waste:1');
    assert.equal(ci.code, 1);
    assert.match(ci.stdout, /FAIL: lowestEfficiency: image efficiency is too low/);
  });

  test('waste across images: duplicate files by content over the distinct layers (big2.bin copies big.bin, x-copy copies x)', async () => {
    const layers = await layersOf(archive);
    const files = layers.flat().filter((e) => e.type === 'file' && !base(e.path).startsWith('.wh.'));
    const unique = new Map(files.map((e) => [e.digest, e.size]));
    const r = await layerlab('waste', '--format', 'json', archive);
    const a = JSON.parse(r.stdout).acrossImages;
    assert.equal(a.logicalFiles, files.length);
    assert.equal(a.logicalBytes, files.reduce((s, e) => s + e.size, 0));
    assert.equal(a.uniqueFiles, unique.size);
    assert.equal(a.uniqueBytes, [...unique.values()].reduce((s, n) => s + n, 0));
    assert.ok(a.uniqueFiles < a.logicalFiles);
  });

  test(`data root (${driver}): each layer put back together from tar-split and its folder hashes to its diffID; files, waste and dive-json equal the archive's`, async () => {
    const root = join(sb.dir, 'root');
    const layers = (await layersOf(archive)).length;
    const perLayer = Array.from({ length: layers }, (_, n) => ['files', '--format', 'json', '--layer', String(n)]);
    for (const argv of [['files', '--format', 'json'], ...perLayer, ['waste', '--format', 'json'], ['waste', '--format', 'dive-json']]) {
      const fromRoot = await layerlab(...argv, root, 'waste:1');
      assert.equal(fromRoot.code, 0, fromRoot.stderr);
      const fromArchive = await layerlab(...argv, archive, 'waste:1');
      const a = JSON.parse(fromRoot.stdout);
      const b = JSON.parse(fromArchive.stdout);
      if (argv.includes('dive-json')) {
        // dive's layer id is where a layer sits in an archive; the rest is the same image.
        const strip = (d: { layer: { id: string }[] }) => ({ ...d, layer: d.layer.map(({ id: _id, ...l }) => l) });
        assert.deepEqual(strip(a), strip(b));
        // The commands are the config's history, in order (every step of this build makes a layer).
        const untar = (name: string) => spawnSync('tar', ['-xOf', archive, name], { encoding: 'utf8' }).stdout;
        const config = JSON.parse(untar(JSON.parse(untar('manifest.json'))[0].Config)) as { history: { created_by: string; empty_layer?: boolean }[] };
        assert.equal(config.history.filter((h) => !h.empty_layer).length, layers);
        assert.deepEqual(a.layer.map((l: { command: string }) => l.command), config.history.map((h) => h.created_by.replace(/^\/bin\/sh -c /, '')));
        assert.equal(a.layer[2].command, '/bin/busybox sh -c /bin/busybox chmod 600 /data/keep.txt && /bin/busybox chown 1000:100 /data/own.txt');
        assert.match(a.layer[1].command, /^#\(nop\) COPY dir:[0-9a-f]{64} in \/data\/ $/);
      } else if (argv[0] === 'waste') assert.deepEqual(a.images, b.images);
      else assert.deepEqual(a.entries ?? a.changes, b.entries ?? b.changes, argv.join(' '));
    }
    // dedup over the contents: the data root's layers give the archive's rows (a data root keeps no compressed blobs, so no blob row).
    const dedup = ['dedup', '--level', 'layer', '--level', 'file', '--level', 'chunk', '--algo', 'fastcdc2020:avg=8k', '--no-compress', '--format', 'json'];
    const rows = async (src: string) => {
      const r = await layerlab(...dedup, src);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout).rows as { key: string; mode?: string; logicalBytes: number; storedBytes: number; units: number; distinctUnits: number }[])
        .filter((x) => x.key !== 'blob')
        .map(({ key, mode, logicalBytes, storedBytes, units, distinctUnits }) => ({ key, mode, logicalBytes, storedBytes, units, distinctUnits }));
    };
    const [fromRoot, fromArchive] = [await rows(root), await rows(archive)];
    assert.deepEqual(fromRoot, fromArchive);
    assert.ok(fromRoot.some((x) => x.key === 'file') && fromRoot.some((x) => x.mode === 'stream'));
  });

  test(`data root (${driver}): the layer folders hold the driver's own form of deletes, which the tar-split record turns back into .wh. entries`, () => {
    const root = join(sb.dir, 'root');
    if (driver === 'vfs') {
      // vfs keeps each layer's whole tree: nothing marks a delete on disk.
      assert.equal(spawnSync('find', [join(root, 'vfs', 'dir'), '-type', 'c'], { encoding: 'utf8' }).stdout.trim(), '');
      return;
    }
    const devices = spawnSync('find', [join(root, 'overlay2'), '-path', '*/diff/*', '-type', 'c', '-printf', '%P %s\\n'], { encoding: 'utf8' }).stdout.trim().split('\n');
    for (const name of ['data/mv-me', 'data/big.bin', 'data/dir/y']) assert.ok(devices.some((d) => d.endsWith(`/diff/${name} 0`)), `${name} as a character device in ${devices.join(', ')}`);
    const script = [
      'import glob, os, sys',
      'out = []',
      "for p in glob.glob(sys.argv[1] + '/*/diff/**/', recursive=True):",
      "  rel = p.split('/diff/', 1)[1]",
      "  if rel and 'trusted.overlay.opaque' in os.listxattr(p) and os.getxattr(p, 'trusted.overlay.opaque') == b'y': out.append(rel)",
      'print(sorted(out))',
    ].join('\n');
    const opaque = spawnSync('python3', ['-c', script, join(root, 'overlay2')], { encoding: 'utf8' });
    assert.equal(opaque.status, 0, opaque.stderr);
    assert.match(opaque.stdout, /'data\/opq\/'/);
  });
});
