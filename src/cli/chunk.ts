import { createReadStream } from 'node:fs';
import { createChunker, listChunkers } from '../chunk/registry.js';
import { LayerlabError } from '../errors.js';
import { chunkJson, chunkTableFooter, chunkTableHeader, chunkTableRows } from '../render/chunk.js';
import { forEachChunk, type ChunkRow } from '../sources/chunk-stream.js';
import { formatOption } from './common.js';
import { usageError, type CommandIo } from './io.js';
import { defineCommand } from './options.js';

const READ_SIZE = 1 << 20;
/** Output gathered before a write: rows go out as they are found, in pieces of about this size. */
const WRITE_SIZE = 64 * 1024;

/** Writes rows as they come, in pieces, waiting for stdout to drain between pieces (memory stays bounded). */
function rowWriter(io: CommandIo, json: boolean, spec: string) {
  let out = json ? chunkJson.open(spec) : chunkTableHeader();
  let rows: ChunkRow[] = [];
  let count = 0;
  const flush = (): Promise<void> | undefined => {
    if (!json && rows.length) out += chunkTableRows(rows);
    rows = [];
    io.stdout(out);
    out = '';
    return io.drain?.();
  };
  return {
    row(r: ChunkRow): Promise<void> | undefined {
      if (json) out += chunkJson.row(r, count === 0);
      else rows.push(r);
      count++;
      // a table row is about 130 characters
      return out.length + rows.length * 130 >= WRITE_SIZE ? flush() : undefined;
    },
    end(): void {
      if (!json && rows.length) out += chunkTableRows(rows);
      out += json ? chunkJson.close(count) : chunkTableFooter(spec, count);
      io.stdout(out);
    },
  };
}

export const chunkCommand = defineCommand(
  {
    name: 'chunk',
    summary: 'Split a file into chunks with a dedup chunker (FastCDC, Gear, Rabin, fixed)',
    synopsis: '--algo SPEC FILE',
    description: `Splits FILE ('-' for standard input) into chunks and prints each chunk's offset, length,
fingerprint at the cut (gear-based and Rabin chunkers; '-' otherwise) and sha256.
The file is streamed, never read whole into memory, and rows are printed as chunks are found
(the chunk count last).`,
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
    const writer = rowWriter(io, values.format === 'json', chunker.spec);
    try {
      await forEachChunk(chunker, input, (r) => writer.row(r));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!err.code) throw e;
      throw new LayerlabError('EIO', `cannot read: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`, { file: file === '-' ? 'stdin' : file });
    }
    writer.end();
    return 0;
  },
);
