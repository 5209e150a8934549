// What a demanding new user of files, waste and chunk ran into (session 4 walk-through), each
// pinned here: PATH is a path in the image as a shell resolves it, counts agree in number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './helpers/cli.js';

const APP = 'fixtures/waste/app.oci.tar';

test('files PATH: ".." at the root stays at the root, as the kernel resolves /../etc; a NUL byte is a usage error naming PATH', async () => {
  const plain = await cli('files', '--format', 'json', APP, 'app:1', '/etc');
  assert.equal(plain.code, 0, plain.stderr);
  for (const p of ['/../etc', '../etc', '/usr/../../etc/', 'etc/nginx/../../../etc']) {
    const r = await cli('files', '--format', 'json', APP, 'app:1', p);
    assert.equal(r.code, 0, `${p}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout).entries, JSON.parse(plain.stdout).entries, p);
  }
  const nul = await cli('files', APP, 'app:1', 'etc\0x');
  assert.equal(nul.code, 2);
  assert.match(nul.stderr, /^layerlab files: PATH "etc\\u0000x" contains a NUL byte\n/);
  assert.doesNotMatch(nul.stderr, /layer entry/);
});

test('chunk: the count line says "1 chunk", not "1 chunks"', async () => {
  const r = await cli('chunk', '--algo', 'fixed:size=1m', 'fixtures/fastcdc/SekienAkashita.jpg');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\nfixed:size=1048576: 1 chunk\n$/);
});

test('dedup --level file on a data root without layer contents says what a data root needs, not that it holds sizes only', async () => {
  const r = await cli('dedup', '--level', 'file', 'fixtures/docker-20.10-root/root');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no layer of these images can be read from fixtures\/docker-20.10-root\/root/);
  assert.match(r.stderr, /tar-split record and files \(vfs, overlay2\)/);
  assert.doesNotMatch(r.stderr, /data root holds sizes only/);
});

test('files: a link asked for by PATH, and a hard link a layer adds, show their targets as every other row does', async () => {
  const sym = await cli('files', APP, 'app:1', '/usr/bin/run');
  assert.equal(sym.code, 0, sym.stderr);
  assert.match(sym.stdout, /^lrwxrwxrwx +0:0 +- +2 +run -> tool$/m);
  const hard = await cli('files', APP, 'app:2', '/srv/tool');
  assert.match(hard.stdout, /^hrw-r--r-- +0:0 +4kB +1 +tool => \/usr\/bin\/tool$/m);
  // A directory asked for is still '.', as tree draws its root.
  assert.match((await cli('files', APP, 'app:1', '/usr')).stdout, /^drwxr-xr-x +0:0 +- +2 +\.$/m);
  const layer = await cli('files', '--layer', '1', APP, 'app:2');
  assert.match(layer.stdout, /^\+ +hrw-r--r-- +0:0 +4kB +\/srv\/tool => \/usr\/bin\/tool$/m);
});

test('dedup --help names every source the file and chunk levels read, data roots included (as files and waste say)', async () => {
  const help = (await cli('dedup', '--help')).stdout.replace(/\s+/g, ' ');
  assert.match(help, /File and chunk levels need a SOURCE that holds layer bytes \(docker save archive, OCI layout or archive, registry:\/\/, a Docker data root on vfs or overlay2\)/);
});

test('dedup --level layer on a snapshot without uncompressed sizes: the diffID row is n/a with why, not a 1.000x ratio over 0 bytes', async () => {
  const snap = 'fixtures/official-images/host.snapshot.json';
  const r = await cli('dedup', '--level', 'layer', '--format', 'json', snap);
  assert.equal(r.code, 0, r.stderr);
  const diff = JSON.parse(r.stdout).rows.find((x: { key: string }) => x.key === 'diffID');
  assert.deepEqual(diff, { level: 'layer', key: 'diffID', basis: 'layer-size', available: false, reason: 'no layer of these images has a recorded uncompressed size in this source' });
  const table = (await cli('dedup', '--level', 'layer', snap)).stdout;
  assert.match(table, /│ layer │ diffID │ +│ layer-size │ +n\/a │/);
  assert.match(table, /note: layer diffID is n\/a: no layer of these images has a recorded uncompressed size/);
  assert.doesNotMatch(table, /layer diffID:/); // no empty histogram line for it
  // The blob row, which the snapshot does record, is unchanged.
  assert.equal(JSON.parse(r.stdout).rows[0].units, 89);
});

test('dedup: --per-file and --stream without --level chunk are usage errors, as --algo is (they would change nothing)', async () => {
  for (const flag of ['--per-file', '--stream']) {
    const r = await cli('dedup', '--level', 'file', flag, APP);
    assert.equal(r.code, 2, flag);
    assert.match(r.stderr, /--per-file and --stream go with --level chunk/);
  }
});

test('dedup: --top and --pairs with --level are usage errors (they only shape the layer-sharing comparison), told before any source is read', async () => {
  for (const flag of ['--top', '--pairs']) {
    const r = await cli('dedup', '--level', 'file', flag, '3', 'no/such/source');
    assert.equal(r.code, 2, flag);
    assert.match(r.stderr, /--top and --pairs go with the layer-sharing comparison/);
  }
  const plain = await cli('dedup', '--format', 'json', '--top', '2', '--pairs', '1', 'fixtures/official-images/host.snapshot.json');
  assert.equal(plain.code, 0, plain.stderr);
  const out = JSON.parse(plain.stdout);
  assert.equal(out.mostSharedLayers.length, 2);
  assert.equal(out.pairs.considered, 1);
});

test('waste --help lists every field of images[] that --format json prints', async () => {
  const help = (await cli('waste', '--help')).stdout.replace(/\s+/g, ' ');
  const listed = /images\[\] \{([^}]*)\}/.exec(help)![1].split(',').map((f) => f.trim());
  const out = JSON.parse((await cli('waste', '--format', 'json', APP, 'app:1')).stdout);
  assert.deepEqual(listed, Object.keys(out.images[0]));
});

test('files --layer N PATH: a PATH in neither the tree below the layer nor the tree after it is an input error, as without --layer', async () => {
  const typo = await cli('files', '--layer', '2', APP, 'app:1', '/srv');
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /"\/srv" is not in the image at layer 2 nor below it/);
  // A path the layer removes (there below, gone after) and one it adds (gone below, there after) are fine.
  const removed = await cli('files', '--format', 'json', '--layer', '2', APP, 'app:1', '/etc/nginx');
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(JSON.parse(removed.stdout).summary.removed, 3);
  const added = await cli('files', '--format', 'json', '--layer', '2', APP, 'app:1', '/var/cache/new');
  assert.equal(JSON.parse(added.stdout).summary.added, 1);
  // Unchanged by the layer but in the image: no changes, exit 0.
  const same = await cli('files', '--layer', '2', APP, 'app:1', '/usr/bin/tool');
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /\(no changes\)/);
});

test('waste: an untagged image is headed by its short ID once, not "fbeb32b95c8a  (fbeb32b95c8a)"', async () => {
  const r = await cli('waste', 'fixtures/archives/scenario.docker25-shape.tar.gz', 'fbeb32b95c8a');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fbeb32b95c8a\n  efficiency: /);
  assert.match((await cli('waste', APP, 'app:1')).stdout, /^app:1  \(75b0ab1d872d\)\n/);
});

test('chunk: a byte size too large for the parameter says the allowed range, not that it is not a byte size', async () => {
  const r = await cli('chunk', '--algo', 'fixed:size=99999999999999', 'README.md');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /size must be from 1 to 1073741824 bytes \(got 99999999999999\)/);
});
