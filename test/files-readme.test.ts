// The README's `files` and `waste` examples run on the bundled fixture and print exactly what
// the README shows (exit status included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cli } from './helpers/cli.js';

test('README: every `$ npx layerlab files|waste ...` example prints what the README shows', async () => {
  const readme = readFileSync('README.md', 'utf8');
  const examples = [...readme.matchAll(/^\$ npx layerlab ((?:files|waste) [^\n]*)\n([\s\S]*?)(?=^\$ npx layerlab |^```)/gm)];
  assert.ok(examples.length >= 5, `${examples.length} examples`);
  for (const [, line, shown] of examples) {
    const exit = /\(exit status (\d+)\)\n$/.exec(shown);
    const want = shown.replace(/\(exit status \d+\)\n$/, '').replace(/\n\n$/, '\n');
    const r = await cli(...line.split(' '));
    assert.equal(r.code, exit ? Number(exit[1]) : 0, `${line}: ${r.stderr}`);
    assert.equal(r.stdout, want, line);
  }
});
