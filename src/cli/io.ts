import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LayerlabError, quote } from '../errors.js';
import type { OptionSpecs } from './options.js';

/** Where a command writes, and what time it is (injectable so tests are deterministic). */
export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Unix seconds. */
  now: () => number;
}

/** A CLI command: one per file. `run` returns the exit code; only main.ts exits. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** The declared options (commands built with `defineCommand`); --help is generated from them. */
  options?: OptionSpecs;
  run(argv: string[], io: CommandIo): Promise<number> | number;
}

type OptionValue<O> = O extends { type: 'boolean' } ? boolean : O extends { multiple: true } ? string[] : string;
export interface ParsedCommand<T> {
  values: { [K in keyof T]?: OptionValue<T[K]> };
  positionals: string[];
}

/**
 * node:util parseArgs (strict, positionals allowed), with its errors turned into usage errors.
 * For commands not yet declared with `defineCommand` (options.ts), which new commands should use.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  command: string,
): ParsedCommand<T> {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return r as unknown as ParsedCommand<T>;
  } catch (e) {
    throw new LayerlabError('EUSAGE', `${(e as Error).message.split('\n')[0]} (see layerlab ${command} --help)`);
  }
}

export function usageError(message: string): LayerlabError {
  return new LayerlabError('EUSAGE', message);
}

/** Checks an option against its allowed values. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, option: string): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`${option} must be one of ${allowed.join(', ')} (got ${quote(value)})`);
  return value as T;
}

/** Parses a whole number option within bounds. */
export function wholeNumber(value: string | undefined, fallback: number, option: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (/^-\d+$/.test(value) && Number(value) < min) throw usageError(`${option} must be ≥ ${min} (got ${quote(value)})`);
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usageError(`${option} takes a whole number from ${min} to ${max} (got ${quote(value)})`);
  return Number(value);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** The SOURCE paragraph of pull/push/registry --help (declared commands use `sourceHelp`). */
export const SOURCE_HELP = `SOURCE  one or more, merged into one image set:
          a layerlab snapshot file          a docker save or OCI archive (.tar, .tar.gz)
          an OCI layout folder              a folder of registry manifests/indexes (*.json)
          a Docker data root (offline)      docker://[unix:///path.sock]  (live daemon)
          registry://127.0.0.1:PORT[/REPO[:TAG]]  (live loopback registry)
`;
