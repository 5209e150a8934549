import { createReadStream } from 'node:fs';
import { createChunker, listChunkers } from '../chunk/registry.js';
import { LayerlabError } from '../errors.js';
import { renderChunks } from '../render/chunk.js';
import { chunkStream, type ChunkRow } from '../sources/chunk-stream.js';
import { formatOption, writeFormatted } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

const READ_SIZE = 1 << 20;

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
    writeFormatted(io, values.format, { algo: chunker.spec, chunks: rows }, { table: () => renderChunks(chunker.spec, rows) });
    return 0;
  },
);
