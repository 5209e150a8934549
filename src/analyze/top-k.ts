/**
 * The first `k` of `n` items 0..n-1 that `keep` accepts, in `cmp` order: what sorting them all and
 * slicing gives when `cmp` is a strict order, in O(n log k) time and O(k) memory (ten million
 * images or layers are not sorted to show the top ten).
 */
export function topK(n: number, k: number, keep: (x: number) => boolean, cmp: (a: number, b: number) => number): number[] {
  // A heap with the worst kept item at the root.
  const heap: number[] = [];
  if (k <= 0) return heap;
  const worse = (a: number, b: number) => cmp(heap[a], heap[b]) > 0;
  for (let x = 0; x < n; x++) {
    if (!keep(x)) continue;
    if (heap.length < k) {
      heap.push(x);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        [heap[c], heap[p]] = [heap[p], heap[c]];
        c = p;
      }
    } else if (cmp(x, heap[0]) < 0) {
      heap[0] = x;
      for (let p = 0; ; ) {
        const l = 2 * p + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && worse(l + 1, l) ? l + 1 : l;
        if (!worse(c, p)) break;
        [heap[c], heap[p]] = [heap[p], heap[c]];
        p = c;
      }
    }
  }
  return heap.sort(cmp);
}
