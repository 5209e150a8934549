// Columnar tables back into an image graph, validated: keys dense and in order, references
// resolvable, no duplicate identities, no parent cycles, the stored chain keys equal to the trie
// the graph builds (so SQL over the files and the engine agree). Errors name table, row, column.
import { LayerlabError, quote } from '../errors.js';
import { findParentCycle, ImageGraph } from '../model/graph.js';
import { normalizeRepoDigest, normalizeRepoTag } from '../model/reference.js';
import { CONTAINER_STATES, type ContainerRecord, type ContainerState, type ImageMeta } from '../model/types.js';
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
 * The first repeated digest across columns (rows where valid), found on the bytes with an
 * open-addressing table keyed by the digest's first four bytes (digests are uniform hashes).
 */
export function findDuplicateDigest(columns: readonly { c: DigestColumn; rows: number }[]): { at: [number, number]; first: [number, number] } | undefined {
  const total = columns.reduce((n, x) => n + x.rows, 0);
  let size = 16;
  while (size < total * 2) size *= 2;
  const slotCol = new Int8Array(size).fill(-1);
  const slotRow = new Int32Array(size);
  const mask = size - 1;
  for (let k = 0; k < columns.length; k++) {
    const { c, rows } = columns[k];
    const b = c.bytes;
    for (let r = 0; r < rows; r++) {
      if (!hasDigest(c, r)) continue;
      const o = r * DIGEST_BYTES;
      let h = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) & mask;
      for (;;) {
        const sc = slotCol[h];
        if (sc < 0) {
          slotCol[h] = k;
          slotRow[h] = r;
          break;
        }
        const other = columns[sc].c.bytes;
        const p = slotRow[h] * DIGEST_BYTES;
        let same = true;
        for (let x = 0; x < DIGEST_BYTES && same; x++) same = other[p + x] === b[o + x];
        if (same) return { at: [k, r], first: [sc, slotRow[h]] };
        h = (h + 1) & mask;
      }
    }
  }
  return undefined;
}

function uniqueDigests(file: string, table: string, named: readonly { column: string; c: DigestColumn; rows: number }[], strings: readonly (string | undefined)[][]): void {
  const dup = findDuplicateDigest(named);
  if (!dup) return;
  const [k, r] = dup.at;
  const [k0, r0] = dup.first;
  tableError(file, table, r, named[k].column, `duplicate ${strings[k][r]}: already ${table} row ${r0} column ${named[k0].column}`);
}

const opt = (v: string | null): string | undefined => (v === null ? undefined : v);

/** Builds and validates the graph of an export's tables. */
export function graphFromTables(t: ColumnarTables, file: string): ImageGraph {
  const nL = t.layers.size.length;
  const nI = t.images.parent.length;
  const diffIds = digestStrings(t.layers.diffId, nL);
  const digests = digestStrings(t.layers.digest, nL);
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
    [diffIds, digests],
  );
  checkSize(file, 'layers', 'size', t.layers.size);
  checkSize(file, 'layers', 'compressed_size', t.layers.compressedSize);

  const ids = digestStrings(t.images.id, nI);
  for (let i = 0; i < nI; i++) if (ids[i] === undefined) tableError(file, 'images', i, 'id', 'an image needs an id');
  uniqueDigests(file, 'images', [{ column: 'id', c: t.images.id, rows: nI }], [ids]);
  checkKey(file, 'images', 'parent_key', t.images.parent, 'images', nI, true);
  for (let i = 0; i < nI; i++) if (t.images.parent[i] === i) tableError(file, 'images', i, 'parent_key', 'an image cannot be its own parent');
  const cycle = findParentCycle(t.images.parent);
  if (cycle >= 0) tableError(file, 'images', cycle, 'parent_key', 'parent links form a cycle');
  const stackStart = stackStarts(t, file, nI, nL);

  const metas = imageMetas(t, file, ids);
  const containers = containerRecords(t, file, ids);
  const graph = new ImageGraph({
    layerDiffId: diffIds,
    layerDigest: digests,
    layerMediaType: t.layers.mediaType.map(opt),
    layerSize: t.layers.size,
    layerCompressed: t.layers.compressedSize,
    images: metas,
    stackStart,
    stackLayer: Uint32Array.from(t.imageLayers.layer),
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

function imageMetas(t: ColumnarTables, file: string, ids: (string | undefined)[]): ImageMeta[] {
  const nI = ids.length;
  const metas: ImageMeta[] = new Array(nI);
  for (let i = 0; i < nI; i++) {
    const m: ImageMeta = { id: ids[i] as string };
    const created = t.images.created[i];
    if (!Number.isNaN(created)) {
      if (!Number.isSafeInteger(created)) tableError(file, 'images', i, 'created', `expected Unix seconds, got ${created}`);
      m.created = created;
    }
    const platform = t.images.platform[i];
    if (platform !== null) {
      if (!PLATFORM.test(platform)) tableError(file, 'images', i, 'platform', `expected os/arch[/variant], got ${quote(platform, 40)}`);
      m.platform = platform;
    }
    if (t.images.parent[i] >= 0) m.parent = ids[t.images.parent[i]];
    metas[i] = m;
  }
  const { image, kind, ref } = t.imageRefs;
  checkKey(file, 'image_refs', 'image_key', image, 'images', nI);
  for (let r = 0; r < image.length; r++) {
    const k = kind[r];
    const text = ref[r];
    if (k !== 'tag' && k !== 'digest') tableError(file, 'image_refs', r, 'kind', `expected "tag" or "digest", got ${quote(k, 20)}`);
    if (text === null) tableError(file, 'image_refs', r, 'ref', 'expected a reference, got null');
    let normal: string;
    try {
      normal = k === 'tag' ? normalizeRepoTag(text) : normalizeRepoDigest(text);
    } catch (e) {
      if (e instanceof LayerlabError) tableError(file, 'image_refs', r, 'ref', `invalid reference ${quote(text)}: ${e.message}`);
      throw e;
    }
    const m = metas[image[r]];
    if (k === 'tag') (m.repoTags ??= []).push(normal);
    else (m.repoDigests ??= []).push(normal);
  }
  return metas;
}

function containerRecords(t: ColumnarTables, file: string, ids: (string | undefined)[]): ContainerRecord[] {
  const c = t.containers;
  const n = c.image.length;
  checkKey(file, 'containers', 'image_key', c.image, 'images', ids.length);
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
    const rec: ContainerRecord = { id, image: ids[c.image[k]] as string, state: state as ContainerState };
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
