// A host's layer store, split from HostState: how many holders keep each layer (chain) on disk, as
// moby's layer store counts them (images with it on top, their containers, child layers), and how
// many images' chains pass through it (what `docker system df` counts), with the bytes of both.
import type { Universe } from '../model/universe.js';
import type { Journal } from './host-refs.js';
import { DenseCounts } from './dense-counts.js';
import { SparseCounts } from './sparse-counts.js';

/** The layer counts of one host over a universe's chains. */
export class LayerStore {
  /** Layer store references per chain; 0 = not on disk. */
  refcount: SparseCounts | DenseCounts = new SparseCounts();
  /** Images whose chain passes through each chain (df's view of which layers images hold). */
  imgHold: SparseCounts | DenseCounts = new SparseCounts();
  /** Bytes of the layers some image holds (df SIZE). */
  dfSize = 0;
  /** Bytes of the layers on disk. */
  diskSize = 0;

  constructor(
    private readonly universe: Universe,
    private readonly journal: Journal,
  ) {}

  /** Takes over counts made in one pass (every count dense, indexed by chain). */
  adopt(hold: Int32Array, refs: Int32Array): void {
    const size = this.universe.chainSize;
    this.imgHold = new DenseCounts(hold);
    this.refcount = new DenseCounts(refs);
    for (let c = 0; c < hold.length; c++) {
      this.dfSize += hold[c] > 0 ? size[c] : 0;
      this.diskSize += refs[c] > 0 ? size[c] : 0;
    }
  }

  /** An image's chain from `top` down is held by one more (or, with -1, one fewer) image. */
  hold(top: number, by: 1 | -1): void {
    const parent = this.universe.chainParent;
    const size = this.universe.chainSize;
    const hold = this.imgHold;
    for (let k = top; k >= 0; k = parent[k]) {
      const after = hold.add(k, by);
      if (after === by || after === 0) this.dfSize += by * size[k];
    }
    if (!this.journal.journaling) return;
    this.journal.record(() => {
      for (let k = top; k >= 0; k = parent[k]) {
        const after = hold.add(k, -by);
        if (after === -by || after === 0) this.dfSize -= by * size[k];
      }
    });
  }

  /** One more reference on a layer; a layer new on disk holds its parent in turn. */
  acquire(chain: number): void {
    const parent = this.universe.chainParent;
    const size = this.universe.chainSize;
    const journal = this.journal;
    for (let k = chain; k >= 0; k = parent[k]) {
      const n = k;
      const held = this.refcount.add(n, 1);
      if (journal.journaling) journal.record(() => this.refcount.add(n, -1));
      if (held > 1) return;
      this.diskSize += size[n];
      if (journal.journaling) journal.record(() => (this.diskSize -= size[n]));
    }
  }

  /** Drops one reference on a layer; a layer nothing holds leaves the disk and releases its parent. Returns the chains deleted, top first. */
  release(chain: number): number[] {
    const parent = this.universe.chainParent;
    const size = this.universe.chainSize;
    const journal = this.journal;
    const deleted: number[] = [];
    for (let k = chain; k >= 0; k = parent[k]) {
      const n = k;
      const held = this.refcount.add(n, -1);
      if (journal.journaling) journal.record(() => this.refcount.add(n, 1));
      if (held > 0) break;
      this.diskSize -= size[n];
      if (journal.journaling) journal.record(() => (this.diskSize += size[n]));
      deleted.push(n);
    }
    return deleted;
  }
}
