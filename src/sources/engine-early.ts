import { EngineClient, engineEndpointFromSource, loadEngine, type EngineRead } from './engine-api.js';

// Reading a daemon is some fifty GET requests whose answers the daemon computes on its own
// cores, while Node spends tens of milliseconds loading the command that will use them. The
// command line starts the read for each `docker://` argument before it loads the command, and
// the engine reader takes that read instead of starting its own: the same requests, earlier,
// overlapping the start-up (issue 12). Nothing is kept beyond the command that started it.

const started = new Map<string, Promise<EngineRead>>();

/**
 * Starts reading the daemon `source` (a `docker://` SOURCE) names; errors wait for whoever takes
 * the read. Settles once its first requests are written (its sockets connected) or failed.
 */
export function startEngineRead(source: string): Promise<void> {
  if (started.has(source)) return Promise.resolve();
  // Synchronously: the sockets connect now and write the first requests once connected.
  let read: Promise<EngineRead>;
  let sent: Promise<void>;
  try {
    const client = new EngineClient(engineEndpointFromSource(source));
    read = loadEngine(client);
    sent = client.connected();
  } catch (e) {
    read = Promise.reject(e);
    sent = Promise.resolve();
  }
  read.catch(() => undefined); // a read nobody takes (a usage error came first) is not an unhandled rejection
  started.set(source, read);
  return sent;
}

/** The read started for `source`, once (a second SOURCE naming the same daemon reads it again). */
export function takeEngineRead(source: string): Promise<EngineRead> | undefined {
  const read = started.get(source);
  started.delete(source);
  return read;
}

/** Reads dropped but maybe still running (a process that goes on, like a test runner, can wait for them). */
const dropped = new Set<Promise<unknown>>();

/** Forgets reads nobody took (the command ended before loading them). */
export function dropEngineReads(sources: readonly string[]): void {
  for (const s of sources) {
    const read = started.get(s);
    if (read === undefined) continue;
    started.delete(s);
    const settled = read.then(
      () => undefined,
      () => undefined,
    );
    dropped.add(settled);
    void settled.then(() => dropped.delete(settled));
  }
}

/** Resolves once every dropped read has finished its requests. */
export async function droppedEngineReadsSettled(): Promise<void> {
  await Promise.all([...dropped]);
}
