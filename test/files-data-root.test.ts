// Layer contents from a Docker data root: each layer's tar put back together from its tar-split
// record and its folder (vfs: the layer's whole tree), as moby does for `docker save`, checked
// against its diffID; files and waste then equal what an archive of the same layers gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LayerlabError } from '../src/errors.js';
import { chainIds } from '../src/model/identity.js';
import { scanSourceLayers } from '../src/sources/layer-contents.js';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';
import { makeLayoutFromTars } from './helpers/layout-tars.js';
import { makeTar, sha } from './helpers/oci.js';
import { tempDir } from './helpers/tmp.js';

/** tar-split's record of a tar: raw segments (type 2, base64) and file bodies by name and size (type 1). */
function tarSplit(t: Buffer): Buffer {
  const lines: string[] = [];
  let pos = 0;
  let seg: Buffer[] = [];
  const flush = () => {
    if (seg.length) lines.push(JSON.stringify({ type: 2, payload: Buffer.concat(seg).toString('base64'), position: lines.length }));
    seg = [];
  };
  while (pos < t.length) {
    const h = t.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) {
      seg.push(t.subarray(pos));
      break;
    }
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    seg.push(h);
    flush();
    lines.push(JSON.stringify({ type: 1, name, size, payload: null, position: lines.length }));
    pos += 512;
    const padded = Math.ceil(size / 512) * 512;
    seg.push(t.subarray(pos + size, pos + padded));
    pos += padded;
  }
  flush();
  return gzipSync(lines.join('\n') + '\n');
}

interface FakeLayer {
  tar: Buffer;
  /** The layer's tree as vfs keeps it: every file of the stack up to this layer. */
  tree: Record<string, string>;
}

/** A data root holding one image of the given layers (`tree`: vfs/dir/<cache-id>, or overlay2/<cache-id>/diff). */
function dataRoot(layers: FakeLayer[], driver = 'vfs', history?: unknown): string {
  const root = tempDir('layerlab-root-');
  const img = join(root, 'image', driver);
  const diffIds = layers.map((l) => sha(l.tar));
  const chains = chainIds(diffIds);
  layers.forEach((l, k) => {
    const at = join(img, 'layerdb', 'sha256', chains[k].slice(7));
    mkdirSync(at, { recursive: true });
    const cache = `cache${k}`;
    writeFileSync(join(at, 'diff'), diffIds[k]);
    writeFileSync(join(at, 'size'), '0');
    writeFileSync(join(at, 'cache-id'), cache);
    if (k > 0) writeFileSync(join(at, 'parent'), chains[k - 1]);
    writeFileSync(join(at, 'tar-split.json.gz'), tarSplit(l.tar));
    mkdirSync(driver === 'overlay2' ? join(root, 'overlay2', cache, 'diff') : join(root, 'vfs', 'dir', cache), { recursive: true });
    for (const [p, data] of Object.entries(l.tree)) {
      const file = driver === 'overlay2' ? join(root, 'overlay2', cache, 'diff', p) : join(root, 'vfs', 'dir', cache, p);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, data);
    }
  });
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: diffIds }, ...(history !== undefined ? { history } : {}) }));
  mkdirSync(join(img, 'imagedb', 'content', 'sha256'), { recursive: true });
  writeFileSync(join(img, 'imagedb', 'content', 'sha256', sha(config).slice(7)), config);
  writeFileSync(join(img, 'repositories.json'), JSON.stringify({ Repositories: { app: { 'app:1': sha(config) } } }));
  return root;
}

async function layers(): Promise<FakeLayer[]> {
  const f = (name: string, data: string) => ({ name, data });
  const t0 = await makeTar([f('etc/nginx/nginx.conf', 'c'.repeat(2000)), f('etc/nginx/public', 'p'.repeat(3000))]);
  const t1 = await makeTar([f('etc/nginx/nginx.conf', 'C'.repeat(5000)), f('etc/athing', 'a'.repeat(10000))]);
  const t2 = await makeTar([f('etc/.wh.nginx', '')]);
  return [
    { tar: t0, tree: { 'etc/nginx/nginx.conf': 'c'.repeat(2000), 'etc/nginx/public': 'p'.repeat(3000) } },
    { tar: t1, tree: { 'etc/nginx/nginx.conf': 'C'.repeat(5000), 'etc/nginx/public': 'p'.repeat(3000), 'etc/athing': 'a'.repeat(10000) } },
    { tar: t2, tree: { 'etc/athing': 'a'.repeat(10000) } },
  ];
}

test('data root: layers reassembled from tar-split + vfs folders; files and waste equal the same layers as an OCI layout', async () => {
  const ls = await layers();
  const root = dataRoot(ls);
  const layout = await makeLayoutFromTars(ls.map((l) => l.tar));
  const s = await loadSource(root);
  const facts = await scanSourceLayers(s, () => []);
  assert.deepEqual([...facts.values()].map((f) => f.diffId), ls.map((l) => sha(l.tar)));
  const id = s.graph.images[0].id;
  const w = JSON.parse((await cli('waste', '--format', 'json', root, 'app:1')).stdout).images[0];
  assert.equal(w.efficiency, 0.75);
  assert.equal(w.wastedBytes, 7000);
  const other = JSON.parse((await cli('waste', '--format', 'json', layout)).stdout).images[0];
  assert.deepEqual({ ...w, image: '', id: '' }, { ...other, image: '', id: '' });
  const a = JSON.parse((await cli('files', '--format', 'json', root, id)).stdout);
  const b = JSON.parse((await cli('files', '--format', 'json', layout, id)).stdout);
  assert.deepEqual(a.entries, b.entries);
});

test('data root (overlay2): each layer\'s diff folder holds only its own files; files, waste and dive-json (commands from the history) equal the OCI layout\'s', async () => {
  const ls = await layers();
  // overlay2 keeps what each layer changed; a whiteout is a 0/0 character device the tar-split record already describes.
  const own = [ls[0].tree, { 'etc/nginx/nginx.conf': 'C'.repeat(5000), 'etc/athing': 'a'.repeat(10000) }, {}];
  const history = [{ created_by: '/bin/sh -c #(nop) ADD file:base in / ' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: '/bin/sh -c echo > /etc/nginx/nginx.conf' }, { created_by: 'RUN /bin/sh -c rm -rf /etc/nginx # buildkit' }];
  const root = dataRoot(ls.map((l, k) => ({ tar: l.tar, tree: own[k] })), 'overlay2', history);
  const layout = await makeLayoutFromTars(ls.map((l) => l.tar));
  const other = (await loadSource(layout)).graph.images[0].id;
  for (const argv of [['files', '--format', 'json'], ['files', '--format', 'json', '--layer', '2'], ['waste', '--format', 'json']]) {
    const a = JSON.parse((await cli(...argv, root, 'app:1')).stdout);
    const b = JSON.parse((await cli(...argv, layout, other)).stdout);
    if (argv[0] === 'waste') assert.deepEqual({ ...a.images[0], image: '', id: '' }, { ...b.images[0], image: '', id: '' });
    else assert.deepEqual(a.entries ?? a.changes, b.entries ?? b.changes, argv.join(' '));
  }
  const dive = await cli('waste', '--format', 'dive-json', root, 'app:1');
  assert.equal(dive.code, 0, dive.stderr);
  assert.deepEqual(JSON.parse(dive.stdout).layer.map((l: { command: string; digestId: string }) => [l.command, l.digestId]), [
    ['#(nop) ADD file:base in / ', sha(ls[0].tar)],
    ['echo > /etc/nginx/nginx.conf', sha(ls[1].tar)],
    ['RUN /bin/sh -c rm -rf /etc/nginx # buildkit', sha(ls[2].tar)],
  ]);
});

test('data root: a file changed on disk (same size, shorter), an unknown driver: LayerlabErrors naming the root', async () => {
  const ls = await layers();
  const changed = dataRoot([{ ...ls[0], tree: { ...ls[0].tree, 'etc/nginx/public': 'q'.repeat(3000) } }]);
  const sameSize = await scanSourceLayers(await loadSource(changed), () => []).then(() => undefined, (e: unknown) => e);
  assert.ok(sameSize instanceof LayerlabError && sameSize.code === 'EDIGEST' && sameSize.place.file === changed, String(sameSize));
  const shorter = dataRoot([{ ...ls[0], tree: { ...ls[0].tree, 'etc/nginx/public': 'p' } }]);
  const r = await cli('files', shorter, 'app:1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /"etc\/nginx\/public" is smaller on disk than the 3000 bytes its layer recorded/);
  const btrfs = dataRoot([ls[0]], 'btrfs');
  const b = await cli('waste', btrfs);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /read for the vfs and overlay2 storage drivers, not btrfs/);
});
