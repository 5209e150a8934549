import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LayerlabError } from '../src/errors.js';
import { convertIbmTrace, parseIbmTrace } from '../src/simulate/ibm.js';
import { UniverseBuilder } from '../src/simulate/universe.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// fixtures/simulate/ibm-sample.json: records in the published files' form (a JSON array of registry
// access-log records, the keys chalianwar/docker-performance master.py reads), two clients pulling
// two tags of one repository that share a 50 MB base blob, plus a HEAD and an upload PUT that wrote nothing.
const SAMPLE = 'fixtures/simulate/ibm-sample.json';

test('IBM trace, published form: GET/PUT of manifests and blobs that wrote bytes, delay in seconds from the first record', () => {
  const records = parseIbmTrace(readFileSync(SAMPLE, 'utf8'), SAMPLE);
  assert.deepEqual(records.map((r) => r.delay), [0, 0.5, 1, 60, 60.4, 61, 120, 120.6]);
  assert.deepEqual([...new Set(records.map((r) => r.client))], ['0ef1c9a2', '7d30b4e8']);
  assert.ok(records.every((r) => r.method === 'GET' && r.size > 0));
});

test('IBM trace: each client GET of a manifest is a pull; the image is the blobs its pullers GET after it', () => {
  const b = new UniverseBuilder();
  const pulls = convertIbmTrace(parseIbmTrace(readFileSync(SAMPLE, 'utf8'), SAMPLE), b);
  const u = b.build();
  assert.deepEqual(pulls.map((p) => [p.t, u.imageRef[p.image], p.client]), [
    [0, '5c3a8f21@9e2b1d7a', '0ef1c9a2'],
    [60, '5c3a8f21@4f6c0b3e', '7d30b4e8'],
    [120, '5c3a8f21@4f6c0b3e', '0ef1c9a2'],
  ]);
  const blobs = (ref: string) => b.blobsOf(b.imageId(ref)!).map((x) => [u.blobDigest[x], u.blobSize[x]]);
  assert.deepEqual(blobs('5c3a8f21@9e2b1d7a'), [['sha256:11aa', 50e6], ['sha256:22bb', 8e6]]);
  // the second puller of 4f6c0b3e skipped the base (Already exists on its host): the union keeps it, bottom first
  assert.deepEqual(blobs('5c3a8f21@4f6c0b3e'), [['sha256:11aa', 50e6], ['sha256:33cc', 12e6]]);
});

test('IBM trace: the replayer form (JSON lines of delay, uri, size, method, client) converts the same', () => {
  const raw = parseIbmTrace(readFileSync(SAMPLE, 'utf8'), SAMPLE);
  const lines = raw.map((r) => JSON.stringify({ delay: r.delay, uri: r.uri, size: r.size, method: r.method, duration: 0.1, client: r.client })).join('\n');
  const a = new UniverseBuilder();
  const b = new UniverseBuilder();
  assert.deepEqual(convertIbmTrace(parseIbmTrace(lines, 'x.jsonl'), a), convertIbmTrace(raw, b));
  assert.deepEqual(a.build().refBlob, b.build().refBlob);
});

test('IBM trace errors name the record and what was expected', () => {
  const said = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as LayerlabError).describe();
    }
    return 'no error';
  };
  assert.match(said(() => parseIbmTrace('[{"http.request.uri": "v2/a/manifests/b", "timestamp": "2017-06-20T01:00:00.000Z"}]', 't.json')), /^t\.json: \$\[0\]: .*"http\.response\.written" \(number\)/);
  assert.match(said(() => parseIbmTrace('{"delay": 0, "uri": "v2/a/manifests/b", "method": "GET"}\n{"delay": "x"}', 't.jsonl')), /^t\.jsonl: \$\[1\]: expected "delay" \(number\)/);
  assert.match(said(() => parseIbmTrace('{"delay": 0,\n', 't.jsonl')), /^t\.jsonl:1: not a JSON object/);
});

test('simulate replays the IBM sample as pulls per client: the base is Already exists for the second tag on the same node', async () => {
  const dir = tempDir('layerlab-ibm-');
  writeFileSync(join(dir, 's.json'), JSON.stringify({ images: resolve('fixtures/official-images/host.snapshot.json'), nodes: { disk: '10GB' }, workload: { ibmTrace: resolve(SAMPLE), podDuration: 30 } }));
  const r = await cli('simulate', join(dir, 's.json'), '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { totals: { pods: number; bytesPulled: number }; nodes: Array<{ name: string }>; pods: Array<{ node: string; bytes: number }> };
  assert.deepEqual(out.nodes.map((n) => n.name), ['0ef1c9a2', '7d30b4e8']);
  assert.deepEqual(out.pods.map((p) => [p.node, p.bytes]), [['0ef1c9a2', 58e6], ['7d30b4e8', 62e6], ['0ef1c9a2', 12e6]]);
  assert.equal(out.totals.bytesPulled, 132e6);
});
