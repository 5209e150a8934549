import { LayerlabError } from '../errors.js';
import { BUILTIN_CHUNKERS } from './builtins.js';
import { ChunkerParams, parseSpec } from './params.js';
import type { Chunker, ChunkRecord } from './types.js';

/**
 * Makes a chunker from the parameters of a spec. Read each parameter through `params`
 * (`size`, `int`, `bigint`), then return a chunker whose `spec` is `params.done()`.
 */
export type ChunkerFactory = (params: ChunkerParams) => Chunker;

interface Entry {
  factory: ChunkerFactory;
  summary: string;
}

const registry = new Map<string, Entry>(Object.entries(BUILTIN_CHUNKERS).map(([name, e]) => [name, { factory: e.factory, summary: e.summary }]));

/** Adds a chunker under `name`, usable in every spec string (CLI included) and benchmark. */
export function registerChunker(name: string, factory: ChunkerFactory, summary = ''): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new LayerlabError('EUSAGE', `chunker name ${JSON.stringify(name)}: expected lower-case letters, digits, - or _`);
  if (registry.has(name)) throw new LayerlabError('EUSAGE', `chunker ${JSON.stringify(name)} is already registered`);
  registry.set(name, { factory, summary });
}

/** Every registered chunker: name and summary. */
export function listChunkers(): { name: string; summary: string }[] {
  return [...registry].map(([name, e]) => ({ name, summary: e.summary }));
}

/** A chunker from a spec string such as `fastcdc2020:min=4k,avg=16k,max=64k,level=2,seed=0`. */
export function createChunker(spec: string): Chunker {
  const parsed = parseSpec(spec);
  const entry = registry.get(parsed.name);
  if (!entry) throw new LayerlabError('EUSAGE', `chunker spec ${JSON.stringify(spec)}: unknown algorithm ${JSON.stringify(parsed.name)} (expected one of ${[...registry.keys()].join(', ')})`);
  return entry.factory(new ChunkerParams(spec, parsed));
}

/** Chunks of one in-memory buffer (tests, small inputs); streams should use a chunker directly. */
export function chunkBytes(chunker: Chunker | string, bytes: Uint8Array): ChunkRecord[] {
  const c = typeof chunker === 'string' ? createChunker(chunker) : chunker;
  c.reset();
  const out: ChunkRecord[] = [];
  let offset = 0;
  const take = (n: number) => {
    for (let i = 0; i < n; i++) {
      const end = c.cuts.ends[i];
      out.push({ offset, length: end - offset, hash: c.fingerprints ? c.cuts.hashes[i] : null });
      offset = end;
    }
  };
  take(c.push(bytes));
  take(c.finish());
  return out;
}
