// Conformance: images docker pushed to a loopback registry, read back through registry://, carry
// the manifest digests and blob digests docker recorded for the push.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readDockerRoot } from '../src/sources/docker-root.js';
import { parseRegistrySource, readRegistry, RegistryClient, registryReader } from '../src/sources/registry.js';
import { sha256Digest } from '../src/model/digest.js';
import { startDockerd, type Sandbox } from './helpers/sandbox.js';
import { startRegistry, type RegistrySandbox } from './helpers/registry.js';
import { buildScenario } from './helpers/scenario.js';

let sb: Sandbox;
let reg: RegistrySandbox;
const PUSHED = ['base:1', 'app-b:1', 'app-c:1', 'chain:1'];

describe('images pushed to a loopback registry, read through registry://', () => {
  before(async () => {
    reg = await startRegistry();
    sb = await startDockerd();
    buildScenario(sb);
    for (const t of PUSHED) {
      sb.docker(['tag', t, `${reg.address}/scenario/${t}`]);
      sb.docker(['push', `${reg.address}/scenario/${t}`]);
    }
  });
  after(async () => {
    await sb?.stop();
    await reg?.stop();
  });

  test('every pushed image is read back with the manifest digest docker recorded', async () => {
    const read = await readRegistry(new RegistryClient(parseRegistrySource(`registry://${reg.address}`)));
    assert.equal(read.graph.imageCount, PUSHED.length);
    for (const t of PUSHED) {
      const inspect = JSON.parse(sb.docker(['image', 'inspect', t]).stdout)[0] as { Id: string; RepoDigests: string[]; RootFS: { Layers: string[] } };
      const i = read.graph.imageIndex(inspect.Id);
      assert.ok(i !== undefined, `${t}: config digest ${inspect.Id} not found in the registry`);
      const m = read.graph.images[i];
      assert.deepEqual(m.repoTags, [`${reg.address}/scenario/${t}`]);
      assert.deepEqual(m.repoDigests, inspect.RepoDigests.filter((d) => d.startsWith(`${reg.address}/scenario/${t.split(':')[0]}@`)));
      assert.deepEqual(Array.from(read.graph.stackOf(i), (l) => read.graph.layerDiffId[l]), inspect.RootFS.Layers);
    }
  });

  test('blob digests equal the ones docker recorded in its distribution metadata; sizes confirmed by HEAD', async () => {
    const read = await readRegistry(new RegistryClient(parseRegistrySource(`registry://${reg.address}/scenario/app-b:1`)));
    assert.equal(read.graph.imageCount, 1);
    const { distribution } = readDockerRoot(join(sb.dir, 'root'));
    const g = read.graph;
    for (const l of g.stackOf(0)) {
      const recorded = distribution.digestsByDiffId.get(g.layerDiffId[l]!) ?? [];
      assert.ok(recorded.some((r) => r.digest === g.layerDigest[l] && r.sourceRepository === `${reg.address}/scenario/app-b`), `layer ${g.layerDiffId[l]} pushed as ${g.layerDigest[l]}`);
      assert.ok(g.layerCompressed[l] > 0);
      assert.equal(distribution.diffIdByDigest.get(g.layerDigest[l]!), g.layerDiffId[l]);
    }
  });

  test('registryReader: a LoadedSource whose BlobProvider streams each layer and config, digest-checked', async () => {
    const src = await registryReader.load(`registry://${reg.address}/scenario/app-b:1`, {});
    assert.equal(src.kind, 'registry');
    const [img] = src.registryImages ?? [];
    assert.ok(img && src.blobs);
    for (const d of [img.config.digest, ...img.layers.map((l) => l.digest)]) {
      assert.ok(src.blobs.has(d));
      const chunks: Buffer[] = [];
      for await (const c of await src.blobs.open(d)) chunks.push(c as Buffer);
      assert.equal(sha256Digest(Buffer.concat(chunks)), d);
    }
    assert.equal(src.blobs.has('sha256:' + '0'.repeat(64)), false);
    await assert.rejects(src.blobs.open('sha256:' + '0'.repeat(64)), /belongs to no image read from this registry/);
  });
});
