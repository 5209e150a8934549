// The daemon's version comes from the headers every Docker answer carries, not from GET /version
// (which dockerd answers by running runc and docker-init: the costliest request of a df -v).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { EngineClient, engineVersionFromHeaders, loadEngine } from '../src/sources/engine-api.js';
import { loadSources } from '../src/sources/load.js';
import { tempDir } from './helpers/tmp.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const ANSWERS: Record<string, unknown> = {
  '/version': { Version: '29.1.2', ApiVersion: '1.52', Os: 'linux', Arch: 'amd64' },
  '/images/json?all=1': [{ Id: sha('a') }],
  '/containers/json?all=1&size=1': [],
  [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RepoTags: ['a:1'], RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
  [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
};

/** A daemon answering ANSWERS with `headers` on every answer (moby's version middleware sets Server, API-Version and OSType). */
async function daemon(headers: Record<string, string>) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const body = ANSWERS[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body ?? { message: 'no such route' }));
  });
  const sock = join(tempDir('layerlab-engine-version-'), 'docker.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  const close = () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections()));
  return { sock, seen, close };
}

const DOCKER_HEADERS = { Server: 'Docker/29.1.2 (linux)', 'API-Version': '1.52', OSType: 'linux' };

test('a Docker daemon is not asked GET /version: its answers\' headers say the same', async () => {
  const d = await daemon(DOCKER_HEADERS);
  try {
    const { version, graph } = await loadEngine(new EngineClient({ kind: 'unix', socketPath: d.sock }));
    assert.deepEqual(version, { Version: '29.1.2', ApiVersion: '1.52', Os: 'linux' });
    assert.equal(graph.layerSize[0], 5);
    assert.equal(d.seen.includes('/version'), false, `requests: ${d.seen.join(' ')}`);
    const { sources } = await loadSources([`docker://unix://${d.sock}`]);
    assert.equal(sources[0].meta?.engine, '29.1.2 (API 1.52)', 'the engine named as /version names it');
  } finally {
    await d.close();
  }
});

test('a daemon whose headers are not Docker\'s is asked GET /version', async () => {
  const others: Record<string, string>[] = [{}, { Server: 'Libpod/5.0.0 (linux)', 'API-Version': '1.41' }, { Server: 'Docker/29.1.2 (linux)' }, { Server: 'Docker/29.1.2 (linux)', 'API-Version': 'new' }];
  for (const headers of others) {
    const d = await daemon(headers);
    try {
      const { version } = await loadEngine(new EngineClient({ kind: 'unix', socketPath: d.sock }));
      assert.deepEqual(version, ANSWERS['/version'], JSON.stringify(headers));
      assert.equal(d.seen.filter((u) => u === '/version').length, 1, JSON.stringify(headers));
    } finally {
      await d.close();
    }
  }
});

test('engineVersionFromHeaders reads moby\'s Server and API-Version headers, nothing else', () => {
  const h = (o: Record<string, string>) => new Map(Object.entries(o));
  assert.deepEqual(engineVersionFromHeaders(h({ server: 'Docker/20.10.24+dfsg1 (linux)', 'api-version': '1.41' })), { Version: '20.10.24+dfsg1', ApiVersion: '1.41', Os: 'linux' });
  assert.deepEqual(engineVersionFromHeaders(h({ server: 'Docker/28.0.0 (windows)', 'api-version': '1.48' })), { Version: '28.0.0', ApiVersion: '1.48', Os: 'windows' });
  const refused: Record<string, string>[] = [{}, { server: 'Docker/28.0.0 (linux)' }, { 'api-version': '1.48' }, { server: 'Docker/ (linux)', 'api-version': '1.48' }, { server: 'nginx', 'api-version': '1.48' }, { server: 'Docker/28.0.0', 'api-version': '1.48' }];
  for (const o of refused) {
    assert.equal(engineVersionFromHeaders(h(o)), undefined, JSON.stringify(o));
  }
});
