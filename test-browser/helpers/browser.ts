/// <reference lib="dom" />
// What every browser test needs: Debian's chromium started through playwright-core (no download),
// pages opened from disk with every request recorded and all but the file itself refused, and
// axe-core injected to check accessibility. A missing browser fails the test with the fix.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.LAYERLAB_CHROMIUM ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Starts headless chromium (without its sandbox when running as root). */
export async function launchChromium(): Promise<Browser> {
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args });
  } catch (e) {
    throw new Error(`chromium did not start from ${CHROMIUM} (run scripts/setup-test-deps.sh, or set LAYERLAB_CHROMIUM): ${(e as Error).message}`);
  }
}

/** Closes the browser (if it started) and removes the folder the pages were written to. */
export async function closeBrowser(browser: Browser | undefined, dir: string): Promise<void> {
  try {
    await browser?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A page opened from disk, with what it asked for and what it complained about. */
export interface OpenedPage {
  page: Page;
  /** Every URL the page requested, the file itself included. */
  requests: string[];
  /** Console errors and warnings, page errors and failed requests. */
  errors: string[];
  close: () => Promise<void>;
}

/** Opens a page with every request recorded and every one but the file itself refused. */
export async function openPage(browser: Browser, file: string, opts: { width?: number; height?: number; dark?: boolean; bypassCSP?: boolean } = {}): Promise<OpenedPage> {
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

/** One axe-core violation, with the first few elements it names. */
export interface AxeViolation {
  id: string;
  impact: string;
  targets: string[];
}

/** Runs axe-core in the page; returns its serious and critical violations (the page's CSP must allow the injected script). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((x) => x.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Each file opens with no console error, no page error, and no request but the file itself. */
export async function assertLoadsAlone(browser: Browser, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const p = await openPage(browser, file);
    try {
      assert.deepEqual(p.errors, [], file);
      assert.deepEqual(p.requests, [pathToFileURL(file).href], file);
    } finally {
      await p.close();
    }
  }
}
