import { isLayerlabError, quote } from '../errors.js';
import { dedupCommand } from './dedup.js';
import { dfCommand } from './df.js';
import { generateCommand } from './generate.js';
import type { Command, CommandIo } from './io.js';
import { refCommand } from './ref.js';
import { rmCommand } from './rm.js';
import { pruneCommand } from './prune.js';
import { planCommand } from './plan.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { bindingsCommand } from './bindings.js';
import { registryCommand } from './registry.js';
import { chunkCommand } from './chunk.js';
import { exportCommand } from './export.js';
import { sqlCommand } from './sql.js';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [dfCommand, dedupCommand, bindingsCommand, rmCommand, pruneCommand, planCommand, pullCommand, pushCommand, registryCommand, refCommand, generateCommand, chunkCommand, exportCommand, sqlCommand];

export const VERSION = '0.1.0';

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: layerlab COMMAND [OPTIONS]

What container images really cost once layers are shared, checked against Docker.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'layerlab COMMAND --help' for a command's options.
Exit codes: 0 ok, 1 input or analysis error, 2 usage error.
`;
}

/** Runs one command line; returns the exit code. Never exits, never throws for user errors. */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return runCommand([rest[0], '--help'], io);
    io.stdout(mainUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`layerlab ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`layerlab: unknown command ${quote(name)}\n\n${mainUsage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isLayerlabError(e)) {
      io.stderr(`layerlab ${name}: ${e.describe()}\n`);
      return e.code === 'EUSAGE' ? 2 : 1;
    }
    throw e;
  }
}
