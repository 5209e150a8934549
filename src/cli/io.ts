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
