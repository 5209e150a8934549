// Binds a lesson's words to its computed values and checks answers. Pure: the values arrive
// computed; nothing here reads a file.
import { quote } from '../errors.js';
import { humanSize, parseHumanSize } from '../render/units.js';
import type { AnswerCheck, BoundLesson, LessonFacts, LessonText, LessonValue } from './types.js';

/** `{{name}}`: a value computed by the lesson. Go templates (`{{.Id}}`) never match: a name starts with a letter. */
export const PLACEHOLDER = /\{\{([A-Za-z][A-Za-z0-9_]*)\}\}/g;

/** A value as the lesson prints it: sizes as docker prints them. */
export function showValue(v: LessonValue): string {
  return typeof v === 'object' ? humanSize(v.bytes) : String(v);
}

/** Every placeholder name a template uses. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** Every template string of a lesson's words (the data a test scans for typed-in numbers). */
export function templatesOf(text: LessonText): string[] {
  const steps = text.steps.flatMap((s) => [s.text, s.command ?? '']);
  return [text.title, text.summary, text.uses, ...steps, text.exercise.question, text.exercise.explain].filter((t) => t !== '');
}

function fill(template: string, values: Record<string, LessonValue>, lesson: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`lesson ${quote(lesson)}: no computed value for {{${name}}}`);
    return showValue(values[name]);
  });
}

/** The lesson with every placeholder replaced by its computed value; a missing value is an error, never a blank. */
export function bindLesson(text: LessonText, facts: LessonFacts): BoundLesson {
  const f = (t: string) => fill(t, facts.values, text.id);
  const answer = facts.values[text.exercise.answer];
  if (answer === undefined) throw new Error(`lesson ${quote(text.id)}: no computed answer ${quote(text.exercise.answer)}`);
  return {
    id: text.id,
    title: f(text.title),
    summary: f(text.summary),
    uses: f(text.uses),
    steps: text.steps.map((s) => {
      if (s.output !== undefined && !Object.hasOwn(facts.outputs, s.output)) throw new Error(`lesson ${quote(text.id)}: no computed output ${quote(s.output)}`);
      if (s.figure !== undefined && !Object.hasOwn(facts.figures, s.figure)) throw new Error(`lesson ${quote(text.id)}: no computed figure ${quote(s.figure)}`);
      return {
        text: f(s.text),
        ...(s.command !== undefined ? { command: f(s.command) } : {}),
        ...(s.output !== undefined ? { output: facts.outputs[s.output] } : {}),
        ...(s.figure !== undefined ? { figure: { name: s.figure, ...facts.figures[s.figure] } } : {}),
      };
    }),
    exercise: {
      question: f(text.exercise.question),
      kind: text.exercise.kind,
      answer: showValue(answer),
      value: answer,
      explain: f(text.exercise.explain),
      ...(facts.accept?.length ? { accept: facts.accept } : {}),
    },
    values: facts.values,
  };
}

const HEX = /^(?:sha256:)?([0-9a-f]{12,64})$/;

/** Whether `given` is the lesson's answer, by the answer's kind. */
function matches(lesson: BoundLesson, given: string): boolean {
  const g = given.trim();
  const raw = lesson.exercise.value;
  switch (lesson.exercise.kind) {
    case 'count':
      return /^\d+$/.test(g) && Number(g) === raw;
    case 'bytes': {
      const want = typeof raw === 'object' ? raw.bytes : Number(raw);
      if (/^\d+$/.test(g)) return Number(g) === want;
      const n = parseHumanSize(g);
      return n !== undefined && humanSize(n) === humanSize(want);
    }
    case 'digest': {
      const m = HEX.exec(g.toLowerCase());
      return m !== null && String(raw).replace(/^sha256:/, '').startsWith(m[1]);
    }
    case 'text':
      return g === String(raw) || (lesson.exercise.accept ?? []).includes(g);
  }
}

/** Checks an answer; the explanation is given either way. */
export function checkAnswer(lesson: BoundLesson, given: string): AnswerCheck {
  return { lesson: lesson.id, given, correct: matches(lesson, given), expected: lesson.exercise.answer, explain: lesson.exercise.explain };
}
