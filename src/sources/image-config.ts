// An image's config read back through its source's blobs (the image ID is the config's digest in
// every source that holds configs), for what the graph does not keep: the build history.
import { LayerlabError, quote } from '../errors.js';
import { METADATA_LIMIT, readStreamBounded } from './bounded.js';
import type { LoadedSource } from './source.js';

/** One entry of a config's `history`, the fields checked here (image-spec config `history[]`). */
export interface ConfigHistoryEntry {
  created_by?: string;
  empty_layer?: boolean;
}

/**
 * The `history` of image `imageId`'s config: `undefined` when the config has none (history is
 * optional: ko, nix and Bazel images leave it out) or when the source holds no configs. Each
 * entry's created_by (string) and empty_layer (boolean) are checked; errors name the config
 * blob and the JSON path.
 */
export async function readConfigHistory(source: LoadedSource, imageId: string): Promise<ConfigHistoryEntry[] | undefined> {
  if (!source.blobs?.has(imageId)) return undefined;
  const where = { file: source.source, path: `config ${imageId}` };
  const bytes = await readStreamBounded(await source.blobs.open(imageId), METADATA_LIMIT, 'image config', where);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new LayerlabError('EINPUT', `image config is not valid JSON: ${(e as Error).message}`, where);
  }
  const history = (doc as { history?: unknown } | null)?.history;
  if (history === undefined || history === null) return undefined;
  const bad = (path: string, expected: string, got: unknown) =>
    new LayerlabError('EINPUT', `${path}: expected ${expected}, got ${quote(got)}`, where);
  if (!Array.isArray(history)) throw bad('$.history', 'an array of history entries', history);
  return history.map((e: unknown, k): ConfigHistoryEntry => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad(`$.history[${k}]`, 'an object', e);
    const { created_by: by, empty_layer: empty } = e as Record<string, unknown>;
    if (by !== undefined && typeof by !== 'string') throw bad(`$.history[${k}].created_by`, 'a string', by);
    if (empty !== undefined && typeof empty !== 'boolean') throw bad(`$.history[${k}].empty_layer`, 'true or false', empty);
    return { ...(by !== undefined ? { created_by: by } : {}), ...(empty !== undefined ? { empty_layer: empty } : {}) };
  });
}
