// `layerlab registry` table: each image's size, unique bytes and pull cost given the others.
import type { RegistryView } from '../analyze/registry-view.js';
import { trimLines } from './removal.js';
import { tabwrite } from './tabwriter.js';
import { humanSize } from './units.js';

export function renderRegistryView(v: RegistryView): string {
  const hostWords = v.host === 'others' ? 'every other image here' : v.host.join(', ');
  const rows = [['IMAGE', 'LAYERS', 'SIZE', 'UNIQUE', 'PULL (DOCKER)', 'PULL (IDEAL)']];
  for (const r of v.rows) rows.push([r.ref, String(r.layers), humanSize(r.size), humanSize(r.unique), r.onHost ? 'on the host' : humanSize(r.pullDocker), r.onHost ? '' : humanSize(r.pullIdeal)]);
  let out = trimLines(tabwrite(rows));
  const saved = v.storedWithoutDedup - v.storedWithDedup;
  out += `\nStored: ${humanSize(v.storedWithDedup)} with blob dedup, ${humanSize(v.storedWithoutDedup)} without (${v.storedWithoutDedup ? Math.round((100 * saved) / v.storedWithoutDedup) : 0}% saved by sharing blobs).\n`;
  out += `PULL: compressed bytes a pull downloads onto a host holding ${hostWords} (pulled from this registry): DOCKER by docker's rule (a layer is skipped only when its whole blob prefix is there), IDEAL by a content-addressed store (any blob already there).\n`;
  out += 'UNIQUE: bytes of blobs no other image here has.\n';
  if (!v.sizesKnown) out += 'Some blob sizes are unknown and count as 0.\n';
  return out;
}
