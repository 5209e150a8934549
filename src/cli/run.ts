import { isLayerlabError, quote } from '../errors.js';
import { dropEngineReads, startEngineRead } from '../sources/engine-early.js';
import type { Command, CommandIo } from './io.js';

/**
 * A command as the command line knows it before running it: its name and summary (for help) and
 * how to load it. Only the command that runs is imported, so `layerlab --help` starts as fast as
 * node itself. A new command is one more line here; test/cli.test.ts checks that the summary is
 * the one its module declares.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'df', summary: 'Disk usage as `docker system df [-v]` computes it', load: async () => (await import('./df.js')).dfCommand },
  { name: 'dedup', summary: 'Compare dedup models (none, chain, diff, blob), or layer/file/chunk dedup over layer contents', load: async () => (await import('./dedup.js')).dedupCommand },
  { name: 'tree', summary: 'Images as a tree of shared layers, with their containers and SHARED/UNIQUE sizes', load: async () => (await import('./tree.js')).treeCommand },
  { name: 'report', summary: 'One self-contained HTML page of pictures: stacks, sharing tree, heatmap, df; plans on request', load: async () => (await import('./report.js')).reportCommand },
  { name: 'files', summary: "An image's files: the final tree with the layer providing each path, or what one layer changes", load: async () => (await import('./files.js')).filesCommand },
  { name: 'waste', summary: 'Wasted space per image as dive computes it (efficiency, wasted bytes, CI rules), and files duplicated across images', load: async () => (await import('./waste.js')).wasteCommand },
  { name: 'learn', summary: 'Lessons on the bundled real images: layers, names, pulls, sharing, removal, waste, push', load: async () => (await import('./learn.js')).learnCommand },
  { name: 'bindings', summary: 'What pins each image: references, containers and their state, parent and children, rmi verdict', load: async () => (await import('./bindings.js')).bindingsCommand },
  { name: 'rm', summary: 'What `docker rmi` would do: records, conflicts, bytes freed (changes nothing)', load: async () => (await import('./rm.js')).rmCommand },
  { name: 'prune', summary: 'What `docker image prune [-a]` would delete and reclaim (changes nothing)', load: async () => (await import('./prune.js')).pruneCommand },
  { name: 'plan', summary: 'A conflict-free order of docker commands to remove images, free N bytes, or prune', load: async () => (await import('./plan.js')).planCommand },
  { name: 'pull', summary: 'What `docker pull` would download onto a host, and its narration, without any network', load: async () => (await import('./pull.js')).pullCommand },
  { name: 'push', summary: 'What `docker push` would upload, mount or skip, without any network', load: async () => (await import('./push.js')).pushCommand },
  { name: 'registry', summary: 'A registry\'s images: bytes stored with and without blob dedup, each pull\'s cost given the others', load: async () => (await import('./registry.js')).registryCommand },
  { name: 'simulate', summary: 'Simulate a fleet pulling, running and garbage-collecting images over time', load: async () => (await import('./simulate.js')).simulateCommand },
  { name: 'export', summary: 'Write SOURCEs as Arrow or Parquet tables (for layerlab, DuckDB, Spark, Trino)', load: async () => (await import('./export.js')).exportCommand },
  { name: 'sql', summary: 'Run SQL (shipped queries or your own) over the tables of SOURCEs, on embedded DuckDB', load: async () => (await import('./sql.js')).sqlCommand },
  { name: 'ref', summary: 'Explain image references as Docker normalises them', load: async () => (await import('./ref.js')).refCommand },
  { name: 'generate', summary: 'Write a synthetic Docker-Hub-shaped snapshot (seeded, deterministic)', load: async () => (await import('./generate.js')).generateCommand },
  { name: 'chunk', summary: 'Split a file into chunks with a dedup chunker (FastCDC, Gear, Rabin, fixed)', load: async () => (await import('./chunk.js')).chunkCommand },
];

/** Every command, loaded (for tests and tools that read their declared options). */
export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}

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

/** The `docker://` SOURCEs a command line reads: none for help, or for a command that does not exist. */
export function daemonSources(argv: readonly string[]): string[] {
  const [name, ...rest] = argv;
  if (!COMMANDS.some((c) => c.name === name) || rest.includes('--help') || rest.includes('-h')) return [];
  return rest.filter((a) => a.startsWith('docker://'));
}

/** Starts reading the daemons a command line names (see runCommand): settles once their first requests are written; undefined when it names none. */
export function startDaemonReads(argv: readonly string[]): Promise<unknown> | undefined {
  const daemons = daemonSources(argv);
  return daemons.length ? Promise.all(daemons.map((d) => startEngineRead(d))) : undefined;
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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`layerlab: unknown command ${quote(name)}\n\n${mainUsage()}`);
    return 2;
  }
  // A live daemon's answers take as long to come as the command takes to load: ask first (the
  // process side, runMain, has asked already; startEngineRead asks once).
  const daemons = daemonSources(argv);
  for (const d of daemons) void startEngineRead(d);
  // One turn of the event loop sends the first requests (a socket writes once it is connected,
  // in the loop), so the daemon works on them while the command loads; without a turn they
  // wait for the first thing the command awaits.
  if (daemons.length) await new Promise((r) => setImmediate(r));
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (e) {
    if (isLayerlabError(e)) {
      io.stderr(`layerlab ${name}: ${e.describe()}\n`);
      return e.code === 'EUSAGE' ? 2 : 1;
    }
    throw e;
  } finally {
    dropEngineReads(daemons);
  }
}
