// The files and chunks tables of `layerlab export --contents`: each distinct layer (by diffID) read
// once through its source's blobs, one row per regular file and, per chunker, one row per chunk
// of each file (per-file) and of the uncompressed tar (stream) — the units `dedup --level file|chunk` counts.
import { createHash, type Hash } from 'node:crypto';
import { LayerlabError } from '../errors.js';
import { normalisePath } from '../model/files.js';
import { createChunker } from '../chunk/registry.js';
import type { ContentTables, FlatTable } from './columnar-schema.js';
import { DIGEST_BYTES } from './columnar-tables.js';
import { ChunkFeeder } from './dedup-visitors.js';
import { canReadLayer, scanSourceLayers } from './layer-contents.js';
import type { LoadedSources } from './load.js';
import type { LoadedSource } from './source.js';
import type { LayerEntry, LayerVisitor } from './tar.js';

/** What {@link contentTables} read. */
export interface ContentTablesResult extends ContentTables {
  /** Distinct layers (diffIDs) whose contents are in the tables. */
  layersRead: number;
  /** Distinct layers some image stacks whose bytes no source holds (left out of the tables). */
  layersNotRead: number;
  /** Canonical specs of the chunkers of the chunks table. */
  algos: string[];
}

/** Appends 32-byte digests, growing by doubling. */
class DigestBuilder {
  private bytes = new Uint8Array(1024 * DIGEST_BYTES);
  rows = 0;
  push(d: Uint8Array): void {
    if ((this.rows + 1) * DIGEST_BYTES > this.bytes.length) {
      const next = new Uint8Array(this.bytes.length * 2);
      next.set(this.bytes);
      this.bytes = next;
    }
    this.bytes.set(d, this.rows++ * DIGEST_BYTES);
  }
  done(): { bytes: Uint8Array } {
    return { bytes: this.bytes.slice(0, this.rows * DIGEST_BYTES) };
  }
}

/** Appends whole numbers (as the int64 columns hold them: float64). */
class NumberBuilder {
  private values = new Float64Array(1024);
  rows = 0;
  push(x: number): void {
    if (this.rows === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.rows++] = x;
  }
  done(): Float64Array {
    return this.values.slice(0, this.rows);
  }
}

const isRegular = (e: LayerEntry): boolean => e.type === 'file' || e.type === 'contiguous-file';

class FilesBuilder {
  readonly layer = new DigestBuilder();
  readonly path: string[] = [];
  readonly size = new NumberBuilder();
  readonly content = new DigestBuilder();

  /** The layer's regular files, each body hashed as it streams. */
  visitor(diffId: Uint8Array, where: { file: string; path: string }): LayerVisitor {
    let hash: Hash | undefined;
    let open: { path: string; size: number } | undefined;
    const close = (): void => {
      if (!open || !hash) return;
      this.layer.push(diffId);
      this.path.push(open.path);
      this.size.push(open.size);
      this.content.push(hash.digest());
      open = undefined;
      hash = undefined;
    };
    return {
      entry: (e) => {
        close();
        if (!isRegular(e)) return;
        open = { path: normalisePath(e.resolvedPath ?? e.path, where), size: e.size };
        hash = createHash('sha256');
      },
      data: (_e, chunk) => void hash?.update(chunk),
      end: () => close(),
    };
  }

  table(): FlatTable {
    return { rows: this.path.length, columns: { layer_digest: this.layer.done(), path: this.path, size: this.size.done(), content_digest: this.content.done() } };
  }
}

class ChunksBuilder {
  readonly layer = new DigestBuilder();
  readonly algo: string[] = [];
  readonly mode: string[] = [];
  readonly path: (string | null)[] = [];
  readonly offset = new NumberBuilder();
  readonly length = new NumberBuilder();
  readonly digest = new DigestBuilder();

  /** A feeder whose rows carry their offset in the current stream (a file, or the tar); `finish` starts the next at 0. */
  private feeder(spec: string, mode: 'per-file' | 'stream', diffId: Uint8Array, path: () => string | null): { push(b: Uint8Array): void; finish(): void } {
    let offset = 0;
    const chunker = createChunker(spec);
    const feeder = new ChunkFeeder(
      chunker,
      (digest, length) => {
        this.layer.push(diffId);
        this.algo.push(chunker.spec);
        this.mode.push(mode);
        this.path.push(path());
        this.offset.push(offset);
        this.length.push(length);
        this.digest.push(digest);
        offset += length;
      },
      false,
    );
    return {
      push: (b) => feeder.push(b),
      finish: () => {
        feeder.finish();
        offset = 0;
      },
    };
  }

  /**
   * Per file: the chunks of each non-empty regular file's body, offsets within the file (what
   * `dedup --per-file` counts). Stream: the chunks of the uncompressed layer tar, headers and
   * padding included, offsets within the tar (what `dedup --stream` counts).
   */
  visitors(specs: readonly string[], diffId: Uint8Array, where: { file: string; path: string }): LayerVisitor[] {
    return specs.flatMap((spec) => {
      let path: string | null = null;
      let open = false;
      const perFile = this.feeder(spec, 'per-file', diffId, () => path);
      const stream = this.feeder(spec, 'stream', diffId, () => null);
      const fileVisitor: LayerVisitor = {
        entry: (e) => {
          if (open) perFile.finish();
          open = isRegular(e) && e.size > 0;
          path = open ? normalisePath(e.resolvedPath ?? e.path, where) : null;
        },
        data: (_e, chunk) => {
          if (open) perFile.push(chunk);
        },
        end: () => {
          if (open) perFile.finish();
          open = false;
        },
      };
      return [fileVisitor, { tar: (c) => stream.push(c), end: () => stream.finish() }];
    });
  }

  table(): FlatTable {
    return {
      rows: this.algo.length,
      columns: {
        layer_digest: this.layer.done(),
        algo: this.algo,
        mode: this.mode,
        path: this.path,
        chunk_offset: this.offset.done(),
        chunk_length: this.length.done(),
        chunk_digest: this.digest.done(),
      },
    };
  }
}

/** For each source, the graph layer indexes to read there, keyed by the diffID they are read for. */
function readPlan(loaded: LoadedSources): { plan: Map<LoadedSource, Map<number, string>>; read: number; notRead: number } {
  const g = loaded.graph;
  const wanted = new Set<string>();
  let unkeyed: number | undefined;
  for (const l of g.stackLayer) {
    const diffId = g.layerDiffId[l];
    if (diffId !== undefined && SHA256.test(diffId)) wanted.add(diffId);
    else unkeyed ??= l;
  }
  const plan = new Map<LoadedSource, Map<number, string>>();
  const found = new Set<string>();
  let readable = false;
  for (const source of loaded.sources) {
    const sg = source.graph;
    for (let i = 0; i < sg.layerCount; i++) {
      if (!canReadLayer(source, i)) continue;
      readable = true;
      const diffId = sg.layerDiffId[i];
      if (diffId === undefined || !wanted.has(diffId) || found.has(diffId)) continue;
      found.add(diffId);
      if (!plan.has(source)) plan.set(source, new Map());
      plan.get(source)!.set(i, diffId);
    }
  }
  const where = { file: loaded.sources.map((s) => s.source).join(', ') };
  if (!readable && g.stackLayer.length > 0) throw new LayerlabError('EINPUT', `--contents reads layer bytes, and no layer of these images can be read: ${NO_BYTES_HINT}`, where);
  if (unkeyed !== undefined) {
    const id = g.layerDiffId[unkeyed];
    throw new LayerlabError('EINPUT', `layer ${g.layerDigest[unkeyed] ?? unkeyed} has ${id ? `diffID ${id}, not sha256` : 'no diffID'} in its source: the files and chunks tables are keyed by the sha256 diffID (the digest of the uncompressed layer tar)`, where);
  }
  return { plan, read: found.size, notRead: wanted.size - found.size };
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;
const NO_BYTES_HINT =
  'snapshots, folders of registry documents, columnar exports and docker:// hold sizes only; use a docker save archive, an OCI layout or archive, registry://, or a Docker data root on vfs or overlay2 that keeps each layer\'s tar-split record and files';

/**
 * The files table (every regular file of every distinct layer some image stacks) and the chunks
 * table (for each chunker in `algos`, per file and over the tar stream), each layer read once.
 */
export async function contentTables(loaded: LoadedSources, algos: readonly string[]): Promise<ContentTablesResult> {
  const specs = algos.map((a) => createChunker(a).spec);
  const { plan, read, notRead } = readPlan(loaded);
  const files = new FilesBuilder();
  const chunks = new ChunksBuilder();
  for (const [source, layers] of plan) {
    await scanSourceLayers(
      source,
      (layer) => {
        const diffId = Buffer.from(layers.get(layer.index)!.slice('sha256:'.length), 'hex');
        const where = { file: source.source, path: `layer ${layer.index} (${layer.digest ?? layer.diffId})` };
        return [files.visitor(diffId, where), ...chunks.visitors(specs, diffId, where)];
      },
      { layers: layers.keys() },
    );
  }
  return { files: files.table(), chunks: chunks.table(), layersRead: read, layersNotRead: notRead, algos: specs };
}
