import { LayerlabError } from '../errors.js';
import { digestProblem, type Digest } from './digest.js';

// The grammar of distribution/reference (regexp.go), built the same way so that JavaScript's
// leftmost-first backtracking picks the same captures as Go's RE2.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRe = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const identifierRe = /^[a-f0-9]{64}$/;
const tagRe = new RegExp(`^${tagPat}$`);

/** Longest repository name (domain/path) distribution/reference accepts. */
export const REPOSITORY_NAME_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

/** A parsed image reference. `kind: 'digest'` has only a digest (an image ID or `sha256:…`). */
export interface ImageReference {
  kind: 'named' | 'digest';
  /** Registry host[:port]; empty for a digest-only reference. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/redis`. */
  path: string;
  /** The tag as written, or undefined. */
  tag?: string;
  /** The digest as written, or undefined. */
  digest?: Digest;
}

function fail(message: string, input: string): never {
  throw new LayerlabError('EREF', message, { path: JSON.stringify(input) });
}

function checkDigest(d: string, input: string): Digest {
  const problem = digestProblem(d);
  if (problem) fail(problem, input);
  return d;
}

/** distribution/reference `Parse`: the strict grammar, no normalisation. */
export function parseReference(s: string): ImageReference {
  if (s === '') fail('repository name must have at least one component', s);
  const m = referenceRe.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRe.test(lower)) fail('repository name must be lowercase', s);
    fail('invalid reference format', s);
  }
  const name = m[1];
  // The whole name (domain included) is limited, as in every upstream test and in Docker 20.10.
  if (name.length > REPOSITORY_NAME_MAX) fail(`repository name must not be more than ${REPOSITORY_NAME_MAX} characters`, s);
  const nm = anchoredNameRe.exec(name);
  const domain = nm ? (nm[1] ?? '') : '';
  const path = nm ? nm[2] : name;
  const ref: ImageReference = { kind: 'named', domain, path };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = checkDigest(m[3], s);
  return ref;
}

/** distribution/reference `splitDockerDomain`. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, maybeRemote];
  else [domain, remote] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return [domain, remote];
}

/** distribution/reference `ParseNormalizedNamed`: Docker's familiar names to full names. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (identifierRe.test(s)) fail(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`, s);
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon > -1 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) fail(`invalid reference format: repository name (${remote}) must be lowercase`, s);
  const ref = parseReference(domain + '/' + remainder);
  if (ref.kind !== 'named' || ref.path === '') fail(`reference ${s} has no name`, s);
  return ref;
}

/** distribution/reference `ParseAnyReference`: an image ID, a digest, or a familiar name. */
export function parseAnyReference(s: string): ImageReference {
  if (identifierRe.test(s)) return { kind: 'digest', domain: '', path: '', digest: 'sha256:' + s };
  if (digestProblem(s) === undefined) return { kind: 'digest', domain: '', path: '', digest: s };
  return parseNormalizedNamed(s);
}

/** `domain/path`, the reference's full name. */
export function referenceName(r: ImageReference): string {
  return r.domain === '' ? r.path : `${r.domain}/${r.path}`;
}

/** The name with `docker.io/` and a single-level `library/` stripped. */
export function familiarName(r: ImageReference): string {
  if (r.domain !== DEFAULT_DOMAIN) return referenceName(r);
  if (r.path.startsWith(OFFICIAL_PREFIX)) {
    const rest = r.path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return r.path;
}

function withSuffix(name: string, r: ImageReference): string {
  return name + (r.tag !== undefined ? ':' + r.tag : '') + (r.digest !== undefined ? '@' + r.digest : '');
}

/** The full string, e.g. `docker.io/library/redis:7`. */
export function referenceString(r: ImageReference): string {
  return r.kind === 'digest' ? (r.digest as string) : withSuffix(referenceName(r), r);
}

/** The familiar string Docker prints, e.g. `redis:7`. */
export function familiarString(r: ImageReference): string {
  return r.kind === 'digest' ? (r.digest as string) : withSuffix(familiarName(r), r);
}

/** `TagNameOnly`: adds the default tag `latest` when neither tag nor digest is given. */
export function withDefaultTag(r: ImageReference): ImageReference {
  if (r.kind === 'named' && r.tag === undefined && r.digest === undefined) return { ...r, tag: DEFAULT_TAG };
  return r;
}

export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

/** Everything `layerlab ref` explains about one reference. */
export interface ReferenceExplanation {
  input: string;
  valid: boolean;
  error?: string;
  kind?: 'named' | 'digest';
  registry?: string;
  /** First path component when the path has more than one (e.g. `library`). */
  namespace?: string;
  repository?: string;
  tag?: string;
  tagDefaulted?: boolean;
  digest?: string;
  familiar?: string;
  canonical?: string;
}

/** Parses as the Docker CLI does (`ParseAnyReference`, then the default tag) and explains. */
export function explainReference(input: string): ReferenceExplanation {
  let parsed: ImageReference;
  try {
    parsed = parseAnyReference(input);
  } catch (e) {
    if (e instanceof LayerlabError) return { input, valid: false, error: e.message };
    throw e;
  }
  if (parsed.kind === 'digest') {
    return { input, valid: true, kind: 'digest', digest: parsed.digest, familiar: parsed.digest, canonical: parsed.digest };
  }
  const full = withDefaultTag(parsed);
  const slash = full.path.lastIndexOf('/');
  const out: ReferenceExplanation = {
    input,
    valid: true,
    kind: 'named',
    registry: full.domain,
    namespace: slash > 0 ? full.path.slice(0, slash) : undefined,
    repository: full.path,
    tag: full.tag,
    tagDefaulted: parsed.tag === undefined && parsed.digest === undefined,
    digest: full.digest,
    familiar: familiarString(full),
    canonical: referenceString(full),
  };
  if (out.namespace === undefined) delete out.namespace;
  if (out.tag === undefined) delete out.tag;
  if (out.digest === undefined) delete out.digest;
  return out;
}

/** Normalises a repo tag as Docker stores it (familiar form); throws `EREF` when invalid or untagged. */
export function normalizeRepoTag(s: string): string {
  const r = parseNormalizedNamed(s);
  if (r.tag === undefined || r.digest !== undefined) fail('expected name:tag', s);
  return familiarString(r);
}

/** Normalises a repo digest (`name@sha256:…`) to familiar form; throws `EREF` when invalid. */
export function normalizeRepoDigest(s: string): string {
  const r = parseNormalizedNamed(s);
  if (r.digest === undefined || r.tag !== undefined) fail('expected name@digest', s);
  return familiarString(r);
}
