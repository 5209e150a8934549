// Sharing: what SHARED and UNIQUE mean, and why df's total is less than the sum of SIZE.
import { systemDf } from '../../analyze/df.js';
import { layerTree } from '../../analyze/tree.js';
import { renderDfSummary, renderDfVerbose } from '../../render/df.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText } from '../types.js';
import { bytes, ROOT } from './common.js';

export const SHARING_TEXT: LessonText = {
  id: 'sharing',
  title: 'Sharing: SHARED, UNIQUE, and what df counts',
  summary: 'SHARED vs UNIQUE per image, and why the total is not the sum of SIZE',
  uses: 'the Docker data root {{root}}, captured from Docker {{dockerVersion}}',
  steps: [
    {
      text: 'An image\'s SIZE is all its layers. SHARED SIZE is the part another image also holds (the same layer on the same stack below, so the same chainID); UNIQUE SIZE is the rest, what removing the image alone would free. {{bigImage}} is {{bigSize}}, of which {{bigShared}} shared and {{bigUnique}} unique.',
      command: 'docker system df -v',
      output: 'verbose',
      figure: 'stacks',
    },
    {
      text: 'The same layers drawn as the layer store holds them: a tree of stack prefixes. A branch is where images diverge; everything above the branch point is stored once for all of them.',
      figure: 'tree',
    },
    {
      text: 'Adding up the SIZE column gives {{sumSizes}} for {{imageCount}} images. The disk holds each layer once: docker system df counts {{imagesTotal}}. The difference, {{overcount}}, is the shared layers counted again for every image that holds them. RECLAIMABLE is {{reclaimable}}: what removing every image without a container would free.',
      command: 'docker system df',
      output: 'summary',
      figure: 'df',
    },
  ],
  exercise: {
    question: 'How much disk do the images of this host take in all, as docker system df counts it (its Images SIZE)?',
    answer: 'imagesTotal',
    kind: 'bytes',
    explain: 'Each layer counts once however many images hold it: {{imagesTotal}}. Adding up the SIZE column instead gives {{sumSizes}}, counting the shared layers once per image.',
  },
};

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const root = await ctx.source(ROOT);
  const df = systemDf(root.graph);
  const tree = layerTree(root.graph);
  const big = df.Images.reduce((a, b) => (b.SharedSize > 0 && b.UniqueSize > 0 && b.Size > a.Size ? b : a), df.Images[0]);
  const sum = df.Images.reduce((s, i) => s + i.Size, 0);
  const version = ctx.text('docker-20.10-root/version.json');
  return {
    values: {
      root: ctx.shown(ROOT),
      dockerVersion: (JSON.parse(version) as { Version: string }).Version,
      bigImage: big.RepoTags?.[0] ?? big.Id,
      bigSize: bytes(big.Size),
      bigShared: bytes(big.SharedSize),
      bigUnique: bytes(big.UniqueSize),
      imageCount: df.Images.length,
      sumSizes: bytes(sum),
      imagesTotal: bytes(df.ImagesUsage.TotalSize),
      overcount: bytes(sum - df.ImagesUsage.TotalSize),
      reclaimable: bytes(df.ImagesUsage.Reclaimable),
    },
    outputs: { verbose: renderDfVerbose(df, ctx.now).trimEnd(), summary: renderDfSummary(df).trimEnd() },
    figures: { stacks: { kind: 'stacks', tree }, tree: { kind: 'tree', tree }, df: { kind: 'df', df } },
  };
}

export const sharingLesson: Lesson = { text: SHARING_TEXT, facts };
