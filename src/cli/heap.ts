// Node's default heap limit (about 4 GB here) is too small for snapshots of several million
// images. Rather than make users find --max-old-space-size, main.ts asks this module whether the
// input needs more and, if so, runs layerlab again in a node with a larger heap, saying so.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COLUMNAR_MARKER } from '../sources/sniff.js';

/** Heap bytes per snapshot byte a loaded graph needs, plus headroom (measured: about 0.9 at 1M images). */
const HEAP_PER_FILE_BYTE = 1.5;
// Commands over every image (tree, report, prune -a, plan) used to ask for 5 heap bytes per file
// byte; their per-image records are now typed arrays or counts: at 1M images (a 1.29 GB file) they
// peak at 1.2-1.9 GB RSS in df's heap (reports/scale.md, session 6).
const BASE = 512 * 1024 * 1024;

/** Heap bytes a command line is expected to need, from its file arguments' sizes. */
export function heapNeeded(argv: readonly string[]): number {
  // generate writes as it makes (one repository in memory), whatever the count; its -o FILE is an output.
  if (argv[0] === 'generate') return 0;
  let bytes = 0;
  for (const a of argv.slice(1)) {
    if (a.startsWith('-') || a.includes('://')) continue;
    try {
      const st = statSync(a);
      if (st.isFile()) bytes += st.size;
      // A columnar export (10M images: about 6 GB of Arrow) loads into as much heap as a snapshot of
      // its size; other folders (data roots, layouts) are not walked: they can hold millions of files.
      else if (st.isDirectory() && statSync(join(a, COLUMNAR_MARKER), { throwIfNoEntry: false })?.isFile()) bytes += folderBytes(a);
    } catch {
      // not a file: the command says what is wrong with it
    }
  }
  return bytes === 0 ? 0 : BASE + bytes * HEAP_PER_FILE_BYTE;
}

/** The --max-old-space-size (MiB) to re-run with, or undefined when the current heap is enough. */
export function heapPlan(argv: readonly string[], limit: number, available: number): number | undefined {
  const need = heapNeeded(argv);
  if (need <= limit) return undefined;
  // Leave a quarter of the available memory to typed arrays (outside the heap) and the system.
  const cap = Math.floor(available * 0.75);
  const target = Math.min(need, cap);
  return target > limit ? Math.ceil(target / 1024 / 1024) : undefined;
}

/** Bytes of the files under a columnar export folder (its partition folders included). */
function folderBytes(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) bytes += folderBytes(p);
    else if (e.isFile()) bytes += statSync(p).size;
  }
  return bytes;
}
