// What an image is: a config and a stack of layers, each identified by the sha256 of its bytes.
// Every digest here is computed from the archive's bytes as the lesson runs.
import { extendChainId } from '../../model/identity.js';
import { sha256Digest } from '../../model/digest.js';
import { measureLayer } from '../../sources/tar.js';
import type { LearnContext } from '../context.js';
import type { IdentityWalk, Lesson, LessonFacts, LessonText } from '../types.js';
import { LayerlabError } from '../../errors.js';
import { ARCHIVE, bytes, hex, LAYOUT, readStream, taggedImages } from './common.js';

export const IMAGE_TEXT: LessonText = {
  id: 'image',
  title: 'What an image is: a config and a stack of layers',
  summary: 'layers, config, and the diffID, chainID and image ID computed from the bytes',
  uses: 'the docker save archive {{archive}} and the OCI layout {{layout}}',
  steps: [
    {
      text: 'An image is two kinds of files: one small JSON config (command, environment, history, and the list of its layers) and a stack of layers, each a tar of the files it adds, changes or deletes. {{image}} has {{layerCount}} layers, {{totalSize}} of files, and a config of {{configBytes}}. The image ID is nothing but the sha256 of the config bytes: layerlab just hashed them and got the ID Docker shows.',
      command: "docker image inspect --format '{{.Id}}' {{image}}",
      output: 'id',
      figure: 'identity',
    },
    {
      text: 'Each layer is named by the sha256 of its uncompressed tar, its diffID. The config lists them bottom first (RootFS.Layers). layerlab read every layer tar of the archive and hashed it: the {{layerCount}} digests are exactly the ones the config lists. So an image ID pins the exact bytes of every layer: change one byte of a file and the diffID, then the config, then the ID change.',
      command: "docker image inspect --format '{{json .RootFS.Layers}}' {{image}}",
      output: 'layers',
    },
    {
      text: 'A layer only makes sense on the layers below it, so Docker stores it under its chainID: the bottom layer\'s chainID is its diffID, and each next one is the sha256 of the chainID below, a space, and its own diffID. Two images share a stored layer only when everything below it is the same too. The top chainID of {{image}} is {{topChainId}}.',
      command: "printf '%s %s' {{diffBottom}} {{diffSecond}} | sha256sum",
      output: 'chain',
    },
    {
      text: 'A registry sends layers compressed, and names the compressed blob by its own digest. The same bottom layer in the OCI layout is a gzip blob of {{gzSize}} named {{gzDigest}}; layerlab unzipped it and hashed the tar: {{gzDiffId}}, the same diffID as in the archive ({{bottomSize}} uncompressed). Digest for what travels, diffID for what a host stores.',
      command: 'gunzip -c {{layout}}/blobs/sha256/{{gzHex}} | sha256sum',
      output: 'gunzip',
    },
  ],
  exercise: {
    question: 'What is the chainID of the bottom two layers of {{image}}? (The printf | sha256sum line above computes it; answer with the digest or its first twelve hex digits.)',
    answer: 'chainSecond',
    kind: 'digest',
    explain: 'chainID(bottom) = diffID(bottom) = {{diffBottom}}; chainID(bottom two) = sha256("{{diffBottom}} {{diffSecond}}") = {{chainSecond}}. Docker stores that layer under layerdb/sha256/{{chainSecondHex}}.',
  },
};

async function identityWalk(ctx: LearnContext): Promise<IdentityWalk & { tags: string[] }> {
  const src = await ctx.source(ARCHIVE);
  const g = src.graph;
  // the tagged image with the most layers: the longest chain to walk
  const i = taggedImages(g).reduce((best, k) => (g.stackOf(k).length > g.stackOf(best).length ? k : best));
  const id = g.images[i].id;
  const config = await readStream(await src.blobs!.open(id));
  const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  let chain: string | undefined;
  const layers: IdentityWalk['layers'] = [];
  let k = 0;
  for (const l of g.stackOf(i)) {
    const blob = g.layerDigest[l] ?? g.layerDiffId[l]!;
    const m = await measureLayer(await src.blobs!.open(blob), { file: ctx.shown(ARCHIVE), path: blob });
    chain = extendChainId(chain, m.diffId as `sha256:${string}`);
    layers.push({ blobDigest: m.blobDigest, blobSize: m.blobSize, compression: m.compression, diffId: m.diffId, configDiffId: diffIds[k++], uncompressedSize: m.size, chainId: chain });
  }
  // the lesson says the hashes agree with what Docker recorded; a fixture where they do not is broken
  if (sha256Digest(config) !== id) throw new LayerlabError('EDIGEST', `config of ${g.tagsOf(i)[0]} does not hash to its image ID ${id}`, { file: ctx.shown(ARCHIVE) });
  layers.forEach((l, n) => {
    if (l.diffId !== l.configDiffId) throw new LayerlabError('EDIGEST', `layer ${n} hashes to ${l.diffId}, the config lists ${l.configDiffId}`, { file: ctx.shown(ARCHIVE) });
  });
  return { image: g.tagsOf(i)[0], tags: [...g.tagsOf(i)], configDigest: id, configBytes: config.length, imageId: sha256Digest(config), layers };
}

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const walk = await identityWalk(ctx);
  const [bottom, second] = walk.layers;
  const top = walk.layers[walk.layers.length - 1];
  // the same bottom layer as a registry sends it: a gzip blob in the OCI layout
  const layout = await ctx.source(LAYOUT);
  const remote = layout.registryImages!.flatMap((r) => r.layers).find((l) => l.diffId === bottom.diffId);
  if (!remote) throw new Error(`${LAYOUT} holds no layer with diffID ${bottom.diffId}`);
  const gz = await measureLayer(await layout.blobs!.open(remote.digest), { file: ctx.shown(LAYOUT), path: remote.digest });
  const chainInput = `${bottom.diffId} ${second.diffId}`;
  return {
    values: {
      archive: ctx.shown(ARCHIVE),
      layout: ctx.shown(LAYOUT),
      image: walk.image,
      layerCount: walk.layers.length,
      totalSize: bytes(walk.layers.reduce((s, l) => s + l.uncompressedSize, 0)),
      configBytes: bytes(walk.configBytes),
      topChainId: top.chainId,
      diffBottom: bottom.diffId,
      diffSecond: second.diffId,
      chainSecond: sha256Digest(chainInput),
      chainSecondHex: hex(second.chainId),
      bottomSize: bytes(bottom.uncompressedSize),
      gzSize: bytes(gz.blobSize),
      gzDigest: gz.blobDigest,
      gzHex: hex(gz.blobDigest),
      gzDiffId: gz.diffId,
    },
    outputs: {
      id: walk.imageId,
      layers: JSON.stringify(walk.layers.map((l) => l.diffId)),
      chain: `${hex(sha256Digest(chainInput))}  -`,
      gunzip: `${hex(gz.diffId)}  -`,
    },
    figures: { identity: { kind: 'identity', identity: walk } },
  };
}

export const imageLesson: Lesson = { text: IMAGE_TEXT, facts };
