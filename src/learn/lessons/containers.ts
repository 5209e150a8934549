// Containers bind images: why `docker rmi` refuses, in which order things can go, what each step frees.
import { removalPlan } from '../../analyze/plan.js';
import { removalHost } from '../../analyze/removal.js';
import { renderPlan } from '../../render/plan.js';
import { renderRmiDocker } from '../../render/removal.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText } from '../types.js';
import { bytes, ROOT, taggedImages } from './common.js';

export const CONTAINERS_TEXT: LessonText = {
  id: 'containers',
  title: 'Containers hold their images',
  summary: 'why docker rmi refuses, in which order things can go, what each step frees',
  uses: 'the Docker data root {{root}}, with {{containerCount}} containers ({{runningCount}} running)',
  steps: [
    {
      text: 'A container is a thin writable layer on top of its image\'s layers, so the image cannot go while a container uses it, running or stopped. {{usedRef}} is used by the {{usedState}} container {{usedName}}: docker rmi refuses.',
      command: 'docker rmi {{usedRef}}',
      output: 'refused',
    },
    {
      text: 'An image with two names is only untagged by the first rmi: {{twoNamesFirst}} goes, {{twoNamesSecond}} keeps the image, and nothing is freed yet.',
      command: 'docker rmi {{twoNamesFirst}}',
      output: 'untag',
    },
    {
      text: 'To remove every image, the order matters: containers before their images, children before the parents they were built on, and a shared layer is freed only when its last image goes. layerlab found an order in which no step is refused: {{stepCount}} commands, freeing {{freed}} in all. The first image steps free little because their layers are still shared; the last one frees the base.',
      command: 'layerlab plan {{root}} --with-containers {{allRefs}}',
      output: 'plan',
      figure: 'plan',
    },
  ],
  exercise: {
    question: 'Removing every image of this host (containers first), how many bytes are freed in all?',
    answer: 'freed',
    kind: 'bytes',
    explain: 'Every layer goes once its last image goes: {{freed}} over {{stepCount}} steps. Each step frees only the layers no remaining image holds, so the steps add up to the total; the biggest single step is {{bigStep}} ({{bigStepFrees}}).',
  },
};

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const g = (await ctx.source(ROOT)).graph;
  const used = g.containers.map((c, k) => ({ c, i: g.containerImage[k] })).find(({ c, i }) => c.state === 'running' && g.tagsOf(i).length > 0) ?? g.containers.map((c, k) => ({ c, i: g.containerImage[k] })).find(({ i }) => g.tagsOf(i).length > 0);
  if (!used) throw new Error(`${ROOT}: no container on a tagged image`);
  const usedRef = g.tagsOf(used.i)[0];
  const refused = renderRmiDocker([removalHost(g).rmi(usedRef)]);
  const two = taggedImages(g).find((i) => g.tagsOf(i).length > 1);
  if (two === undefined) throw new Error(`${ROOT}: no image with two names`);
  const [firstName, secondName] = g.tagsOf(two);
  const untag = renderRmiDocker([removalHost(g).rmi(firstName)]);
  const refs = taggedImages(g).flatMap((i) => g.tagsOf(i));
  const plan = removalPlan(g, { kind: 'remove', images: refs }, { withContainers: true });
  const big = plan.steps.reduce((a, b) => (b.freedBytes > a.freedBytes ? b : a));
  return {
    values: {
      root: ctx.shown(ROOT),
      containerCount: g.containers.length,
      runningCount: g.containers.filter((c) => c.state === 'running').length,
      usedRef,
      usedState: used.c.state,
      usedName: used.c.name ?? used.c.id.slice(0, 12),
      twoNamesFirst: firstName,
      twoNamesSecond: secondName,
      allRefs: refs.join(' '),
      stepCount: plan.steps.length,
      freed: bytes(plan.freedBytes),
      bigStep: big.command,
      bigStepFrees: bytes(big.freedBytes),
    },
    outputs: { refused: (refused.stdout + refused.stderr).trimEnd(), untag: (untag.stdout + untag.stderr).trimEnd(), plan: renderPlan(plan).trimEnd() },
    figures: { plan: { kind: 'plan', plan } },
  };
}

export const containersLesson: Lesson = { text: CONTAINERS_TEXT, facts };
