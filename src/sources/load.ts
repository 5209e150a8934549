import { readFileSync, statSync } from 'node:fs';
import { LayerlabError } from '../errors.js';
import { parseSnapshot, type Snapshot } from './snapshot.js';

/**
 * Opens a SOURCE argument. Today: a layerlab snapshot file. Later sources (OCI layouts, archives,
 * registries, live daemons) are told apart here by the argument's form.
 */
export function loadSource(arg: string): Snapshot {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
    throw new LayerlabError('EINPUT', `sources of the form ${arg.split('://')[0]}:// are not supported yet; give a snapshot file`, { file: arg });
  }
  let st;
  try {
    st = statSync(arg);
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { file: arg });
  }
  if (st.isDirectory()) throw new LayerlabError('EINPUT', 'is a directory; directory sources (OCI layouts, Docker data roots) are not supported yet', { file: arg });
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    throw new LayerlabError('EIO', `cannot read source: ${(e as Error).message}`, { file: arg });
  }
  return parseSnapshot(text, arg);
}
