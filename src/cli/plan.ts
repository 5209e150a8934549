import { removalPlan, type PlanGoal } from '../analyze/plan.js';
import { LayerlabError, quote } from '../errors.js';
import { removalHost, resolveImage } from '../analyze/removal.js';
import { renderPlanPieces, renderPlanShPieces } from '../render/plan.js';
import { parseHumanSize } from '../render/units.js';
import { loadSource } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeFormatted, writeNotes } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

function freeGoal(value: string): PlanGoal {
  if (/^-\d/.test(value)) throw usageError(`--free must be ≥ 0 (got ${quote(value)})`);
  const bytes = parseHumanSize(value);
  if (bytes === undefined && parseHumanSize(value, Infinity) !== undefined) throw usageError(`--free must be at most ${Number.MAX_SAFE_INTEGER} bytes (2^53 - 1, about 9PB) (got ${quote(value)})`);
  if (bytes === undefined) throw usageError(`--free takes a size like 500MB or 1073741824 (got ${quote(value)})`);
  return { kind: 'free', bytes };
}

export const planCommand = defineCommand(
  {
    name: 'plan',
    summary: 'A conflict-free order of docker commands to remove images, free N bytes, or prune',
    synopsis: 'SOURCE (--remove IMAGE... | --free SIZE | --prune [-a])',
    description: `Plan removals on the host SOURCE describes, without changing it: an ordered list of docker
commands in which no step conflicts (containers before their images, only with
--with-containers; children before parents), each checked by simulating Docker's rules, with
the bytes each frees; a layer shared with images that stay counts only when its last user goes.

${sourceHelp(false)}`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE', optional: true, variadic: true }],
    options: {
      remove: { type: 'string', value: 'IMAGE', multiple: true, group: 'Goals', description: 'remove these images (or list more IMAGEs after SOURCE)' },
      free: {
        type: 'string',
        value: 'SIZE',
        group: 'Goals',
        description: 'free at least SIZE (bytes or 500MB, 2GB...), removing as few images as possible: exact search up to 12 candidate images, greedy beyond (said so)',
      },
      prune: { type: 'boolean', group: 'Goals', description: 'what docker image prune removes; with -a, docker image prune -a' },
      all: { type: 'boolean', short: 'a', description: 'with --prune: every image no container uses' },
      keep: { type: 'string', value: 'IMAGE', multiple: true, description: 'never remove this image' },
      'with-containers': { type: 'boolean', description: 'allow docker rm -f of containers using images the plan removes' },
      format: formatOption(['table', 'json', 'sh'], { sh: 'the docker commands as a script' }),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [source, ...more] = positionals;
    const removeList = [...values.remove, ...more];
    const goals = [removeList.length > 0, values.free !== undefined, values.prune].filter(Boolean).length;
    if (goals !== 1) throw usageError('plan takes exactly one goal: --remove IMAGE..., --free SIZE or --prune [-a]');
    if (more.length && values.remove.length === 0) throw usageError(`unexpected argument ${quote(more[0])}: IMAGEs go with --remove`);
    let goal: PlanGoal;
    if (values.free !== undefined) goal = freeGoal(values.free);
    else if (values.prune) goal = { kind: 'prune', all: values.all };
    else goal = { kind: 'remove', images: removeList };
    const loaded = await loadSource(source, loadOptionsOf(values.platform, io));
    // an image to keep that is not there is a typo, not a constraint: refuse before planning
    const host = removalHost(loaded.graph);
    const unknownKeep = values.keep.find((k) => resolveImage(host, k) === undefined);
    if (unknownKeep !== undefined) throw new LayerlabError('EINPUT', `--keep ${quote(unknownKeep)}: no such image`, { file: source });
    // The host only resolved --keep so far, unchanged: the plan starts from it.
    const plan = removalPlan(loaded.graph, goal, { keep: values.keep, withContainers: values['with-containers'] }, host);
    const notes = notesFor([loaded], ['image-set']);
    await writeFormatted(io, values.format, { ...plan, notes }, { table: renderPlanPieces, sh: renderPlanShPieces });
    if (values.format !== 'json') writeNotes(io, notes);
    return plan.reachedGoal ? 0 : 1;
  },
);
