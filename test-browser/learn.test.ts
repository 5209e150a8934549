/// <reference lib="dom" />
// The lessons page in a real browser (Debian's chromium through playwright-core): it loads from
// disk with no error and no request, draws each lesson's pictures, every focusable thing (layers,
// command and output blocks, answer disclosures) is reached by Tab, axe finds nothing serious,
// and screenshots go to reports/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LESSONS } from '../src/learn/lessons.js';
import { cli } from '../test/helpers/cli.js';

const CHROMIUM = process.env.LAYERLAB_CHROMIUM ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
  } catch (e) {
    throw new Error(`chromium did not start from ${CHROMIUM} (run scripts/setup-test-deps.sh, or set LAYERLAB_CHROMIUM): ${(e as Error).message}`);
  }
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function open(file: string, opts: { width?: number; height?: number; dark?: boolean; bypassCSP?: boolean } = {}): Promise<{ page: Page; requests: string[]; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, colorScheme: opts.dark ? 'dark' : 'light', bypassCSP: opts.bypassCSP ?? false });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors, close: () => context.close() };
}

test('lesson pages load from disk with no console error and no request but the file itself', async () => {
  for (const file of [all, one]) {
    const p = await open(file);
    try {
      assert.deepEqual(p.errors, [], file);
      assert.deepEqual(p.requests, [pathToFileURL(file).href], file);
    } finally {
      await p.close();
    }
  }
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
        await p.page.addScriptTag({ content: AXE });
        const result = await p.page.evaluate(async () => {
          const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((x) => x.target.join(' ')) }));
        });
        assert.deepEqual(result.filter((v) => v.impact === 'serious' || v.impact === 'critical'), [], `${file} ${dark ? 'dark' : 'light'}`);
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
