// Small helpers the lessons' computations share, and the bundled fixtures they read.
import type { Readable } from 'node:stream';
import type { ImageGraph } from '../../model/graph.js';
import type { LessonValue } from '../types.js';

/** The Docker 20.10 data root (fixtures/), captured from a real daemon. */
export const ROOT = 'docker-20.10-root/root';
/** The official-images registry manifests (fixtures/). */
export const REGISTRY = 'official-images/manifests';
/** The scenario as `docker save` wrote it (fixtures/). */
export const ARCHIVE = 'archives/scenario.docker-save.tar';
/** The same scenario as an OCI layout, gzip layers (fixtures/). */
export const LAYOUT = 'archives/scenario.oci';

/** Bytes as a lesson value (printed as docker prints sizes, kept exact in JSON). */
export const bytes = (n: number): LessonValue => ({ bytes: n });

/** The first 12 hex digits of a digest, as docker shows IDs. */
export const id12 = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** The hex of a digest. */
export const hex = (digest: string): string => digest.replace(/^sha256:/, '');

/** Indices of tagged images, in the source's order. */
export function taggedImages(graph: ImageGraph): number[] {
  return graph.images.map((_, i) => i).filter((i) => graph.tagsOf(i).length > 0);
}

/** The whole stream in memory (configs only: small). */
export async function readStream(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** `n thing` / `n things`. */
export const plural = (n: number, one: string, many = `${one}s`): string => (n === 1 ? one : many);
