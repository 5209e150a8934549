// A throw-away dockerd for the conformance suite, started as shared/design/architecture.md
// describes: vfs, its own data-root, exec-root, pidfile and unix socket in a temp folder, no
// iptables, no bridge. It never touches a system daemon. Fails loudly when it cannot start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  socket: string;
  /** `unix:///…/docker.sock` */
  host: string;
  /** Runs the docker CLI against this daemon (legacy builder); throws on failure unless allowed. */
  docker(args: string[], opts?: { allowFail?: boolean; cwd?: string }): Run;
  /** GET on the Engine API, parsed JSON. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** The docker client shipped with the daemon (Debian docker.io), else the one on PATH. */
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

function get<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
        else {
          try {
            resolve(JSON.parse(body) as T);
          } catch {
            resolve(body as T);
          }
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** `storageDriver`: vfs unless a test needs another (overlay2 where the kernel mounts overlay). */
export async function startDockerd(opts: { storageDriver?: 'vfs' | 'overlay2' } = {}): Promise<Sandbox> {
  const which = spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error('dockerd is not installed: run scripts/setup-test-deps.sh (Debian docker.io) as root');
  if (process.getuid?.() !== 0) throw new Error('the Docker conformance suite must run as root (it starts its own dockerd)');
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const out = openSync(log, 'a');
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--storage-driver', opts.storageDriver ?? 'vfs', '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
      '--host', `unix://${socket}`, '--log-level', 'warn',
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  let exited: number | null | undefined;
  daemon.on('exit', (code) => (exited = code));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`dockerd exited (${exited}) before answering:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      if ((await get<string>(socket, '/_ping')) === 'OK') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      kill(daemon);
      throw new Error(`dockerd did not answer within 60 s:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const config = join(dir, 'client-config');
  mkdirSync(config);
  writeFileSync(join(config, 'config.json'), '{}');
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: config };
  return {
    dir,
    socket,
    host,
    docker(args, opts = {}) {
      const r = spawnSync(DOCKER, args, { encoding: 'utf8', env, cwd: opts.cwd, timeout: 120_000 });
      const run = { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
      if (run.code !== 0 && !opts.allowFail) throw new Error(`docker ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
      return run;
    },
    api: (path) => get(socket, path),
    async stop() {
      spawnSync(DOCKER, ['rm', '-f', ...spawnSync(DOCKER, ['ps', '-aq'], { encoding: 'utf8', env }).stdout.split('\n').filter(Boolean)], { env });
      kill(daemon);
      const until = Date.now() + 20_000;
      while (exited === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (exited === undefined) kill(daemon, 'SIGKILL');
      spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

function kill(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    if (p.pid) process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}
