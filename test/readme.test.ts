import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cli } from './helpers/cli.js';

/** The README's example blocks: a ``` block whose first line is `$ npx layerlab ARGS`, then what it prints. */
export function readmeExamples(markdown: string): { args: string[]; shown: string[] }[] {
  const out: { args: string[]; shown: string[] }[] = [];
  for (const m of markdown.matchAll(/^```\n\$ npx layerlab (.*)\n([\s\S]*?)^```$/gm)) {
    // the examples use no quoting: words are split on spaces, as a shell would split them
    out.push({ args: m[1].split(/ +/), shown: m[2].replace(/\n$/, '').split('\n') });
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

test('every README example prints what the README shows (stdout, then the notes on stderr)', async () => {
  const examples = readmeExamples(readFileSync('README.md', 'utf8'));
  assert.ok(examples.length >= 7, `found ${examples.length} examples`);
  const wrong: string[] = [];
  for (const { args, shown } of examples) {
    const r = await cli(...args);
    const actual = (r.stdout + r.stderr).replace(/\n$/, '').split('\n');
    if (!matchesWithElisions(shown, actual)) wrong.push(`layerlab ${args.join(' ')} (exit ${r.code}) prints:\n${actual.join('\n')}\n\nthe README shows:\n${shown.join('\n')}`);
  }
  assert.deepEqual(wrong, []);
});
