import type { ImageBindings } from '../analyze/bindings.js';
import { shortId } from '../model/digest.js';
import { trimLines } from './removal.js';
import { tabwrite } from './tabwriter.js';
import { humanSize } from './units.js';

/** What pins each image, one row per image, with docker rmi's verdict. */
export function renderBindings(rows: readonly ImageBindings[]): string {
  const t = [['IMAGE ID', 'REFERENCES', 'CONTAINERS', 'PARENT', 'CHILDREN', 'RECLAIMABLE', 'DOCKER RMI ID']];
  for (const b of rows) {
    t.push([
      shortId(b.id),
      b.references.length ? b.references.join(', ') : b.dangling ? '<none> (dangling)' : '<none> (intermediate)',
      b.containers.map((c) => `${c.name ?? shortId('sha256:' + c.id)} (${c.state})`).join(', '),
      b.parent ? shortId(b.parent) : '',
      b.children.map((c) => shortId(c)).join(', '),
      humanSize(b.reclaimable),
      b.rmi.ok ? `ok, frees ${humanSize(b.rmi.freedBytes)}` : `${b.rmi.conflict ?? 'refused'}: ${b.rmi.error.replace(/^Error response from daemon: /, '')}`,
    ]);
  }
  return trimLines(tabwrite(t));
}
