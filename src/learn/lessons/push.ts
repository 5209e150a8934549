// Registries and push: a layer the repository has is skipped, one another repository has is
// mounted, anything else is uploaded.
import { localImageFor, narratePush, planPush, pushHostFromGraph, registryStateOf } from '../../analyze/push.js';
import { parseNormalizedNamed } from '../../model/reference.js';
import type { ImageGraph } from '../../model/graph.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText, PushSummary } from '../types.js';
import { REGISTRY, ROOT, taggedImages } from './common.js';

export const PUSH_TEXT: LessonText = {
  id: 'push',
  title: 'Registries and push: exists, mounted, pushed',
  summary: 'what docker push skips, mounts from another repository, or uploads',
  uses: 'the Docker data root {{root}} pushing to a registry that holds the official images ({{registry}})',
  steps: [
    {
      text: 'A registry stores blobs per repository and names them by digest. Pushing {{base}} to a repository that has none of its layers uploads all {{basePushed}} of them (Pushed).',
      command: 'docker push {{base}}',
      output: 'first',
    },
    {
      text: '{{child}} is built on {{base}}: its bottom {{childMounted}} layers are blobs the registry already holds, in another repository ({{mountedFrom}}). Docker asks the registry to mount them into the new repository (Mounted from): no bytes travel. Only its own {{childPushed}} layer uploads.',
      command: 'docker push {{child}}',
      output: 'second',
      figure: 'push',
    },
    {
      text: 'Pushing {{base}} again, every layer is already in that repository: Layer already exists, {{againExists}} times, and only the manifest is sent. A registry deduplicates by blob digest, so it stores a layer once however many repositories and tags use it.',
      command: 'docker push {{base}}',
      output: 'third',
    },
  ],
  exercise: {
    question: 'When {{child}} is pushed after {{base}}, how many of its layers are Mounted from another repository?',
    answer: 'childMounted',
    kind: 'count',
    explain: 'The daemon remembers that it pushed {{base}}\'s layers to {{mountedFrom}}; the new repository has none of them, so each of those {{childMounted}} layers is mounted from there rather than uploaded. {{child}}\'s own layer is new: Pushed.',
  },
};

/** A tagged image whose layers are the bottom of another tagged image in a different repository: the longest such base. */
function basePair(g: ImageGraph): [string, string] {
  let best: [string, string, number] | undefined;
  const repo = (t: string) => t.split(':')[0];
  for (const a of taggedImages(g)) {
    const sa = g.stackOf(a);
    for (const b of taggedImages(g)) {
      const sb = g.stackOf(b);
      if (sb.length <= sa.length || !sa.every((l, k) => sb[k] === l) || repo(g.tagsOf(a)[0]) === repo(g.tagsOf(b)[0])) continue;
      if (!best || sa.length > best[2]) best = [g.tagsOf(a)[0], g.tagsOf(b)[0], sa.length];
    }
  }
  if (!best) throw new Error(`${ROOT}: no image built on another`);
  return [best[0], best[1]];
}

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const from = await ctx.source(ROOT);
  const reg = await ctx.registry(REGISTRY);
  const registry = registryStateOf(reg.registryImages);
  const host = pushHostFromGraph(from.graph, reg.registryImages, from.distribution);
  const [base, child] = basePair(from.graph);
  const plans = [base, child, base].map((ref) => {
    const img = localImageFor(from.graph, parseNormalizedNamed(ref), from.configSizes);
    if (!img) throw new Error(`${ROOT}: ${ref} has no diffIDs`);
    return planPush(host, registry, img);
  });
  const count = (k: number, s: string) => plans[k].layers.filter((l) => l.status === s).length;
  const summary: PushSummary = {
    pushes: plans.map((p, k) => ({
      ref: [base, child, base][k],
      repository: p.repository,
      exists: count(k, 'Layer already exists'),
      mounted: count(k, 'Mounted from'),
      pushed: count(k, 'Pushed'),
      mountedFrom: [...new Set(p.layers.flatMap((l) => (l.from ? [l.from] : [])))],
    })),
  };
  return {
    values: {
      root: ctx.shown(ROOT),
      registry: ctx.shown(REGISTRY),
      base,
      child,
      basePushed: summary.pushes[0].pushed,
      childMounted: summary.pushes[1].mounted,
      childPushed: summary.pushes[1].pushed,
      mountedFrom: summary.pushes[1].mountedFrom.join(', '),
      againExists: summary.pushes[2].exists,
    },
    outputs: Object.fromEntries(['first', 'second', 'third'].map((name, k) => [name, narratePush(plans[k]).join('\n')])),
    figures: { push: { kind: 'push', push: summary } },
  };
}

export const pushLesson: Lesson = { text: PUSH_TEXT, facts };
