import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cli } from './helpers/cli.js';

/**
 * The README's examples: in a ``` block, each line `$ npx layerlab ARGS` starts one, and what
 * follows up to the next such line (or the block's end) is what it prints; a last line
 * `(exit status N)` gives its exit status (0 when there is none).
 */
export function readmeExamples(markdown: string): { args: string[]; shown: string[]; exit: number }[] {
  const out: { args: string[]; shown: string[]; exit: number }[] = [];
  for (const block of markdown.matchAll(/^```\n(\$ npx layerlab [\s\S]*?)^```$/gm)) {
    for (const m of block[1].matchAll(/^\$ npx layerlab (.*)\n([\s\S]*?)(?=^\$ npx layerlab |(?![\s\S]))/gm)) {
      const lines = m[2].replace(/\n+$/, '').split('\n');
      const status = /^\(exit status (\d+)\)$/.exec(lines[lines.length - 1] ?? '');
      if (status) lines.pop();
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      // the examples use no quoting: words are split on spaces, as a shell would split them
      out.push({ args: m[1].split(/ +/), shown: lines, exit: status ? Number(status[1]) : 0 });
    }
  }
  return out;
}

/**
 * True when `shown` is `actual` with some runs of lines elided: a line `…` stands for any number
 * of lines (none included); every other line must be there, whole and in order.
 */
export function matchesWithElisions(shown: readonly string[], actual: readonly string[]): boolean {
  const at = (s: number, a: number): boolean => {
    if (s === shown.length) return a === actual.length;
    if (shown[s] === '…') {
      for (let k = a; k <= actual.length; k++) if (at(s + 1, k)) return true;
      return false;
    }
    return a < actual.length && actual[a] === shown[s] && at(s + 1, a + 1);
  };
  return at(0, 0);
}

test('elision matching: … stands for any run of lines, other lines match whole and in order', () => {
  assert.ok(matchesWithElisions(['a', '…', 'd'], ['a', 'b', 'c', 'd']));
  assert.ok(matchesWithElisions(['…', 'b'], ['a', 'b']));
  assert.ok(matchesWithElisions(['a', '…'], ['a']));
  assert.ok(!matchesWithElisions(['a', 'c'], ['a', 'b', 'c']));
  assert.ok(!matchesWithElisions(['a'], ['a', 'b']));
  assert.ok(!matchesWithElisions(['…', 'x'], ['a', 'b']));
});

test('every README example prints what the README shows (stdout, then the notes on stderr) and exits as it says', async () => {
  const examples = readmeExamples(readFileSync('README.md', 'utf8'));
  assert.ok(examples.length >= 7, `found ${examples.length} examples`);
  const wrong: string[] = [];
  for (const { args, shown, exit } of examples) {
    const r = await cli(...args);
    const actual = (r.stdout + r.stderr).replace(/\n+$/, '').split('\n');
    if (r.code !== exit || !matchesWithElisions(shown, actual)) wrong.push(`layerlab ${args.join(' ')} (exit ${r.code}, the README says ${exit}) prints:\n${actual.join('\n')}\n\nthe README shows:\n${shown.join('\n')}`);
  }
  assert.deepEqual(wrong, []);
});
