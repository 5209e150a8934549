// Cheap, synchronous tests of what a SOURCE is, kept apart from the readers so that load.ts can
// pick a reader without importing every reader's heavy modules (tar-stream, fzstd, arrow, ...).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceProbe } from './source.js';

/** True for a tar header block: "ustar" magic, or a valid old-style (v7) header checksum. */
export function isTarHeader(head: Buffer): boolean {
  if (head.length < 512) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const field = head.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 8 * 0x20;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += head[i];
  return sum === parseInt(field, 8);
}

/** Compression of a stream, told by its first bytes. */
export function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'none' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** True for a folder holding `image/<driver>/imagedb`: a Docker data root. */
export function isDockerRoot(dir: string): boolean {
  const image = join(dir, 'image');
  return existsSync(image) && statSync(image).isDirectory() && readdirSync(image).some((d) => existsSync(join(image, d, 'imagedb')));
}

/** The file that marks a folder as a layerlab columnar export. */
export const COLUMNAR_MARKER = 'layerlab-columnar.json';

/** `registry://...`: a live registry. */
export const isRegistryUrl = (arg: string): boolean => arg.startsWith('registry://');

/** A folder of *.json registry documents (not an OCI layout). */
export const isRegistryFolder = (p: SourceProbe): boolean => p.type === 'directory' && !p.entries.includes('oci-layout') && p.entries.some((e) => e.endsWith('.json'));

/** A folder with the columnar export's marker file. */
export const isColumnarFolder = (p: SourceProbe): boolean => p.type === 'directory' && p.entries.includes(COLUMNAR_MARKER);

const ARROW1 = Buffer.from('ARROW1');
const PAR1 = Buffer.from('PAR1');

/** A lone Arrow IPC or Parquet file, by its magic bytes. */
export const isColumnarFile = (p: SourceProbe): boolean => p.type === 'file' && (p.head.subarray(0, 6).equals(ARROW1) || p.head.subarray(0, 4).equals(PAR1));
