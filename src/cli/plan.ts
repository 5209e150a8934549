import { removalPlan, type Plan, type PlanGoal } from '../analyze/plan.js';
import { humanSize, parseHumanSize } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { loadSource } from '../sources/load.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

function goalText(g: PlanGoal): string {
  if (g.kind === 'free') return `free at least ${humanSize(g.bytes)}`;
  if (g.kind === 'prune') return `docker image prune${g.all ? ' -a' : ''}`;
  return `remove ${g.images.join(', ')}`;
}

function renderPlan(p: Plan): string {
  const rows = [['STEP', 'COMMAND', 'FREES', 'CUMULATIVE']];
  p.steps.forEach((s, k) => rows.push([String(k + 1), s.command, s.freedBytes ? humanSize(s.freedBytes) : '', humanSize(s.cumulativeBytes)]));
  let out = p.steps.length ? trimLines(tabwrite(rows)) : 'Nothing to do.\n';
  out += `\nGoal: ${goalText(p.goal)}: ${p.reachedGoal ? 'reached' : 'NOT reached'}; frees ${humanSize(p.freedBytes)} on disk.\n`;
  out += `How: ${p.method}${p.optimal === true ? ' (optimal)' : ''}.\n`;
  for (const b of p.blocked) out += `Cannot remove ${b.image}: ${b.reason}\n`;
  return out;
}

function renderSh(p: Plan): string {
  const lines = ['#!/bin/sh', `# layerlab plan: ${goalText(p.goal)}; frees ${humanSize(p.freedBytes)}`, 'set -e'];
  for (const s of p.steps) lines.push(s.freedBytes ? `${s.command}  # frees ${humanSize(s.freedBytes)}` : s.command);
  for (const b of p.blocked) lines.push(`# cannot remove ${b.image}: ${b.reason}`);
  return lines.join('\n') + '\n';
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'A conflict-free order of docker commands to remove images, free N bytes, or prune',
  usage: `Usage: layerlab plan [OPTIONS] SOURCE (--remove IMAGE... | --free SIZE | --prune [-a])

Plan removals on the host SOURCE describes, without changing it: an ordered list of docker
commands in which no step conflicts (containers before their images, only with
--with-containers; children before parents), each checked by simulating Docker's rules, with
the bytes each frees; a layer shared with images that stay counts only when its last user goes.

Goals:
      --remove IMAGE     remove these images (repeat, or list more IMAGEs after SOURCE)
      --free SIZE        free at least SIZE (bytes or 500MB, 2GB...), removing as few images as
                         possible: exact search up to 12 candidate images, greedy beyond (said so)
      --prune            what docker image prune removes; with -a, docker image prune -a
Options:
  -a, --all              with --prune: every image no container uses
      --keep IMAGE       never remove this image (repeatable)
      --with-containers  allow docker rm -f of containers using images the plan removes
      --format FORMAT    table (default), json, or sh (the docker commands as a script)
  -h, --help             show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        remove: { type: 'string', multiple: true },
        free: { type: 'string' },
        prune: { type: 'boolean' },
        all: { type: 'boolean', short: 'a' },
        keep: { type: 'string', multiple: true },
        'with-containers': { type: 'boolean' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      'plan',
    );
    if (values.help) {
      io.stdout(planCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json', 'sh'] as const, 'table', '--format');
    const [source, ...more] = positionals;
    if (!source) throw usageError('plan needs a SOURCE; see layerlab plan --help');
    const removeList = [...(values.remove ?? []), ...more];
    const goals = [removeList.length > 0, values.free !== undefined, values.prune === true].filter(Boolean).length;
    if (goals !== 1) throw usageError('plan takes exactly one goal: --remove IMAGE..., --free SIZE or --prune [-a]');
    if (more.length && !values.remove) throw usageError(`unexpected argument ${JSON.stringify(more[0])}: IMAGEs go with --remove`);
    let goal: PlanGoal;
    if (values.free !== undefined) {
      const bytes = parseHumanSize(values.free);
      if (bytes === undefined) throw usageError(`--free takes a size like 500MB or 1073741824 (got ${JSON.stringify(values.free)})`);
      goal = { kind: 'free', bytes };
    } else if (values.prune) goal = { kind: 'prune', all: values.all ?? false };
    else goal = { kind: 'remove', images: removeList };
    const { graph } = await loadSource(source);
    const plan = removalPlan(graph, goal, { keep: values.keep ?? [], withContainers: values['with-containers'] });
    io.stdout(format === 'json' ? json(plan) : format === 'sh' ? renderSh(plan) : renderPlan(plan));
    return plan.reachedGoal ? 0 : 1;
  },
};
