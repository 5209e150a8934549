import type { Caveat } from '../model/caveat.js';
import { count } from './words.js';

type Wording = (p: Caveat['params']) => string;

const n = (v: string | number | boolean | undefined) => Number(v ?? 0);

// One sentence per caveat code, for every analysis that returns caveats (df, dedup).
const WORDING: Record<string, Wording> = {
  'layers-not-read': (p) => `${count(n(p.layers), 'layer')} of ${n(p.of)} could not be read from the sources (no blob): file and chunk rows leave them out`,
  'sizes-compressed': () => 'sizes are compressed (registry) sizes: uncompressed sizes are unknown for this input',
  'sizes-mixed': () => 'some layers have only a compressed size, used in place of the uncompressed one',
  'compressed-size-stands-in': (p) => `${count(n(p.layers), 'layer')} ${n(p.layers) === 1 ? 'has' : 'have'} only a compressed size, used in place of the uncompressed one`,
  'layers-without-size': (p) => `${count(n(p.layers), 'layer')} ${n(p.layers) === 1 ? 'has' : 'have'} no size and count${n(p.layers) === 1 ? 's' : ''} as 0`,
  'containers-without-size': (p) =>
    `${count(n(p.containers), 'container')} ${n(p.containers) === 1 ? 'has' : 'have'} no known writable-layer size (a data root read offline does not record it) and count${n(p.containers) === 1 ? 's' : ''} as 0`,
  'reclaimable-rule': (p) =>
    p.rule === 'current'
      ? 'RECLAIMABLE follows Docker >= 29.4 (unique size of images without containers); --reclaimable legacy for Docker 20.10-28'
      : 'RECLAIMABLE follows docker/cli 20.10-28 (total - unique size of images with containers)',
  'diffid-unknown': (p) => `${n(p.layers)} of ${count(n(p.of), 'layer')} ${n(p.layers) === 1 ? 'has' : 'have'} no known diffID: the blob digest stands in as identity`,
  'blob-identity-missing': (p) => `needs a blob digest and compressed size for every layer; ${n(p.layers)} of ${count(n(p.of), 'layer')} ${n(p.layers) === 1 ? 'lacks' : 'lack'} them`,
};

/** A caveat as one sentence; a code without wording is printed as it is rather than dropped. */
export function describeCaveat(c: Caveat): string {
  const w = WORDING[c.code];
  return w ? w(c.params) : `${c.code} ${JSON.stringify(c.params)}`;
}
