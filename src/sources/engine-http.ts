import type { Socket } from 'node:net';

// A small HTTP/1.1 client for the Engine API: GET only, JSON answers, keep-alive connections.
// node:http cost `df -v docker://` about 20 ms of CPU on a 24-image daemon (loading _http_client,
// _http_agent, _http_incoming, _http_outgoing and friends, then per request its agent's TLS
// server-name guess, which runs Node's IPv6 regex): more than everything layerlab computes there
// (issue 12). The daemon speaks plain HTTP/1.1 with Content-Length or chunked bodies; this parses
// exactly that, strictly, and says what was wrong when an answer is not that.

/** What the daemon answered: status, headers (names in lower case) and the whole body. */
export interface HttpAnswer {
  status: number;
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

/** Why an answer could not be read; `kind` picks the wording (and the exit code) the caller gives. */
export class HttpError extends Error {
  readonly kind: 'malformed' | 'too-large' | 'truncated';
  constructor(kind: HttpError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

const HEAD_LIMIT = 64 * 1024;
const LINE_LIMIT = 4096;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;
const CRLF = Buffer.from('\r\n');
// Needles as bytes: a string needle is encoded again at every search.
const HEAD_END = Buffer.from('\r\n\r\n');
const NOTHING = Buffer.alloc(0);

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

/**
 * Reads one response from the bytes of a connection, fed as they arrive (split anywhere).
 * `feed` returns the answer once complete; `end` is called when the peer closes.
 */
export class ResponseParser {
  private state: State = 'head';
  private pending: Buffer = NOTHING;
  private parts: Buffer[] = [];
  private bytes = 0;
  private remaining = 0;
  private status = 0;
  private headers: ReadonlyMap<string, string> = new Map();
  /** Whether the connection may carry another request after this answer. */
  keepAlive = false;
  /** Whether any byte of the answer arrived (a reused connection the peer had closed sends none). */
  started = false;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /**
   * Bytes read past the end of the answer (the start of the next pipelined answer); only with
   * `feed(chunk, true)`, otherwise such bytes are an error.
   */
  rest: Buffer = NOTHING;

  feed(chunk: Buffer, keepRest = false): HttpAnswer | undefined {
    if (chunk.length) this.started = true;
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.state === 'done') {
        if (at < buf.length) {
          if (!keepRest) throw new HttpError('malformed', 'bytes after the end of the answer');
          this.rest = buf.subarray(at);
        }
        return this.answer();
      }
      if (this.state === 'head') {
        const end = buf.indexOf(HEAD_END, at);
        if (end < 0) {
          if (buf.length - at > HEAD_LIMIT) throw new HttpError('malformed', `a header of more than ${HEAD_LIMIT / 1024} KiB`);
          break;
        }
        this.head(buf.subarray(at, end).toString('latin1'));
        at = end + 4;
      } else if (this.state === 'length' || this.state === 'chunk-data' || this.state === 'close') {
        const n = this.state === 'close' ? buf.length - at : Math.min(this.remaining, buf.length - at);
        if (n > 0) this.take(buf.subarray(at, at + n));
        at += n;
        this.remaining -= n;
        if (this.state === 'close' || this.remaining > 0) break;
        this.state = this.state === 'length' ? 'done' : 'chunk-end';
      } else if (this.state === 'chunk-end') {
        if (buf.length - at < 2) break;
        if (!buf.subarray(at, at + 2).equals(CRLF)) throw new HttpError('malformed', 'a chunk not followed by CRLF');
        at += 2;
        this.state = 'chunk-size';
      } else {
        const eol = buf.indexOf(CRLF, at);
        if (eol < 0) {
          if (buf.length - at > LINE_LIMIT) throw new HttpError('malformed', 'a chunk line longer than 4 KiB');
          break;
        }
        const line = buf.subarray(at, eol).toString('latin1');
        at = eol + 2;
        if (this.state === 'trailers') {
          if (line === '') this.state = 'done';
          continue;
        }
        const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!m) throw new HttpError('malformed', `a chunk size ${JSON.stringify(line.slice(0, 40))}`);
        this.remaining = parseInt(m[1], 16);
        this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
      }
    }
    this.pending = at < buf.length ? Buffer.from(buf.subarray(at)) : NOTHING;
    return undefined;
  }

  /** The peer closed the connection: the answer if its end is the connection's end, else an error. */
  end(): HttpAnswer {
    if (this.state === 'close') return this.answer();
    if (this.state === 'done') return this.answer();
    throw new HttpError('truncated', this.started ? 'the daemon closed the connection before the answer was complete' : 'the daemon closed the connection without answering');
  }

  private answer(): HttpAnswer {
    this.state = 'done';
    return { status: this.status, headers: this.headers, body: this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts) };
  }

  private take(b: Buffer): void {
    this.bytes += b.length;
    if (this.bytes > this.limit) throw new HttpError('too-large', `more than ${this.limit / 1024 / 1024} MiB`);
    this.parts.push(b);
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const first = lines[0];
    const m = STATUS_LINE.exec(first);
    if (!m) throw new HttpError('malformed', `a status line ${JSON.stringify(first.slice(0, 60))}`);
    const status = Number(m[2]);
    const headers = new Map<string, string>();
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k];
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpError('malformed', `a header line ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    // 1xx answers precede the real one; a GET gets none from dockerd, but they are legal.
    if (status >= 100 && status < 200) return;
    this.status = status;
    this.headers = headers;
    const connection = (headers.get('connection') ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (status === 204 || status === 304) this.state = 'done';
    else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) throw new HttpError('malformed', `transfer-encoding ${JSON.stringify(te)}`);
      this.state = 'chunk-size';
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new HttpError('malformed', `content-length ${JSON.stringify(cl)}`);
      this.remaining = Number(cl);
      if (this.remaining > this.limit) throw new HttpError('too-large', `more than ${this.limit / 1024 / 1024} MiB`);
      this.state = this.remaining === 0 ? 'done' : 'length';
    } else {
      this.state = 'close';
      this.keepAlive = false;
    }
  }
}

/** Where to connect: a unix socket or a loopback TCP port. */
export type HttpTarget = { socketPath: string } | { host: string; port: number };

/** A connection error, with the code Node gave it (ENOENT, ECONNREFUSED, ...). */
export class ConnectError extends Error {
  readonly code: string | undefined;
  constructor(e: NodeJS.ErrnoException) {
    super(e.message);
    this.code = e.code;
  }
}

/** A timeout: no byte for `ms` while an answer was awaited. */
export class TimeoutError extends Error {}

/** A request written on a connection, waiting for its answer. */
interface Pending {
  readonly parser: ResponseParser;
  readonly settle: (e: Error | undefined, a?: HttpAnswer) => void;
}

/**
 * One keep-alive connection carrying requests pipelined (HTTP/1.1: written back to back, answered
 * in order; Go's server, dockerd's, reads and answers them one after the other). Requests asked in
 * the same turn of the event loop go out in one write.
 */
class Connection {
  readonly socket: Socket;
  dead = false;
  /** An answer said `Connection: close`: nothing more is written here. */
  closing = false;
  used = false;
  private readonly queue: Pending[] = [];
  private corked = false;
  /** Settles once the socket connected (and wrote what it was given) or closed. */
  readonly ready: Promise<void>;

  constructor(target: HttpTarget) {
    // node:net on first use: the command line loads this module for every command (it asks a
    // daemon before loading the command), and net with its streams costs a few ms to load.
    const { connect } = process.getBuiltinModule('node:net');
    this.socket = 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (e) => this.fail(new ConnectError(e)));
    this.socket.on('close', () => this.onEnd());
    this.socket.on('timeout', () => this.fail(new TimeoutError()));
    this.ready = new Promise((r) => this.socket.once('connect', r).once('close', r));
  }

  /** Requests written and not yet answered. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes a GET; `parser` sees its answer (the caller keeps it to tell whether any byte came). */
  send(path: string, parser: ResponseParser, timeoutMs: number): Promise<HttpAnswer> {
    this.used = true;
    return new Promise((resolve, reject) => {
      this.queue.push({ parser, settle: (e, a) => (e ? reject(e) : resolve(a as HttpAnswer)) });
      if (this.queue.length === 1) {
        this.socket.ref();
        this.socket.setTimeout(timeoutMs);
      }
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(() => {
          this.corked = false;
          this.socket.uncork();
        });
      }
      // The Host the docker CLI sends on a socket; dockerd does not route on it.
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`);
    });
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    for (let chunk = d; ; ) {
      const head = this.queue[0];
      if (!head) {
        this.destroy(); // bytes nobody asked for: never reuse this connection
        return;
      }
      let a: HttpAnswer | undefined;
      try {
        // Bytes past this answer belong to the next request's, if one was written.
        a = head.parser.feed(chunk, this.queue.length > 1);
      } catch (e) {
        return this.fail(e as Error);
      }
      if (!a) return;
      chunk = head.parser.rest;
      this.queue.shift();
      if (!head.parser.keepAlive) this.closing = true;
      this.answered(head, a);
      if (chunk.length === 0 || this.dead) return;
    }
  }

  private onEnd(): void {
    const head = this.queue.shift();
    this.dead = true;
    if (head) {
      try {
        this.answered(head, head.parser.end());
      } catch (e) {
        head.settle(e as Error);
      }
    }
    this.fail(new HttpError('truncated', 'the daemon closed the connection without answering'));
  }

  /** Fails every request still waiting here (those behind a failed one never get their answer on this connection). */
  private fail(e: Error): void {
    this.destroy();
    for (const p of this.queue.splice(0)) p.settle(e);
  }

  private answered(p: Pending, a: HttpAnswer): void {
    if (!p.parser.keepAlive) this.destroy();
    if (this.queue.length === 0 && !this.dead) {
      this.socket.setTimeout(0);
      this.socket.unref(); // an idle connection must not keep the process alive
    }
    p.settle(undefined, a);
  }
}

/** Whether a request failed before any byte of its answer came, in a way a connection the peer closed (idle, or after the answer ahead of it) fails. */
function unanswered(parser: ResponseParser, e: unknown): boolean {
  return !parser.started && ((e instanceof HttpError && e.kind === 'truncated') || (e instanceof ConnectError && (e.code === 'ECONNRESET' || e.code === 'EPIPE')));
}

/**
 * GET requests over at most `maxConnections` keep-alive connections: a request takes an idle
 * connection, else opens one, else is pipelined on the connection with the fewest waiting. Every
 * request and answer costs Node's streams and dockerd's per-connection work; pipelining 48 requests
 * over 4 connections took the per-image phase of a 24-image df -v from 8.9 to 4.2 ms of CPU.
 */
export class HttpPool {
  private readonly connections: Connection[] = [];
  private closed = false;
  readonly target: HttpTarget;
  readonly maxConnections: number;

  constructor(target: HttpTarget, maxConnections: number) {
    this.target = target;
    this.maxConnections = maxConnections;
  }

  async get(path: string, limit: number, timeoutMs: number): Promise<HttpAnswer> {
    if (/[\s\0]/.test(path)) throw new Error(`GET ${JSON.stringify(path)}: a path with white space`);
    for (let attempt = 0; ; attempt++) {
      const c = this.pick();
      // A request behind another on the same connection, or on a connection used before, may find it closed by the daemon.
      const reused = c.used;
      const parser = new ResponseParser(limit);
      try {
        return await c.send(path, parser, timeoutMs);
      } catch (e) {
        // A GET the daemon closed the connection on before answering is sent again, once, on another.
        if (reused && attempt === 0 && unanswered(parser, e)) continue;
        throw e;
      } finally {
        if (this.closed && c.pending === 0) c.destroy();
      }
    }
  }

  /** Settles once every connection open now has connected (its requests are written) or closed. */
  async ready(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.ready));
  }

  /** Closes the idle connections (the busy ones close when their answers are in). */
  close(): void {
    this.closed = true;
    for (const c of this.connections.splice(0)) if (c.pending === 0) c.destroy();
  }

  private pick(): Connection {
    let best: Connection | undefined;
    for (let k = this.connections.length - 1; k >= 0; k--) {
      const c = this.connections[k];
      if (c.dead || c.closing) {
        if (c.pending === 0) this.connections.splice(k, 1);
        continue;
      }
      if (best === undefined || c.pending < best.pending) best = c;
    }
    if (best && best.pending === 0) return best;
    const open = this.connections.filter((c) => !c.dead && !c.closing).length;
    if (best === undefined || open < this.maxConnections) {
      const c = new Connection(this.target);
      this.connections.push(c);
      return c;
    }
    return best;
  }
}
