// The column layout of each table, shared by the Arrow and Parquet writers and readers, and the
// flat column form (name -> typed values) both file formats convert to and from.
import type { ColumnarTables, DigestColumn, StringColumn, TableName } from './columnar-tables.js';

/**
 * `key`: int32 row key, 0..n-1 (implicit in memory); `ref`: int32 key of another table, -1 for
 * null when nullable; `int64`: whole numbers, NaN for null; `digest`: 32-byte fixed binary.
 */
export type ColumnType = 'key' | 'ref' | 'int64' | 'digest' | 'string';

/** One column of a table. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

const col = (name: string, type: ColumnType, nullable = false): ColumnSpec => ({ name, type, nullable });

/** Every table's columns, in file order. `offset`/`length` are reserved in Trino and Spark, hence chunk_*. */
export const SCHEMA: Record<TableName, readonly ColumnSpec[]> = {
  layers: [col('layer_key', 'key'), col('diff_id', 'digest', true), col('digest', 'digest', true), col('size', 'int64', true), col('compressed_size', 'int64', true), col('media_type', 'string', true)],
  images: [col('image_key', 'key'), col('id', 'digest'), col('parent_key', 'ref', true), col('created', 'int64', true), col('platform', 'string', true)],
  image_refs: [col('ref_key', 'key'), col('image_key', 'ref'), col('kind', 'string'), col('ref', 'string')],
  image_layers: [col('image_key', 'ref'), col('position', 'ref'), col('layer_key', 'ref'), col('chain_key', 'ref')],
  chains: [col('chain_key', 'key'), col('parent_chain_key', 'ref', true), col('layer_key', 'ref'), col('chain_id', 'digest', true)],
  containers: [
    col('container_key', 'key'),
    col('container_id', 'digest'),
    col('name', 'string', true),
    col('image_key', 'ref'),
    col('image_ref', 'string', true),
    col('state', 'string'),
    col('status', 'string', true),
    col('size_rw', 'int64', true),
    col('created', 'int64', true),
    col('command', 'string', true),
  ],
  files: [col('layer_digest', 'digest'), col('path', 'string'), col('size', 'int64'), col('content_digest', 'digest', true)],
  chunks: [
    col('layer_digest', 'digest'),
    col('algo', 'string'),
    col('mode', 'string'),
    col('path', 'string', true),
    col('chunk_offset', 'int64'),
    col('chunk_length', 'int64'),
    col('chunk_digest', 'digest'),
  ],
};

/** A column's values: Int32Array (key, ref), Float64Array (int64), DigestColumn, or strings. */
export type ColumnData = Int32Array | Float64Array | DigestColumn | StringColumn;
/** A table as named columns plus its row count. */
export interface FlatTable {
  rows: number;
  columns: Record<string, ColumnData>;
}

const keys = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
/** An empty table of {@link SCHEMA}'s columns. */
export const emptyTable = (name: TableName): FlatTable => ({
  rows: 0,
  columns: Object.fromEntries(SCHEMA[name].map((c) => [c.name, c.type === 'digest' ? { bytes: new Uint8Array(0) } : c.type === 'string' ? [] : c.type === 'int64' ? new Float64Array(0) : new Int32Array(0)])),
});

/** The layer-content tables, filled by `layerlab export --contents` (sources/content-tables.ts). */
export interface ContentTables {
  files: FlatTable;
  chunks: FlatTable;
}

/** The tables as flat named columns, in {@link SCHEMA} order; files and chunks empty unless given. */
export function flattenTables(t: ColumnarTables, content?: ContentTables): Record<TableName, FlatTable> {
  const l = t.layers;
  const i = t.images;
  const c = t.containers;
  const nL = l.size.length;
  const nI = i.parent.length;
  return {
    layers: { rows: nL, columns: { layer_key: keys(nL), diff_id: l.diffId, digest: l.digest, size: l.size, compressed_size: l.compressedSize, media_type: l.mediaType } },
    images: { rows: nI, columns: { image_key: keys(nI), id: i.id, parent_key: i.parent, created: i.created, platform: i.platform } },
    image_refs: { rows: t.imageRefs.image.length, columns: { ref_key: keys(t.imageRefs.image.length), image_key: t.imageRefs.image, kind: t.imageRefs.kind, ref: t.imageRefs.ref } },
    image_layers: {
      rows: t.imageLayers.image.length,
      columns: { image_key: t.imageLayers.image, position: t.imageLayers.position, layer_key: t.imageLayers.layer, chain_key: t.imageLayers.chain },
    },
    chains: { rows: t.chains.parent.length, columns: { chain_key: keys(t.chains.parent.length), parent_chain_key: t.chains.parent, layer_key: t.chains.layer, chain_id: t.chains.chainId } },
    containers: {
      rows: c.image.length,
      columns: { container_key: keys(c.image.length), container_id: c.id, name: c.name, image_key: c.image, image_ref: c.imageRef, state: c.state, status: c.status, size_rw: c.sizeRw, created: c.created, command: c.command },
    },
    files: content?.files ?? emptyTable('files'),
    chunks: content?.chunks ?? emptyTable('chunks'),
  };
}

/** The tables from flat columns (types already checked by the format reader). */
export function unflattenTables(f: Record<TableName, FlatTable>): ColumnarTables {
  const g = <T extends ColumnData>(table: TableName, name: string): T => f[table].columns[name] as T;
  return {
    layers: {
      diffId: g('layers', 'diff_id'),
      digest: g('layers', 'digest'),
      size: g('layers', 'size'),
      compressedSize: g('layers', 'compressed_size'),
      mediaType: g('layers', 'media_type'),
    },
    images: { id: g('images', 'id'), parent: g('images', 'parent_key'), created: g('images', 'created'), platform: g('images', 'platform') },
    imageRefs: { image: g('image_refs', 'image_key'), kind: g('image_refs', 'kind'), ref: g('image_refs', 'ref') },
    imageLayers: { image: g('image_layers', 'image_key'), position: g('image_layers', 'position'), layer: g('image_layers', 'layer_key'), chain: g('image_layers', 'chain_key') },
    chains: { parent: g('chains', 'parent_chain_key'), layer: g('chains', 'layer_key'), chainId: g('chains', 'chain_id') },
    containers: {
      id: g('containers', 'container_id'),
      name: g('containers', 'name'),
      image: g('containers', 'image_key'),
      imageRef: g('containers', 'image_ref'),
      state: g('containers', 'state'),
      status: g('containers', 'status'),
      sizeRw: g('containers', 'size_rw'),
      created: g('containers', 'created'),
      command: g('containers', 'command'),
    },
  };
}
