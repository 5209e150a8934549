// A byte stream cut into chunks by a dedup chunker, each chunk's sha256 fed as its bytes pass by:
// one read of the input, never the whole of it in memory, each chunk handed on as it is found.
import type { Chunker } from '../chunk/types.js';
import { sha256Hasher } from './hashing.js';

/** One chunk of a stream (`layerlab chunk --format json`, `chunks[]`). */
export interface ChunkRow {
  offset: number;
  length: number;
  /** The chunker's fingerprint at the cut, as a decimal string; null for chunkers without one. */
  hash: string | null;
  /** sha256 of the chunk's bytes, hex. */
  sha256: string;
}

/**
 * Reads the input once, block by block, and calls `onChunk` with each chunk as its cut is found;
 * when it returns a promise (a consumer waiting for its output to drain) the read waits for it.
 */
export async function forEachChunk(chunker: Chunker, input: AsyncIterable<Uint8Array>, onChunk: (row: ChunkRow) => void | Promise<void>): Promise<number> {
  let hasher = sha256Hasher();
  let offset = 0; // start of the current chunk
  let total = 0; // stream offset of the block's first byte
  let count = 0;
  const emit = async (n: number, block: Uint8Array, from: number): Promise<number> => {
    for (let i = 0; i < n; i++) {
      const end = chunker.cuts.ends[i];
      hasher.update(block.subarray(from, end - total));
      const row = { offset, length: end - offset, hash: chunker.fingerprints ? chunker.cuts.hashes[i].toString() : null, sha256: hasher.digest().slice('sha256:'.length) };
      hasher = sha256Hasher();
      from = end - total;
      offset = end;
      count++;
      const wait = onChunk(row);
      if (wait) await wait;
    }
    return from;
  };
  for await (const block of input) {
    const from = await emit(chunker.push(block), block, 0);
    hasher.update(block.subarray(from));
    total += block.length;
  }
  await emit(chunker.finish(), new Uint8Array(0), 0);
  return count;
}

/** Every chunk of the input, collected (tests and small inputs; the CLI streams with {@link forEachChunk}). */
export async function chunkStream(chunker: Chunker, input: AsyncIterable<Uint8Array>): Promise<ChunkRow[]> {
  const rows: ChunkRow[] = [];
  await forEachChunk(chunker, input, (r) => void rows.push(r));
  return rows;
}
