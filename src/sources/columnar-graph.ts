// Columnar tables back into an image graph, validated: keys dense and in order, references
// resolvable, no duplicate identities, no parent cycles, the stored chain keys equal to the trie
// the graph builds (so SQL over the files and the engine agree). Errors name table, row, column.
import { LayerlabError, quote } from '../errors.js';
import { digestBytesOfRows } from '../model/digest-bytes.js';
import { findParentCycle, ImageGraph, type LazyDigests } from '../model/graph.js';
import type { ImageColumns } from '../model/image-columns.js';
import { normalizeRepoDigest, normalizeRepoTag } from '../model/reference.js';
import { CONTAINER_STATES, type ContainerRecord, type ContainerState } from '../model/types.js';
import { DIGEST_BYTES, digestStrings, hasDigest, type ColumnarTables, type DigestColumn, type StringColumn } from './columnar-tables.js';

const PLATFORM = /^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/;

/** Fails naming the export, the table, the row and the column. */
export function tableError(file: string, table: string, row: number | undefined, column: string | undefined, message: string): never {
  const where = `${table}${row === undefined ? '' : ` row ${row}`}${column === undefined ? '' : ` column ${column}`}`;
  throw new LayerlabError('EINPUT', message, { file, path: where });
}

function checkKey(file: string, table: string, column: string, keys: Int32Array, target: string, limit: number, nullable = false): void {
  for (let r = 0; r < keys.length; r++) {
    const k = keys[r];
    if (nullable && k === -1) continue;
    if (!(k >= 0 && k < limit)) tableError(file, table, r, column, `${k} is not a key of ${target} (0..${limit - 1})`);
  }
}

function checkSize(file: string, table: string, column: string, v: Float64Array): void {
  for (let r = 0; r < v.length; r++) {
    const x = v[r];
    if (!Number.isNaN(x) && !(Number.isSafeInteger(x) && x >= 0)) tableError(file, table, r, column, `expected a size in bytes (a whole number >= 0), got ${x}`);
  }
}

/**
 * The first repeated digest across columns (rows where valid), in scan order, with the row it
 * repeats. Millions of digests do not fit a cache, so they are first partitioned by their first
 * byte (two sequential passes, copying each digest's first eight bytes next to its row), then
 * each partition is checked with a small open-addressing table that stays in cache; the full
 * 32 bytes are compared only when the first eight match. Digests are uniform hashes.
 */
export function findDuplicateDigest(columns: readonly { c: DigestColumn; rows: number }[]): { at: [number, number]; first: [number, number] } | undefined {
  const base: number[] = [];
  let total = 0;
  for (const x of columns) {
    base.push(total);
    total += x.rows;
  }
  const where = (g: number): [number, number] => {
    let k = columns.length - 1;
    while (base[k] > g) k--;
    return [k, g - base[k]];
  };
  // Pass 1: partition sizes.
  const start = new Uint32Array(257);
  for (const { c, rows } of columns) {
    for (let r = 0; r < rows; r++) if (c.valid === undefined || c.valid[r] === 1) start[c.bytes[r * DIGEST_BYTES] + 1]++;
  }
  for (let p = 0; p < 256; p++) start[p + 1] += start[p];
  // Pass 2: [global row, bytes 0..3, bytes 4..7] per digest, partitions in scan order.
  const n = start[256];
  const entries = new Int32Array(n * 3);
  const fill = start.slice(0, 256);
  let maxPart = 0;
  for (let p = 0; p < 256; p++) maxPart = Math.max(maxPart, start[p + 1] - start[p]);
  for (let k = 0; k < columns.length; k++) {
    const { c, rows } = columns[k];
    const b = c.bytes;
    for (let r = 0; r < rows; r++) {
      if (c.valid !== undefined && c.valid[r] !== 1) continue;
      const o = r * DIGEST_BYTES;
      const e = 3 * fill[b[o]]++;
      entries[e] = base[k] + r;
      entries[e + 1] = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
      entries[e + 2] = (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
    }
  }
  // Pass 3: per partition, a table of entry numbers (+1; 0 empty) hashed on bytes 1..3.
  let size = 16;
  while (size < maxPart * 2) size *= 2;
  const table = new Int32Array(size);
  const mask = size - 1;
  let best = -1;
  let bestFirst = -1;
  for (let p = 0; p < 256; p++) {
    const from = start[p];
    const to = start[p + 1];
    if (to - from === 0) continue;
    table.fill(0);
    for (let e = from; e < to; e++) {
      const g = entries[3 * e];
      if (best >= 0 && g > best) break; // later duplicates in this partition cannot be first
      const w0 = entries[3 * e + 1];
      const w1 = entries[3 * e + 2];
      let h = (w0 ^ Math.imul(w1, 0x9e3779b1)) & mask;
      for (;;) {
        const slot = table[h];
        if (slot === 0) {
          table[h] = e + 1;
          break;
        }
        const f = slot - 1;
        if (entries[3 * f + 1] === w0 && entries[3 * f + 2] === w1 && sameDigest(columns, where(entries[3 * f]), where(g))) {
          if (best < 0 || g < best) {
            best = g;
            bestFirst = entries[3 * f];
          }
          break;
        }
        h = (h + 1) & mask;
      }
    }
  }
  return best < 0 ? undefined : { at: where(best), first: where(bestFirst) };
}

function sameDigest(columns: readonly { c: DigestColumn }[], [ka, ra]: [number, number], [kb, rb]: [number, number]): boolean {
  const a = columns[ka].c.bytes;
  const b = columns[kb].c.bytes;
  for (let x = 0; x < DIGEST_BYTES; x++) if (a[ra * DIGEST_BYTES + x] !== b[rb * DIGEST_BYTES + x]) return false;
  return true;
}

function uniqueDigests(file: string, table: string, named: readonly { column: string; c: DigestColumn; rows: number }[]): void {
  const dup = findDuplicateDigest(named);
  if (!dup) return;
  const [k, r] = dup.at;
  const [k0, r0] = dup.first;
  tableError(file, table, r, named[k].column, `duplicate ${digestAt(named[k].c, r)}: already ${table} row ${r0} column ${named[k0].column}`);
}

function digestAt(c: DigestColumn, r: number): string {
  return 'sha256:' + Buffer.from(c.bytes.subarray(r * DIGEST_BYTES, (r + 1) * DIGEST_BYTES)).toString('hex');
}

/** A digest column whose strings are made the first time an analysis asks (df never does). */
function lazyColumn(c: DigestColumn, rows: number): LazyDigests {
  return { length: rows, strings: () => digestStrings(c, rows), bytes: () => digestBytesOfRows(c.bytes, rows, (r) => hasDigest(c, r)) };
}

const opt = (v: string | null): string | undefined => (v === null ? undefined : v);

/** Builds and validates the graph of an export's tables. */
export function graphFromTables(t: ColumnarTables, file: string): ImageGraph {
  const nL = t.layers.size.length;
  const nI = t.images.parent.length;
  for (let l = 0; l < nL; l++) {
    if (!hasDigest(t.layers.diffId, l) && !hasDigest(t.layers.digest, l)) tableError(file, 'layers', l, 'diff_id', 'a layer needs a diff_id, a digest, or both');
  }
  uniqueDigests(
    file,
    'layers',
    [
      { column: 'diff_id', c: t.layers.diffId, rows: nL },
      { column: 'digest', c: t.layers.digest, rows: nL },
    ],
  );
  checkSize(file, 'layers', 'size', t.layers.size);
  checkSize(file, 'layers', 'compressed_size', t.layers.compressedSize);

  for (let i = 0; i < nI; i++) if (!hasDigest(t.images.id, i)) tableError(file, 'images', i, 'id', 'an image needs an id');
  uniqueDigests(file, 'images', [{ column: 'id', c: t.images.id, rows: nI }]);
  checkKey(file, 'images', 'parent_key', t.images.parent, 'images', nI, true);
  for (let i = 0; i < nI; i++) if (t.images.parent[i] === i) tableError(file, 'images', i, 'parent_key', 'an image cannot be its own parent');
  const cycle = findParentCycle(t.images.parent);
  if (cycle >= 0) tableError(file, 'images', cycle, 'parent_key', 'parent links form a cycle');
  const stackStart = stackStarts(t, file, nI, nL);

  const images = imageColumns(t, file);
  const containers = containerRecords(t, file);
  const graph = new ImageGraph({
    layerDiffId: lazyColumn(t.layers.diffId, nL),
    layerDigest: lazyColumn(t.layers.digest, nL),
    layerMediaType: t.layers.mediaType.map(opt),
    layerSize: t.layers.size,
    layerCompressed: t.layers.compressedSize,
    images,
    containerImage: t.containers.image,
    stackStart,
    // Keys were checked >= 0, so each int32 is the same uint32 (a native copy, not an iterator).
    stackLayer: new Uint32Array(t.imageLayers.layer.buffer.slice(t.imageLayers.layer.byteOffset, t.imageLayers.layer.byteOffset + t.imageLayers.layer.byteLength)),
    containers,
  });
  checkChains(t, file, graph);
  return graph;
}

/** CSR starts of the stacks; rows must be sorted by image, positions 0, 1, 2, ... within one. */
function stackStarts(t: ColumnarTables, file: string, nI: number, nL: number): Uint32Array {
  const { image, position } = t.imageLayers;
  checkKey(file, 'image_layers', 'image_key', image, 'images', nI);
  checkKey(file, 'image_layers', 'layer_key', t.imageLayers.layer, 'layers', nL);
  const start = new Uint32Array(nI + 1);
  let prev = -1;
  for (let r = 0; r < image.length; r++) {
    const i = image[r];
    if (i < prev) tableError(file, 'image_layers', r, 'image_key', `rows must be sorted by image_key (${i} after ${prev})`);
    const want = i === prev ? position[r - 1] + 1 : 0;
    if (position[r] !== want) tableError(file, 'image_layers', r, 'position', `expected ${want} (positions count 0, 1, 2, ... within an image), got ${position[r]}`);
    for (let k = prev + 1; k <= i; k++) start[k] = r;
    prev = i;
  }
  for (let k = prev + 1; k <= nI; k++) start[k] = image.length;
  return start;
}

/** The images table and its references as image columns: the IDs stay the file's bytes. */
function imageColumns(t: ColumnarTables, file: string): ImageColumns {
  const nI = t.images.parent.length;
  const created = t.images.created;
  for (let i = 0; i < nI; i++) {
    const c = created[i];
    if (!Number.isNaN(c) && !Number.isSafeInteger(c)) tableError(file, 'images', i, 'created', `expected Unix seconds, got ${c}`);
  }
  // Platforms are few and repeat: each distinct value is checked and numbered once.
  const platformCode = new Uint32Array(nI);
  const platforms: string[] = [];
  const codes = new Map<string, number>();
  for (let i = 0; i < nI; i++) {
    const platform = t.images.platform[i];
    if (platform === null) continue;
    let code = codes.get(platform);
    if (code === undefined) {
      if (!PLATFORM.test(platform)) tableError(file, 'images', i, 'platform', `expected os/arch[/variant], got ${quote(platform, 40)}`);
      platforms.push(platform);
      codes.set(platform, (code = platforms.length));
    }
    platformCode[i] = code;
  }
  const { image, kind, ref } = t.imageRefs;
  checkKey(file, 'image_refs', 'image_key', image, 'images', nI);
  const nR = image.length;
  // Tags and digests grouped by image (CSR), each kept in row order within its image.
  const isTag = new Uint8Array(nR);
  const tagStart = new Uint32Array(nI + 1);
  const digestStart = new Uint32Array(nI + 1);
  const normal = new Array<string>(nR);
  for (let r = 0; r < nR; r++) {
    const k = kind[r];
    const text = ref[r];
    if (k !== 'tag' && k !== 'digest') tableError(file, 'image_refs', r, 'kind', `expected "tag" or "digest", got ${quote(k, 20)}`);
    if (text === null) tableError(file, 'image_refs', r, 'ref', 'expected a reference, got null');
    try {
      const n = k === 'tag' ? normalizeRepoTag(text) : normalizeRepoDigest(text);
      // Exports write the normal form: keep the column's string, so the copy dies young.
      normal[r] = n === text ? text : n;
    } catch (e) {
      if (e instanceof LayerlabError) tableError(file, 'image_refs', r, 'ref', `invalid reference ${quote(text)}: ${e.message}`);
      throw e;
    }
    if (k === 'tag') {
      isTag[r] = 1;
      tagStart[image[r] + 1]++;
    } else digestStart[image[r] + 1]++;
  }
  for (let i = 0; i < nI; i++) {
    tagStart[i + 1] += tagStart[i];
    digestStart[i + 1] += digestStart[i];
  }
  const tags = new Array<string>(tagStart[nI]);
  const repoDigests = new Array<string>(digestStart[nI]);
  const tagFill = tagStart.slice(0, nI);
  const digestFill = digestStart.slice(0, nI);
  for (let r = 0; r < nR; r++) {
    if (isTag[r]) tags[tagFill[image[r]]++] = normal[r];
    else repoDigests[digestFill[image[r]]++] = normal[r];
  }
  return {
    count: nI,
    idBytes: t.images.id.bytes.subarray(0, nI * DIGEST_BYTES),
    idOther: new Map(),
    created,
    parent: t.images.parent.slice(),
    platformCode,
    platforms,
    tagStart,
    tags,
    digestStart,
    repoDigests,
  };
}

function containerRecords(t: ColumnarTables, file: string): ContainerRecord[] {
  const c = t.containers;
  const n = c.image.length;
  checkKey(file, 'containers', 'image_key', c.image, 'images', t.images.parent.length);
  checkSize(file, 'containers', 'size_rw', c.sizeRw);
  const cids = digestStrings(c.id, n);
  const seen = new Set<string>();
  const out: ContainerRecord[] = [];
  for (let k = 0; k < n; k++) {
    const id = cids[k]?.slice(7);
    if (id === undefined) tableError(file, 'containers', k, 'container_id', 'a container needs an id');
    if (seen.has(id)) tableError(file, 'containers', k, 'container_id', `duplicate container ID ${id}`);
    seen.add(id);
    const state = c.state[k];
    if (state === null || !(CONTAINER_STATES as readonly string[]).includes(state)) tableError(file, 'containers', k, 'state', `expected one of ${CONTAINER_STATES.join(', ')}, got ${quote(state, 20)}`);
    const rec: ContainerRecord = { id, image: digestAt(t.images.id, c.image[k]), state: state as ContainerState };
    setIf(rec, 'name', c.name[k]);
    setIf(rec, 'imageRef', c.imageRef[k]);
    setIf(rec, 'status', c.status[k]);
    setIf(rec, 'command', c.command[k]);
    if (!Number.isNaN(c.sizeRw[k])) rec.sizeRw = c.sizeRw[k];
    if (!Number.isNaN(c.created[k])) rec.created = c.created[k];
    out.push(rec);
  }
  return out;
}

function setIf(rec: ContainerRecord, key: 'name' | 'imageRef' | 'status' | 'command', v: StringColumn[number]): void {
  if (v !== null) rec[key] = v;
}

/** The stored chain keys and trie must be the graph's own: SQL groups by them. */
function checkChains(t: ColumnarTables, file: string, graph: ImageGraph): void {
  const ch = t.chains;
  if (ch.parent.length !== graph.chain.count) {
    tableError(file, 'chains', undefined, undefined, `has ${ch.parent.length} rows but the stacks have ${graph.chain.count} distinct prefixes`);
  }
  for (let k = 0; k < ch.parent.length; k++) {
    if (ch.parent[k] !== graph.chain.nodeParent[k]) tableError(file, 'chains', k, 'parent_chain_key', `expected ${graph.chain.nodeParent[k]} (the prefix below it in image_layers), got ${ch.parent[k]}`);
    if (ch.layer[k] !== graph.chain.nodeLayer[k]) tableError(file, 'chains', k, 'layer_key', `expected ${graph.chain.nodeLayer[k]}, got ${ch.layer[k]}`);
  }
  const stored = t.imageLayers.chain;
  for (let r = 0; r < stored.length; r++) {
    if (stored[r] !== graph.stackNode[r]) tableError(file, 'image_layers', r, 'chain_key', `expected ${graph.stackNode[r]} (the chains row of this stack prefix), got ${stored[r]}`);
  }
}
