import type { Caveat } from '../model/caveat.js';
import type { DfSummary } from './df.js';

/** What the numbers of a `systemDf` answer are: size basis, sizes that count as 0, the RECLAIMABLE rule. */
export function dfCaveats(df: DfSummary): Caveat[] {
  const caveats: Caveat[] = [];
  if (df.SizeBasis === 'compressed') caveats.push({ code: 'sizes-compressed', params: {} });
  else if (df.SizeBasis === 'mixed') caveats.push({ code: 'sizes-mixed', params: {} });
  if (df.LayersWithoutSize > 0) caveats.push({ code: 'layers-without-size', params: { layers: df.LayersWithoutSize } });
  if (df.ContainersWithoutSize > 0) caveats.push({ code: 'containers-without-size', params: { containers: df.ContainersWithoutSize } });
  caveats.push({ code: 'reclaimable-rule', params: { rule: df.ReclaimableRule } });
  return caveats;
}
