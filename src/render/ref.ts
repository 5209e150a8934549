import type { ReferenceExplanation } from '../model/reference.js';
import { tabwrite } from './tabwriter.js';

/** Image references as Docker normalises them, one row per input. */
export function renderReferences(results: readonly ReferenceExplanation[]): string {
  const rows = [['INPUT', 'REGISTRY', 'REPOSITORY', 'TAG', 'DIGEST', 'CANONICAL']];
  for (const r of results) {
    if (!r.valid) rows.push([r.input, 'invalid:', r.error ?? '']);
    else if (r.kind === 'digest') rows.push([r.input, '-', '-', '-', r.digest ?? '', `${r.canonical} (image ID or digest)`]);
    else rows.push([r.input, r.registry ?? '', r.repository ?? '', (r.tag ?? '-') + (r.tagDefaulted ? ' (default)' : ''), r.digest ?? '-', r.canonical ?? '']);
  }
  return tabwrite(rows);
}
