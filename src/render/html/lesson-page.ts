// The lessons as one self-contained HTML page: each step's words, the docker command and what
// Docker prints, the pictures from the report's building blocks, and the exercise with its answer
// behind a disclosure. No script, no network: it opens from disk and prints.
import type { BoundLesson, LessonFigure } from '../../learn/types.js';
import { dfFigure, planFigure, pullFigure } from './charts.js';
import { identityFigure, pushFigure, wasteFigure } from './lesson-figures.js';
import { esc, htmlPage } from './markup.js';
import { stackLayout, stacksFigure } from './stacks.js';
import { REPORT_CSS } from './style.js';
import { treeFigure } from './tree-html.js';
import { DEFAULT_LIMITS } from './page.js';

const LESSON_CSS = `
article.lesson{margin:2rem 0 3rem}article.lesson>h2{font-size:1.35rem}
p.uses{color:var(--muted);margin-top:0}
.step{max-width:80ch}
.cmd{margin:.5rem 0 1rem}
.cmd pre{margin:0;padding:.45rem .7rem;overflow-x:auto;background:var(--h0);border:1px solid var(--line);border-radius:4px;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre}
.cmd pre.command{border-bottom:0;border-radius:4px 4px 0 0;font-weight:600}.cmd pre.out{border-radius:0 0 4px 4px}
.cmd pre:focus{outline:2px solid var(--focus)}
section.exercise{border:1px solid var(--line);border-left:4px solid var(--bar);border-radius:4px;padding:.2rem 1rem .6rem;margin:1.2rem 0;max-width:80ch}
section.exercise h3{margin:.6rem 0 .3rem;font-size:1.05rem}
section.exercise details summary{cursor:pointer;color:var(--bar)}
svg.chart text.on-fill{fill:var(--bg)}
.key.unique{background:var(--unique)}
@media print{.cmd pre{white-space:pre-wrap;overflow:visible}section.exercise details>*{display:block}}
`;

/** One picture from its analysis result. The stacks and the tree of one tree share their colours. */
function figureHtml(f: LessonFigure): string {
  switch (f.kind) {
    case 'stacks':
      return stacksFigure(f.tree, stackLayout(f.tree, DEFAULT_LIMITS.stacks));
    case 'tree':
      return treeFigure(f.tree, stackLayout(f.tree, DEFAULT_LIMITS.stacks).colour, DEFAULT_LIMITS.treeNodes).html;
    case 'df':
      return dfFigure(f.df);
    case 'pull':
      return pullFigure(f.pull);
    case 'plan':
      return planFigure(f.plan);
    case 'identity':
      return identityFigure(f.identity);
    case 'waste':
      return wasteFigure(f.waste);
    case 'push':
      return pushFigure(f.push);
  }
}

function lessonHtml(l: BoundLesson, number: number): string {
  const steps = l.steps.map((s) => {
    const cmd = s.command === undefined ? '' : `<div class="cmd"><pre class="command" tabindex="0" aria-label="Command"><code>$ ${esc(s.command)}</code></pre>${s.output !== undefined ? `<pre class="out" tabindex="0" aria-label="What Docker prints"><samp>${esc(s.output)}</samp></pre>` : ''}</div>`;
    return `<p class="step">${esc(s.text)}</p>${cmd}${s.figure ? figureHtml(s.figure) : ''}`;
  });
  const ex = l.exercise;
  return `<article class="lesson" id="lesson-${esc(l.id)}" aria-labelledby="lesson-${esc(l.id)}-h">
<h2 id="lesson-${esc(l.id)}-h">${number}. ${esc(l.title)}</h2>
<p class="uses">Uses ${esc(l.uses)}.</p>
${steps.join('\n')}
<section class="exercise" aria-labelledby="lesson-${esc(l.id)}-ex"><h3 id="lesson-${esc(l.id)}-ex">Exercise</h3>
<p>${esc(ex.question)}</p>
<p>Check your answer in a terminal: <code>layerlab learn ${esc(l.id)} --answer VALUE</code></p>
<details><summary>Show the answer</summary><p><strong>${esc(ex.answer)}</strong></p><p>${esc(ex.explain)}</p></details>
</section>
</article>`;
}

/** The page: one lesson or all of them; `order` numbers each lesson by its place in the full list. */
export function lessonsHtml(lessons: readonly BoundLesson[], order: readonly string[]): string {
  const title = lessons.length === 1 ? `layerlab lesson: ${lessons[0].title}` : 'layerlab lessons: images, layers, registries';
  return htmlPage({
    title,
    css: REPORT_CSS + LESSON_CSS,
    script: false,
    lead: 'Every digest, size and line of Docker output on this page was computed by layerlab from the images bundled with it, when the page was written.',
    ...(lessons.length > 1 ? { nav: { label: 'Lessons', links: lessons.map((l) => [`#lesson-${l.id}`, l.title] as const) } } : {}),
    main: lessons.map((l) => lessonHtml(l, order.indexOf(l.id) + 1)).join('\n'),
  });
}
