// Turns the raw Engine API answers captured from a real dockerd (fixtures/docker-20.10-scenario)
// into a layerlab snapshot. Layer sizes come from the daemon's layerdb (chainID diff size).
import { readFileSync, writeFileSync } from 'node:fs';
import { graphFromEngine } from '../src/sources/engine.js';
import { serializeSnapshot } from '../src/sources/snapshot.js';

const dir = new URL('../fixtures/docker-20.10-scenario/', import.meta.url);
const read = (f: string) => JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
const sizes = new Map<string, number>();
for (const line of readFileSync(new URL('layerdb.txt', dir), 'utf8').trim().split('\n')) {
  const [, diffId, size] = line.split(' ');
  sizes.set(diffId, Number(size));
}
// `docker images -aq` lists an image once per tag: keep each ID once.
const inspects = (read('image-inspect.json') as { Id: string }[]).filter((img, i, all) => all.findIndex((o) => o.Id === img.Id) === i);
const graph = graphFromEngine(inspects, read('containers.json'), sizes);
const meta = {
  source: 'dockerd 20.10.24+dfsg1 (Debian bookworm), vfs driver, legacy builder; captured 2026-11-26',
  files: 'image-inspect.json, containers.json, layerdb.txt in this folder',
};
writeFileSync(new URL('host.snapshot.json', dir), serializeSnapshot(graph, meta));
console.log(`wrote ${graph.imageCount} images, ${graph.layerCount} layers, ${graph.containers.length} containers`);
