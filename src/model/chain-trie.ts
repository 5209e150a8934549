/**
 * The chainID prefix trie: node = (parent node, layer). Two stacks share a node exactly when they
 * share the prefix up to it, which is when Docker's layer store shares the layer (chainID equality),
 * given that layer indices are distinct per diffID. A layer's first node is found through a column
 * by layer (most layers sit on one parent only, and a new layer, the common case while building,
 * then costs no hash probe); the other nodes through an open-addressing hash over one Int32Array
 * of node ids. A few bytes per node and no objects.
 */
export class ChainTrie {
  /** Parent node of each node, -1 for a bottom layer. */
  nodeParent: Int32Array;
  /** Layer index of each node. */
  nodeLayer: Uint32Array;
  /** Depth of each node (0 for a bottom layer). */
  nodeDepth: Uint32Array;
  count = 0;
  /** Per layer, its first node + 1 (0 = none); that node is not in the hash. */
  private first: Int32Array;
  private slots: Int32Array; // node id + 1, 0 = empty
  private mask: number;
  /** Nodes in the hash (those that are not their layer's first). */
  private hashed = 0;

  constructor(expectedNodes = 1024) {
    const cap = Math.max(16, expectedNodes);
    this.nodeParent = new Int32Array(cap);
    this.nodeLayer = new Uint32Array(cap);
    this.nodeDepth = new Uint32Array(cap);
    this.first = new Int32Array(cap);
    let size = 16;
    // The hash holds only a layer's second and later parents: a fraction of the nodes.
    while (size < cap >> 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  private static hash(parent: number, layer: number): number {
    let h = Math.imul(parent + 1, 0x9e3779b1) ^ Math.imul(layer + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  /** The node for `layer` on top of `parent` (-1 = none), created if new. */
  child(parent: number, layer: number): number {
    if (layer >= this.first.length) this.growFirst(layer);
    const f = this.first[layer] - 1;
    if (f < 0) {
      const n = this.add(parent, layer);
      this.first[layer] = n + 1;
      return n;
    }
    if (this.nodeParent[f] === parent) return f;
    let i = ChainTrie.hash(parent, layer) & this.mask;
    const slots = this.slots;
    for (;;) {
      const s = slots[i];
      if (s === 0) break;
      const n = s - 1;
      if (this.nodeLayer[n] === layer && this.nodeParent[n] === parent) return n;
      i = (i + 1) & this.mask;
    }
    const n = this.add(parent, layer);
    slots[i] = n + 1;
    if (++this.hashed * 2 > slots.length) this.rehash();
    return n;
  }

  private add(parent: number, layer: number): number {
    const n = this.count++;
    if (n === this.nodeParent.length) this.growNodes();
    this.nodeParent[n] = parent;
    this.nodeLayer[n] = layer;
    this.nodeDepth[n] = parent < 0 ? 0 : this.nodeDepth[parent] + 1;
    return n;
  }

  /** Looks up without creating; -1 when absent. */
  find(parent: number, layer: number): number {
    const f = layer < this.first.length ? this.first[layer] - 1 : -1;
    if (f < 0) return -1;
    if (this.nodeParent[f] === parent) return f;
    let i = ChainTrie.hash(parent, layer) & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === 0) return -1;
      const n = s - 1;
      if (this.nodeLayer[n] === layer && this.nodeParent[n] === parent) return n;
      i = (i + 1) & this.mask;
    }
  }

  private growNodes(): void {
    const cap = this.nodeParent.length * 2;
    if (this.nodeParent.length !== this.nodeParent.buffer.byteLength / 4) throw new Error('ChainTrie: cannot grow after seal()');
    const p = new Int32Array(cap);
    p.set(this.nodeParent);
    const l = new Uint32Array(cap);
    l.set(this.nodeLayer);
    const d = new Uint32Array(cap);
    d.set(this.nodeDepth);
    this.nodeParent = p;
    this.nodeLayer = l;
    this.nodeDepth = d;
  }

  private growFirst(layer: number): void {
    let cap = this.first.length * 2;
    while (cap <= layer) cap *= 2;
    const f = new Int32Array(cap);
    f.set(this.first);
    this.first = f;
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let n = 0; n < this.count; n++) {
      if (this.first[this.nodeLayer[n]] === n + 1) continue;
      let i = ChainTrie.hash(this.nodeParent[n], this.nodeLayer[n]) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = n + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Narrows node columns to the nodes made (views, no copy); the trie cannot grow after. */
  seal(): void {
    this.nodeParent = this.nodeParent.subarray(0, this.count);
    this.nodeLayer = this.nodeLayer.subarray(0, this.count);
    this.nodeDepth = this.nodeDepth.subarray(0, this.count);
  }

  /** Bytes held by the trie's columns. */
  byteLength(): number {
    return this.nodeParent.byteLength + this.nodeLayer.byteLength + this.nodeDepth.byteLength + this.first.byteLength + this.slots.byteLength;
  }
}
