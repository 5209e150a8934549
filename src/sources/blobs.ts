// BlobProviders: a source's blobs (layers, configs, manifests) opened by digest, the digest
// checked as the bytes stream. Archives are streamed to the one entry asked for; nothing is held.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { LayerlabError, quote } from '../errors.js';
import { digestProblem } from '../model/digest.js';
import { VerifyingStream } from './hashing.js';
import type { BlobProvider } from './source.js';

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
export function archiveBlobProvider(file: string, gzip: boolean, entries: ReadonlyMap<string, string>): BlobProvider {
  return {
    has: (digest) => entries.has(digest),
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
 * A data root's blobs: image configs only (imagedb/content). Its layers are unpacked trees
 * (overlay2, vfs), not blobs; their compressed bytes cannot be read from it, and `open` says so.
 */
export function dataRootBlobProvider(root: string, configFiles: ReadonlyMap<string, string>): BlobProvider {
  return {
    has: (digest) => configFiles.has(digest),
    async open(digest) {
      const bad = badDigest(digest, root);
      if (bad) throw bad;
      const p = configFiles.get(digest);
      if (p === undefined) {
        throw new LayerlabError('EINPUT', `blob ${digest} cannot be read from a data root: it holds image configs, and layers only as unpacked trees (overlay2, vfs), not as the blobs a registry serves`, { file: root });
      }
      return verified(createReadStream(p), digest, { file: root, path: p.slice(root.length + 1) });
    },
  };
}
