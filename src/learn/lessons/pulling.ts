// Pulling: which layers say `Already exists`, and why layers a host got by `docker load` come again.
import { inferBlobMetadata, narratePull, pullHostFromGraph, remoteImageFor } from '../../analyze/pull.js';
import { planPulls } from '../../analyze/pull-schedule.js';
import { GraphBuilder } from '../../model/graph.js';
import { parseNormalizedNamed } from '../../model/reference.js';
import type { RegistryImage } from '../../sources/source.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText } from '../types.js';
import { ARCHIVE as LOADED, bytes, id12, LAYOUT, REGISTRY } from './common.js';

export const PULLING_TEXT: LessonText = {
  id: 'pulling',
  title: 'Pulling: what downloads and what "Already exists"',
  summary: 'Already exists and why, and the surprise that loaded layers download again',
  uses: 'the official-images manifests {{registry}}, the OCI layout {{layout}} and the docker save archive {{loaded}}',
  steps: [
    {
      text: 'docker pull fetches the manifest, then walks the layers bottom up. On an empty host every layer of {{first}} downloads: {{firstDownload}} compressed.',
      command: 'docker pull {{first}}',
      output: 'first',
    },
    {
      text: '{{second}} is built on the same base. Its bottom {{secondExists}} of {{secondLayers}} layers say Already exists ({{sharedId}} is the first): the host has that exact stack, so only {{secondDownload}} of its {{secondCold}} travel. A layer counts only while every layer below it is present too: the same file set on another base would download again.',
      command: 'docker pull {{second}}',
      output: 'second',
      figure: 'timeline',
    },
    {
      text: 'The surprise. This host got its images by docker load from {{loaded}}: it holds every layer of {{loadedRef}} already, byte for byte (the same diffIDs). Yet pulling it from a registry downloads all {{loadedLayers}} layers again, {{loadedDownload}}. Already exists needs the daemon to have recorded which registry blob gave which diffID, and only a pull records that; docker load and docker build never do. An ideal content-addressed store would download {{loadedIdeal}}.',
      command: 'docker pull {{loadedRef}}',
      output: 'loaded',
    },
  ],
  exercise: {
    question: 'After pulling {{first}}, how many layers of {{second}} say Already exists?',
    answer: 'secondExists',
    kind: 'count',
    explain: '{{second}} and {{first}} start with the same {{secondExists}} layers (bottom first, the same chainIDs), so those are on the host; the other {{secondNew}} download.',
  },
};

function remote(images: readonly RegistryImage[], ref: string, where: string) {
  const r = remoteImageFor(images, parseNormalizedNamed(ref));
  if (!r) throw new Error(`${where}: no ${ref}`);
  return r;
}

/** The two official images that share the longest bottom stack (the first is the smaller). */
function sharingPair(images: readonly RegistryImage[]): [RegistryImage, RegistryImage] {
  let best: [RegistryImage, RegistryImage, number] | undefined;
  for (const a of images) {
    for (const b of images) {
      if (a === b || a.layers.length > b.layers.length) continue;
      let k = 0;
      while (k < a.layers.length && a.layers[k].digest === b.layers[k].digest) k++;
      if (k > 0 && k < b.layers.length && (!best || k > best[2])) best = [a, b, k];
    }
  }
  if (!best) throw new Error(`${REGISTRY}: no two images share a base`);
  return [best[0], best[1]];
}

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const reg = await ctx.registry(REGISTRY);
  const [a, b] = sharingPair(reg.registryImages);
  const first = a.repoTags[0];
  const second = b.repoTags[0];
  const host = pullHostFromGraph(new GraphBuilder().build(), undefined, reg.registryImages);
  const ordered = planPulls(host, [remote(reg.registryImages, first, REGISTRY), remote(reg.registryImages, second, REGISTRY)]);
  const [pa, pb] = ordered.plans;
  // `planned`: brought by the pull before it in the same plan; docker prints Already exists for both
  const exists = pb.layers.filter((l) => l.status !== 'download').length;
  // the loaded host: the docker save archive's images, with the blob metadata a load leaves (none)
  const layout = await ctx.source(LAYOUT);
  const loaded = await ctx.source(LOADED);
  const loadedIds = new Set(loaded.graph.layerDiffId);
  const target = layout.registryImages!.filter((r) => r.layers.every((l) => l.diffId && loadedIds.has(l.diffId as `sha256:${string}`))).reduce((x, y) => (y.layers.length > x.layers.length ? y : x));
  const into = pullHostFromGraph(loaded.graph, undefined, layout.registryImages!);
  inferBlobMetadata(into, loaded.graph, layout.registryImages!);
  const lp = planPulls(into, [remote(layout.registryImages!, target.repoTags[0], LAYOUT)]).plans[0];
  return {
    values: {
      registry: ctx.shown(REGISTRY),
      layout: ctx.shown(LAYOUT),
      loaded: ctx.shown(LOADED),
      first,
      firstDownload: bytes(pa.downloadBytes),
      second,
      secondLayers: pb.layers.length,
      secondExists: exists,
      secondNew: pb.layers.length - exists,
      sharedId: id12(pb.layers[0].digest),
      secondDownload: bytes(pb.downloadBytes),
      secondCold: bytes(pb.coldBytes),
      loadedRef: target.repoTags[0],
      loadedLayers: lp.layers.filter((l) => l.status === 'download').length,
      loadedDownload: bytes(lp.downloadBytes),
      loadedIdeal: bytes(lp.idealDownloadBytes),
    },
    outputs: {
      first: narratePull(pa, true).join('\n'),
      second: narratePull(pb, true).join('\n'),
      loaded: narratePull(lp, true).join('\n'),
    },
    figures: { timeline: { kind: 'pull', pull: { order: [first, second], plans: ordered.plans, schedule: ordered.schedule } } },
  };
}

export const pullingLesson: Lesson = { text: PULLING_TEXT, facts };
