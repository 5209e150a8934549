// A read-only distribution v2 API client for loopback registries: GET and HEAD only, each with a
// timeout, answers bounded, blobs streamed and checked against their digest.
import { request, type IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { LayerlabError } from '../errors.js';
import { digestHasher } from './hashing.js';

/** Accept header for manifests, as docker pull sends it. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Largest manifest, config or list page read into memory. */
export const REGISTRY_ANSWER_LIMIT = 16 * 1024 * 1024;

/** A loopback registry and, optionally, one repository and tag to read. */
export interface RegistryTarget {
  host: string;
  port: number;
  repository?: string;
  tag?: string;
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^\w[\w.-]{0,127}$/;

/** `registry://127.0.0.1:5000[/repo[:tag]]`; only loopback registries are read. */
export function parseRegistrySource(source: string): RegistryTarget {
  const m = /^registry:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\]):(\d+)(?:\/(.+))?$/.exec(source);
  if (!m) {
    throw new LayerlabError('EUSAGE', `expected registry://127.0.0.1:PORT[/REPO[:TAG]] on loopback (layerlab talks to nothing off this machine), got ${JSON.stringify(source.slice(0, 200))}`);
  }
  const target: RegistryTarget = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  if (m[3]) {
    const echo = JSON.stringify(m[3].slice(0, 200));
    if (m[3].includes('@')) throw new LayerlabError('EUSAGE', `registry:// takes REPO[:TAG], not a digest reference (got ${echo})`);
    const colon = m[3].lastIndexOf(':');
    if (colon > m[3].lastIndexOf('/')) {
      target.repository = m[3].slice(0, colon);
      target.tag = m[3].slice(colon + 1);
    } else target.repository = m[3];
    // distribution/reference's grammar: the path goes into request URLs, so nothing else is sent
    if (!REPOSITORY.test(target.repository)) {
      const lower = REPOSITORY.test(target.repository.toLowerCase());
      throw new LayerlabError('EUSAGE', `invalid repository ${JSON.stringify(target.repository.slice(0, 200))} in ${echo}${lower ? ': repository name must be lowercase' : ''}`);
    }
    if (target.tag !== undefined && !TAG.test(target.tag)) throw new LayerlabError('EUSAGE', `invalid tag ${JSON.stringify(target.tag.slice(0, 200))} in ${echo}: expected [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  return target;
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A header value as echoed in an error: one line, at most 200 characters. */
function echoHeader(v: string | string[] | undefined): string {
  const s = (Array.isArray(v) ? v.join(', ') : (v ?? '')).replace(/\s+/g, ' ').trim();
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
}

/**
 * Why a non-200 answer cannot be used. Redirects and authentication are refused rather than
 * followed: following either would talk to hosts or send credentials beyond the loopback registry.
 */
export function refusal(method: string, path: string, status: number, headers: HttpAnswer['headers'], body: string): string {
  if (status >= 300 && status < 400) return `${method} ${path}: the registry redirects, and redirects are not supported (${status} to ${echoHeader(headers.location) || 'no Location given'})`;
  if (status === 401) return `${method} ${path}: the registry requires authentication, and authentication is not supported (401, the registry asks for: ${echoHeader(headers['www-authenticate']) || 'no WWW-Authenticate given'})`;
  const text = body.replace(/\s+/g, ' ').trim();
  return `${method} ${path}: registry answered ${status}${text ? ' ' + (text.length > 200 ? text.slice(0, 200) + '…' : text) : ''}`;
}

/** A read-only distribution v2 API client: GET and HEAD only, each with a timeout. */
export class RegistryClient {
  constructor(
    readonly target: RegistryTarget,
    readonly timeoutMs = 30_000,
  ) {}

  get label(): string {
    return `registry://${this.domain}`;
  }

  /** `host:port` as it appears in references. */
  get domain(): string {
    return `${this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host}:${this.target.port}`;
  }

  private fail(method: string, path: string, e: NodeJS.ErrnoException): LayerlabError {
    if (e instanceof LayerlabError) return e;
    return new LayerlabError('EIO', `${method} ${path}: ${e.code === 'ECONNREFUSED' ? 'cannot connect: is the registry running?' : e.message}`, { file: this.label });
  }

  /** Sends the request; resolves with the response once its headers are in. */
  private open(method: 'GET' | 'HEAD', path: string, accept?: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.target.host, port: this.target.port, path, method, timeout: this.timeoutMs, headers: accept ? { Accept: accept } : {} }, resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.fail(method, path, e)));
      req.end();
    });
  }

  private async call(method: 'GET' | 'HEAD', path: string, accept?: string): Promise<HttpAnswer> {
    const res = await this.open(method, path, accept);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > REGISTRY_ANSWER_LIMIT) res.destroy(new LayerlabError('EINPUT', `${method} ${path}: answer larger than ${REGISTRY_ANSWER_LIMIT} bytes`, { file: this.label }));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(this.fail(method, path, e)));
    });
  }

  async json<T>(path: string, accept?: string): Promise<{ value: T; bytes: Buffer; headers: HttpAnswer['headers'] }> {
    const r = await this.call('GET', path, accept);
    if (r.status !== 200) throw new LayerlabError('EINPUT', refusal('GET', path, r.status, r.headers, r.body.toString('utf8')), { file: this.label });
    try {
      return { value: JSON.parse(r.body.toString('utf8')) as T, bytes: r.body, headers: r.headers };
    } catch {
      throw new LayerlabError('EINPUT', `GET ${path}: answer is not JSON`, { file: this.label });
    }
  }

  /** All items of a paginated list (catalog, tags), following `Link: <…>; rel="next"`. */
  async paged(path: string, key: 'repositories' | 'tags'): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = path;
    for (let pages = 0; next && pages < 10_000; pages++) {
      const page: { value: Record<string, string[] | null | undefined>; headers: HttpAnswer['headers'] } = await this.json(next);
      out.push(...(page.value[key] ?? []));
      const link = page.headers.link;
      const m = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
      next = m ? m[1] : undefined;
    }
    return out;
  }

  /** The blob's size by HEAD: its Content-Length, which must be a size in bytes. */
  async blobSize(repository: string, digest: string): Promise<number> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const r = await this.call('HEAD', path);
    if (r.status !== 200) throw new LayerlabError('EINPUT', refusal('HEAD', path, r.status, r.headers, ''), { file: this.label });
    const said = r.headers['content-length'];
    const size = typeof said === 'string' && /^\d{1,16}$/.test(said) ? Number(said) : NaN;
    if (!isSize(size)) throw new LayerlabError('EINPUT', `HEAD ${path}: expected a Content-Length in bytes, got ${JSON.stringify(echoHeader(said))}`, { file: this.label });
    return size;
  }

  /** Streams a blob; the stream fails if its bytes do not hash to `digest` (or differ from `size`). */
  async openBlob(repository: string, digest: string, size?: number): Promise<Readable> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const res = await this.open('GET', path);
    if (res.statusCode !== 200) {
      res.resume();
      throw new LayerlabError('EINPUT', refusal('GET', path, res.statusCode ?? 0, res.headers, ''), { file: this.label });
    }
    const label = this.label;
    const [alg, hex] = digest.split(':');
    const hash = digestHasher(alg === 'sha512' ? 'sha512' : 'sha256');
    let n = 0;
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        n += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        const got = hash.digest().split(':')[1];
        if (got !== hex) done(new LayerlabError('EDIGEST', `blob ${digest} of ${repository} has digest ${alg}:${got}`, { file: label }));
        else if (size !== undefined && n !== size) done(new LayerlabError('EINPUT', `blob ${digest} of ${repository}: the manifest says ${size} bytes, the registry sent ${n}`, { file: label }));
        else done();
      },
    });
    res.on('error', (e) => check.destroy(this.fail('GET', path, e)));
    return res.pipe(check);
  }
}

/** A size in bytes as every reader accepts it: a whole number from 0 to 2^53. */
export function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 53;
}
