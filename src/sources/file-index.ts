import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { LayerlabError } from '../errors.js';
import { LayerFilesBuilder, type FileType, type LayerFiles } from '../model/files.js';
import { sha256Hasher, type DigestHasher } from './hashing.js';

/**
 * One tar entry as a visitor sees it. Structurally a subset of sources/tar.ts `LayerEntry`, plus
 * `uid`/`gid`, which the file index records when the scan passes them.
 */
export interface TarEntry {
  /** The entry's name (normalised or not: the index normalises and refuses escapes itself). */
  path: string;
  /** Where the entry lands once symlinks earlier in the layer are followed; preferred over `path`. */
  resolvedPath?: string;
  /** tar-stream's type names: file, contiguous-file, link, symlink, directory, character-device, block-device, fifo. */
  type: string | null;
  /** Body size in bytes. */
  size: number;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * What the file index needs from a layer scan: `entry` for each tar entry in tar order, before
 * its body; `data` with each chunk of the current entry's body, in order (it may be skipped for
 * empty bodies); `end` once after the last entry. The body of an entry ends when the next `entry`
 * or `end` arrives, so no per-entry end call is needed. This is the shape of scanLayer's
 * `LayerVisitor` (entry, data, end).
 */
export interface TarVisitor {
  entry(e: TarEntry): void;
  data(e: TarEntry, chunk: Uint8Array): void;
  end(): void;
}

const TYPES: Record<string, FileType> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'hardlink',
  symlink: 'symlink',
  directory: 'dir',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

/** A visitor that builds one layer's file index (sha256 of every regular file, streamed). */
export class FileIndexVisitor implements TarVisitor {
  private readonly builder: LayerFilesBuilder;
  private hash: DigestHasher | undefined;
  private pending: { e: TarEntry; type: FileType } | undefined;
  private result: LayerFiles | undefined;

  constructor(private readonly where: { file?: string; path?: string } = {}) {
    this.builder = new LayerFilesBuilder(where);
  }

  entry(e: TarEntry): void {
    this.flush();
    const type = e.type ? TYPES[e.type] : undefined;
    if (!type) throw new LayerlabError('EINPUT', `tar entry ${JSON.stringify(e.path)} has type ${JSON.stringify(e.type)}, not a file, directory, link, device or fifo`, this.where);
    this.pending = { e, type };
    this.hash = type === 'file' ? sha256Hasher() : undefined;
  }

  data(_e: TarEntry, chunk: Uint8Array): void {
    this.hash?.update(chunk);
  }

  end(): void {
    this.flush();
    this.result = this.builder.build();
  }

  /** The index, once `end` has been called. */
  files(): LayerFiles {
    if (!this.result) throw new Error('FileIndexVisitor: files() before end()');
    return this.result;
  }

  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const { e, type } = p;
    this.builder.add({
      name: e.resolvedPath ?? e.path,
      type,
      size: e.size,
      mode: e.mode ?? 0,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      ...(e.linkname !== undefined ? { linkTarget: e.linkname } : {}),
      ...(this.hash ? { digest: this.hash.digest() } : {}),
    });
    this.hash = undefined;
  }
}

/**
 * Indexes an uncompressed layer tar on its own (no shared scan): one pass, bodies hashed as they
 * stream, never a whole file in memory. Errors name `where`.
 */
export async function indexLayerTar(input: Readable, where: { file?: string; path?: string } = {}): Promise<LayerFiles> {
  const v = new FileIndexVisitor(where);
  const extract = tar.extract();
  const feeding = pipeline(input, extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const e: TarEntry = { path: h.name, type: h.type, size: h.size ?? 0, mode: h.mode, uid: h.uid, gid: h.gid, ...(h.linkname ? { linkname: h.linkname } : {}) };
      v.entry(e);
      for await (const chunk of entry) v.data(e, chunk as Buffer);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    feeding.catch(() => undefined);
    if (err instanceof LayerlabError) throw err;
    throw new LayerlabError('EINPUT', `corrupt or truncated layer tar: ${(err as Error).message}`, where);
  }
  v.end();
  return v.files();
}
