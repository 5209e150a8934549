// `layerlab push` table: per layer what docker push does and the bytes it sends or saves.
import type { MetadataSource } from '../analyze/host-state.js';
import type { PushPlan } from '../analyze/push.js';
import { trimLines } from './removal.js';
import { tabwrite } from './tabwriter.js';
import { humanSize } from './units.js';

export function renderPushTable(plans: readonly PushPlan[], metadata: MetadataSource): string {
  const rows = [['IMAGE', 'LAYER', 'PUSH', 'BYTES']];
  for (const p of plans)
    for (const l of [...p.layers].reverse()) {
      const what = l.status === 'Pushed' ? 'upload (gzip now)' : l.status === 'Mounted from' ? `Mounted from ${l.from}` : 'Layer already exists';
      const bytes = l.status === 'Pushed' ? (l.uncompressedSize !== undefined ? `${humanSize(l.uncompressedSize)} before gzip` : 'unknown') : l.size !== undefined ? humanSize(l.size) + ' not sent' : '';
      rows.push([p.ref, l.id12, what, bytes]);
    }
  const sum = (f: (p: PushPlan) => number) => plans.reduce((s, p) => s + f(p), 0);
  const uploads = plans.reduce((s, p) => s + p.layers.filter((l) => l.status === 'Pushed').length, 0);
  let out = trimLines(tabwrite(rows));
  out += `\nTo upload: ${uploads} layer(s), ${humanSize(sum((p) => p.uploadUncompressedBytes))} before gzip; not sent (already there or mounted): ${humanSize(sum((p) => p.savedBytes))} compressed.\n`;
  out += `Blob metadata of the pushing host: ${metadata === 'read' ? 'read from the Docker data root' : metadata === 'inferred' ? "inferred from the images' RepoDigests and the registry's manifests (ages unknown, so the repository a blob is mounted from may differ)" : 'none'}.\n`;
  out += "The registry's contents: the blobs its manifests reference, per repository (a blob uploaded or mounted without a manifest is not seen).\n";
  return out;
}
