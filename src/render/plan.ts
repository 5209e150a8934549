import type { Plan, PlanGoal } from '../analyze/plan.js';
import { trimLines } from './removal.js';
import { tabwrite } from './tabwriter.js';
import { humanSize } from './units.js';

function goalText(g: PlanGoal): string {
  if (g.kind === 'free') return `free at least ${humanSize(g.bytes)}`;
  if (g.kind === 'prune') return `docker image prune${g.all ? ' -a' : ''}`;
  return `remove ${g.images.join(', ')}`;
}

/** A removal plan as a table of steps, then whether the goal is reached and how the plan was found. */
export function renderPlan(p: Plan): string {
  const rows = [['STEP', 'COMMAND', 'FREES', 'CUMULATIVE']];
  p.steps.forEach((s, k) => rows.push([String(k + 1), s.command, s.freedBytes ? humanSize(s.freedBytes) : '', humanSize(s.cumulativeBytes)]));
  let out = p.steps.length ? trimLines(tabwrite(rows)) : 'Nothing to do.\n';
  out += `\nGoal: ${goalText(p.goal)}: ${p.reachedGoal ? 'reached' : 'NOT reached'}; frees ${humanSize(p.freedBytes)} on disk.\n`;
  out += `How: ${p.method}${p.optimal === true ? ' (optimal)' : ''}.\n`;
  for (const b of p.blocked) out += `Cannot remove ${b.image}: ${b.reason}\n`;
  return out;
}

/** A removal plan as a shell script of its docker commands. */
export function renderPlanSh(p: Plan): string {
  const lines = ['#!/bin/sh', `# layerlab plan: ${goalText(p.goal)}; frees ${humanSize(p.freedBytes)}`, 'set -e'];
  for (const s of p.steps) lines.push(s.freedBytes ? `${s.command}  # frees ${humanSize(s.freedBytes)}` : s.command);
  for (const b of p.blocked) lines.push(`# cannot remove ${b.image}: ${b.reason}`);
  return lines.join('\n') + '\n';
}
