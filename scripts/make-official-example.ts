// Builds fixtures/official-images/host.snapshot.json: a host that pulled the 17 linux/amd64
// official images whose registry data is in fixtures/official-images/manifests (copied from
// shared/data/official-images, each file's _source names its docker-library/repo-info origin).
// Only what the registry published is used: blob digests, compressed sizes, media types, image
// IDs, index digests. diffIDs, uncompressed sizes and creation times are not published there,
// so the snapshot leaves them out and analyses label their sizes as compressed.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { GraphBuilder } from '../src/model/graph.js';
import { familiarString, parseNormalizedNamed } from '../src/model/reference.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';

interface RepoInfoManifest {
  reference: string;
  indexDigest?: string;
  imageId: string;
  platform: { os: string; architecture: string; variant?: string };
  manifest: { layers: { mediaType: string; digest: string; size: number }[] };
}

const dir = new URL('../fixtures/official-images/', import.meta.url);
const files = readdirSync(new URL('manifests/', dir)).filter((f) => f.endsWith('.linux-amd64.json')).sort();
const b = new GraphBuilder();
const layerByDigest = new Map<string, number>();
for (const f of files) {
  const m = JSON.parse(readFileSync(new URL(`manifests/${f}`, dir), 'utf8')) as RepoInfoManifest;
  const ref = parseNormalizedNamed(m.reference);
  const stack = m.manifest.layers.map((l) => {
    let i = layerByDigest.get(l.digest);
    if (i === undefined) {
      i = b.addLayer({ digest: l.digest, compressedSize: l.size, mediaType: l.mediaType });
      layerByDigest.set(l.digest, i);
    }
    return i;
  });
  const name = familiarString({ ...ref, tag: undefined, digest: undefined });
  b.addImage(
    {
      id: m.imageId,
      repoTags: [familiarString(ref)],
      ...(m.indexDigest ? { repoDigests: [`${name}@${m.indexDigest}`] } : {}),
      platform: [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'),
    },
    stack,
  );
}
const graph = b.build();
const meta = {
  description: 'A linux/amd64 host that pulled 17 official Docker Hub images (redis, nginx, postgres, httpd, memcached, node, python, golang share debian trixie-slim bases; alpine family; ubuntu + mongo).',
  sizes: 'compressed: only registry (blob) sizes are published for these images; diffIDs and uncompressed sizes are unknown',
  provenance: 'docker-library/repo-info repos/<image>/remote/<tag>.md, transcribed in shared/data/official-images (see each manifests/*.json _source)',
};
writeFileSync(new URL('host.snapshot.json', dir), serializeSnapshot(graph, meta));
console.log(`wrote ${graph.imageCount} images, ${graph.layerCount} distinct layers, ${graph.referenceCount} layer references`);
