import { request } from 'node:http';
import { LayerlabError } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { graphFromEngine, layerSizesFromHistory, type EngineContainer, type EngineHistoryItem, type EngineImageInspect } from './engine.js';

/** Where a Docker-compatible Engine API listens. */
export type EngineEndpoint = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/;

/** `unix:///path`, `tcp://127.0.0.1:2375`; only loopback TCP is accepted. */
export function parseEngineHost(spec: string): EngineEndpoint {
  if (spec.startsWith('unix://')) {
    const socketPath = spec.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new LayerlabError('EUSAGE', `expected unix:///absolute/path.sock, got ${JSON.stringify(spec)}`);
    return { kind: 'unix', socketPath };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(spec);
  if (m) {
    if (!LOOPBACK.test(m[1])) throw new LayerlabError('EUSAGE', `only loopback daemons are read (got ${m[1]}): layerlab talks to nothing off this machine`);
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }
  throw new LayerlabError('EUSAGE', `expected unix:///path.sock or tcp://127.0.0.1:PORT, got ${JSON.stringify(spec)}`);
}

/** The endpoint a `docker://[HOST]` SOURCE names: HOST, else DOCKER_HOST, else the default socket. */
export function engineEndpointFromSource(source: string, env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  const rest = source.slice('docker://'.length);
  if (rest !== '') return parseEngineHost(rest);
  return parseEngineHost(env.DOCKER_HOST || 'unix:///var/run/docker.sock');
}

function describeEndpoint(e: EngineEndpoint): string {
  return e.kind === 'unix' ? `unix://${e.socketPath}` : `tcp://${e.host}:${e.port}`;
}

/** A read-only Engine API client: GET requests only, each with a timeout. */
export class EngineClient {
  readonly endpoint: EngineEndpoint;
  readonly timeoutMs: number;
  constructor(endpoint: EngineEndpoint, timeoutMs = 30_000) {
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }

  get<T>(path: string): Promise<T> {
    const where = describeEndpoint(this.endpoint);
    return new Promise<T>((resolve, reject) => {
      const target = this.endpoint.kind === 'unix' ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port };
      const req = request({ ...target, path, method: 'GET', headers: { Host: 'docker' }, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400) {
            let message = body.trim();
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {
              // not JSON: keep the text
            }
            reject(new LayerlabError('EINPUT', `daemon answered ${res.statusCode} to GET ${path}: ${message}`, { file: where }));
            return;
          }
          try {
            resolve(JSON.parse(body) as T);
          } catch {
            reject(new LayerlabError('EINPUT', `daemon answered GET ${path} with something that is not JSON`, { file: where }));
          }
        });
        res.on('error', (e) => reject(new LayerlabError('EIO', `reading the answer to GET ${path}: ${e.message}`, { file: where })));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'cannot connect to the Docker daemon: is it running?' : e.message;
        reject(new LayerlabError('EIO', `GET ${path}: ${why}`, { file: where }));
      });
      req.end();
    });
  }
}

/** What a live daemon says about itself. */
export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os?: string;
  Arch?: string;
}

/** Reads images (with per-layer sizes from history) and containers from a live daemon. */
export async function loadEngine(client: EngineClient): Promise<{ graph: ImageGraph; version: EngineVersion }> {
  const version = await client.get<EngineVersion>('/version');
  const list = await client.get<{ Id: string }[]>('/images/json?all=1');
  const inspects: EngineImageInspect[] = [];
  const sizes = new Map<string, number>();
  for (const { Id } of list) {
    const img = await client.get<EngineImageInspect>(`/images/${encodeURIComponent(Id)}/json`);
    const history = await client.get<EngineHistoryItem[]>(`/images/${encodeURIComponent(Id)}/history`);
    inspects.push(img);
    const diffIds = img.RootFS?.Layers ?? [];
    layerSizesFromHistory(diffIds, history).forEach((size, k) => {
      if (size !== undefined) sizes.set(diffIds[k], size);
    });
  }
  const containers = await client.get<EngineContainer[]>('/containers/json?all=1&size=1');
  return { graph: graphFromEngine(inspects, containers, sizes, describeEndpoint(client.endpoint)), version };
}
