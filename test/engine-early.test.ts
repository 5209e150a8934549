// The command line asks a docker:// daemon before it loads the command (src/sources/engine-early.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/run.js';
import { droppedEngineReadsSettled, takeEngineRead } from '../src/sources/engine-early.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const ANSWERS: Record<string, unknown> = {
  '/version': { Version: '29.0.0', ApiVersion: '1.52' },
  '/images/json?all=1': [{ Id: sha('a') }],
  '/containers/json?all=1&size=1': [],
  [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RepoTags: ['a:1'], RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
  [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
};

async function engine(dir: string) {
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    waiters.splice(0).forEach((w) => w());
    const body = ANSWERS[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { message: 'no such route' }));
  });
  const sock = join(dir, 'docker.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  const firstRequest = (ms: number) =>
    new Promise<boolean>((r) => {
      if (seen.length) return r(true);
      const t = setTimeout(() => r(false), ms);
      waiters.push(() => (clearTimeout(t), r(true)));
    });
  const close = () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections()));
  return { source: `docker://unix://${sock}`, seen, firstRequest, close };
}

test('the daemon is asked while the command loads, once, and the answer is the same', async () => {
  const e = await engine(tempDir('layerlab-early-'));
  const df = COMMANDS.find((c) => c.name === 'df')!;
  const load = df.load;
  let askedBeforeLoaded: boolean | undefined;
  (df as { load: typeof load }).load = async () => {
    askedBeforeLoaded = await e.firstRequest(5000);
    return load();
  };
  try {
    const r = await cli('df', '--format', 'json', e.source);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(askedBeforeLoaded, true, 'a request reached the daemon before the command was loaded');
    assert.equal(e.seen.filter((u) => u === '/version').length, 1, 'the daemon is read once');
    assert.deepEqual(JSON.parse(r.stdout).Images.map((i: { Id: string; Size: number }) => [i.Id, i.Size]), [[sha('a'), 5]]);
  } finally {
    (df as { load: typeof load }).load = load;
    await e.close();
  }
});

test('a read nobody takes is dropped with its command: a usage error, --help, an unreachable daemon', async () => {
  const dir = tempDir('layerlab-early-');
  const e = await engine(dir);
  try {
    const bad = await cli('df', '--bogus', e.source);
    assert.equal(bad.code, 2);
    assert.equal(takeEngineRead(e.source), undefined, 'no read is left for a later command in this process');
    const help = await cli('df', '--help', e.source);
    assert.equal(help.code, 0);
    const down = await cli('df', `docker://unix://${join(dir, 'none.sock')}`);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /none\.sock: GET \/images\/json\?all=1: cannot connect to the Docker daemon: is it running\?/);
    const far = await cli('df', 'docker://tcp://10.0.0.1:2375');
    assert.equal(far.code, 2);
    assert.match(far.stderr, /only loopback daemons are read/);
    // the same daemon named twice: read twice, as before (counted once the dropped reads above,
    // still running on a slow machine, have made their requests)
    await droppedEngineReadsSettled();
    const before = e.seen.length;
    const twice = await cli('df', '--format', 'json', e.source, e.source);
    assert.equal(twice.code, 0, twice.stderr);
    assert.equal(e.seen.slice(before).filter((u) => u === '/version').length, 2);
  } finally {
    await e.close();
  }
});

test('the requests go out before the command loads even when loading it never yields to the event loop, as in the bundled bin', async () => {
  // A socket writes a request once connected, which happens in a turn of the event loop. In the
  // bundled bin loading a command is a resolved promise: without a turn before it, the requests
  // would wait until the command first awaits something.
  const e = await engine(tempDir('layerlab-early-'));
  const df = COMMANDS.find((c) => c.name === 'df')!;
  const load = df.load;
  const command = await load();
  let turned = false;
  let turnedBeforeLoad: boolean | undefined;
  (df as { load: typeof load }).load = () => {
    turnedBeforeLoad = turned;
    return Promise.resolve(command);
  };
  try {
    setImmediate(() => (turned = true));
    const r = await cli('df', '--format', 'json', e.source);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(turnedBeforeLoad, true, 'the event loop turned (sockets connected, requests written) before the command loaded');
    assert.deepEqual(JSON.parse(r.stdout).Images.map((i: { Id: string }) => i.Id), [sha('a')]);
  } finally {
    (df as { load: typeof load }).load = load;
    await e.close();
  }
});
