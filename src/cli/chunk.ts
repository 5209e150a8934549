import { createReadStream } from 'node:fs';
import { createChunker, listChunkers } from '../chunk/registry.js';
import type { Chunker } from '../chunk/types.js';
import { LayerlabError } from '../errors.js';
import { tabwrite } from '../render/tabwriter.js';
import { sha256Hasher } from '../sources/hashing.js';
import { formatOption, writeFormatted } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

interface ChunkRow {
  offset: number;
  length: number;
  hash: string | null;
  sha256: string;
}

const READ_SIZE = 1 << 20;

/** Reads the input once, block by block; each chunk's sha256 is fed as its bytes pass by. */
async function chunkStream(chunker: Chunker, input: AsyncIterable<Uint8Array>): Promise<ChunkRow[]> {
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

export const chunkCommand = defineCommand(
  {
    name: 'chunk',
    summary: 'Split a file into chunks with a dedup chunker (FastCDC, Gear, Rabin, fixed)',
    synopsis: '--algo SPEC FILE',
    description: `Splits FILE ('-' for standard input) into chunks and prints each chunk's offset, length,
fingerprint at the cut (gear-based and Rabin chunkers; '-' otherwise) and sha256.
The file is streamed, never read whole into memory.`,
    positionals: [{ name: 'FILE' }],
    options: {
      algo: { type: 'string', value: 'SPEC', description: 'the chunker (required)' },
      format: formatOption(['table', 'json'], { json: '{"algo", "chunks": [{"offset", "length", "hash", "sha256"}]}' }),
    },
    footer: `SPEC    ALGORITHM[:KEY=VALUE,...]; sizes take k or m (binary: 64k = 65536). Chunkers:
${listChunkers().map((c) => `          ${c.name.padEnd(12)} ${c.summary}`).join('\n')}
        e.g. fastcdc2020:min=4k,avg=16k,max=64k,level=2,seed=0   fixed:size=64k   gear:avg=8k`,
  },
  async ({ values, positionals }, io) => {
    if (values.algo === undefined) throw usageError('chunk needs --algo SPEC; see layerlab chunk --help');
    const chunker = createChunker(values.algo);
    const file = positionals[0];
    if (file === '-' && !io.stdin) throw usageError('chunk -: there is no standard input to read here');
    const input = file === '-' ? io.stdin! : createReadStream(file, { highWaterMark: READ_SIZE });
    let rows: ChunkRow[];
    try {
      rows = await chunkStream(chunker, input);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!err.code) throw e;
      throw new LayerlabError('EIO', `cannot read: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`, { file: file === '-' ? 'stdin' : file });
    }
    const table = () => [['OFFSET', 'LENGTH', 'HASH', 'SHA256'], ...rows.map((r) => [String(r.offset), String(r.length), r.hash ?? '-', r.sha256])];
    writeFormatted(io, values.format, { algo: chunker.spec, chunks: rows }, { table: () => `${chunker.spec}: ${rows.length} chunks\n` + tabwrite(table()) });
    return 0;
  },
);
