// What several commands share: --format, --platform, the SOURCE paragraph of --help, JSON output.
import { quote } from '../errors.js';
import type { Platform } from '../sources/oci-descriptors.js';
import { parsePlatform } from '../sources/image-archive.js';
import { json, usageError, type CommandIo } from './io.js';
import type { StringOption } from './options.js';

/** `--format FORMAT`: the first format is the default; `json` is always the whole answer, as `json()` writes it. */
export function formatOption<const F extends string>(formats: readonly [F, ...F[]], valueHelp: Partial<Record<F, string>> = {}): StringOption<F> & { default: F; oneOf: readonly F[] } {
  return { type: 'string', value: 'FORMAT', description: '', oneOf: formats, default: formats[0], valueHelp };
}

/**
 * Writes a command's answer in the chosen format: JSON is the analysis result itself (its
 * exported type is the schema, pinned by tests), every other format has a renderer.
 */
export function writeFormatted<F extends string, T>(io: CommandIo, format: F, result: T, renderers: { [K in Exclude<F, 'json'>]: (r: T) => string }): void {
  io.stdout(format === 'json' ? json(result) : renderers[format as Exclude<F, 'json'>](result));
}

/** `--platform P`, which every command that reads a SOURCE takes. */
export const PLATFORM_OPTION: StringOption = {
  type: 'string',
  value: 'P',
  description: 'os/arch[/variant] to pick from multi-platform indexes',
  defaultHelp: 'linux/amd64',
};

/** The --platform value as loadSource takes it (undefined: the reader's default). */
export function platformOf(value: string | undefined): Platform | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) throw usageError(`--platform takes os/arch[/variant] (got ${quote(value)})`);
  return parsePlatform(value);
}

const SOURCE_KINDS = `          a layerlab snapshot file          a docker save or OCI archive (.tar, .tar.gz)
          an OCI layout folder              a folder of registry manifests/indexes (*.json)
          a Docker data root (offline)      docker://[unix:///path.sock]  (live daemon)
          registry://127.0.0.1:PORT[/REPO[:TAG]]  (live loopback registry)`;

/** The SOURCE paragraph of --help: several merged into one image set, or one host. */
export function sourceHelp(merged: boolean): string {
  return merged
    ? `SOURCE  one or more, merged into one image set:\n${SOURCE_KINDS}\n`
    : `SOURCE  one host (what docker would act on), any of:\n${SOURCE_KINDS}\n`;
}
