/// <reference lib="dom" />
// The report page in a real browser (Debian's chromium through playwright-core, no download):
// it must load from disk with no error and no request, draw what the data says, explain layers
// on hover and on keyboard focus, pass axe, stay small at 1,000 images. Fails if chromium
// cannot start: a missing browser is a broken setup, not a skipped test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cli } from '../test/helpers/cli.js';
import { assertLoadsAlone, closeBrowser, launchChromium, openPage, seriousAxeViolations } from './helpers/browser.js';

const ROOT = 'fixtures/docker-20.10-root/root';
const OFFICIAL = 'fixtures/official-images/host.snapshot.json';

let browser: Browser;
let dir: string;
const pages: Record<'root' | 'official' | 'big', string> = { root: '', official: '', big: '' };

async function run(...argv: string[]): Promise<void> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `layerlab ${argv.join(' ')}: ${r.stderr}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layerlab-browser-'));
  const plan = join(dir, 'plan.json');
  const pull = join(dir, 'pull.json');
  writeFileSync(plan, (await cli('plan', ROOT, '--prune', '-a', '--format', 'json')).stdout);
  writeFileSync(pull, (await cli('pull', '--from', 'fixtures/official-images/manifests', '--into', OFFICIAL, '--format', 'json', 'python:slim', 'nginx:stable-trixie', 'busybox:latest')).stdout);
  pages.root = join(dir, 'root.html');
  pages.official = join(dir, 'official.html');
  pages.big = join(dir, 'big.html');
  await run('report', ROOT, '--dedup', '--plan', plan, '--pull', pull, '-o', pages.root);
  await run('report', OFFICIAL, '--dedup', '--title', 'layerlab report: 17 official images', '-o', pages.official);
  const big = join(dir, 'big.json');
  await run('generate', '--images', '1000', '--seed', '7', '-o', big);
  await run('report', big, '-o', pages.big);
  browser = await launchChromium();
});

after(() => closeBrowser(browser, dir));

const open = (file: string, opts: Parameters<typeof openPage>[2] = {}) => openPage(browser, file, opts);

async function embedded(page: Page): Promise<{ tree: { nodes: { digest?: string; diffId?: string; chainId?: string; users: number }[]; images: { listed: boolean }[] } }> {
  return page.evaluate(() => JSON.parse(document.getElementById('layerlab-data')!.textContent!));
}

test('report pages load from disk with no console error and no request but the file itself', async () => {
  await assertLoadsAlone(browser, Object.values(pages));
});

test('the page draws one stack per listed image, one tree line per layer, one heatmap cell per pair', async () => {
  const p = await open(pages.root);
  try {
    const data = await embedded(p.page);
    const listed = data.tree.images.filter((i) => i.listed).length;
    assert.equal(listed, 7);
    assert.equal(await p.page.locator('#stacks g.stack').count(), listed);
    assert.equal(await p.page.locator('#tree .layerline').count(), data.tree.nodes.length);
    assert.equal(await p.page.locator('#heatmap rect.cell').count(), listed * listed);
    // Stack layers: each image's whole chain (app-b:1 and chain:1 share three, and so on).
    assert.equal(await p.page.locator('#stacks rect.layer').count(), 15 - 0);
    for (const id of ['#df', '#dedup', '#plan', '#pull']) assert.equal(await p.page.locator(`${id} svg.chart`).count(), 1, id);
    assert.equal(await p.page.locator('#plan rect.bar').count(), 3);
    assert.ok((await p.page.locator('#pull rect.exists').count()) > 0, 'Already-exists layers are drawn greyed');
  } finally {
    await p.close();
  }
});

test('hovering a layer shows its digest, diffID, chainID, size and sharers; the same layer is highlighted in every stack', async () => {
  const p = await open(pages.official);
  try {
    const data = await embedded(p.page);
    // The most shared layer: debian trixie's base, in 7 of the 17 images.
    const n = data.tree.nodes.findIndex((x) => x.users === 7);
    const layer = p.page.locator(`#stacks rect.layer[data-n="${n}"]`).first();
    await layer.hover();
    const tip = p.page.locator('#tip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.innerText();
    const node = data.tree.nodes[n];
    assert.ok(node.digest && text.includes(node.digest), `tooltip shows the digest ${node.digest}: ${text}`);
    // The official example lists blobs only (no configs): diffID and chainID are said to be unknown.
    assert.ok(text.includes(node.chainId ?? 'unknown (a diffID below is unknown)'), 'and the chainID');
    assert.ok(text.includes(node.diffId ?? 'unknown'), 'and the diffID');
    assert.match(text, /shared by\s+7 images: /);
    assert.equal(await p.page.locator(`#stacks rect.layer.hl[data-n="${n}"]`).count(), 7);
    await p.page.mouse.move(1, 1);
    await tip.waitFor({ state: 'hidden' });
  } finally {
    await p.close();
  }
});

test('on a data root the tooltip has the real diffID and chainID', async () => {
  const p = await open(pages.root);
  try {
    const data = await embedded(p.page);
    const layer = p.page.locator('#stacks g.stack').nth(0).locator('rect.layer').nth(1);
    const node = data.tree.nodes[Number(await layer.getAttribute('data-n'))];
    await layer.hover();
    await p.page.locator('#tip').waitFor({ state: 'visible' });
    const text = await p.page.locator('#tip').innerText();
    assert.ok(node.diffId && text.includes(node.diffId), text);
    assert.ok(node.chainId && node.chainId !== node.diffId && text.includes(node.chainId), text);
  } finally {
    await p.close();
  }
});

test('Tab reaches every layer of every stack, and focus shows the tooltip', async () => {
  const p = await open(pages.root);
  try {
    const total = await p.page.locator('#stacks rect.layer').count();
    const seen = new Set<string>();
    for (let k = 0; k < total + 40 && seen.size < total; k++) {
      await p.page.keyboard.press('Tab');
      const at = await p.page.evaluate(() => {
        const el = document.activeElement as Element | null;
        if (!el || !el.classList.contains('layer')) return null;
        const tip = document.getElementById('tip')!;
        return { key: `${el.parentElement!.getAttribute('data-i')}/${el.getAttribute('data-n')}`, tip: !tip.hidden && tip.textContent!.includes('diffID') && el.getAttribute('aria-describedby') === 'tip' };
      });
      if (at) {
        assert.ok(at.tip, `focus on ${at.key} shows the tooltip`);
        seen.add(at.key);
      }
    }
    assert.equal(seen.size, total);
  } finally {
    await p.close();
  }
});

test('axe-core finds no serious or critical violation, light and dark', async () => {
  for (const file of [pages.root, pages.official]) {
    for (const dark of [false, true]) {
      const p = await open(file, { dark });
      try {
        assert.deepEqual(await seriousAxeViolations(p.page), [], `${file} ${dark ? 'dark' : 'light'}`);
      } finally {
        await p.close();
      }
    }
  }
});

test('1,000 images: the DOM stays bounded (stacks, tree and heatmap are cut and summed up); render time is written to reports/', async () => {
  const p = await open(pages.big);
  try {
    const m = await p.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      return { elements: document.getElementsByTagName('*').length, layers: document.querySelectorAll('rect.layer').length, cells: document.querySelectorAll('rect.cell').length, treeLines: document.querySelectorAll('.tree .layerline').length, load: nav.loadEventEnd - nav.startTime, fcp: paint ? paint.startTime : -1 };
    });
    assert.ok(m.elements < 12000, `${m.elements} elements`);
    assert.ok(m.cells <= 31 * 31, `${m.cells} heatmap cells`);
    assert.ok(m.treeLines <= 600, `${m.treeLines} tree lines`);
    assert.equal(await p.page.locator('#stacks g.stack').count(), 40);
    const size = readFileSync(pages.big).length;
    const json = await p.page.evaluate(() => ['layerlab-data', 'layerlab-view'].reduce((s, id) => s + document.getElementById(id)!.textContent!.length, 0));
    mkdirSync('reports', { recursive: true });
    // The page-size table below the measurement is measured by hand for larger inputs; keep it.
    const out = resolve('reports/report-render.md');
    const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
    const kept = old.includes('\n## Page size') ? old.slice(old.indexOf('\n## Page size')) : '';
    writeFileSync(
      out,
      `# layerlab report: render time in a browser\n\nMeasured by \`npm run test:browser\` (test-browser/report.test.ts) in Debian's chromium (headless, ${(await browser.version())}) on this machine: a report of 1,000 generated images (\`layerlab generate --images 1000 --seed 7\`).\n\n| what | value |\n|---|---|\n| file size | ${(size / 1e6).toFixed(2)} MB, of which ${(json / 1e6).toFixed(2)} MB the embedded JSON (cut to what is drawn) |\n| DOM elements | ${m.elements} |\n| stack layers drawn | ${m.layers} (40 largest images) |\n| heatmap cells | ${m.cells} |\n| tree lines | ${m.treeLines} |\n| first contentful paint | ${m.fcp.toFixed(0)} ms |\n| load event end | ${m.load.toFixed(0)} ms |\n\nThe claim is "under 2 s"; the test asserts only that the DOM stays bounded, since timings depend on the machine.\n${kept}`,
    );
  } finally {
    await p.close();
  }
});

test('screenshots at 1280x800 and 390x844 (light) and 1280x800 (dark) go to reports/', async () => {
  mkdirSync('reports', { recursive: true });
  for (const [w, h, dark] of [[1280, 800, false], [390, 844, false], [1280, 800, true]] as const) {
    const p = await open(pages.official, { width: w, height: h, dark });
    try {
      const out = `reports/report-${w}x${h}${dark ? '-dark' : ''}.png`;
      await p.page.screenshot({ path: out });
      assert.ok(readFileSync(out).length > 10_000, out);
    } finally {
      await p.close();
    }
  }
});
