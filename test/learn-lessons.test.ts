// The lessons: every number in their words is a computed value, every placeholder resolves from
// an analysis, every lesson renders (terminal, JSON, HTML), every exercise accepts its computed
// answer and rejects wrong ones, and what a lesson claims agrees with the output it shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindLesson, checkAnswer, placeholdersOf, PLACEHOLDER, showValue, templatesOf } from '../src/learn/engine.js';
import { learnContext } from '../src/learn/context.js';
import { boundLesson, LESSONS } from '../src/learn/lessons.js';
import type { BoundLesson, LessonFacts } from '../src/learn/types.js';
import { chainIds, imageIdFromConfig } from '../src/model/identity.js';
import { sha256Digest } from '../src/model/digest.js';
import { humanSize } from '../src/render/units.js';
import { renderLesson } from '../src/render/learn.js';
import { lessonsHtml } from '../src/render/html/lesson-page.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const NOW = 1795715247;
const ctx = learnContext('fixtures', NOW);
const facts = new Map<string, LessonFacts>();
async function factsOf(id: string): Promise<LessonFacts> {
  if (!facts.has(id)) facts.set(id, await LESSONS.find((l) => l.text.id === id)!.facts(ctx));
  return facts.get(id)!;
}
async function bound(id: string): Promise<BoundLesson> {
  return bindLesson(LESSONS.find((l) => l.text.id === id)!.text, await factsOf(id));
}

/** One placeholder (PLACEHOLDER is global; test() on it would carry lastIndex between calls). */
const UNBOUND = new RegExp(PLACEHOLDER.source);

/** A digit that starts a number: not inside a word such as sha256 or v2. */
const TYPED_NUMBER = /(?<![A-Za-z0-9_])\d/;

test('lesson words: no digit outside a placeholder (every number is computed)', () => {
  const found: string[] = [];
  for (const l of LESSONS) {
    for (const t of templatesOf(l.text)) {
      const bare = t.replace(PLACEHOLDER, '');
      const m = TYPED_NUMBER.exec(bare);
      if (m) found.push(`${l.text.id}: ${JSON.stringify(bare.slice(Math.max(0, m.index - 20), m.index + 20))}`);
    }
  }
  assert.deepEqual(found, []);
});

test('the digit scan catches a typed-in number (and lets sha256 through)', () => {
  assert.ok(TYPED_NUMBER.test('the image is 2MB'.replace(PLACEHOLDER, '')));
  assert.ok(TYPED_NUMBER.test('layer {{n}} of 4'.replace(PLACEHOLDER, '')));
  assert.ok(!TYPED_NUMBER.test('the sha256 of {{size}} bytes'.replace(PLACEHOLDER, '')));
});

test('lesson ids are unique; titles and summaries (shown in the list before anything is computed) have no placeholder', () => {
  assert.equal(new Set(LESSONS.map((l) => l.text.id)).size, LESSONS.length);
  for (const l of LESSONS) assert.deepEqual([...placeholdersOf(l.text.title), ...placeholdersOf(l.text.summary)], [], l.text.id);
});

test('every placeholder of every lesson resolves to a computed value, and every computed value is used', async () => {
  for (const l of LESSONS) {
    const f = await factsOf(l.text.id);
    const used = new Set(templatesOf(l.text).flatMap(placeholdersOf));
    for (const name of used) assert.ok(Object.hasOwn(f.values, name), `${l.text.id}: {{${name}}} has a computed value`);
    for (const name of Object.keys(f.values)) assert.ok(used.has(name) || name === l.text.exercise.answer, `${l.text.id}: value ${name} is shown somewhere`);
    for (const s of l.text.steps) {
      if (s.output) assert.ok(f.outputs[s.output]?.length, `${l.text.id}: output ${s.output}`);
      if (s.figure) assert.ok(f.figures[s.figure], `${l.text.id}: figure ${s.figure}`);
    }
    const b = bindLesson(l.text, f);
    assert.doesNotMatch(JSON.stringify(b), /undefined|NaN/, l.text.id);
    for (const s of b.steps) assert.doesNotMatch(s.text, UNBOUND, l.text.id);
  }
});

test('a placeholder without a computed value fails binding (never a blank)', async () => {
  const l = LESSONS[0];
  const f = await factsOf(l.text.id);
  const { layerCount: _, ...rest } = f.values;
  assert.throws(() => bindLesson(l.text, { ...f, values: rest }), /no computed value for \{\{layerCount\}\}/);
});

test('every exercise accepts its computed answer and rejects wrong ones', async () => {
  for (const l of LESSONS) {
    const b = await bound(l.text.id);
    const v = b.exercise.value;
    assert.ok(checkAnswer(b, b.exercise.answer).correct, `${l.text.id} accepts ${b.exercise.answer}`);
    assert.ok(checkAnswer(b, ` ${b.exercise.answer} `).correct, `${l.text.id}: spaces around`);
    assert.ok(!checkAnswer(b, '').correct, `${l.text.id} rejects nothing`);
    assert.ok(!checkAnswer(b, 'no idea').correct, `${l.text.id} rejects words`);
    switch (b.exercise.kind) {
      case 'count':
        assert.ok(!checkAnswer(b, String(Number(v) + 1)).correct);
        assert.ok(!checkAnswer(b, `${v}.5`).correct);
        break;
      case 'bytes': {
        const n = (v as { bytes: number }).bytes;
        assert.ok(checkAnswer(b, String(n)).correct, 'the exact bytes');
        assert.ok(!checkAnswer(b, String(n + 1)).correct, 'exact bytes must be exact');
        assert.ok(!checkAnswer(b, humanSize(n * 2)).correct);
        break;
      }
      case 'digest': {
        const hex = String(v).slice(7);
        assert.ok(checkAnswer(b, hex).correct && checkAnswer(b, hex.slice(0, 12)).correct && checkAnswer(b, hex.toUpperCase()).correct);
        assert.ok(!checkAnswer(b, hex.slice(0, 11)).correct, 'fewer than 12 hex digits is too ambiguous');
        assert.ok(!checkAnswer(b, (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1)).correct);
        break;
      }
      case 'text':
        assert.ok(!checkAnswer(b, String(v).toUpperCase()).correct || String(v) === String(v).toUpperCase());
        assert.ok(!checkAnswer(b, String(v).slice(0, -1)).correct);
        break;
    }
  }
});

test('image: the identities are computed from the archive bytes and agree with the model and the files', async () => {
  const b = await bound('image');
  const f = await factsOf('image');
  const walk = (f.figures.identity as { identity: { imageId: string; configDigest: string; layers: { diffId: string; configDiffId: string; chainId: string }[] } }).identity;
  assert.equal(walk.imageId, walk.configDigest);
  assert.deepEqual(walk.layers.map((l) => l.diffId), walk.layers.map((l) => l.configDiffId));
  assert.deepEqual(walk.layers.map((l) => l.chainId), chainIds(walk.layers.map((l) => l.diffId as `sha256:${string}`)));
  assert.equal(b.exercise.answer, walk.layers[1].chainId);
  // the config file in the archive hashes to the ID (checked here with a second, independent read)
  const archive = readFileSync('fixtures/archives/scenario.docker-save.tar');
  const name = `${walk.imageId.slice(7)}.json`;
  const at = archive.indexOf(Buffer.from(name));
  const size = parseInt(archive.subarray(at + 124, at + 136).toString('ascii').trim(), 8);
  assert.equal(imageIdFromConfig(archive.subarray(at + 512, at + 512 + size)), walk.imageId);
  // what the printf | sha256sum line prints is the chainID's hex
  assert.equal(b.steps[2].output, `${sha256Digest(`${walk.layers[0].diffId} ${walk.layers[1].diffId}`).slice(7)}  -`);
});

test('lessons say what their Docker output shows', async () => {
  const pulling = await bound('pulling');
  const second = pulling.steps[1].output!;
  assert.equal((second.match(/: Already exists$/gm) ?? []).length, pulling.values.secondExists);
  assert.ok(Number(pulling.values.secondExists) > 0);
  assert.equal((pulling.steps[2].output!.match(/: Pull complete$/gm) ?? []).length, pulling.values.loadedLayers);
  assert.equal(showValue(pulling.values.loadedIdeal), '0B');
  const push = await bound('push');
  assert.equal((push.steps[1].output!.match(/: Mounted from /gm) ?? []).length, push.values.childMounted);
  assert.equal((push.steps[2].output!.match(/: Layer already exists$/gm) ?? []).length, push.values.againExists);
  const sharing = await bound('sharing');
  assert.match(sharing.steps[2].output!, new RegExp(`Images +\\S+ +\\S+ +${showValue(sharing.values.imagesTotal).replace('.', '\\.')} `));
  const containers = await bound('containers');
  assert.match(containers.steps[0].output!, /^Error response from daemon: conflict/);
  assert.match(containers.steps[2].output!, new RegExp(`frees ${showValue(containers.values.freed).replace('.', '\\.')} on disk`));
  const slim = await bound('slim');
  assert.ok((slim.values.fatWasted as { bytes: number }).bytes > 0);
  assert.equal(showValue(slim.values.slimWasted), '0B');
  const naming = await bound('naming');
  assert.equal(naming.exercise.answer, 'docker.io/team/app-c:latest');
  assert.match(naming.steps[0].output!, /^Using default tag: latest$/m);
});

test('every lesson renders in the terminal, as JSON and in the HTML page', async () => {
  const all: BoundLesson[] = [];
  for (const l of LESSONS) {
    const b = await boundLesson(l, ctx);
    all.push(b);
    const text = renderLesson(b, { index: 1, of: LESSONS.length });
    assert.ok(text.includes(b.title) && text.includes(b.exercise.question.slice(0, 30)), l.text.id);
    for (const s of b.steps) if (s.command) assert.ok(text.includes(`$ ${s.command}`), `${l.text.id}: ${s.command}`);
    assert.doesNotMatch(text, UNBOUND);
    const r = await cli('learn', l.text.id, '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, l.text.id);
  }
  const html = lessonsHtml(all, LESSONS.map((l) => l.text.id));
  for (const b of all) assert.ok(html.includes(`id="lesson-${b.id}"`), b.id);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids.filter((x, k) => ids.indexOf(x) !== k), [], 'no id twice on the page');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing outside the file');
  assert.doesNotMatch(html, UNBOUND, 'no unbound placeholder');
});

test('learn CLI: list, lesson, --answer exit codes, --html file, usage errors', async () => {
  const list = await cli('learn');
  assert.equal(list.code, 0);
  for (const l of LESSONS) assert.match(list.stdout, new RegExp(`\\b${l.text.id}\\b`));
  const b = await bound('sharing');
  const right = await cli('learn', 'sharing', '--answer', b.exercise.answer);
  assert.equal(right.code, 0, right.stdout);
  assert.match(right.stdout, /^Correct/);
  const wrong = await cli('learn', 'sharing', '--answer', showValue(b.values.sumSizes));
  assert.equal(wrong.code, 1);
  assert.match(wrong.stdout, /^Not quite: .*the answer is /);
  assert.ok(wrong.stdout.includes(showValue(b.values.sumSizes)));
  const j = JSON.parse((await cli('learn', 'push', '--answer', '99', '--format', 'json')).stdout);
  assert.equal(j.correct, false);
  const dir = tempDir('layerlab-learn-');
  const out = join(dir, 'lessons.html');
  const page = await cli('learn', '--html', out);
  assert.equal(page.code, 0, page.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
  const one = await cli('learn', 'slim', '--html', '-');
  assert.equal((one.stdout.match(/<article class="lesson"/g) ?? []).length, 1);
  assert.equal((await cli('learn', 'nosuch')).code, 2);
  assert.match((await cli('learn', 'nosuch')).stderr, /no lesson "nosuch"; the lessons are image, naming/);
  assert.equal((await cli('learn', '--answer', 'x')).code, 2);
  assert.equal((await cli('learn', 'image', '--answer', 'x', '--html', out)).code, 2);
  const missing = await cli('learn', 'image', '--fixtures', dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /archives\/scenario\.oci is missing/);
});
