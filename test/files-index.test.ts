import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { fileEntryAt, KIND_OPAQUE, KIND_WHITEOUT } from '../src/model/files.js';
import { FileIndexVisitor, indexLayerTar } from '../src/sources/file-index.js';
import { isLayerlabError } from '../src/errors.js';

async function tarOf(entries: { header: Partial<tar.Header> & { name: string }; body?: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry(e.header, e.body ?? Buffer.alloc(0));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

test('file index: a real tar — types, sizes, owners, modes, sha256 of bodies, whiteouts, opaque markers, hard links once', async () => {
  const big = Buffer.alloc(300_000, 7); // several chunks through the stream
  const t = await tarOf([
    { header: { name: './', type: 'directory', mode: 0o755 } },
    { header: { name: './etc/', type: 'directory', mode: 0o755 } },
    { header: { name: './etc/conf', type: 'file', mode: 0o640, uid: 1000, gid: 50 }, body: Buffer.from('hello') },
    { header: { name: './etc/big', type: 'file', mode: 0o644 }, body: big },
    { header: { name: './etc/hard', type: 'link', linkname: './etc/conf' } },
    { header: { name: './etc/sym', type: 'symlink', linkname: '../x' } },
    { header: { name: './dev/null', type: 'character-device', mode: 0o666 } },
    { header: { name: './var/.wh..wh..opq', type: 'file' } },
    { header: { name: './var/.wh.cache', type: 'file' } },
    { header: { name: 'empty', type: 'file' } },
  ]);
  const l = await indexLayerTar(Readable.from([t]), { file: 'layer.tar' });
  const rows = Array.from({ length: l.count }, (_, i) => ({ ...fileEntryAt(l, i), kind: l.kind[i] }));
  assert.deepEqual(rows, [
    { path: 'etc', type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, kind: 0 },
    { path: 'etc/conf', type: 'file', size: 5, mode: 0o640, uid: 1000, gid: 50, digest: sha(Buffer.from('hello')), kind: 0 },
    { path: 'etc/big', type: 'file', size: big.length, mode: 0o644, uid: 0, gid: 0, digest: sha(big), kind: 0 },
    { path: 'etc/hard', type: 'hardlink', size: 0, mode: 0o644, uid: 0, gid: 0, linkTarget: 'etc/conf', digest: sha(Buffer.from('hello')), kind: 0 },
    { path: 'etc/sym', type: 'symlink', size: 0, mode: 0o644, uid: 0, gid: 0, linkTarget: '../x', kind: 0 },
    { path: 'dev/null', type: 'char', size: 0, mode: 0o666, uid: 0, gid: 0, kind: 0 },
    { path: 'var', type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, kind: KIND_OPAQUE },
    { path: 'var/cache', type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, kind: KIND_WHITEOUT },
    { path: 'empty', type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, digest: sha(Buffer.alloc(0)), kind: 0 },
  ]);
});

test('file index: an escaping entry is refused with a LayerlabError naming the layer', async () => {
  const t = await tarOf([{ header: { name: '../../etc/passwd', type: 'file' }, body: Buffer.from('x') }]);
  await assert.rejects(indexLayerTar(Readable.from([t]), { file: 'evil.tar' }), (e: unknown) => isLayerlabError(e) && e.place.file === 'evil.tar' && /escapes/.test(e.message));
  await assert.rejects(indexLayerTar(Readable.from([Buffer.from('not a tar at all, just some bytes'.repeat(40))]), { file: 'junk.tar' }), (e: unknown) => isLayerlabError(e) && e.place.file === 'junk.tar');
});

test('file index: the visitor works as a scan drives it (data only for non-empty bodies, resolvedPath preferred)', () => {
  const v = new FileIndexVisitor();
  const a = { path: 'link/x', resolvedPath: 'real/x', type: 'file', size: 3 };
  v.entry({ path: 'real', type: 'directory', size: 0 });
  v.entry(a);
  v.data(a, Buffer.from('ab'));
  v.data(a, Buffer.from('c'));
  v.entry({ path: 'e', type: 'file', size: 0 });
  v.end();
  const l = v.files();
  assert.deepEqual(l.path, ['real', 'real/x', 'e']);
  assert.equal(l.digest[1], sha(Buffer.from('abc')));
  assert.equal(l.digest[2], sha(Buffer.alloc(0)));
});
