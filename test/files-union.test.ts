import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChainTrie } from '../src/model/chain-trie.js';
import { layerFilesOf, normalisePath, type LayerFiles, type RawEntry, FILE_TYPES, KIND_ENTRY, KIND_OPAQUE, KIND_WHITEOUT } from '../src/model/files.js';
import { applyLayer, ChainViews, layerChanges, listUnion, lookup, pathHistory, unionOf, type UnionRow } from '../src/analyze/union.js';
import { isLayerlabError } from '../src/errors.js';

// ---- the brute-force reference: one flat map of full paths, layers applied in order, entry by entry ----
interface Rec {
  row: UnionRow;
}
type Tree = Map<string, Rec>;

function under(p: string, q: string): boolean {
  return p === '' ? true : q === p || q.startsWith(p + '/');
}
function dropSubtree(t: Tree, p: string): void {
  for (const k of [...t.keys()]) if (under(p, k)) t.delete(k);
}
function ensureDirs(t: Tree, parts: string[], depth: number): void {
  for (let i = 1; i <= parts.length; i++) {
    const q = parts.slice(0, i).join('/');
    const r = t.get(q);
    if (r && r.row.type === 'dir') continue;
    dropSubtree(t, q);
    t.set(q, { row: { path: q, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, layer: depth, implicit: true } });
  }
}
function bruteApply(t: Tree, l: LayerFiles, depth: number): void {
  for (let i = 0; i < l.count; i++) {
    if (l.kind[i] !== KIND_OPAQUE) continue;
    const parts = l.path[i] === '' ? [] : l.path[i].split('/');
    ensureDirs(t, parts, depth);
    for (const k of [...t.keys()]) if (k !== l.path[i] && under(l.path[i], k)) t.delete(k);
  }
  for (let i = 0; i < l.count; i++) if (l.kind[i] === KIND_WHITEOUT && t.has(l.path[i])) dropSubtree(t, l.path[i]);
  for (let i = 0; i < l.count; i++) {
    if (l.kind[i] !== KIND_ENTRY) continue;
    const p = l.path[i];
    const parts = p.split('/');
    ensureDirs(t, parts.slice(0, -1), depth);
    const type = FILE_TYPES[l.type[i]];
    const old = t.get(p);
    if (!(type === 'dir' && old?.row.type === 'dir')) dropSubtree(t, p);
    const row: UnionRow = { path: p, type, size: l.size[i], mode: l.mode[i], uid: l.uid[i], gid: l.gid[i], layer: depth, implicit: false };
    if (l.link[i] !== undefined) row.linkTarget = l.link[i];
    if (type === 'file' && l.digest[i] !== undefined) row.digest = l.digest[i];
    if (type === 'hardlink') {
      const target = t.get(l.link[i]!);
      if (!target) throw new Error('hard link target missing: docker load refuses the layer');
      row.size = 0;
      if (target && (target.row.type === 'file' || target.row.type === 'hardlink')) {
        row.size = target.row.size;
        if (target.row.digest !== undefined) row.digest = target.row.digest;
      }
    }
    t.set(p, { row });
  }
}
function brute(layers: LayerFiles[]): Tree {
  const t: Tree = new Map();
  layers.forEach((l, d) => bruteApply(t, l, d));
  return t;
}
const byPath = (a: UnionRow, b: UnionRow) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
function rowsOf(t: Tree): UnionRow[] {
  return [...t.values()].map((r) => r.row).sort(byPath);
}

// ---- generators: few names, so paths collide, shadow and get deleted often ----
const name = fc.constantFrom('a', 'b', 'c');
const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
const digest = fc.constantFrom('sha256:' + '1'.repeat(64), 'sha256:' + '2'.repeat(64), 'sha256:' + '3'.repeat(64));
const entry: fc.Arbitrary<RawEntry> = fc.oneof(
  fc.record({ name: path, type: fc.constant('file' as const), size: fc.nat(5000), mode: fc.constantFrom(0o644, 0o755), digest, uid: fc.constantFrom(0, 1000) }),
  fc.record({ name: path.map((p) => p + '/'), type: fc.constant('dir' as const), mode: fc.constantFrom(0o755, 0o700) }),
  fc.record({ name: path, type: fc.constant('symlink' as const), linkTarget: path }),
  fc.record({ name: path, type: fc.constant('hardlink' as const), linkTarget: path }),
  fc.record({ name: path, type: fc.constant('fifo' as const) }),
  path.map((p) => {
    const parts = p.split('/');
    parts[parts.length - 1] = '.wh.' + parts[parts.length - 1];
    return { name: './' + parts.join('/'), type: 'file' as const, size: 0 };
  }),
  fc.oneof(fc.constant(''), path.map((p) => p + '/')).map((d) => ({ name: d + '.wh..wh..opq', type: 'file' as const, size: 0 })),
);
const layer = fc.array(entry, { maxLength: 8 }).map((es) => layerFilesOf(es));
const stack = fc.array(layer, { minLength: 1, maxLength: 6 });
/** Stacks docker load accepts: every hard link finds its target. */
const loadable = (layers: LayerFiles[]) => {
  try {
    brute(layers);
    return true;
  } catch {
    return false;
  }
};
const loadableStack = stack.filter(loadable);

test('union: the view of a stack equals extracting its layers in order (brute force)', () => {
  fc.assert(
    fc.property(stack, (layers) => {
      if (!loadable(layers)) return void assert.throws(() => unionOf(layers), /no such file or directory/);
      const v = unionOf(layers)!;
      assert.deepEqual(listUnion(v).sort(byPath), rowsOf(brute(layers)));
    }),
    { numRuns: 1500 },
  );
});

test('union: layerChanges lists exactly the paths added, removed and changed against the view below', () => {
  fc.assert(
    fc.property(loadableStack, (layers) => {
      let v = unionOf(layers.slice(0, -1));
      v = applyLayer(v, layers[layers.length - 1]);
      const before = brute(layers.slice(0, -1));
      const after = brute(layers);
      const same = (a: UnionRow, b: UnionRow) => a.type === b.type && a.digest === b.digest && a.linkTarget === b.linkTarget && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.size === b.size;
      const want: string[] = [];
      for (const [p, r] of after) {
        const o = before.get(p);
        if (!o) want.push(`added ${p}`);
        else if (!same(o.row, r.row)) want.push(`modified ${p}`);
      }
      for (const p of before.keys()) if (!after.has(p)) want.push(`removed ${p}`);
      const got = layerChanges(v).map((c) => `${c.change} ${c.path}`);
      assert.deepEqual(got.sort(), want.sort());
    }),
    { numRuns: 1000 },
  );
});

test('union: views computed per chain (sharing the parent view) equal views computed from scratch', () => {
  fc.assert(
    fc.property(fc.array(layer, { minLength: 1, maxLength: 6 }), fc.array(fc.array(fc.nat(5), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), (pool, stacks) => {
      const trie = new ChainTrie(16);
      const tops = stacks.map((s) => s.map((i) => i % pool.length)).map((s) => s.reduce((parent, l) => trie.child(parent, l), -1));
      const views = new ChainViews(trie, (l) => pool[l]);
      stacks.forEach((s, k) => {
        const layers = s.map((i) => pool[i % pool.length]);
        if (!loadable(layers)) return void assert.throws(() => views.view(tops[k]), /no such file or directory/);
        assert.deepEqual(listUnion(views.view(tops[k])), listUnion(unionOf(layers)!));
      });
      assert.ok(views.size <= trie.count);
    }),
    { numRuns: 500 },
  );
});

test('union: a shared base is held once — views on one base share its untouched subtrees', () => {
  const base = layerFilesOf([{ name: 'usr/', type: 'dir' }, ...Array.from({ length: 50 }, (_, i) => ({ name: `usr/lib/f${i}`, type: 'file' as const, size: 10 }))]);
  const b = unionOf([base])!;
  const x = applyLayer(b, layerFilesOf([{ name: 'app/x', type: 'file', size: 1 }]));
  const y = applyLayer(b, layerFilesOf([{ name: 'usr/bin/y', type: 'file', size: 1 }]));
  assert.equal(lookup(x, 'usr'), lookup(b, 'usr'));
  assert.equal(lookup(y, 'usr/lib'), lookup(b, 'usr/lib'));
  assert.notEqual(lookup(y, 'usr'), lookup(b, 'usr'));
  assert.equal(lookup(b, 'usr/bin'), undefined, 'the base view is never changed by a layer applied on it');
});

test('union: edge cases — whiteout of nothing, opaque then re-add, file<->dir, hard link to a file deleted later, root whiteouts', () => {
  const l0 = layerFilesOf([
    { name: 'etc/', type: 'dir' },
    { name: 'etc/a', type: 'file', size: 3, digest: 'sha256:' + 'a'.repeat(64) },
    { name: 'etc/sub/b', type: 'file', size: 4 },
    { name: 'top', type: 'file', size: 5 },
    { name: 'd', type: 'file', size: 6 },
  ]);
  const l1 = layerFilesOf([
    { name: '.wh.nothing', type: 'file' },
    { name: 'etc/new', type: 'file', size: 7 },
    { name: 'etc/sub/.wh..wh..opq', type: 'file' },
    { name: 'link', type: 'hardlink', linkTarget: 'etc/a' },
    { name: 'd/inside', type: 'file', size: 8 },
    { name: './.wh.top', type: 'file' },
  ]);
  const l2 = layerFilesOf([{ name: '.wh.etc', type: 'file' }, { name: 'd', type: 'file', size: 9 }]);
  const v1 = unionOf([l0, l1])!;
  assert.deepEqual(
    listUnion(v1).map((r) => `${r.path}:${r.layer}`),
    ['d:1', 'd/inside:1', 'etc:0', 'etc/a:0', 'etc/new:1', 'etc/sub:0', 'link:1'],
    'opaque hides etc/sub/b but keeps etc/sub itself; top is whited out; d became a directory',
  );
  const v2 = applyLayer(v1, l2);
  const rows = listUnion(v2);
  assert.deepEqual(rows.map((r) => r.path), ['d', 'link']);
  assert.equal(rows[1].digest, 'sha256:' + 'a'.repeat(64), 'the hard link keeps the content of the file it was linked to');
  assert.equal(rows[1].size, 3);
  assert.deepEqual(layerChanges(v2).map((c) => `${c.change} ${c.path}`), ['modified d', 'removed d/inside', 'removed etc', 'removed etc/a', 'removed etc/new', 'removed etc/sub']);
  assert.deepEqual(pathHistory(v2, 'd'), [{ layer: 2, entry: 1 }, { layer: 1, entry: -1 }, { layer: 0, entry: 4 }]);
});

test('files: paths are normalised and escaping paths are refused with a LayerlabError', () => {
  assert.equal(normalisePath('./a/b/'), 'a/b');
  assert.equal(normalisePath('a//./b/../c'), 'a/c');
  assert.equal(normalisePath('./'), '');
  // moby's Unpack cleans names and joins them under the root (pkg/archive/archive.go
  // `hdr.Name = filepath.Clean(hdr.Name)`): docker load accepts `/etc/passwd` as `etc/passwd`.
  assert.equal(normalisePath('/etc/passwd'), 'etc/passwd');
  for (const bad of ['../x', 'a/../../x']) {
    assert.throws(() => normalisePath(bad, { file: 'layer.tar' }), (e: unknown) => isLayerlabError(e) && e.code === 'EINPUT' && e.place.file === 'layer.tar');
  }
  const l = layerFilesOf([{ name: './', type: 'dir' }, { name: '.wh..wh.plnk/x', type: 'file' }, { name: 'a/.wh..wh..opq', type: 'file' }, { name: '.wh.b', type: 'file' }]);
  assert.deepEqual([...l.kind], [KIND_OPAQUE, KIND_WHITEOUT]);
  assert.deepEqual(l.path, ['a', 'b']);
});

test('union: an opaque directory applies before the layer\'s own entries, whatever their tar order', () => {
  const l0 = layerFilesOf([{ name: 'a/b/c/bar', type: 'file', size: 1 }]);
  const before = layerFilesOf([{ name: 'a/', type: 'dir' }, { name: 'a/.wh..wh..opq', type: 'file' }, { name: 'a/b/', type: 'dir' }, { name: 'a/b/c/', type: 'dir' }, { name: 'a/b/c/foo', type: 'file', size: 2 }]);
  const after = layerFilesOf([{ name: 'a/', type: 'dir' }, { name: 'a/b/', type: 'dir' }, { name: 'a/b/c/', type: 'dir' }, { name: 'a/b/c/foo', type: 'file', size: 2 }, { name: 'a/.wh..wh..opq', type: 'file' }]);
  const want = ['a', 'a/b', 'a/b/c', 'a/b/c/foo'];
  assert.deepEqual(listUnion(unionOf([l0, before])!).map((r) => r.path), want);
  assert.deepEqual(listUnion(unionOf([l0, after])!).map((r) => r.path), want, 'the image-spec example: both orders are the same layer');
});

test('union: a hard link to a path that is not there is refused as docker load refuses it (link … no such file or directory)', () => {
  const base = layerFilesOf([{ name: 'bin/', type: 'dir' }, { name: 'bin/sh', type: 'file', size: 5, digest: 'sha256:aa' }]);
  // a link to a file of a lower layer, or one earlier in the same layer, is fine
  const ok = layerFilesOf([{ name: 'bin/bash', type: 'hardlink', linkTarget: 'bin/sh' }]);
  assert.ok(lookup(unionOf([base, ok])!, 'bin/bash'));
  const bad = layerFilesOf([{ name: 'hl', type: 'hardlink', linkTarget: '/nonexistent' }]);
  assert.throws(
    () => unionOf([base, bad]),
    (e: unknown) => isLayerlabError(e) && e.code === 'EINPUT' && /layer 1\b/.test(e.message) && /"hl"/.test(e.message) && /link \/nonexistent \/hl: no such file or directory/.test(e.message),
  );
});
