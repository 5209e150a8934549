// Runs the unit tests with TMPDIR set to a fresh folder and fails when anything is left in it:
// every test must remove what it creates. Usage: node --import tsx scripts/test-unit.ts [FILE...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Caches of the tools running the tests, not files a test made: tsx's transform cache.
const TOOL_CACHES = [/^tsx-\d+$/];

const files = process.argv.slice(2);
const tests = files.length ? files : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', f));
const scratch = mkdtempSync(join(tmpdir(), 'layerlab-unit-tmp-'));
let code = 1;
try {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...tests], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: scratch, TMP: scratch, TEMP: scratch },
  });
  code = r.status ?? 1;
  const left = readdirSync(scratch).filter((e) => !TOOL_CACHES.some((re) => re.test(e)));
  if (left.length) {
    process.stderr.write(`\ntests left ${left.length} entries in the temp folder (every test must remove what it creates):\n${left.slice(0, 20).map((e) => `  ${e}\n`).join('')}${left.length > 20 ? `  … and ${left.length - 20} more\n` : ''}`);
    code = code || 1;
  } else process.stdout.write('\ntemp folder: nothing left behind\n');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = code;
