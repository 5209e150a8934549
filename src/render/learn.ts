// Lessons in a terminal: the list, one lesson (its steps, each docker command with what Docker
// prints, the exercise), and the verdict on an answer. Plus `docker image ls`, which the naming
// lesson shows and no other command prints.
import { systemDf } from '../analyze/df.js';
import { shortId } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { familiarName, parseNormalizedNamed } from '../model/reference.js';
import type { AnswerCheck, BoundLesson } from '../learn/types.js';
import { tabwrite } from './tabwriter.js';
import { humanDuration, humanSizeWithPrecision } from './units.js';
import { trimLines } from './removal.js';

/** `docker image ls`: a row per name (untagged images as <none>), newest first, SIZE with 3 digits as docker/cli prints it. */
export function renderImageList(graph: ImageGraph, now: number): string {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const i of systemDf(graph).Images) {
    const names = i.RepoTags?.length ? i.RepoTags : ['<none>:<none>'];
    for (const t of names) {
      const r = t === '<none>:<none>' ? undefined : parseNormalizedNamed(t);
      rows.push([r ? familiarName(r) : '<none>', r?.tag ?? '<none>', shortId(i.Id), i.Created > 0 ? `${humanDuration(now - i.Created)} ago` : 'N/A', humanSizeWithPrecision(i.Size, 3)]);
    }
  }
  return trimLines(tabwrite(rows)).trimEnd();
}

/** Words wrapped at `width` columns, each line indented. */
export function wrap(text: string, width = 88, indent = ''): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/** The list `layerlab learn` prints. */
export function renderLessonList(lessons: readonly Pick<BoundLesson, 'id' | 'title' | 'summary'>[]): string {
  const w = Math.max(...lessons.map((l) => l.id.length));
  const lines = lessons.map((l, k) => `  ${String(k + 1).padStart(2)}. ${l.id.padEnd(w)}  ${l.title}\n      ${' '.repeat(w)}  ${l.summary}`);
  return `Lessons on the bundled real images (layerlab learn LESSON to read one):\n\n${lines.join('\n')}\n\nEach ends with an exercise: layerlab learn LESSON --answer VALUE checks it.\nlayerlab learn --html lessons.html writes them all as one page with pictures.\n`;
}

/** One lesson as text: the steps with their commands and Docker's output, then the exercise. */
export function renderLesson(l: BoundLesson, position?: { index: number; of: number }): string {
  const head = position ? `Lesson ${position.index} of ${position.of}: ${l.title}` : l.title;
  const parts = [`${head}\n${'='.repeat(Math.min(88, head.length))}`, wrap(`Uses ${l.uses}.`)];
  for (const s of l.steps) {
    parts.push(wrap(s.text));
    if (s.command !== undefined) {
      const out = s.output ? '\n' + s.output.split('\n').map((x) => `  ${x}`.trimEnd()).join('\n') : '';
      parts.push(`  $ ${s.command}${out}`);
    }
  }
  parts.push(`Exercise\n--------\n${wrap(l.exercise.question)}\n\n  layerlab learn ${l.id} --answer VALUE`);
  return parts.join('\n\n') + '\n';
}

/** The verdict: correct or not, the answer, and why. */
export function renderAnswerCheck(c: AnswerCheck): string {
  const verdict = c.correct ? `Correct: ${c.expected}` : `Not quite: you answered ${c.given.trim() || '(nothing)'}; the answer is ${c.expected}`;
  return `${verdict}\n\n${wrap(c.explain)}\n`;
}
