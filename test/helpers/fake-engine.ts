// A fake Docker Engine API on a unix socket, for reader tests that need answers no real daemon gives.
import { createServer } from 'node:http';
import { join } from 'node:path';

/** Serves `answers` (URL path with query -> JSON body, 404 otherwise) on the socket `dir/name`. */
export async function fakeEngine(dir: string, answers: Record<string, unknown>, name = 'docker.sock'): Promise<{ sock: string; close: () => Promise<void> }> {
  const sock = join(dir, name);
  const server = createServer((req, res) => {
    const body = answers[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { message: 'no such route' }));
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    sock,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
