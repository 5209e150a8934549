// IBM's public registry traces (Anwar et al., FAST '18), in the replayer's anonymised form:
// {"delay": s, "uri": "v2/<repo>/<blobs|manifests>/<id>", "size", "method", "duration", "client"}.
// Replayed as pulls per client: a client's GET of a manifest is a pull of that image on the node
// named after the client; the blobs that client GETs before its next manifest are that image's
// layers (the union over every client that pulled it, in first-seen order).
import { LayerlabError } from '../errors.js';
import type { UniverseBuilder } from './universe.js';

export interface IbmRecord {
  delay: number;
  uri: string;
  size: number;
  method: string;
  client: string;
}

/** Parses a JSON array or JSON lines of IBM trace records; errors name the record. */
export function parseIbmTrace(text: string, file: string): IbmRecord[] {
  const trimmed = text.trim();
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      items = JSON.parse(trimmed) as unknown[];
    } catch {
      throw new LayerlabError('EINPUT', 'not a JSON array of trace records', { file });
    }
  } else items = trimmed ? trimmed.split('\n').map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new LayerlabError('EINPUT', 'not a JSON object', { file, line: i + 1 });
    }
  }) : [];
  if (items.some((v) => typeof v === 'object' && v !== null && 'http.request.uri' in v)) return fromRaw(items, file);
  return items.map((v, i) => {
    const o = v as Record<string, unknown>;
    const where = { file, path: `$[${i}]` };
    if (typeof o !== 'object' || o === null) throw new LayerlabError('EINPUT', 'expected a trace record object', where);
    if (typeof o.delay !== 'number' || typeof o.uri !== 'string' || typeof o.method !== 'string') throw new LayerlabError('EINPUT', 'expected "delay" (number), "uri" and "method" (strings)', where);
    return { delay: o.delay, uri: o.uri, size: typeof o.size === 'number' ? o.size : 0, method: o.method, client: String(o.client ?? 'client') };
  });
}

/**
 * The published files' own records (registry access log lines: "timestamp", "http.request.method",
 * "http.request.uri", "http.response.written", "http.request.duration", "http.request.remoteaddr"),
 * turned into the replayer's form as its get_requests does (chalianwar/docker-performance,
 * master.py): GETs and PUTs of manifests and blobs that wrote bytes, delay in seconds from the first.
 */
function fromRaw(items: readonly unknown[], file: string): IbmRecord[] {
  const out: Array<IbmRecord & { at: number }> = [];
  items.forEach((v, i) => {
    const o = v as Record<string, unknown>;
    const where = { file, path: `$[${i}]` };
    if (typeof o !== 'object' || o === null) throw new LayerlabError('EINPUT', 'expected a trace record object', where);
    const method = o['http.request.method'];
    const uri = o['http.request.uri'];
    const size = o['http.response.written'];
    const at = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
    if (typeof method !== 'string' || typeof uri !== 'string' || typeof size !== 'number' || Number.isNaN(at)) {
      throw new LayerlabError('EINPUT', 'expected "timestamp" (ISO time), "http.request.method", "http.request.uri" (strings) and "http.response.written" (number)', where);
    }
    if ((method !== 'GET' && method !== 'PUT') || !(uri.includes('manifest') || uri.includes('blobs')) || !(size > 0)) return;
    out.push({ at, delay: 0, uri, size, method, client: String(o['http.request.remoteaddr'] ?? 'client') });
  });
  out.sort((x, y) => x.at - y.at);
  const begin = out.length ? out[0].at : 0;
  return out.map(({ at, ...r }) => ({ ...r, delay: (at - begin) / 1000 }));
}

/** One pull of the converted trace. */
export interface IbmPull {
  t: number;
  image: number;
  client: string;
}

/** Adds the trace's images to `b`; returns the pulls in time order. */
export function convertIbmTrace(records: readonly IbmRecord[], b: UniverseBuilder): IbmPull[] {
  const layers = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  const current = new Map<string, string>();
  const pulls: Array<{ t: number; ref: string; client: string }> = [];
  for (const r of records) {
    if (r.method !== 'GET') continue;
    const m = /^\/?v2\/(.+)\/(blobs|manifests)\/([^/]+)$/.exec(r.uri);
    if (!m) continue;
    const [, repo, kind, id] = m;
    if (kind === 'manifests') {
      const ref = `${repo}@${id}`;
      current.set(r.client, ref);
      if (!layers.has(ref)) layers.set(ref, []);
      pulls.push({ t: r.delay, ref, client: r.client });
    } else {
      sizes.set(id, Math.max(sizes.get(id) ?? 0, r.size));
      const ref = current.get(r.client);
      const list = ref === undefined ? undefined : layers.get(ref);
      if (list && !list.includes(id)) list.push(id);
    }
  }
  for (const [ref, ids] of layers) b.image(ref, 0, ids.map((id) => b.blob(id, sizes.get(id) ?? 0, id, sizes.get(id) ?? 0)));
  pulls.sort((x, y) => x.t - y.t);
  return pulls.map((p) => ({ t: p.t, image: b.imageId(p.ref)!, client: p.client }));
}
