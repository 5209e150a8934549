import type { Plan, PlanGoal } from '../analyze/plan.js';
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

const SURROGATE = /[\uD800-\uDFFF]/;
/** Code points of a cell, as tabwrite pads by, without an array per cell of plain text. */
const width = (s: string) => (SURROGATE.test(s) ? [...s].length : s.length);
const HEADER = ['STEP', 'COMMAND', 'FREES', 'CUMULATIVE'];

/**
 * {@link renderPlan} a line at a time: a plan --prune -a of a million images is a million steps,
 * whose table is never held as one string. The table is render/tabwriter.ts tabwrite's (every cell
 * but the last padded to max(10, widest + 3)) without trailing blanks, its widths from a first pass.
 */
export function* renderPlanPieces(p: Plan): Generator<string> {
  if (p.steps.length) {
    const frees = (b: number) => (b ? humanSize(b) : '');
    const widths = [0, 1, 2].map((c) => width(HEADER[c]));
    p.steps.forEach((s, k) => {
      widths[0] = Math.max(widths[0], width(String(k + 1)));
      widths[1] = Math.max(widths[1], width(s.command));
      widths[2] = Math.max(widths[2], width(frees(s.freedBytes)));
    });
    for (let c = 0; c < 3; c++) widths[c] = Math.max(10, widths[c] + 3);
    const line = (cells: string[]) => {
      let out = '';
      for (let c = 0; c < 3; c++) out += cells[c] + ' '.repeat(widths[c] - width(cells[c]));
      out += cells[3] + '\n';
      return out.includes(' \n') ? out.replace(/ +$/gm, '') : out;
    };
    yield line(HEADER);
    let k = 0;
    for (const s of p.steps) yield line([String(++k), s.command, frees(s.freedBytes), humanSize(s.cumulativeBytes)]);
  } else yield 'Nothing to do.\n';
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
