// What several commands share: --format, --platform, the SOURCE paragraph of --help, JSON output.
import { quote } from '../errors.js';
import type { Platform } from '../sources/oci-descriptors.js';
import type { LoadedSource, LoadOptions } from '../sources/source.js';
import { parsePlatform } from '../sources/oci-descriptors.js';
import { jsonPieces, usageError, writePieces, type CommandIo } from './io.js';
import type { StringOption } from './options.js';

/** `--format FORMAT`: the first format is the default; `json` is always the whole answer, as `json()` writes it. */
export function formatOption<const F extends string>(formats: readonly [F, ...F[]], valueHelp: Partial<Record<F, string>> = {}): StringOption<F> & { default: F; oneOf: readonly F[] } {
  return { type: 'string', value: 'FORMAT', description: '', oneOf: formats, default: formats[0], valueHelp };
}

/**
 * Writes a command's answer in the chosen format: JSON is the analysis result itself (its
 * exported type is the schema, pinned by tests), every other format has a renderer.
 */
export async function writeFormatted<F extends string, T>(
  io: CommandIo,
  format: F,
  result: T,
  renderers: { [K in Exclude<F, 'json'>]: (r: T) => string | Iterable<string> },
): Promise<void> {
  // In pieces, so an answer longer than V8's longest string (df -v of millions of images) prints.
  const out = format === 'json' ? jsonPieces(result) : renderers[format as Exclude<F, 'json'>](result);
  await writePieces(io, typeof out === 'string' ? [out] : out);
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

/** The SOURCE paragraph of commands that read layer contents (files, waste): only the kinds that hold them. */
export function layerSourceHelp(): string {
  return `SOURCE  one, holding the layers' contents, any of:
          a docker save or OCI archive (.tar, .tar.gz)    an OCI layout folder
          a Docker data root (offline; vfs, overlay2)     registry://127.0.0.1:PORT[/REPO[:TAG]]  (live loopback registry)
`;
}

/**
 * What a note is about. A command prints (and puts in its JSON) only the notes about something
 * its answer depends on: a df is not changed by layer bytes it never reads.
 */
export type NoteTopic = 'image-set' | 'layer-bytes' | 'container-sizes';

/** The topic of each note code the readers emit; a code not listed here is shown everywhere (never lost). */
const NOTE_TOPICS: Record<string, NoteTopic> = {
  'attestations-left-out': 'image-set',
  'other-platforms-left-out': 'image-set',
  'data-root-no-layer-blobs': 'layer-bytes',
  'containers-without-size': 'container-sizes',
};

/** A source note as commands show it: the SOURCE it came from, its code, params and sentence (the `notes` JSON field). */
export interface ShownNote {
  source: string;
  code: string;
  params: Record<string, string | number | boolean>;
  message: string;
}

/** The notes of loaded sources that matter to a command whose answer depends on `topics`. */
export function notesFor(sources: readonly Pick<LoadedSource, 'source' | 'notes'>[], topics: readonly NoteTopic[]): ShownNote[] {
  return sources.flatMap((s) =>
    s.notes.filter((n) => !Object.hasOwn(NOTE_TOPICS, n.code) || topics.includes(NOTE_TOPICS[n.code])).map((n) => ({ source: s.source, code: n.code, params: n.params, message: n.message })),
  );
}

/** Writes notes to stderr as `note: SOURCE: sentence` (stdout stays the answer alone). */
export function writeNotes(io: CommandIo, notes: readonly ShownNote[]): void {
  for (const n of notes) io.stderr(`note: ${n.source}: ${n.message}\n`);
}

/** What loadSource(s) takes from a command's --platform and its io (standard input for `-`). */
export function loadOptionsOf(platform: string | undefined, io: CommandIo): LoadOptions {
  // A getter: reading process.stdin opens it (a stream, a few ms of start-up), and only `-` needs it.
  return {
    platform: platformOf(platform),
    get stdin() {
      return io.stdin;
    },
  };
}
