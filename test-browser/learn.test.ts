/// <reference lib="dom" />
// The lessons page in a real browser (Debian's chromium through playwright-core): it loads from
// disk with no error and no request, draws each lesson's pictures, every focusable thing (layers,
// command and output blocks, answer disclosures) is reached by Tab, axe finds nothing serious,
// and screenshots go to reports/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { LESSONS } from '../src/learn/lessons.js';
import { cli } from '../test/helpers/cli.js';
import { assertLoadsAlone, closeBrowser, launchChromium, openPage, seriousAxeViolations } from './helpers/browser.js';

let browser: Browser;
let dir: string;
let all: string;
let one: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layerlab-learn-browser-'));
  all = join(dir, 'lessons.html');
  one = join(dir, 'image.html');
  for (const [file, args] of [[all, []], [one, ['image']]] as const) {
    const r = await cli('learn', ...args, '--html', file);
    assert.equal(r.code, 0, r.stderr);
  }
  browser = await launchChromium();
});

after(() => closeBrowser(browser, dir));

const open = (file: string, opts: Parameters<typeof openPage>[2] = {}) => openPage(browser, file, opts);

test('lesson pages load from disk with no console error and no request but the file itself', async () => {
  await assertLoadsAlone(browser, [all, one]);
});

test('every lesson is on the page with its commands, Docker output, pictures and exercise', async () => {
  const p = await open(all);
  try {
    assert.equal(await p.page.locator('article.lesson').count(), LESSONS.length);
    for (const l of LESSONS) {
      const a = p.page.locator(`#lesson-${l.text.id}`);
      assert.equal(await a.locator('pre.command').count(), l.text.steps.filter((s) => s.command).length, l.text.id);
      assert.equal(await a.locator('pre.out').count(), l.text.steps.filter((s) => s.output).length, l.text.id);
      assert.equal(await a.locator('section.figure').count(), l.text.steps.filter((s) => s.figure).length, l.text.id);
      assert.equal(await a.locator('section.exercise details').count(), 1, l.text.id);
    }
    for (const id of ['#identity', '#stacks', '#tree', '#df', '#pull', '#plan', '#waste', '#push']) assert.equal(await p.page.locator(`${id} svg.chart, ${id} ul.tree`).count(), 1, id);
    // the answer is hidden until asked for, then shown
    const ex = p.page.locator('#lesson-sharing section.exercise details');
    assert.equal(await ex.locator('strong').isVisible(), false);
    await ex.locator('summary').click();
    assert.equal(await ex.locator('strong').isVisible(), true);
  } finally {
    await p.close();
  }
});

test('Tab reaches every layer, every command and output block and every answer disclosure', async () => {
  const p = await open(all);
  try {
    const want = await p.page.evaluate(() => {
      const els = Array.from(document.querySelectorAll('rect.layer[tabindex], pre[tabindex], details > summary'));
      els.forEach((el, k) => el.setAttribute('data-k', String(k)));
      return els.length;
    });
    assert.ok(want > LESSONS.length * 3, `${want} focusable things`);
    const seen = new Set<string>();
    for (let k = 0; k < want + 200 && seen.size < want; k++) {
      await p.page.keyboard.press('Tab');
      const key = await p.page.evaluate(() => document.activeElement?.getAttribute('data-k') ?? null);
      if (key !== null) seen.add(key);
    }
    assert.equal(seen.size, want);
    // Enter on a focused summary opens the answer
    await p.page.locator('#lesson-image section.exercise summary').focus();
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('#lesson-image section.exercise details').getAttribute('open'), '');
  } finally {
    await p.close();
  }
});

test('axe-core finds no serious or critical violation, light and dark', async () => {
  for (const file of [all, one]) {
    for (const dark of [false, true]) {
      // the page runs no script (its CSP allows none); the test lifts the CSP to inject axe
      const p = await open(file, { dark, bypassCSP: true });
      try {
        assert.deepEqual(await seriousAxeViolations(p.page), [], `${file} ${dark ? 'dark' : 'light'}`);
      } finally {
        await p.close();
      }
    }
  }
});

test('screenshots of the lessons page (1280x800 light and dark, 390x844) go to reports/', async () => {
  mkdirSync('reports', { recursive: true });
  for (const [w, h, dark, at] of [[1280, 800, false, '#lesson-image'], [1280, 800, true, '#lesson-slim'], [390, 844, false, '#lesson-pulling']] as const) {
    const p = await open(all, { width: w, height: h, dark });
    try {
      await p.page.locator(at).scrollIntoViewIfNeeded();
      await p.page.evaluate((sel) => document.querySelector(sel)!.scrollIntoView(), at);
      const out = `reports/learn-${w}x${h}${dark ? '-dark' : ''}.png`;
      await p.page.screenshot({ path: out });
      assert.ok(readFileSync(out).length > 10_000, out);
    } finally {
      await p.close();
    }
  }
});
