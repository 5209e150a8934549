// layerlab files through the CLI: the final tree with providing layers, and one layer's changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from '../src/sources/load.js';
import { cli } from './helpers/cli.js';
import { makeLayout, makeTar } from './helpers/oci.js';

const x = (n: number, c = 'x') => c.repeat(n);
const layout = (async () => {
  const made = await makeLayout([
    {
      files: [
        { 'etc/nginx/nginx.conf': x(2000), 'etc/nginx/public': x(3000, 'p'), 'bin/sh': x(10, 's') },
        { 'etc/nginx/nginx.conf': x(5000), 'etc/athing': x(10, 'a') },
        { 'etc/.wh.nginx': '', 'etc/nginx2/.wh..wh..opq': '', 'etc/nginx2/only': 'o' },
      ],
      refName: 'v1',
    },
  ]);
  return { dir: made.dir, tag: (await loadSource(made.dir)).graph.images[0].repoTags![0] };
})();

test('files: the final tree, each path with its providing layer; JSON schema pinned', async () => {
  const { dir, tag } = await layout;
  const r = await cli('files', '--format', 'json', dir, tag);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['source', 'image', 'path', 'layers', 'totals', 'entries']);
  assert.deepEqual(Object.keys(out.layers[0]), ['position', 'diffId', 'digest', 'size']);
  assert.deepEqual(
    out.entries.map((e: { path: string; layer: number; implicit: boolean }) => `${e.path}@${e.layer}${e.implicit ? '?' : ''}`),
    ['bin@0?', 'bin/sh@0', 'etc@0?', 'etc/athing@1', 'etc/nginx2@2?', 'etc/nginx2/only@2'],
  );
  assert.deepEqual(Object.keys(out.entries[1]), ['path', 'type', 'size', 'mode', 'uid', 'gid', 'layer', 'implicit', 'digest']);
  assert.equal(out.entries[1].mode, '0644');
  assert.deepEqual(out.totals, { paths: 6, files: 3, bytes: 21 });
  const table = (await cli('files', dir, tag)).stdout;
  assert.match(table, /-rw-r--r-- +0:0 +10B +1 +    ├── athing\n/);
  assert.match(table, /6 paths, 3 files, 21B in /);
});

test('files PATH: a subtree; a path not in the image is an input error', async () => {
  const { dir, tag } = await layout;
  const out = JSON.parse((await cli('files', '--format', 'json', dir, tag, '/etc/nginx2')).stdout);
  assert.deepEqual(out.entries.map((e: { path: string }) => e.path), ['etc/nginx2', 'etc/nginx2/only']);
  assert.equal(out.path, 'etc/nginx2');
  const gone = await cli('files', dir, tag, 'etc/nginx');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /"\/etc\/nginx" is not in the image/);
  // PATH resolves as in a shell inside the image: '..' at the root stays there (/../.. is /).
  const escape = await cli('files', '--format', 'json', dir, tag, '../..');
  assert.equal(escape.code, 0, escape.stderr);
  assert.deepEqual(JSON.parse(escape.stdout).entries, JSON.parse((await cli('files', '--format', 'json', dir, tag, '/')).stdout).entries);
});

test('files --layer N: added, modified (content) and removed (whiteout of a directory, with its subtree)', async () => {
  const { dir, tag } = await layout;
  const l1 = JSON.parse((await cli('files', '--format', 'json', '--layer', '1', dir, tag)).stdout);
  assert.deepEqual(Object.keys(l1), ['source', 'image', 'path', 'layer', 'changes', 'summary']);
  assert.deepEqual(l1.changes.map((c: { change: string; path: string }) => `${c.change} ${c.path}`), ['added etc/athing', 'modified etc/nginx/nginx.conf']);
  const conf = l1.changes[1];
  assert.equal(conf.hides.size, 2000);
  assert.equal(conf.size, 5000);
  assert.deepEqual(l1.summary, { added: 1, modified: 1, removed: 0, addedBytes: 10, modifiedBytes: 5000, removedBytes: 0 });
  const l2 = JSON.parse((await cli('files', '--format', 'json', '--layer', '2', dir, tag)).stdout);
  const removed = l2.changes.filter((c: { change: string }) => c.change === 'removed').map((c: { path: string }) => c.path);
  assert.deepEqual(removed, ['etc/nginx', 'etc/nginx/nginx.conf', 'etc/nginx/public']);
  assert.equal(l2.summary.removedBytes, 8000);
  const table = (await cli('files', '--layer', '2', dir, tag)).stdout;
  assert.match(table, /^- +-rw-r--r-- +0:0 +5kB +\/etc\/nginx\/nginx\.conf/m);
  assert.match(table, /^\+ .*\/etc\/nginx2\/only/m);
  const bad = await cli('files', '--layer', '3', dir, tag);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /the image has 3 layer\(s\), 0 to 2/);
});

test('files: a chmod-only and a chown-only layer show as modified with what changed', async () => {
  const body = Buffer.from('#!/bin/sh\n');
  const layers = await Promise.all([
    makeTar([{ header: { name: 'run.sh', size: body.length, mode: 0o644 }, data: body }]),
    makeTar([{ header: { name: 'run.sh', size: body.length, mode: 0o755 }, data: body }]),
    makeTar([{ header: { name: 'run.sh', size: body.length, mode: 0o755, uid: 1000, gid: 1000 }, data: body }]),
  ]);
  const { makeLayoutFromTars } = await import('./helpers/layout-tars.js');
  const dir = await makeLayoutFromTars(layers);
  const id = (await loadSource(dir)).graph.images[0].id;
  const chmod = (await cli('files', '--layer', '1', dir, id)).stdout;
  assert.match(chmod, /~ +-rwxr-xr-x +0:0 +10B +\/run\.sh +mode 0644 -> 0755/);
  const chown = (await cli('files', '--layer', '2', dir, id.slice(7, 19))).stdout;
  assert.match(chown, /~ +-rwxr-xr-x +1000:1000 +10B +\/run\.sh +owner 0:0 -> 1000:1000/);
});

test('files --help and waste --help list only the SOURCE kinds they read layer contents from', async () => {
  for (const cmd of ['files', 'waste']) {
    const r = await cli(cmd, '--help');
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /snapshot file|registry manifests|docker:\/\//, cmd);
    assert.match(r.stdout, /docker save or OCI archive/, cmd);
    assert.match(r.stdout, /OCI layout folder/, cmd);
    assert.match(r.stdout, /Docker data root/, cmd);
    assert.match(r.stdout, /registry:\/\/127\.0\.0\.1:PORT/, cmd);
  }
});

test('files table: names with control or bidi characters are printed Go-%q-quoted; JSON keeps the real names', async () => {
  const made = await makeLayout([{ files: [{ 'a\nb': 'x', 'evil\u202etxt.exe': 'y', 'plain name': 'z', 'tab\there': 'w' }], refName: 'v1' }]);
  const tag = (await loadSource(made.dir)).graph.images[0].repoTags![0];
  const table = (await cli('files', made.dir, tag)).stdout;
  assert.match(table, /── "a\\nb"\n/);
  assert.match(table, /── "evil\\u202etxt\.exe"\n/);
  assert.match(table, /── "tab\\there"\n/);
  assert.match(table, /── plain name\n/);
  assert.doesNotMatch(table, /\u202e|a\nb/);
  const json = JSON.parse((await cli('files', '--format', 'json', made.dir, tag)).stdout);
  assert.deepEqual(json.entries.map((e: { path: string }) => e.path).sort(), ['a\nb', 'evil\u202etxt.exe', 'plain name', 'tab\there']);
});
