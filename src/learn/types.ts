// What a lesson is made of. The words are data (LessonText, with {{name}} placeholders); every value
// a placeholder stands for is computed from the bundled images by the lesson's `facts`, so no
// number in a lesson is ever typed in.
import type { Plan } from '../analyze/plan.js';
import type { SystemDf } from '../analyze/df.js';
import type { LayerTree } from '../analyze/tree.js';
import type { PullReport } from '../render/html/charts.js';
import type { LearnContext } from './context.js';

/** A computed value a placeholder stands for: text, a count, or bytes (printed as docker prints sizes). */
export type LessonValue = string | number | { bytes: number };

/** How an exercise's answer is compared. */
export type AnswerKind =
  /** A whole number. */
  | 'count'
  /** Bytes: the exact number, or the size as docker prints it (`1.986MB`). */
  | 'bytes'
  /** A sha256 digest: in full, its hex, or its first 12 or more hex digits (as docker takes IDs). */
  | 'digest'
  /** Text, compared exactly after trimming (a reference, a name). */
  | 'text';

/** One step of a lesson: a paragraph, and perhaps the docker command and what Docker prints. */
export interface StepText {
  text: string;
  /** The command a person would type (a template). */
  command?: string;
  /** Name of a computed output block: what Docker would print for `command`. */
  output?: string;
  /** Name of a computed figure drawn after the step (in the HTML page). */
  figure?: string;
}

/** A lesson's words. Every number comes from a placeholder. */
export interface LessonText {
  id: string;
  title: string;
  /** One line for the list of lessons. */
  summary: string;
  /** The bundled data the lesson walks through (a template). */
  uses: string;
  steps: StepText[];
  exercise: {
    question: string;
    /** Name of the value that is the answer. */
    answer: string;
    kind: AnswerKind;
    /** Why the answer is what it is (shown after an answer, right or wrong). */
    explain: string;
  };
}

/** A picture a lesson draws, as the analysis result it is drawn from. */
export type LessonFigure =
  | { kind: 'stacks'; tree: LayerTree }
  | { kind: 'tree'; tree: LayerTree }
  | { kind: 'df'; df: SystemDf }
  | { kind: 'pull'; pull: PullReport }
  | { kind: 'plan'; plan: Plan }
  | { kind: 'identity'; identity: IdentityWalk }
  | { kind: 'waste'; waste: WasteComparison }
  | { kind: 'push'; push: PushSummary };

/** The identity walk of one image, computed from its bytes. */
export interface IdentityWalk {
  image: string;
  configDigest: string;
  configBytes: number;
  /** sha256 of the config bytes, as computed here. */
  imageId: string;
  layers: {
    blobDigest: string;
    blobSize: number;
    compression: string;
    /** sha256 of the uncompressed tar, as computed here. */
    diffId: string;
    /** The diffID the config lists for this position. */
    configDiffId: string;
    uncompressedSize: number;
    chainId: string;
  }[];
}

/** Two builds of the same content: layers per build with dive's waste figures. */
export interface WasteComparison {
  builds: {
    name: string;
    layers: { createdBy: string; size: number }[];
    sizeBytes: number;
    wastedBytes: number;
    efficiency: number;
    /** Paths more than one layer touches, with the positions of those layers (bottom first). */
    inefficiencies: { file: string; count: number; sizeBytes: number; layers: number[] }[];
  }[];
}

/** Per push, how many layers were already there, mounted, or uploaded. */
export interface PushSummary {
  pushes: { ref: string; repository: string; exists: number; mounted: number; pushed: number; mountedFrom: string[] }[];
}

/** What a lesson's `facts` computes: the placeholder values, Docker's output blocks, the pictures. */
export interface LessonFacts {
  values: Record<string, LessonValue>;
  outputs: Record<string, string>;
  figures: Record<string, LessonFigure>;
  /** Other spellings of a text answer that are also right (e.g. the familiar form of a reference). */
  accept?: string[];
}

/** A lesson: its words and how its values are computed. */
export interface Lesson {
  text: LessonText;
  facts(ctx: LearnContext): Promise<LessonFacts>;
}

/** A lesson with every placeholder bound: what the renderers and `--format json` show. */
export interface BoundLesson {
  id: string;
  title: string;
  summary: string;
  uses: string;
  steps: { text: string; command?: string; output?: string; figure?: LessonFigure & { name: string } }[];
  exercise: { question: string; kind: AnswerKind; answer: string; value: LessonValue; explain: string; accept?: string[] };
  /** The computed values, raw (bytes as numbers), for programs. */
  values: Record<string, LessonValue>;
}

/** The verdict on an answer. */
export interface AnswerCheck {
  lesson: string;
  given: string;
  correct: boolean;
  /** The answer as the lesson shows it. */
  expected: string;
  explain: string;
}
