import { spawnSync } from 'node:child_process';
import { runCommand } from '../../src/cli/run.js';

/** Runs a command line in process; returns exit code and captured output. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), now: () => 1795715247 });
  return { code, stdout, stderr };
}

/** Runs the real entry point in a child process (exit codes as a shell sees them). */
export function cliProcess(...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
