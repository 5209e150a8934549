// Field checks of snapshot records that need no loader state: repo references (with a memo
// per repository name for the byte-level reader) and RFC 3339 times.
import { LayerlabError, quote } from '../errors.js';
import { normalizeRepoTag, REPOSITORY_NAME_MAX } from '../model/reference.js';
import type { Checker, Json } from './snapshot-loader.js';

/** Most repository names a {@link tagNormalizer} remembers. */
const TAG_CACHE_MAX = 1 << 16;

/**
 * normalizeRepoTag, remembering each repository name's normal form. For `name:tag` with a valid
 * tag (no `:`, `/` or `@` in it), the grammar splits at that last colon whatever the tag, and no
 * check or rewrite of the name looks at the tag: so the result is the normal form of `name:x`
 * with x replaced by the tag. Only successes are remembered; anything else, errors included,
 * comes from normalizeRepoTag itself.
 */
export function tagNormalizer(): (s: string) => string {
  const names = new Map<string, string>();
  // The last name seen: neighbouring images are mostly tags of one repository.
  let lastName: string | undefined;
  let lastNormal = '';
  return (s) => {
    const colon = s.lastIndexOf(':');
    if (colon < 0 || !isTag(s, colon + 1)) return normalizeRepoTag(s);
    let normal: string | undefined;
    if (lastName !== undefined && colon === lastName.length && s.startsWith(lastName)) normal = lastNormal;
    else {
      const name = s.slice(0, colon);
      normal = names.get(name);
      if (normal === undefined) {
        if (isPlainName(s, colon)) normal = name;
        else {
          const r = normalizeRepoTag(s);
          if (!r.endsWith(s.slice(colon))) return r;
          normal = r.slice(0, r.length - (s.length - colon));
        }
        if (names.size >= TAG_CACHE_MAX) names.clear();
        names.set(name, normal);
      }
      lastName = name;
      lastNormal = normal;
    }
    // s starts with lastName here. Most names are in normal form already: then the input is the
    // result, and no string is made.
    return normal === lastName ? s : normal + s.slice(colon);
  };
}

/**
 * Whether s[0, end) is a repository name that normalizeRepoTag gives back as it is, without
 * running its grammar (most names are new to the memo at most a few times each, but a registry's
 * worth of names is tens of thousands): path components of lower-case letters and digits with
 * hyphens inside, joined by single slashes. Then no component is a registry (that needs a `.` or
 * `:`, upper case, or `localhost`), the registry is docker.io (which familiar names drop), the
 * first component is not `library` (dropped too), and the full name, `docker.io/library/` and
 * all, is within REPOSITORY_NAME_MAX. Anything else goes through normalizeRepoTag.
 */
export function isPlainName(s: string, end: number): boolean {
  if (end < 1 || end + 'docker.io/library/'.length > REPOSITORY_NAME_MAX) return false;
  let first = true;
  let start = 0;
  for (let k = 0; k <= end; k++) {
    const c = k === end ? 0x2f : s.charCodeAt(k);
    if (c === 0x2f) {
      // A component: not empty, no hyphen at either end; the first is not library or localhost.
      if (k === start || s.charCodeAt(start) === 0x2d || s.charCodeAt(k - 1) === 0x2d) return false;
      if (first && k < end && (s.startsWith('library/', start) || s.startsWith('localhost/', start))) return false;
      first = false;
      start = k + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return false;
  }
  return true;
}

/** Whether s from `start` is a tag: `[\w][\w.-]{0,127}` (ASCII word characters, as in Go). */
function isTag(s: string, start: number): boolean {
  const n = s.length - start;
  if (n < 1 || n > 128) return false;
  for (let k = start; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const word = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (!word && (k === start || (c !== 0x2e && c !== 0x2d))) return false;
  }
  return true;
}

/** Normalised references, into `out`; the JSON path is made only for an error. */
export function refsOf(c: Checker, refs: readonly string[], out: string[], i: number, key: string, normalize: (s: string) => string): string[] {
  while (out.length !== 0) out.pop();
  for (let k = 0; k < refs.length; k++) {
    try {
      out.push(normalize(refs[k]));
    } catch {
      refOf(c, refs[k], `$.images[${i}].${key}[${k}]`, normalize);
    }
  }
  return out;
}

export function refOf(c: Checker, v: Json, path: string, normalize: (s: string) => string): string {
  const s = c.string(v, path);
  try {
    return normalize(s);
  } catch (e) {
    if (e instanceof LayerlabError) c.fail(path, `invalid reference ${quote(s)}: ${e.message}`, 'EREF');
    throw e;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Unix seconds of an RFC 3339 time, or why Go's time.Parse(time.RFC3339, …) refuses it: each
 * field in range, the day within its month (Date.parse would roll 2024-02-30 into March).
 */
export function parseRfc3339(s: string): number | string {
  const m = RFC3339.exec(s);
  if (!m) return 'not an RFC 3339 time';
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12) return 'month out of range';
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return 'day out of range';
  if (hour > 23) return 'hour out of range';
  if (minute > 59) return 'minute out of range';
  if (second > 59) return 'second out of range';
  const zh = Number(m[8] ?? 0);
  const zm = Number(m[9] ?? 0);
  if (zh > 23 || zm > 59) return 'time zone offset out of range';
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999, Go does not
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() / 1000 - (m[7] === '-' ? -1 : 1) * (zh * 3600 + zm * 60);
}
