// When a pull is ready, and where its bytes come from. The link model is pull-schedule.ts's
// (a manifest round trip, a round trip before the blobs move, the node's bandwidth shared by its
// transfers, an extraction rate), kept closed-form for fleet scale: a node's link and the
// registry's egress are each a work-conserving pipe, so concurrent pulls finish when their bytes
// have all moved, as with processor sharing, though in arrival order. For one pull of at most
// `concurrentDownloads` blobs on an idle node the ready time is pull-schedule's exactly.
import type { PullEffect, SimUniverse } from './store.js';
import type { DistributionSpec, NodeSpec } from './types.js';

/** The fleet's links, the origin registry, the mirror and the peers. */
export class Network {
  private readonly linkFree: Float64Array;
  private registryFree = 0;
  /** Blobs some node has fetched (what peers can serve). */
  private readonly fetched: Uint8Array;
  /** Mirror LRU: blob → size, oldest first. */
  private readonly mirror = new Map<number, number>();
  private mirrorBytes = 0;
  registryEgress = 0;
  fromMirror = 0;
  fromPeers = 0;

  constructor(
    private readonly u: SimUniverse,
    private readonly nodes: NodeSpec[],
    private readonly dist: DistributionSpec,
  ) {
    this.linkFree = new Float64Array(nodes.length);
    this.fetched = new Uint8Array(dist.peerToPeer ? u.blobCount : 0);
  }

  /** Bytes of `blob` the origin registry serves (0 when a peer or the mirror has it). */
  private source(blob: number): number {
    const size = this.u.blobSize[blob];
    if (this.dist.peerToPeer) {
      if (this.fetched[blob]) {
        this.fromPeers += size;
        return 0;
      }
      this.fetched[blob] = 1;
    }
    if (this.dist.mirrorCapacity > 0) {
      const hit = this.mirror.get(blob);
      if (hit !== undefined) {
        this.mirror.delete(blob);
        this.mirror.set(blob, hit);
        this.fromMirror += size;
        return 0;
      }
      if (size <= this.dist.mirrorCapacity) {
        this.mirror.set(blob, size);
        this.mirrorBytes += size;
        for (const [b, s] of this.mirror) {
          if (this.mirrorBytes <= this.dist.mirrorCapacity) break;
          this.mirror.delete(b);
          this.mirrorBytes -= s;
        }
      }
    }
    return size;
  }

  /** Seconds at which a pull on node `n` issued at `now` is ready. */
  pull(n: number, now: number, e: PullEffect, present: boolean): number {
    const spec = this.nodes[n];
    const manifest = now + spec.latency;
    if (present) return manifest; // Always on a present image: the manifest check only
    let origin = 0;
    for (const b of e.blobs) origin += this.source(b);
    const config = e.downloadBytes - e.blobs.reduce((s, b) => s + this.u.blobSize[b], 0);
    origin += config; // configs come from the origin (the mirror and peers move blobs)
    this.registryEgress += origin;
    const linkStart = Math.max(manifest + spec.latency, this.linkFree[n]);
    let end = linkStart + e.downloadBytes / spec.bandwidth;
    if (this.dist.registryEgress > 0 && origin > 0) {
      const regStart = Math.max(linkStart, this.registryFree);
      this.registryFree = regStart + origin / this.dist.registryEgress;
      end = Math.max(end, this.registryFree);
    }
    this.linkFree[n] = end;
    return end + (spec.extractRate > 0 ? e.unpackBytes / spec.extractRate : 0);
  }
}
