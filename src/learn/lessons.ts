// The lessons in the order they are best read, and binding them to the bundled images.
import { bindLesson } from './engine.js';
import type { LearnContext } from './context.js';
import { containersLesson } from './lessons/containers.js';
import { imageLesson } from './lessons/image.js';
import { namingLesson } from './lessons/naming.js';
import { pullingLesson } from './lessons/pulling.js';
import { pushLesson } from './lessons/push.js';
import { sharingLesson } from './lessons/sharing.js';
import { slimLesson } from './lessons/slim.js';
import type { BoundLesson, Lesson } from './types.js';

/** Every lesson, in reading order. */
export const LESSONS: readonly Lesson[] = [imageLesson, namingLesson, pullingLesson, sharingLesson, containersLesson, slimLesson, pushLesson];

/** The lesson named `id`, if there is one. */
export function findLesson(id: string): Lesson | undefined {
  return LESSONS.find((x) => x.text.id === id);
}

/** A lesson with its values computed from the bundled images. */
export async function boundLesson(lesson: Lesson, ctx: LearnContext): Promise<BoundLesson> {
  return bindLesson(lesson.text, await lesson.facts(ctx));
}
