// A byte stream cut into chunks by a dedup chunker, each chunk's sha256 fed as its bytes pass by:
// one read of the input, never the whole of it in memory.
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

/** Reads the input once, block by block; each chunk's sha256 is fed as its bytes pass by. */
export async function chunkStream(chunker: Chunker, input: AsyncIterable<Uint8Array>): Promise<ChunkRow[]> {
  const rows: ChunkRow[] = [];
  let hasher = sha256Hasher();
  let offset = 0; // start of the current chunk
  let total = 0; // stream offset of the block's first byte
  const emit = (n: number, block: Uint8Array, from: number): number => {
    for (let i = 0; i < n; i++) {
      const end = chunker.cuts.ends[i];
      hasher.update(block.subarray(from, end - total));
      rows.push({ offset, length: end - offset, hash: chunker.fingerprints ? chunker.cuts.hashes[i].toString() : null, sha256: hasher.digest().slice('sha256:'.length) });
      hasher = sha256Hasher();
      from = end - total;
      offset = end;
    }
    return from;
  };
  for await (const block of input) {
    const from = emit(chunker.push(block), block, 0);
    hasher.update(block.subarray(from));
    total += block.length;
  }
  emit(chunker.finish(), new Uint8Array(0), 0);
  return rows;
}
