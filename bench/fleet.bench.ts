// Memory of a fleet on the host state: one universe (a synthetic 10,000-image catalog), 1,000
// nodes each pulling 100 images of it. A node must cost kilobytes, not a copy of the graph.
// Run: node --expose-gc --import tsx bench/fleet.bench.ts
import { HostNodeStore } from '../src/analyze/node-store.js';
import { Universe } from '../src/model/universe.js';
import { syntheticGraph } from '../src/sources/synthetic.js';

/** Bytes per node of a fleet (heap growth and typed arrays), and the universe's typed bytes. */
export function runFleetBench(nodes = 1000, images = 10_000, pullsPerNode = 100): { heapPerNode: number; typedPerNode: number; universeTyped: number; chains: number; blobs: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  const u = new Universe({ graphs: [syntheticGraph({ images, seed: 3 })] });
  gc?.();
  const before = process.memoryUsage();
  const fleet: HostNodeStore[] = [];
  for (let n = 0; n < nodes; n++) {
    const s = new HostNodeStore(u, 'docker');
    for (let k = 0; k < pullsPerNode; k++) s.pull((n * 7919 + k * k * 31) % u.imageCount, k);
    fleet.push(s);
  }
  gc?.();
  const after = process.memoryUsage();
  const used = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  return { heapPerNode: used / nodes, typedPerNode: fleet[0].typedByteLength(), universeTyped: u.typedByteLength(), chains: u.chainCount, blobs: u.blobCount };
}

if (process.argv[1]?.endsWith('fleet.bench.ts')) {
  const r = runFleetBench();
  console.log(`1,000 nodes x 100 pulls over a 10,000-image universe (${r.chains} chains, ${r.blobs} blobs): ${Math.round(r.heapPerNode / 1024)} KiB per node measured (heap + array buffers), ${Math.round(r.typedPerNode / 1024)} KiB of it typed arrays; the universe's typed columns: ${Math.round(r.universeTyped / 1024)} KiB`);
}
