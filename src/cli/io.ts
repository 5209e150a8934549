import type { Readable } from 'node:stream';
import { LayerlabError } from '../errors.js';
import type { OptionSpecs } from './options.js';

/** Where a command writes, and what time it is (injectable so tests are deterministic). */
export interface CommandIo {
  stdout: (s: string) => void;
  /** Resolves once what was written to stdout has drained (streaming output waits on it; absent: no wait). */
  drain?: () => Promise<void>;
  stderr: (s: string) => void;
  /** Unix seconds. */
  now: () => number;
  /** Standard input, for `-` (chunk's FILE, a snapshot SOURCE); absent: nothing to read. */
  stdin?: Readable;
}

/** A CLI command: one per file, declared with `defineCommand` (options.ts). `run` returns the exit code; only main.ts exits. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** The declared options; --help is generated from them. */
  options: OptionSpecs;
  run(argv: string[], io: CommandIo): Promise<number> | number;
}

export function usageError(message: string): LayerlabError {
  return new LayerlabError('EUSAGE', message);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Members JSON.stringify leaves out of an object (and writes as null in an array). */
function skipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/**
 * `json(value)` in pieces: arrays and plain objects of the top levels are written member by
 * member, deeper values whole. `df -v --format json` of 1.4 million images is longer than V8's
 * longest string (about 512 MiB); in pieces any answer that fits in memory can be printed.
 */
export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  yield* pieces(value, depth);
  if (depth === 0) yield '\n';
}

function* pieces(v: unknown, depth: number): Generator<string> {
  if (depth < 3 && v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
    const pad = '  '.repeat(depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return yield '[]';
      yield '[\n';
      for (let i = 0; i < v.length; i++) {
        yield pad + '  ';
        if (skipped(v[i])) yield 'null';
        else yield* pieces(v[i], depth + 1);
        yield i < v.length - 1 ? ',\n' : '\n';
      }
      return yield pad + ']';
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => !skipped(o[k]));
      if (keys.length === 0) return yield '{}';
      yield '{\n';
      for (let i = 0; i < keys.length; i++) {
        yield `${pad}  ${JSON.stringify(keys[i])}: `;
        yield* pieces(o[keys[i]], depth + 1);
        yield i < keys.length - 1 ? ',\n' : '\n';
      }
      return yield pad + '}';
    }
  }
  const s = JSON.stringify(v, null, 2);
  // A JSON text has no raw newline inside a string, so every newline is indentation.
  yield depth === 0 ? s : s.replace(/\n/g, '\n' + '  '.repeat(depth));
}

/** Output is handed to stdout in pieces of about this many characters. */
const WRITE_BATCH = 1 << 20;

/** Writes `pieces` to stdout in batches, waiting for stdout to drain between them. */
export async function writePieces(io: CommandIo, pieces: Iterable<string>): Promise<void> {
  let batch = '';
  for (const piece of pieces) {
    batch += piece;
    if (batch.length >= WRITE_BATCH) {
      io.stdout(batch);
      batch = '';
      await io.drain?.();
    }
  }
  if (batch) io.stdout(batch);
}
