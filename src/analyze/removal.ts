// Docker's delete rules (moby daemon/images/image_delete.go, image_prune.go) on one host state:
// references, parents, containers, and layer reference counts on the universe's chains.
import type { ImageGraph } from '../model/graph.js';
import { shortId, type Digest } from '../model/digest.js';
import { familiarString, parseAnyReference, parseNormalizedNamed, withDefaultTag, type ImageReference } from '../model/reference.js';
import { Universe } from '../model/universe.js';
import { HostState } from './host-state.js';
import { effectiveSizes, memoPerGraph } from './sizes.js';

/**
 * One line of `docker rmi` output: an untagged reference, a deleted image (its ID, bytes 0), or a
 * deleted layer, which the daemon names by its chainID (moby layer store release). A chainID needs
 * the diffIDs of the layer and all below it: where one is unknown the record says so and names
 * the layer by its diffID, else its blob digest.
 */
export type RemovalRecord =
  | { untagged: string }
  | { deleted: string; bytes: number }
  | { deleted: null; chainIdUnknown: true; layer: string; bytes: number };

/** What `docker rmi` would answer for one argument. */
export interface RemovalResult {
  ref: string;
  records: RemovalRecord[];
  /** The daemon's error, when it refuses (nothing but earlier untags happened). */
  error?: string;
  /**
   * How much `docker system df` SIZE drops. It can differ from freedBytes: df counts only layers
   * some image references, so a layer kept only by a container of a force-deleted image leaves
   * df without leaving the disk.
   */
  dfSizeChange: number;
  /** `hard` conflicts cannot be forced. */
  conflict?: 'hard' | 'soft';
  /** The image does not exist: `docker rmi -f` prints the error but exits 0 (docker/cli runRemove). */
  notFound?: true;
  /** The argument is no reference at all: the daemon answers 400 before looking (GetImage's ParseAnyReference). */
  invalidReference?: true;
  freedBytes: number;
}

const isCanonical = (r: ImageReference) => r.digest !== undefined && r.tag === undefined;
const refName = (r: ImageReference) => `${r.domain}/${r.path}`;
const sameRef = (a: ImageReference, b: ImageReference) => refName(a) === refName(b) && a.tag === b.tag && a.digest === b.digest;
const ID_LIKE = /^(sha256:)?[0-9a-f]+$/;

/**
 * moby reference store `favorDigest`: a reference with both a tag and a digest is looked up and
 * deleted by its digest alone (`app:1@sha256:…` is the store's `app@sha256:…`).
 */
function favorDigest(r: ImageReference): ImageReference {
  if (r.tag === undefined || r.digest === undefined) return r;
  const { tag: _tag, ...rest } = r;
  return rest;
}

class Conflict extends Error {
  constructor(
    readonly hard: boolean,
    readonly used: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** The record of a deleted layer: its chainID, else (a diffID below unknown) its diffID or blob digest. */
function layerRecord(host: HostState, chain: number): RemovalRecord {
  const u = host.universe;
  const bytes = u.chainSize[chain];
  const chainId = u.chainIdOf(chain);
  return chainId ? { deleted: chainId, bytes } : { deleted: null, chainIdUnknown: true, layer: u.diffName(u.chainDiff[chain]), bytes };
}

/**
 * parseAnyReference of the last argument: rmi resolves, checks and untags the string it parses
 * (three parses of one string per reference, a million references in a prune -a); references are
 * never changed in place, so the parsed one is shared.
 */
let lastArg: { s: string; ref: ImageReference } | undefined;
function parseArg(s: string): ImageReference {
  if (lastArg?.s === s) return lastArg.ref;
  const ref = parseAnyReference(s);
  lastArg = { s, ref };
  return ref;
}

/** daemon GetImage: a reference in the store, an ID or digest, or an ID prefix. */
export function resolveImage(host: HostState, refOrId: string): number | undefined {
  let ref: ImageReference;
  try {
    ref = parseArg(refOrId);
  } catch {
    return undefined;
  }
  const u = host.universe;
  if (ref.kind === 'digest') {
    const i = u.imageOf(ref.digest!);
    return i !== undefined && host.hasImage(i) ? i : undefined;
  }
  const byRef = host.imageByRef(favorDigest(withDefaultTag(ref)));
  if (byRef !== undefined) return byRef;
  if (ID_LIKE.test(refOrId)) {
    const hex = refOrId.replace(/^sha256:/, '');
    const pool = hex.length >= 12 ? u.imagesWithShortId(hex.slice(0, 12)).filter((i) => host.hasImage(i)) : host.images();
    const hits = pool.filter((i) => u.imageIdOf(i).slice(7).startsWith(hex));
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

function checkConflict(host: HostState, img: number, mask: { child: boolean; running: boolean; reference: boolean; stopped: boolean }): Conflict | undefined {
  const pre = `conflict: unable to delete ${shortId(host.universe.imageIdOf(img))}`;
  if (mask.child && host.childrenOf(img).length > 0) return new Conflict(true, false, `${pre} (cannot be forced) - image has dependent child images`);
  if (mask.running) {
    const c = host.containersOf(img).find((x) => x.running);
    if (c) return new Conflict(true, true, `${pre} (cannot be forced) - image is being used by running container ${shortId(c.id)}`);
  }
  if (mask.reference && host.refsOf(img).length > 0) return new Conflict(false, false, `${pre} (must be forced) - image is referenced in multiple repositories`);
  if (mask.stopped) {
    const c = host.containersOf(img).find((x) => !x.running);
    if (c) return new Conflict(false, true, `${pre} (must be forced) - image is being used by stopped container ${shortId(c.id)}`);
  }
  return undefined;
}

function isSingleReference(refs: readonly ImageReference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: ImageReference | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (isCanonical(r)) canonical.add(refName(r));
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0];
  return canonical.size === 1 && canonical.has(refName(single));
}

/**
 * What a deletion leaves: the records docker prints, and the bytes of the layers it deleted. A
 * planner needs only the bytes: without `records` no line (and no chainID, a sha256 each) is made.
 */
interface Tally {
  records: RemovalRecord[] | undefined;
  freed: number;
}

function deleteHelper(host: HostState, img: number, out: Tally, force: boolean, prune: boolean, quiet: boolean): void {
  const conflict = checkConflict(host, img, { child: true, running: true, reference: !force, stopped: !force });
  if (conflict) {
    const dangling = host.refCount(img) === 0 && host.childrenOf(img).length === 0;
    if (quiet && (!dangling || conflict.used)) return;
    throw conflict;
  }
  const records = out.records;
  if (records) for (const r of host.refsOf(img)) records.push({ untagged: familiarString(r) });
  if (host.refCount(img) > 0) host.setRefs(img, []);
  host.deleteImage(img);
  records?.push({ deleted: host.universe.imageIdOf(img), bytes: 0 });
  const size = host.universe.chainSize;
  for (const c of host.release(host.topOf(img))) {
    out.freed += size[c];
    records?.push(layerRecord(host, c));
  }
  const parent = host.parentOf(img);
  if (prune && parent !== undefined && host.hasImage(parent)) deleteHelper(host, parent, out, false, true, true);
}

/** How `docker rmi` is asked; `countOnly`: no records, only the bytes and the outcome (a planner's trial). */
export interface RmiOptions {
  force?: boolean;
  noPrune?: boolean;
  countOnly?: boolean;
}

/** What-if of `docker rmi [-f] [--no-prune] REF` on `host` (moby daemon/images/image_delete.go); changes the host as the daemon would. */
export function rmiImage(host: HostState, refOrId: string, opts: RmiOptions = {}): RemovalResult {
  const force = opts.force ?? false;
  const prune = !(opts.noPrune ?? false);
  const out: Tally = { records: opts.countOnly ? undefined : [], freed: 0 };
  const records = out.records;
  const dfBefore = host.layersSize();
  const done = (extra: Partial<RemovalResult> = {}): RemovalResult => ({
    ref: refOrId,
    records: records ?? [],
    freedBytes: out.freed,
    dfSizeChange: dfBefore - host.layersSize(),
    ...extra,
  });
  let wanted: ImageReference;
  try {
    wanted = parseArg(refOrId);
  } catch (e) {
    return done({ error: (e as Error).message, invalidReference: true });
  }
  const img = resolveImage(host, refOrId);
  // The daemon's ErrImageDoesNotExist names the parsed reference with its default tag
  // (`dang:latest`, `abc123:latest`, `sha256:<hex>`); CLIs before 23.0 print the argument as typed.
  if (img === undefined) return done({ error: `No such image: ${familiarString(withDefaultTag(wanted))}`, notFound: true });
  const id = host.universe.imageIdOf(img);
  try {
    let removedRepositoryRef = false;
    const idPrefix = id.startsWith(refOrId) || id.slice(7).startsWith(refOrId);
    if (!idPrefix) {
      if (!force && isSingleReference(host.refsOf(img))) {
        const c = host.containersOf(img)[0];
        if (c) {
          return done({
            error: `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(c.id)} is using its referenced image ${shortId(id)}`,
            conflict: 'soft',
          });
        }
      }
      // A name that is no ID prefix resolved as a reference: `wanted` is named.
      const parsed = withDefaultTag(wanted.kind === 'named' ? wanted : parseNormalizedNamed(refOrId));
      const stored = favorDigest(parsed);
      host.setRefs(img, host.refsOf(img).filter((r) => !sameRef(r, stored)));
      records?.push({ untagged: familiarString(parsed) });
      // moby checks `parsedRef.(reference.Canonical)`: a tag+digest argument is canonical too.
      if (parsed.digest === undefined && !host.refsOf(img).some((r) => !isCanonical(r) && refName(r) === refName(parsed))) {
        const keep: ImageReference[] = [];
        for (const r of host.refsOf(img)) {
          if (isCanonical(r) && refName(r) === refName(parsed)) records?.push({ untagged: familiarString(r) });
          else keep.push(r);
        }
        host.setRefs(img, keep);
      }
      if (host.refCount(img) > 0) return done();
      removedRepositoryRef = true;
    } else if (isSingleReference(host.refsOf(img))) {
      const conflict = checkConflict(host, img, { child: true, running: true, reference: false, stopped: !force });
      if (conflict) throw conflict;
      if (records) for (const r of host.refsOf(img)) records.push({ untagged: familiarString(r) });
      host.setRefs(img, []);
    }
    deleteHelper(host, img, out, force, prune, removedRepositoryRef);
    return done();
  } catch (e) {
    if (e instanceof Conflict) return done({ error: e.message, conflict: e.hard ? 'hard' : 'soft', records: [] as RemovalRecord[], freedBytes: 0, dfSizeChange: 0 });
    throw e;
  }
}

/** Removes every container using the image REF names (as docker rm -f); returns their IDs. */
export function removeContainersOf(host: HostState, refOrId: string): string[] {
  const img = resolveImage(host, refOrId);
  if (img === undefined) return [];
  const ids = host.containersOf(img).map((c) => c.id);
  for (const id of ids) host.removeContainer(id);
  return ids;
}

/**
 * `docker image prune [-a]`: dangling images (no tag, no children), or with `all` every image
 * not used by a container, deleted quietly one by one; the total is what the daemon prints as
 * "Total reclaimed space" (the deleted layers' sizes).
 */
export function pruneImages(host: HostState, all = false, countOnly = false): { records: RemovalRecord[]; reclaimedBytes: number; failed: string[] } {
  const records: RemovalRecord[] = [];
  const failed: string[] = [];
  let reclaimedBytes = 0;
  const opts = { countOnly };
  const candidates = host.images().filter((img) => {
    const children = host.childrenOf(img).length;
    if (!all && children > 0) return false;
    return !(host.refCount(img) === 0 && children > 0);
  });
  if (candidates.length > 8) host.indexReferences();
  for (const img of candidates) {
    if (!host.hasImage(img)) continue; // pruned as a parent already
    if (host.refCount(img) > 0) {
      const shouldDelete = all || !host.hasTag(img);
      if (!shouldDelete) continue;
      for (const r of host.familiarRefs(img)) {
        const res = rmiImage(host, r, opts);
        // A digest reference the untagging of its repository's last tag already dropped is
        // not found: the daemon logs it and goes on (moby imageDeleteFailed); not a refusal.
        if (res.error && !res.notFound) failed.push(res.error);
        for (const rec of res.records) records.push(rec);
        reclaimedBytes += res.freedBytes;
      }
    } else {
      const res = rmiImage(host, host.universe.imageIdOf(img).slice(7), opts);
      if (res.error) failed.push(res.error);
      for (const rec of res.records) records.push(rec);
      reclaimedBytes += res.freedBytes;
    }
  }
  return { records, reclaimedBytes, failed };
}

/** One universe per graph (graphs are immutable): every host of a graph shares it, and its memoised chainIDs. */
const universeOfGraph = memoPerGraph((graph) => Universe.ofGraph(graph));

/**
 * A host's removal state from a graph alone (over the graph's universe): what rm, prune, plan and
 * bindings read. `hash`, when given, makes the chainIDs that name deleted layers (see
 * Universe.useChainHasher).
 */
export function removalHost(graph: ImageGraph, hash?: (input: string) => Digest): HostState {
  const u = universeOfGraph(graph);
  if (hash) u.useChainHasher(hash);
  return HostState.fromGraph(u, graph);
}

/**
 * Bytes that removing each image alone, now, would free (the column `docker system df -v` lacks):
 * the sizes of the chain layers that only this image holds, when no container uses it. One pass
 * over the layer references.
 */
export function reclaimablePerImage(graph: ImageGraph): Float64Array {
  const { size } = effectiveSizes(graph);
  const n = graph.chain.count;
  // holders[node] = images whose chain passes through node + containers' image chains.
  const holders = new Uint32Array(n);
  const { stackStart, stackNode } = graph;
  for (let i = 0; i < graph.imageCount; i++) for (let p = stackStart[i]; p < stackStart[i + 1]; p++) holders[stackNode[p]]++;
  for (const img of graph.containerImage) for (let p = stackStart[img]; p < stackStart[img + 1]; p++) holders[stackNode[p]]++;
  const out = new Float64Array(graph.imageCount);
  for (let i = 0; i < graph.imageCount; i++) {
    if (graph.imageContainerCount[i] > 0 || graph.imageChildCount[i] > 0) continue;
    let freed = 0;
    // Top down while only this image holds the layer: what the daemon's release walk deletes.
    for (let p = stackStart[i + 1] - 1; p >= stackStart[i]; p--) {
      const node = stackNode[p];
      if (holders[node] !== 1) break;
      freed += size[graph.chain.nodeLayer[node]];
    }
    out[i] = freed;
  }
  return out;
}
