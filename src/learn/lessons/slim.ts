// Slim images: a file a later layer deletes still ships in the layer that added it. Two small
// builds of the same result, made here in memory on the archive's real base layer, and what
// dive's waste analysis says about each.
import { wasteAnalysis } from '../../analyze/waste.js';
import { baseName, fileEntryAt, layerFilesOf, type LayerFiles, type RawEntry } from '../../model/files.js';
import { humanSizeWithPrecision } from '../../render/units.js';
import { indexLayerTar } from '../../sources/file-index.js';
import type { LearnContext } from '../context.js';
import type { Lesson, LessonFacts, LessonText, WasteComparison } from '../types.js';
import { ARCHIVE, bytes, plural, taggedImages } from './common.js';

export const SLIM_TEXT: LessonText = {
  id: 'slim',
  title: 'Slim images: deleted files still ship',
  summary: 'what the waste analysis shows: bytes a later layer deletes or overwrites',
  uses: 'the bottom layer of {{baseRef}} in {{archive}}, with two small builds on it made in memory by layerlab',
  steps: [
    {
      text: 'Layers only add. Deleting a file in a later layer writes a whiteout that hides it; the bytes stay in the layer below, on every host and in every pull. Two builds of the same result on the {{baseSize}} base of {{baseRef}}: the fat one copies {{file}} ({{fileSize}}) to {{tmpPath}} in one step, and in the next moves it to {{optPath}} and deletes the copy. The slim one puts it in {{optPath}} in a single step.',
      command: "docker history --format '{{.Size}}\\t{{.CreatedBy}}' fat",
      output: 'fatHistory',
      figure: 'waste',
    },
    {
      text: 'The slim build holds the same files in {{slimLayers}} layers and {{slimSize}}, against {{fatSize}} for the fat one.',
      command: "docker history --format '{{.Size}}\\t{{.CreatedBy}}' slim",
      output: 'slimHistory',
    },
    {
      text: 'The waste analysis (dive\'s rules) finds every path that more than one layer touches and sums the bytes of all its copies: for the fat build {{fatWasted}} in {{fatPaths}} (the largest {{wastedPath}}), and an efficiency of {{fatEfficiency}}; for the slim build {{slimWasted}} and {{slimEfficiency}}. The cure is to create and delete a file in the same step, or to copy only the result from another build stage.',
    },
  ],
  exercise: {
    question: 'How many bytes does the waste analysis count as wasted in the fat build?',
    answer: 'fatWasted',
    kind: 'bytes',
    explain: '{{wastedPath}} is touched by {{wastedCount}} layers: added with its {{fileSize}} and then deleted by a whiteout, which counts nothing itself. Those {{fatWasted}} ship in every pull of the fat build though no container can see them.',
  },
};

/** The largest regular file of a layer: what the builds copy around. */
function largestFile(l: LayerFiles): { path: string; size: number; digest?: string } {
  let best = -1;
  for (let k = 0; k < l.count; k++) if (l.kind[k] === 0 && l.type[k] === 0 && (best < 0 || l.size[k] > l.size[best])) best = k;
  if (best < 0) throw new Error('the base layer has no regular file');
  const e = fileEntryAt(l, best);
  return { path: e.path, size: e.size, ...(e.digest ? { digest: e.digest } : {}) };
}

const layerSize = (l: LayerFiles) => Array.from(l.size).reduce((s, x) => s + x, 0);

async function facts(ctx: LearnContext): Promise<LessonFacts> {
  const src = await ctx.source(ARCHIVE);
  const g = src.graph;
  const i = taggedImages(g).reduce((a, b) => (g.stackOf(b).length < g.stackOf(a).length ? b : a));
  const bottom = g.stackOf(i)[0];
  const blob = g.layerDigest[bottom] ?? g.layerDiffId[bottom]!;
  const base = await indexLayerTar(await src.blobs!.open(blob), { file: ctx.shown(ARCHIVE), path: blob });
  const big = largestFile(base);
  const name = baseName(big.path);
  const file = (path: string): RawEntry => ({ name: path, type: 'file', size: big.size, ...(big.digest ? { digest: big.digest } : {}) });
  const dir = (path: string): RawEntry => ({ name: path, type: 'dir' });
  const copy = layerFilesOf([dir('tmp'), file(`tmp/${name}`)]);
  const move = layerFilesOf([dir('opt'), file(`opt/${name}`), { name: `tmp/.wh.${name}`, type: 'file', size: 0 }]);
  const once = layerFilesOf([dir('opt'), file(`opt/${name}`)]);
  const builds = [
    { name: 'fat', layers: [base, copy, move], createdBy: [`(the bottom layer of ${g.tagsOf(i)[0]})`, `COPY ${name} /tmp/${name}`, `RUN cp /tmp/${name} /opt/${name} && rm /tmp/${name}`] },
    { name: 'slim', layers: [base, once], createdBy: [`(the bottom layer of ${g.tagsOf(i)[0]})`, `COPY ${name} /opt/${name}`] },
  ];
  const waste: WasteComparison = {
    builds: builds.map((b) => {
      const sizes = b.layers.map(layerSize);
      const a = wasteAnalysis(b.layers, sizes);
      return { name: b.name, layers: sizes.map((size, k) => ({ createdBy: b.createdBy[k], size })), sizeBytes: a.sizeBytes, wastedBytes: a.wastedBytes, efficiency: a.efficiency, inefficiencies: a.inefficiencies.map(({ file, count, sizeBytes, layers }) => ({ file, count, sizeBytes, layers })) };
    }),
  };
  const [fat, slim] = waste.builds;
  const pct = (e: number) => `${(e * 100).toFixed(2)} %`;
  // docker history: newest layer first, SIZE with three digits
  const history = (b: WasteComparison['builds'][number]) => [...b.layers].reverse().map((l) => `${humanSizeWithPrecision(l.size, 3)}\t${l.createdBy}`).join('\n');
  const top = fat.inefficiencies[0];
  if (!top) throw new Error('the fat build shows no waste');
  return {
    values: {
      archive: ctx.shown(ARCHIVE),
      baseRef: g.tagsOf(i)[0],
      baseSize: bytes(layerSize(base)),
      file: big.path,
      fileSize: bytes(big.size),
      tmpPath: `/tmp/${name}`,
      optPath: `/opt/${name}`,
      slimLayers: slim.layers.length,
      slimSize: bytes(slim.sizeBytes),
      fatSize: bytes(fat.sizeBytes),
      fatWasted: bytes(fat.wastedBytes),
      fatPaths: `${fat.inefficiencies.length} ${plural(fat.inefficiencies.length, 'path')}`,
      wastedPath: top.file,
      wastedCount: top.count,
      fatEfficiency: pct(fat.efficiency),
      slimWasted: bytes(slim.wastedBytes),
      slimEfficiency: pct(slim.efficiency),
    },
    outputs: { fatHistory: history(fat), slimHistory: history(slim) },
    figures: { waste: { kind: 'waste', waste } },
  };
}

export const slimLesson: Lesson = { text: SLIM_TEXT, facts };
