// The Engine API's own HTTP/1.1 client (src/sources/engine-http.ts): framing, errors, keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { EngineClient, loadEngine } from '../src/sources/engine-api.js';
import { HttpError, ResponseParser } from '../src/sources/engine-http.js';
import { fakeEngine } from './helpers/fake-engine.js';
import { tempDir } from './helpers/tmp.js';

type Framing = { kind: 'length' } | { kind: 'chunked'; sizes: number[]; ext: boolean; trailer: boolean } | { kind: 'close' };

function response(status: number, body: Buffer, framing: Framing): Buffer {
  const head = [`HTTP/1.1 ${status} Whatever`, 'Content-Type: application/json', 'Api-Version: 1.47'];
  if (framing.kind === 'length') return Buffer.concat([Buffer.from([...head, `Content-Length: ${body.length}`, '', ''].join('\r\n')), body]);
  if (framing.kind === 'close') return Buffer.concat([Buffer.from([...head, 'Connection: close', '', ''].join('\r\n')), body]);
  const parts: Buffer[] = [Buffer.from([...head, 'Transfer-Encoding: chunked', '', ''].join('\r\n'))];
  let at = 0;
  for (let k = 0; at < body.length; k++) {
    const n = Math.min(body.length - at, framing.sizes[k % framing.sizes.length]);
    parts.push(Buffer.from(`${n.toString(16)}${framing.ext ? ';x=1' : ''}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  parts.push(Buffer.from(framing.trailer ? '0\r\nX-Trailer: 1\r\n\r\n' : '0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Feeds `bytes` cut at `cuts`; returns the answer (from feed, or from end() for close framing). */
function parse(bytes: Buffer, cuts: number[], limit = 1 << 20) {
  const p = new ResponseParser(limit);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    const a = p.feed(bytes.subarray(from, to));
    from = to;
    if (a) return { answer: a, keepAlive: p.keepAlive, rest: bytes.length - to };
  }
  return { answer: p.end(), keepAlive: p.keepAlive, rest: 0 };
}

const framing = fc.oneof(
  fc.constant<Framing>({ kind: 'length' }),
  fc.constant<Framing>({ kind: 'close' }),
  fc.record({ kind: fc.constant('chunked' as const), sizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }), ext: fc.boolean(), trailer: fc.boolean() }),
);

test('the parser reads any body, in any framing dockerd uses, however the bytes are split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), framing, fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(200, 404, 500), (raw, f, cuts, status) => {
      const body = Buffer.from(raw);
      const r = parse(response(status, body, f), cuts);
      assert.equal(r.answer.status, status);
      assert.deepEqual(r.answer.body, body);
      assert.equal(r.keepAlive, f.kind !== 'close');
    }),
    { numRuns: 400 },
  );
});

test('the parser refuses what is not an HTTP/1.1 answer, and answers over the limit', () => {
  const bad: [string, RegExp][] = [
    ['SSH-2.0-OpenSSH\r\n\r\n', /a status line "SSH-2.0-OpenSSH"/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n', /content-length "-3"/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /transfer-encoding "gzip"/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /a chunk size "zz"/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY', /a chunk not followed by CRLF/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /a header line "no colon here"/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc', /bytes after the end of the answer/],
  ];
  for (const [text, re] of bad) assert.throws(() => new ResponseParser(100).feed(Buffer.from(text)), (e: unknown) => e instanceof HttpError && e.kind === 'malformed' && re.test(e.message), text);
  assert.throws(() => new ResponseParser(100).feed(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(70_000)}`)), /a header of more than 64 KiB/);
  assert.throws(() => new ResponseParser(10).feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n')), (e: unknown) => e instanceof HttpError && e.kind === 'too-large');
  assert.throws(() => new ResponseParser(10).feed(response(200, Buffer.alloc(11), { kind: 'chunked', sizes: [4], ext: false, trailer: false })), (e: unknown) => e instanceof HttpError && e.kind === 'too-large');
  const cut = new ResponseParser(100);
  cut.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.throws(() => cut.end(), (e: unknown) => e instanceof HttpError && e.kind === 'truncated' && /before the answer was complete/.test(e.message));
  // 1xx answers are skipped; 204 has no body
  assert.deepEqual(parse(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'), []).answer, { status: 204, headers: new Map(), body: Buffer.alloc(0) });
  // header names in lower case, repeated ones joined (the daemon's version is read from them)
  assert.deepEqual(parse(Buffer.from('HTTP/1.1 200 OK\r\nServer: Docker/29.1.2 (linux)\r\nAPI-Version: 1.52\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\n\r\n[]'), []).answer.headers, new Map([['server', 'Docker/29.1.2 (linux)'], ['api-version', '1.52'], ['x-a', '1, 2'], ['content-length', '2']]));
});

/** A raw server: `onRequest(socket, n)` for the n-th request (from 0) on each connection. */
async function rawServer(dir: string, onRequest: (s: Socket, n: number, total: number) => void): Promise<{ sock: string; server: Server; connections: () => number }> {
  const sock = join(dir, `raw-${Math.random().toString(36).slice(2)}.sock`);
  let connections = 0;
  let total = 0;
  const server = createServer((s) => {
    connections++;
    let n = 0;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        onRequest(s, n++, total++);
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return { sock, server, connections: () => connections };
}

const stop = (s: Server) => new Promise<void>((r) => s.close(() => r()));

test('EngineClient: keep-alive connections, at most 16 at once, chunked answers put together', async () => {
  const dir = tempDir('layerlab-http-');
  let connections = 0;
  const big = Array.from({ length: 3000 }, (_, k) => ({ k, s: 'x'.repeat(k % 50) }));
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const text = JSON.stringify({ path: req.url, big });
    for (let at = 0; at < text.length; at += 7000) res.write(text.slice(at, at + 7000)); // chunked: no Content-Length
    res.end();
  });
  server.on('connection', () => connections++);
  const sock = join(dir, 'd.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  const client = new EngineClient({ kind: 'unix', socketPath: sock });
  try {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, k) => client.get<{ path: string; big: unknown }>(`/x/${k}`)));
    assert.deepEqual(answers.map((a) => a.path), Array.from({ length: 60 }, (_, k) => `/x/${k}`));
    assert.deepEqual(answers[59].big, big);
    assert.ok(connections <= 16, `${connections} connections`);
    await client.get('/again');
    assert.ok(connections <= 16, 'idle connections are reused');
  } finally {
    client.close();
    server.closeAllConnections();
    await stop(server as unknown as Server);
  }
});

test('EngineClient: a GET on a connection the daemon closed while idle is sent again once; other failures are clear errors', async () => {
  const dir = tempDir('layerlab-http-');
  const ok = (s: Socket, body: string) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  // the second request on any connection finds it closed
  const stale = await rawServer(dir, (s, n, total) => (n === 0 ? ok(s, JSON.stringify(total)) : s.destroy()));
  const silent = await rawServer(dir, () => undefined);
  const cut = await rawServer(dir, (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":'));
  const garbage = await rawServer(dir, (s) => s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
  const large = await rawServer(dir, (s) => ok(s, JSON.stringify('z'.repeat(5000))));
  try {
    const c = new EngineClient({ kind: 'unix', socketPath: stale.sock });
    assert.equal(await c.get<number>('/a'), 0);
    assert.equal(await c.get<number>('/b'), 2, 'sent again on a new connection');
    assert.equal(stale.connections(), 2);
    c.close();
    const fails: [EngineClient, RegExp, string][] = [
      [new EngineClient({ kind: 'unix', socketPath: silent.sock }, 200), /GET \/v: no answer within 0\.2 s/, 'EIO'],
      [new EngineClient({ kind: 'unix', socketPath: cut.sock }), /reading the answer to GET \/v: the daemon closed the connection before the answer was complete/, 'EIO'],
      [new EngineClient({ kind: 'unix', socketPath: garbage.sock }), /daemon answered GET \/v with a malformed HTTP answer: a status line "SSH-2\.0-OpenSSH_9\.6"/, 'EINPUT'],
      [new EngineClient({ kind: 'unix', socketPath: large.sock }, 30_000, 1000), /daemon answered GET \/v with more than 0\.00095\d* MiB; refused/, 'EINPUT'],
      [new EngineClient({ kind: 'unix', socketPath: join(dir, 'none.sock') }), /GET \/v: cannot connect to the Docker daemon: is it running\?/, 'EIO'],
    ];
    for (const [client, re, code] of fails) {
      await assert.rejects(client.get('/v'), (e: unknown) => e instanceof LayerlabError && e.code === code && re.test(e.describe()), String(re));
      client.close();
    }
  } finally {
    for (const s of [stale, silent, cut, garbage, large]) {
      s.server.close();
    }
  }
});

test('reading a daemon does not load node:http (its start-up cost was most of df docker://\'s own work)', async () => {
  const dir = tempDir('layerlab-http-');
  const sha = (c: string) => `sha256:${c.repeat(64)}`;
  const e = await fakeEngine(dir, {
    '/version': { Version: '29.0.0', ApiVersion: '1.52' },
    '/images/json?all=1': [{ Id: sha('a') }],
    '/containers/json?all=1&size=1': [],
    [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
    [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
  });
  try {
    const script = `import { EngineClient, loadEngine } from './src/sources/engine-api.ts';
      const { graph } = await loadEngine(new EngineClient({ kind: 'unix', socketPath: ${JSON.stringify(e.sock)} }));
      console.log(JSON.stringify({ layers: [...graph.layerSize], http: process.moduleLoadList.filter((m) => /^NativeModule _?http/.test(m)) }));`;
    // asynchronously: this process serves the child's requests meanwhile
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { layers: number[]; http: string[] };
    assert.deepEqual(out.layers, [5]);
    assert.deepEqual(out.http, []);
    // and the same graph as read in this process
    const { graph } = await loadEngine(new EngineClient({ kind: 'unix', socketPath: e.sock }));
    assert.equal(graph.layerSize[0], 5);
  } finally {
    await e.close();
  }
});

test('EngineClient: requests asked at once are pipelined over at most 4 connections, answers matched in order even when several arrive in one read', async () => {
  const dir = tempDir('layerlab-http-');
  const sock = join(dir, 'pipe.sock');
  let connections = 0;
  let mostInOneRead = 0;
  // Answers every request of a read in one write, so the client gets several answers in one read.
  const server = createServer((s) => {
    connections++;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const answers: string[] = [];
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const path = /^GET (\S+) HTTP\/1\.1\r\n/.exec(buf)?.[1] ?? '?';
        buf = buf.slice(end + 4);
        const body = JSON.stringify(path);
        answers.push(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
      mostInOneRead = Math.max(mostInOneRead, answers.length);
      s.write(answers.join(''));
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const client = new EngineClient({ kind: 'unix', socketPath: sock });
  try {
    const paths = Array.from({ length: 40 }, (_, k) => `/x/${k}`);
    assert.deepEqual(await Promise.all(paths.map((p) => client.get<string>(p))), paths);
    assert.ok(connections <= 4, `${connections} connections`);
    assert.ok(mostInOneRead > 1, 'several requests written at once on one connection');
    assert.deepEqual(await Promise.all(paths.map((p) => client.get<string>(p))), paths, 'again, on the kept connections');
    assert.ok(connections <= 4, `${connections} connections`);
  } finally {
    client.close();
    await stop(server);
  }
});

test('EngineClient: a pipelined request behind an answer that closes the connection is sent again on another', async () => {
  const dir = tempDir('layerlab-http-');
  // one answer per connection, then `Connection: close`: whatever was written behind it is never answered there
  const once = await rawServer(dir, (s, n, total) => {
    if (n > 0) return;
    const body = JSON.stringify(total);
    s.end(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  const client = new EngineClient({ kind: 'unix', socketPath: once.sock });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, k) => client.get<number>(`/y/${k}`)));
    assert.equal(new Set(answers).size, 6, `every request answered once: ${answers}`);
  } finally {
    client.close();
    await stop(once.server);
  }
});

test('reading a daemon asks the image list alone first: the container list (its slowest answer) waits for it, with the per-image requests', async () => {
  const dir = tempDir('layerlab-http-');
  const sha = (c: string) => `sha256:${c.repeat(64)}`;
  const answers: Record<string, unknown> = {
    '/version': { Version: '29.0.0', ApiVersion: '1.52' },
    '/images/json?all=1': [{ Id: sha('a') }],
    '/containers/json?all=1&size=1': [],
    [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
    [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
  };
  const events: string[] = [];
  const server = createHttpServer((req, res) => {
    events.push(`asked ${req.url}`);
    // the image list answers late: anything asked meanwhile was asked without waiting for it
    setTimeout(() => {
      if (req.url === '/images/json?all=1') events.push('image list answered');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answers[req.url ?? '']));
    }, req.url === '/images/json?all=1' ? 150 : 0);
  });
  const sock = join(dir, 'order.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const { graph } = await loadEngine(new EngineClient({ kind: 'unix', socketPath: sock }));
    assert.equal(graph.layerSize[0], 5);
    const at = (e: string) => events.indexOf(e);
    assert.ok(at('image list answered') >= 0 && at('asked /containers/json?all=1&size=1') > at('image list answered'), events.join('; '));
  } finally {
    server.closeAllConnections();
    await stop(server as unknown as Server);
  }
});
