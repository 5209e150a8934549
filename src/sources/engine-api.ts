import { LayerlabError, quote } from '../errors.js';
import type { ImageGraph } from '../model/graph.js';
import { ConnectError, HttpError, HttpPool, TimeoutError, type HttpAnswer } from './engine-http.js';
import { graphFromEngine, layerSizesFromEngine, type EngineContainer, type EngineHistoryItem, type EngineImageInspect } from './engine.js';

/** Where a Docker-compatible Engine API listens. */
export type EngineEndpoint = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/;

/** `unix:///path`, `tcp://127.0.0.1:2375`; only loopback TCP is accepted. */
export function parseEngineHost(spec: string): EngineEndpoint {
  if (spec.startsWith('unix://')) {
    const socketPath = spec.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new LayerlabError('EUSAGE', `expected unix:///absolute/path.sock, got ${quote(spec)}`);
    return { kind: 'unix', socketPath };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(spec);
  if (m) {
    if (!LOOPBACK.test(m[1])) throw new LayerlabError('EUSAGE', `only loopback daemons are read (got ${m[1]}): layerlab talks to nothing off this machine`);
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }
  throw new LayerlabError('EUSAGE', `expected unix:///path.sock or tcp://127.0.0.1:PORT, got ${quote(spec)}`);
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

/** Largest Engine API answer read (the image list of a host with 100k images is far below it). */
export const ENGINE_ANSWER_LIMIT = 256 * 1024 * 1024;

/** A read-only Engine API client: GET requests only, each with a timeout, over keep-alive connections. */
export class EngineClient {
  readonly endpoint: EngineEndpoint;
  readonly timeoutMs: number;
  readonly answerLimit: number;
  private readonly http: HttpPool;
  constructor(endpoint: EngineEndpoint, timeoutMs = 30_000, answerLimit = ENGINE_ANSWER_LIMIT) {
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.answerLimit = answerLimit;
    this.http = new HttpPool(endpoint.kind === 'unix' ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port }, ENGINE_CONNECTIONS);
  }

  async get<T>(path: string): Promise<T> {
    return (await this.answer<T>(path)).value;
  }

  /** GET `path`: its JSON answer and the answer's headers (names in lower case). */
  async answer<T>(path: string): Promise<{ value: T; headers: ReadonlyMap<string, string> }> {
    const where = describeEndpoint(this.endpoint);
    let answer: HttpAnswer;
    try {
      answer = await this.http.get(path, this.answerLimit, this.timeoutMs);
    } catch (e) {
      throw engineRequestError(e, path, where, this.timeoutMs, this.answerLimit);
    }
    const body = answer.body.toString('utf8');
    if (answer.status >= 400) {
      let message = body.trim();
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new LayerlabError('EINPUT', `daemon answered ${answer.status} to GET ${path}: ${message}`, { file: where });
    }
    try {
      return { value: JSON.parse(body) as T, headers: answer.headers };
    } catch {
      throw new LayerlabError('EINPUT', `daemon answered GET ${path} with something that is not JSON`, { file: where });
    }
  }

  /** Settles once the connections opened so far have connected (what was asked is written) or failed. */
  connected(): Promise<void> {
    return this.http.ready();
  }

  /** Closes the connections kept open between requests. */
  close(): void {
    this.http.close();
  }
}

function engineRequestError(e: unknown, path: string, where: string, timeoutMs: number, limit: number): LayerlabError {
  if (e instanceof HttpError) {
    if (e.kind === 'too-large') return new LayerlabError('EINPUT', `daemon answered GET ${path} with more than ${limit / 1024 / 1024} MiB; refused`, { file: where });
    if (e.kind === 'malformed') return new LayerlabError('EINPUT', `daemon answered GET ${path} with a malformed HTTP answer: ${e.message}`, { file: where });
    return new LayerlabError('EIO', `reading the answer to GET ${path}: ${e.message}`, { file: where });
  }
  if (e instanceof TimeoutError) return new LayerlabError('EIO', `GET ${path}: no answer within ${timeoutMs / 1000} s`, { file: where });
  if (e instanceof ConnectError) {
    const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'cannot connect to the Docker daemon: is it running?' : e.message;
    return new LayerlabError('EIO', `GET ${path}: ${why}`, { file: where });
  }
  return new LayerlabError('EIO', `GET ${path}: ${(e as Error)?.message ?? String(e)}`, { file: where });
}

/** What a live daemon says about itself. */
export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os?: string;
  Arch?: string;
}

/**
 * Checks a number the daemon sent the way the snapshot loader checks sizes and times: a whole
 * number from 0 to 2^53. A daemon (or something posing as one) sending -35 or 1e308 would
 * otherwise print `-35B`, `YB` or `NaN%`.
 */
function checkCount(v: unknown, endpoint: string, request: string, field: string, optional = true): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new LayerlabError('EINPUT', `daemon answered GET ${request} with ${field} = ${quote(v)}: expected a whole number from 0 to 2^53`, { file: endpoint, path: field });
  }
}

function checkArray(v: unknown, endpoint: string, request: string): unknown[] {
  if (!Array.isArray(v)) throw new LayerlabError('EINPUT', `daemon answered GET ${request} with ${v === null ? 'null' : typeof v}: expected a list`, { file: endpoint });
  return v;
}

function checkObject(v: unknown, endpoint: string, request: string, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LayerlabError('EINPUT', `daemon answered GET ${request} with ${field} = ${quote(v)}: expected an object`, { file: endpoint, path: field });
  return v as Record<string, unknown>;
}

/**
 * The daemon's version from the headers of any of its answers: moby's version middleware sets
 * `Server: Docker/<version> (<os>)` and `API-Version: <newest API version>` on every answer, the
 * same two values `GET /version` reports (dockerversion.Version, api.DefaultVersion). Asking
 * /version instead costs a 24-image `df -v docker://` more than any other request: dockerd
 * answers it by running `runc --version` and `docker-init --version` (about 7 ms of wall and
 * 10-20 ms of the machine's CPU on the bench's 2 cores). Undefined when the headers are not
 * Docker's (another Engine-compatible daemon): then /version is asked.
 */
export function engineVersionFromHeaders(headers: ReadonlyMap<string, string>): EngineVersion | undefined {
  const server = /^Docker\/(\S+) \(([^()\s]+)\)$/.exec(headers.get('server') ?? '');
  const api = headers.get('api-version');
  if (!server || api === undefined || !/^\d+\.\d+$/.test(api)) return undefined;
  return { Version: server[1], ApiVersion: api, Os: server[2] };
}

/** Validates `GET /images/{id}/history`: every Size and Created a whole number >= 0. */
export function checkHistory(v: unknown, endpoint: string, request: string): EngineHistoryItem[] {
  const items = checkArray(v, endpoint, request);
  items.forEach((h, k) => {
    const o = checkObject(h, endpoint, request, `$[${k}]`);
    checkCount(o.Size, endpoint, request, `$[${k}].Size`, false);
    checkCount(o.Created, endpoint, request, `$[${k}].Created`);
    if (o.CreatedBy !== undefined && typeof o.CreatedBy !== 'string') throw new LayerlabError('EINPUT', `daemon answered GET ${request} with $[${k}].CreatedBy = ${quote(o.CreatedBy)}: expected a string`, { file: endpoint, path: `$[${k}].CreatedBy` });
  });
  return items as EngineHistoryItem[];
}

/** Validates the numbers of `GET /containers/json?all=1&size=1` layerlab uses. */
export function checkContainers(v: unknown, endpoint: string, request: string): EngineContainer[] {
  const items = checkArray(v, endpoint, request);
  items.forEach((c, k) => {
    const o = checkObject(c, endpoint, request, `$[${k}]`);
    for (const f of ['SizeRw', 'SizeRootFs', 'Created']) checkCount(o[f], endpoint, request, `$[${k}].${f}`);
  });
  return items as EngineContainer[];
}

/**
 * Connections to a daemon at once; more requests are pipelined on them. Go's server answers one
 * connection's requests one after the other, so this is how many the daemon works on together:
 * enough for a few cores; more connections cost both sides per-connection work (issue 12).
 */
export const ENGINE_CONNECTIONS = 4;

/** Images asked about at once when reading a daemon: their requests are pipelined on ENGINE_CONNECTIONS connections, so a larger batch goes out in fewer writes (a bounded pool all the same: a host of 10,000 images is not 20,000 requests in memory at once). */
export const ENGINE_CONCURRENCY = 32;

/** Maps `items` through `f` with at most `limit` calls pending; results in input order; the first failure rejects. */
export async function pool<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      out[k] = await f(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What reading a live daemon gives: its images and containers as a graph, and its version. */
export interface EngineRead {
  graph: ImageGraph;
  version: EngineVersion;
}

/** Reads images (with per-layer sizes from history) and containers from a live daemon; every number it uses is checked. */
export async function loadEngine(client: EngineClient): Promise<EngineRead> {
  try {
    return await readEngine(client);
  } finally {
    client.close();
  }
}

async function readEngine(client: EngineClient): Promise<EngineRead> {
  const endpoint = describeEndpoint(client.endpoint);
  const containersPath = '/containers/json?all=1&size=1';
  // The image list first, alone: every other request waits for it, and the container list (with
  // sizes, the daemon's slowest answer) is used only at the end, so it is asked for once the
  // image list is in, with the per-image requests (asked at once, the two shared the daemon's
  // CPU and the image list came ~2 ms later). A failure is reported in the order the answers
  // are used, the image list first.
  const { value: listed, headers } = await client.answer<unknown>('/images/json?all=1');
  const containersAnswer = client.get<unknown>(containersPath);
  containersAnswer.catch(() => undefined);
  const version = engineVersionFromHeaders(headers) ?? (checkObject(await client.get<unknown>('/version'), endpoint, '/version', '$') as unknown as EngineVersion);
  const list = checkArray(listed, endpoint, '/images/json?all=1');
  const ids = list.map((item, k) => {
    const Id = checkObject(item, endpoint, '/images/json?all=1', `$[${k}]`).Id;
    if (typeof Id !== 'string' || Id === '') throw new LayerlabError('EINPUT', `daemon answered GET /images/json?all=1 with $[${k}].Id = ${quote(Id)}: expected an image ID`, { file: endpoint, path: `$[${k}].Id` });
    return Id;
  });
  // Two requests per image, ENGINE_CONCURRENCY at a time (docker's own CLI asks in parallel too);
  // answers are used in list order, so the graph is the same as with one request at a time.
  const answers = await pool(ids, ENGINE_CONCURRENCY, async (Id) => {
    const inspectPath = `/images/${encodeURIComponent(Id)}/json`;
    const historyPath = `/images/${encodeURIComponent(Id)}/history`;
    const [inspect, hist] = await Promise.all([client.get<unknown>(inspectPath), client.get<unknown>(historyPath)]);
    const img = checkObject(inspect, endpoint, inspectPath, '$') as unknown as EngineImageInspect;
    checkCount((img as unknown as Record<string, unknown>).Size, endpoint, inspectPath, '$.Size');
    checkCount((img as unknown as Record<string, unknown>).VirtualSize, endpoint, inspectPath, '$.VirtualSize');
    return { img, history: checkHistory(hist, endpoint, historyPath) };
  });
  const inspects = answers.map((a) => a.img);
  const sizes = layerSizesFromEngine(answers.map(({ img, history }) => ({ diffIds: img.RootFS?.Layers ?? [], size: img.Size, history })));
  const containers = checkContainers(await containersAnswer, endpoint, containersPath);
  return { graph: graphFromEngine(inspects, containers, sizes, endpoint), version };
}
