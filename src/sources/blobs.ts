// BlobProviders: a source's blobs (layers, configs, manifests) opened by digest, the digest
// checked as the bytes stream. Archives are streamed to the one entry asked for; nothing is held.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { LayerlabError, quote } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { VerifyingStream } from './hashing.js';
import type { DataRootLayer } from './docker-root.js';
import type { BlobProvider } from './source.js';
import { entryEscapes } from './tar.js';

function badDigest(digest: string, file: string): LayerlabError | undefined {
  const problem = digestProblem(digest);
  return problem ? new LayerlabError('EDIGEST', `${problem} (got ${quote(digest)})`, { file }) : undefined;
}

/** `source` piped into a digest check; errors of either end the returned stream. */
function verified(source: Readable, digest: string, place: { file: string; path?: string }, size?: number): Readable {
  const check = new VerifyingStream(digest, place, size);
  source.on('error', (e) => check.destroy(e instanceof LayerlabError ? e : new LayerlabError('EIO', `cannot read blob ${digest}: ${(e as Error).message}`, place)));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}

/** Blobs of a folder laid out as `blobs/<algorithm>/<hex>` (OCI layouts). */
export function folderBlobProvider(dir: string, extra: ReadonlyMap<string, string> = new Map()): BlobProvider {
  const pathOf = (digest: string): string | undefined => {
    if (digestProblem(digest)) return undefined;
    const named = extra.get(digest);
    if (named) return named;
    const [alg, hex] = digest.split(':');
    return join(dir, 'blobs', alg, hex);
  };
  return {
    has(digest) {
      const p = pathOf(digest);
      return p !== undefined && existsSync(p) && statSync(p).isFile();
    },
    async open(digest) {
      const bad = badDigest(digest, dir);
      if (bad) throw bad;
      const p = pathOf(digest)!;
      if (!existsSync(p)) throw new LayerlabError('EINPUT', `blob ${digest} is not in this source`, { file: dir });
      return verified(createReadStream(p), digest, { file: dir, path: p.slice(dir.length + 1) });
    },
  };
}

/**
 * Blobs inside a tar archive (plain or gzip): `entries` maps each known digest to its entry name.
 * Each open streams the archive up to that entry and stops after it.
 */
export function archiveBlobProvider(file: string, gzip: boolean, entries: ReadonlyMap<string, string>, blobOfDiffId: ReadonlyMap<string, string> = new Map()): BlobProvider {
  return {
    has: (digest) => entries.has(digest),
    blobOfDiffId: (diffId) => blobOfDiffId.get(diffId),
    async open(digest) {
      const bad = badDigest(digest, file);
      if (bad) throw bad;
      const name = entries.get(digest);
      if (name === undefined) throw new LayerlabError('EINPUT', `blob ${digest} is not in this archive`, { file });
      return verified(openTarEntry(file, gzip, name), digest, { file, path: name });
    },
  };
}

/** The body of one entry of a tar file, streamed; the archive is read only up to it. */
export function openTarEntry(file: string, gzip: boolean, name: string): Readable {
  const out = new PassThrough();
  const input = createReadStream(file);
  const extract = tar.extract();
  let found = false;
  const stop = () => {
    input.destroy();
    extract.destroy();
  };
  const fail = (e: unknown) => {
    stop();
    out.destroy(e instanceof LayerlabError ? e : new LayerlabError('EINPUT', `corrupt or truncated tar archive: ${(e as Error).message}`, { file, path: name }));
  };
  extract.on('entry', (h, body, next) => {
    if (found || h.name.replace(/^\.\//, '') !== name) {
      body.on('end', next);
      body.resume();
      return;
    }
    found = true;
    body.on('end', () => {
      out.end();
      stop();
    });
    // streamx bodies: forward by hand, pausing while the reader is behind.
    body.on('data', (c: unknown) => {
      if (!out.write(c as Buffer)) body.pause();
    });
    out.on('drain', () => body.resume());
  });
  extract.on('finish', () => {
    if (!found) out.destroy(new LayerlabError('EINPUT', 'entry is not in the archive', { file, path: name }));
  });
  extract.on('error', fail);
  input.on('error', fail);
  out.on('close', stop);
  if (gzip) {
    const gunzip = createGunzip();
    gunzip.on('error', fail);
    input.pipe(gunzip).pipe(extract);
  } else input.pipe(extract);
  return out;
}

/**
 * A data root's blobs: image configs (imagedb/content) and each layer's uncompressed tar by its
 * diffID, put back together as moby does for `docker save`: the headers and padding recorded in
 * the layer's tar-split file, the file bodies read from the layer's folder (vfs, overlay2). The
 * digest check on the way out proves the reassembly. Compressed layer blobs are not kept in a
 * data root, and `open` says so.
 */
export function dataRootBlobProvider(root: string, configFiles: ReadonlyMap<string, string>, layers: ReadonlyMap<string, DataRootLayer> = new Map()): BlobProvider {
  return {
    has: (digest) => configFiles.has(digest) || (layers.has(digest) && !layers.get(digest)!.missing),
    async open(digest) {
      const bad = badDigest(digest, root);
      if (bad) throw bad;
      const p = configFiles.get(digest);
      if (p !== undefined) return verified(createReadStream(p), digest, { file: root, path: p.slice(root.length + 1) });
      const layer = layers.get(digest);
      if (layer?.missing) throw new LayerlabError('EINPUT', `layer ${digest} cannot be read: ${layer.missing}`, { file: root });
      if (layer) return verified(reassembleLayer(root, layer), digest, { file: root, path: `layer ${digest}` });
      throw new LayerlabError('EINPUT', `blob ${digest} cannot be read from a data root: it holds image configs, and layers by diffID (uncompressed), not the compressed blobs a registry serves`, { file: root });
    },
  };
}

interface TarSplitEntry {
  type: number;
  name?: string;
  name_raw?: string;
  size?: number;
  payload?: string;
}

/** The layer tar from its tar-split record and its files, streamed (vbatts/tar-split asm, as moby's layer store reads it). */
export function reassembleLayer(root: string, layer: DataRootLayer): Readable {
  const where = { file: root, path: layer.tarSplit.slice(root.length + 1) };
  async function* bytes(): AsyncGenerator<Buffer> {
    if (layer.missing || !layer.files) throw new LayerlabError('EINPUT', `layer ${layer.chainId} cannot be read: ${layer.missing ?? 'no folder of its files'}`, where);
    const lines = createInterface({ input: createReadStream(layer.tarSplit).pipe(createGunzip()), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      let e: TarSplitEntry;
      try {
        e = JSON.parse(line) as TarSplitEntry;
      } catch {
        throw new LayerlabError('EINPUT', `tar-split line ${n} is not JSON`, where);
      }
      // tar-split's storage.Type: FileType = 1 (a body, read from disk), SegmentType = 2 (raw bytes).
      if (e.type === 2) yield Buffer.from(e.payload ?? '', 'base64');
      else if (e.type === 1 && (e.size ?? 0) > 0) yield* fileBody(layer.files, e, `${where.path} line ${n}`, root);
      else if (e.type !== 1) throw new LayerlabError('EINPUT', `tar-split line ${n} has entry type ${quote(String(e.type))}, expected 1 (file) or 2 (segment)`, where);
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

async function* fileBody(dir: string, e: TarSplitEntry, at: string, root: string): AsyncGenerator<Buffer> {
  const name = e.name_raw ? Buffer.from(e.name_raw, 'base64').toString('latin1') : (e.name ?? '');
  const bad = entryEscapes(name.replace(/^\/+/, ''));
  if (bad) throw new LayerlabError('EINPUT', `tar-split file ${quote(name)} ${bad}`, { file: root, path: at });
  let left = e.size ?? 0;
  const stream = createReadStream(join(dir, name));
  try {
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      if (c.length > left) throw new LayerlabError('EINPUT', `${quote(name)} is larger on disk than the ${e.size} bytes its layer recorded`, { file: root, path: at });
      left -= c.length;
      yield c;
    }
  } catch (err) {
    if (err instanceof LayerlabError) throw err;
    throw new LayerlabError('EIO', `cannot read ${quote(name)} of the layer: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: root, path: at });
  }
  if (left > 0) throw new LayerlabError('EINPUT', `${quote(name)} is smaller on disk than the ${e.size} bytes its layer recorded`, { file: root, path: at });
}
