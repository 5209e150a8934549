// A throw-away distribution registry on 127.0.0.1 for the conformance suite (Debian's
// docker-registry), storage in a temp folder. Fails loudly when it cannot start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RegistrySandbox {
  port: number;
  /** `127.0.0.1:PORT` */
  address: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startRegistry(): Promise<RegistrySandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: false\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const log = join(dir, 'registry.log');
  const out = openSync(log, 'a');
  const proc: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', out, out], detached: true });
  let exited: number | null | undefined;
  proc.on('exit', (c) => (exited = c));
  proc.on('error', () => (exited = -1));
  const deadline = Date.now() + 30_000;
  while ((await ping(port)) !== 200) {
    if (exited !== undefined) throw new Error(`docker-registry exited (${exited}) before answering:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 30 s:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    async stop() {
      try {
        if (proc.pid) process.kill(-proc.pid, 'SIGTERM');
      } catch {
        // gone
      }
      const until = Date.now() + 10_000;
      while (exited === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
