// uid/gid reach the file index through scanLayer, so a layer that only changes an owner (chown)
// shows the path as modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLayer, layerChanges } from '../src/analyze/union.js';
import { FileIndexVisitor } from '../src/sources/file-index.js';
import { bufferStream, scanLayer, type LayerEntry } from '../src/sources/tar.js';
import { makeTar } from './helpers/oci.js';

async function indexOf(tarBytes: Buffer) {
  const v = new FileIndexVisitor();
  const seen: LayerEntry[] = [];
  await scanLayer(bufferStream(tarBytes), [v, { entry: (e) => void seen.push(e) }], {});
  return { files: v.files(), seen };
}

test('scanLayer passes uid/gid; a chown-only layer modifies the path', async () => {
  const body = 'same bytes';
  const lower = await indexOf(await makeTar([{ header: { name: 'app/run.sh', size: body.length, mode: 0o755, uid: 0, gid: 0 }, data: Buffer.from(body) }]));
  const upper = await indexOf(await makeTar([{ header: { name: 'app/run.sh', size: body.length, mode: 0o755, uid: 1000, gid: 100 }, data: Buffer.from(body) }]));
  assert.equal(upper.seen[0].uid, 1000);
  assert.equal(upper.seen[0].gid, 100);
  assert.equal(upper.files.uid[0], 1000);
  assert.equal(upper.files.gid[0], 100);
  const changes = layerChanges(applyLayer(applyLayer(undefined, lower.files), upper.files));
  const run = changes.find((c) => c.path === 'app/run.sh');
  assert.equal(run?.change, 'modified');
  assert.equal(run?.hides?.uid, 0);
  assert.equal(run?.row.uid, 1000);
});
