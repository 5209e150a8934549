import { fileURLToPath } from 'node:url';
import { quote } from '../errors.js';
import { checkAnswer } from '../learn/engine.js';
import { learnContext } from '../learn/context.js';
import { boundLesson, findLesson, LESSONS } from '../learn/lessons.js';
import type { BoundLesson } from '../learn/types.js';
import { lessonsHtml } from '../render/html/lesson-page.js';
import { renderAnswerCheck, renderLesson, renderLessonList } from '../render/learn.js';
import { humanSize } from '../render/units.js';
import { formatOption } from './common.js';
import { writeAtomically } from './generate.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';

// From src/cli (tsx) and from dist/cli (built) alike, the clone's fixtures are two folders up.
const DEFAULT_FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export const learnCommand = defineCommand(
  {
    name: 'learn',
    summary: 'Lessons on the bundled real images: layers, names, pulls, sharing, removal, waste, push',
    description: `A guided walk through how images are stored and moved, on the real images bundled in
fixtures/: what an image is (diffID, chainID and image ID computed from the bytes as you read),
names and tags, pulling, sharing, containers and removal, slim images, pushing. Each lesson
shows the docker command and what Docker would print (computed by layerlab, never typed in),
and ends with an exercise: --answer checks it (exit 0 when right, 1 when not).
Without LESSON, lists the lessons.`,
    positionals: [{ name: 'LESSON', optional: true }],
    options: {
      answer: { type: 'string', value: 'VALUE', description: "check VALUE against the lesson's exercise" },
      html: { type: 'string', value: 'FILE', description: 'write the lesson (or, without LESSON, all of them) as one self-contained HTML page with pictures (- for stdout)' },
      format: formatOption(['text', 'json'], { text: 'for reading in a terminal', json: 'the lesson with its computed values, outputs and pictures' }),
      fixtures: { type: 'string', value: 'DIR', description: "the bundled fixtures folder", defaultHelp: "the clone's fixtures/" },
    },
  },
  async ({ values, positionals }, io) => {
    const [id] = positionals;
    if (values.answer !== undefined && id === undefined) throw usageError('--answer needs a LESSON: layerlab learn LESSON --answer VALUE');
    if (values.answer !== undefined && values.html !== undefined) throw usageError('--answer checks an answer; --html writes a page: give one of them');
    const lesson = id === undefined ? undefined : findLesson(id);
    if (id !== undefined && !lesson) throw usageError(`no lesson ${quote(id)}; the lessons are ${LESSONS.map((l) => l.text.id).join(', ')}`);
    const picked = lesson ? [lesson] : LESSONS;
    if (!lesson && values.html === undefined && values.format === 'text') {
      io.stdout(renderLessonList(LESSONS.map((l) => l.text)));
      return 0;
    }
    const ctx = learnContext(values.fixtures ?? DEFAULT_FIXTURES, io.now());
    const bound: BoundLesson[] = [];
    for (const l of picked) bound.push(await boundLesson(l, ctx));
    if (values.answer !== undefined) {
      const check = checkAnswer(bound[0], values.answer);
      io.stdout(values.format === 'json' ? json(check) : renderAnswerCheck(check));
      return check.correct ? 0 : 1;
    }
    if (values.html !== undefined) {
      const html = lessonsHtml(bound, LESSONS.map((l) => l.text.id));
      if (values.html === '-') io.stdout(html);
      else {
        writeAtomically(values.html, html);
        io.stderr(`wrote ${values.html} (${humanSize(Buffer.byteLength(html))})\n`);
      }
      return 0;
    }
    if (values.format === 'json') io.stdout(json(lesson ? bound[0] : bound));
    else io.stdout(renderLesson(bound[0], { index: LESSONS.indexOf(lesson!) + 1, of: LESSONS.length }));
    return 0;
  },
);
