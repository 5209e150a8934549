import type { Plan, PlanGoal } from '../analyze/plan.js';
import { trimLines } from './removal.js';
import { tabwriteLines } from './tabwriter.js';
import { humanSize } from './units.js';

function goalText(g: PlanGoal): string {
  if (g.kind === 'free') return `free at least ${humanSize(g.bytes)}`;
  if (g.kind === 'prune') return `docker image prune${g.all ? ' -a' : ''}`;
  return `remove ${g.images.join(', ')}`;
}

/** A removal plan as a table of steps, then whether the goal is reached and how the plan was found. */
export function renderPlan(p: Plan): string {
  return [...renderPlanPieces(p)].join('');
}

/**
 * {@link renderPlan} a line at a time: a plan --prune -a of a million images is a million steps,
 * whose table is never held as one string (nor its rows as arrays).
 */
export function* renderPlanPieces(p: Plan): Generator<string> {
  function* rows(): Generator<string[]> {
    yield ['STEP', 'COMMAND', 'FREES', 'CUMULATIVE'];
    let k = 0;
    for (const s of p.steps) yield [String(++k), s.command, s.freedBytes ? humanSize(s.freedBytes) : '', humanSize(s.cumulativeBytes)];
  }
  if (p.steps.length) for (const line of tabwriteLines(rows)) yield trimLines(line);
  else yield 'Nothing to do.\n';
  yield `\nGoal: ${goalText(p.goal)}: ${p.reachedGoal ? 'reached' : 'NOT reached'}; frees ${humanSize(p.freedBytes)} on disk.\n`;
  yield `How: ${p.method}${p.optimal === true ? ' (optimal)' : ''}.\n`;
  for (const b of p.blocked) yield `Cannot remove ${b.image}: ${b.reason}\n`;
}

/** A removal plan as a shell script of its docker commands. */
export function renderPlanSh(p: Plan): string {
  return [...renderPlanShPieces(p)].join('');
}

/** {@link renderPlanSh} a line at a time. */
export function* renderPlanShPieces(p: Plan): Generator<string> {
  yield `#!/bin/sh\n# layerlab plan: ${goalText(p.goal)}; frees ${humanSize(p.freedBytes)}\nset -e\n`;
  for (const s of p.steps) yield s.freedBytes ? `${s.command}  # frees ${humanSize(s.freedBytes)}\n` : `${s.command}\n`;
  for (const b of p.blocked) yield `# cannot remove ${b.image}: ${b.reason}\n`;
}
