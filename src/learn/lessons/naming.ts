// Naming: how Docker completes a name, why `latest` is only a default, one image with many tags.
import { narratePull, pullHostFromGraph, remoteImageFor } from '../../analyze/pull.js';
import { planPull } from '../../analyze/pull.js';
import { removalHost } from '../../analyze/removal.js';
import { GraphBuilder } from '../../model/graph.js';
import { explainReference, parseNormalizedNamed } from '../../model/reference.js';
import { renderImageList } from '../../render/learn.js';
import { renderRmiDocker } from '../../render/removal.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText } from '../types.js';
import { id12, REGISTRY, ROOT, taggedImages } from './common.js';

export const NAMING_TEXT: LessonText = {
  id: 'naming',
  title: 'Names: registry/org/repository:tag',
  summary: 'the defaults Docker adds, why latest is not "newest", one image with many tags',
  uses: 'the official-images manifests {{registry}} and the Docker data root {{root}}',
  steps: [
    {
      text: 'A full image name is registry/org/repository:tag. Docker fills in what you leave out: the registry {{defaultRegistry}}, the org {{defaultOrg}} for official images, and the tag {{defaultTag}}. So {{libName}} means {{libCanonical}}, and {{teamName}} means {{teamCanonical}}. Only a first part with a dot or a colon, or localhost, is a registry: {{otherName}} is {{otherCanonical}}.',
      command: 'docker pull {{libName}}',
      output: 'pull',
    },
    {
      text: 'A tag is a movable label, not a version and not a date. {{defaultTag}} is just the tag Docker adds when you give none; the registry returns whatever was last pushed under that name, and your host keeps what it pulled until you pull again. On this host the most recently created image is {{newestRef}}, and it is not called {{defaultTag}}: asking for {{newestRepo}} without a tag asks for {{newestRepo}}:{{defaultTag}}, which does not exist.',
      command: 'docker rmi {{newestRepo}}',
      output: 'noLatest',
    },
    {
      text: 'One image can carry many names. {{manyTags}} are {{tagCount}} names of one image, ID {{manyId}}: the same config, the same layers, stored once. docker image ls lists a row per name, each with the full SIZE, which is why adding up that column overstates the disk used. Removing one name only untags it; the image goes with its last name.',
      command: 'docker image ls',
      output: 'list',
    },
  ],
  exercise: {
    question: 'What full reference does Docker use for {{teamName}}?',
    answer: 'teamCanonical',
    kind: 'text',
    explain: '{{teamName}} has an org ({{teamOrg}}) and no registry or tag, so Docker adds the registry {{defaultRegistry}} and the tag {{defaultTag}}: {{teamCanonical}}. Only names without an org get {{defaultOrg}}/ in front.',
  },
};

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const root = await ctx.source(ROOT);
  const g = root.graph;
  const reg = await ctx.registry(REGISTRY);
  // an official image pulled by its bare name: the first repository with a latest tag
  const lib = reg.registryImages.flatMap((r) => r.repoTags).find((t) => explainReference(t.split(':')[0]).tag === t.split(':')[1]);
  if (!lib) throw new Error(`${REGISTRY}: no image tagged with the default tag`);
  const libName = lib.split(':')[0];
  const lx = explainReference(libName);
  const teamTag = taggedImages(g).flatMap((i) => g.tagsOf(i)).find((t) => t.split(':')[0].includes('/'));
  if (!teamTag) throw new Error(`${ROOT}: no image in an org`);
  const teamName = teamTag.split(':')[0];
  const tx = explainReference(teamName);
  const otherName = `registry.example/${teamName}`;
  const ox = explainReference(otherName);
  // docker pull of the bare name, on an empty host
  const host = pullHostFromGraph(new GraphBuilder().build(), undefined, reg.registryImages);
  const remote = remoteImageFor(reg.registryImages, parseNormalizedNamed(libName))!;
  const pull = narratePull(planPull(host, remote), false).join('\n');
  // the newest image, and what its bare repository name resolves to
  const newest = taggedImages(g).reduce((a, b) => ((g.images[b].created ?? 0) > (g.images[a].created ?? 0) ? b : a));
  const newestRef = g.tagsOf(newest)[0];
  const newestRepo = newestRef.split(':')[0];
  const rm = renderRmiDocker([removalHost(g).rmi(newestRepo)]);
  // the image with the most names
  const many = taggedImages(g).reduce((a, b) => (g.tagsOf(b).length > g.tagsOf(a).length ? b : a));
  return {
    values: {
      registry: ctx.shown(REGISTRY),
      root: ctx.shown(ROOT),
      defaultRegistry: lx.registry!,
      defaultOrg: lx.namespace!,
      defaultTag: lx.tag!,
      libName,
      libCanonical: lx.canonical!,
      teamName,
      teamOrg: tx.namespace!,
      teamCanonical: tx.canonical!,
      otherName,
      otherCanonical: ox.canonical!,
      newestRef,
      newestRepo,
      manyTags: g.tagsOf(many).join(' and '),
      tagCount: g.tagsOf(many).length,
      manyId: id12(g.images[many].id),
    },
    outputs: { pull, noLatest: (rm.stdout + rm.stderr).trimEnd(), list: renderImageList(g, ctx.now) },
    figures: {},
  };
}

export const namingLesson: Lesson = { text: NAMING_TEXT, facts };
