// A host's reference store (moby's reference store: tag and digest references -> image), split
// from HostState: the references an image has, sorted by full name as the daemon keeps them, and
// which image a reference names. Over a graph the host was made from, references are read from
// the graph when asked (parsed then, not all up front); only images changed since keep their own.
import type { ImageGraph } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, referenceString, type ImageReference } from '../model/reference.js';

/** Where a change records how to take it back (HostState's undo journal). */
export interface Journal {
  readonly journaling: boolean;
  record(undo: () => void): void;
}

const refKey = (r: ImageReference) => `${r.domain}/${r.path}:${r.tag ?? ''}@${r.digest ?? ''}`;
/**
 * The base graph's references by familiar string (a later image wins, as when they were set in
 * order): one per graph, shared by its hosts (plan --prune runs two), built on first use.
 */
const baseIndexes = new WeakMap<ImageGraph, Map<string, number>>();
/** References in the daemon's order (moby reference store: sorted by full name). */
export const byReferenceString = (refs: ImageReference[]) =>
  refs
    .map((r) => ({ r, s: referenceString(r) }))
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0))
    .map(({ r }) => r);
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/**
 * A tag or digest reference already in its familiar form (`familiarString(parseNormalizedNamed(s))
 * === s`): no registry domain, no `library/` to strip, lower case. What the loaders store; anything
 * else is parsed.
 */
const FAMILIAR = new RegExp(`^(?=[^@]*[:@])(?!library/[^/]*$)(?!library/[^/]*[:@])(?![^/]*\\.[^/]*/)(?!localhost/)${COMPONENT}(?:/${COMPONENT})*(?::\\w[\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`);
/** The familiar string of a stored reference (exported for tests). */
export const familiarKey = (s: string) => (s.length <= 200 && FAMILIAR.test(s) ? s : familiarString(parseNormalizedNamed(s)));

/** The references of one host's images. */
export class ReferenceStore {
  /** References per image; with a {@link base}, only of the images changed since (the rest are read from it). */
  private refs = new Map<number, ImageReference[]>();
  /**
   * Familiar reference -> image; with a {@link base}, only where the base would answer otherwise
   * (-1: no longer in the store). The base answers with the image its index names unless that
   * image's references changed, so a reference dropped from a changed image needs no entry: a
   * prune -a of a million images leaves this empty. Keyed by the familiar string (one per
   * normalised reference, as the base index is), so a lookup makes one string for both indexes.
   */
  private refIndex = new Map<string, number>();
  /** The graph the host was made from, whose images' references are parsed when asked. */
  private base: ImageGraph | undefined;
  /** Base images whose references changed (they have their own in {@link refs}). */
  private changed = new Uint8Array(0);
  private baseIndex: Map<string, number> | undefined;
  private baseLookups = 0;
  /** The last base image parsed: rmi reads one image's references several times in a row. */
  private parsedImage = -1;
  private parsed: readonly ImageReference[] = [];

  constructor(private readonly journal: Journal) {}

  /** Reads the references of `graph`'s images (ids are the graph's) from it from now on. */
  adopt(graph: ImageGraph): void {
    this.base = graph;
    this.changed = new Uint8Array(graph.imageCount);
  }

  private fromBase(image: number): boolean {
    return image < this.changed.length && this.changed[image] === 0;
  }

  /** The image's references, sorted by full name (never changed in place: shared with callers). */
  of(image: number): readonly ImageReference[] {
    if (!this.fromBase(image)) return this.refs.get(image) ?? [];
    if (this.parsedImage !== image) {
      const g = this.base!;
      this.parsed = byReferenceString([...g.tagsOf(image), ...g.digestsOf(image)].map((r) => parseNormalizedNamed(r)));
      this.parsedImage = image;
    }
    return this.parsed;
  }

  /** The image's references in familiar form, in the store's order (a single familiar one is not parsed). */
  familiar(image: number): string[] {
    const g = this.base;
    if (this.fromBase(image) && this.count(image) === 1) return [familiarKey([...g!.tagsOf(image), ...g!.digestsOf(image)][0])];
    return this.of(image).map((r) => familiarString(r));
  }

  /** How many references the image has (without parsing them). */
  count(image: number): number {
    if (!this.fromBase(image)) return this.refs.get(image)?.length ?? 0;
    return this.base!.tagsOf(image).length + this.base!.digestsOf(image).length;
  }

  /** Some reference of the image has a tag (what keeps it from `docker image prune`), without parsing familiar ones. */
  hasTag(image: number): boolean {
    if (!this.fromBase(image)) return (this.refs.get(image) ?? []).some((r) => r.tag !== undefined);
    const tagged = (s: string) => (s.length <= 200 && FAMILIAR.test(s) ? s.split('@')[0].includes(':') : parseNormalizedNamed(s).tag !== undefined);
    return this.base!.tagsOf(image).some(tagged) || this.base!.digestsOf(image).some(tagged);
  }

  /** The image a reference (name, tag, digest: normalised) points to. */
  imageBy(ref: ImageReference): number | undefined {
    const f = familiarString(ref);
    const own = this.refIndex.get(f);
    if (own !== undefined) return own < 0 ? undefined : own;
    return this.base ? this.baseAnswer(f) : undefined;
  }

  /** What the base says of a familiar reference: its image, unless that image's references changed since. */
  private baseAnswer(f: string): number | undefined {
    const i = this.baseLookup(f);
    return i === undefined || this.changed[i] ? undefined : i;
  }

  /**
   * The base graph's image with this familiar reference. The first few lookups (rm or bindings of
   * one image) scan the references from the last image, which finds what the index would hold;
   * after that the index is built.
   */
  private baseLookup(f: string): number | undefined {
    if (this.baseIndex || baseIndexes.has(this.base!) || ++this.baseLookups > 8) return this.index().get(f);
    const c = this.base!.imageColumns;
    // A stored reference names f only if it ends as f does: parsing keeps the last path component, tag and digest.
    const tail = f.slice(f.lastIndexOf('/') + 1);
    const names = (list: readonly string[], from: number, to: number) => {
      for (let k = from; k < to; k++) if (list[k].endsWith(tail) && familiarKey(list[k]) === f) return true;
      return false;
    };
    for (let i = c.count - 1; i >= 0; i--) {
      if (names(c.tags, c.tagStart[i], c.tagStart[i + 1]) || names(c.repoDigests, c.digestStart[i], c.digestStart[i + 1])) return i;
    }
    return undefined;
  }

  /** Builds the base index now: the caller is about to look up references of many images (prune -a, plan). */
  indexAll(): void {
    if (this.base) this.index();
  }

  /** The references of the base graph by familiar string (a later image wins, as when they were set in order). */
  private index(): Map<string, number> {
    if (this.baseIndex) return this.baseIndex;
    const g = this.base!;
    let index = baseIndexes.get(g);
    if (!index) {
      index = new Map<string, number>();
      for (let i = 0; i < g.imageCount; i++) {
        for (const t of g.tagsOf(i)) index.set(familiarKey(t), i);
        for (const d of g.digestsOf(i)) index.set(familiarKey(d), i);
      }
      baseIndexes.set(g, index);
    }
    return (this.baseIndex = index);
  }

  /** No reference is on two base images (the base index has one key per stored reference). */
  private baseUnique(): boolean {
    if (this.unique === undefined) {
      const g = this.base!;
      const c = g.imageColumns;
      this.unique = this.index().size === c.tagStart[c.count] + c.digestStart[c.count];
    }
    return this.unique;
  }
  private unique: boolean | undefined;

  /** Replaces an image's references (kept sorted by the caller). */
  set(image: number, refs: ImageReference[]): void {
    const old = this.of(image);
    const hadOwn = this.refs.has(image);
    const index = this.refIndex;
    const keys = [...old.map(familiarString), ...refs.map(familiarString)];
    const journaling = this.journal.journaling;
    const before = journaling ? keys.map((k) => index.get(k)) : [];
    const wasChanged = this.changed[image];
    if (image < this.changed.length) this.changed[image] = 1;
    // Over a base graph a key dropped must stay dropped, not fall back to an image the base still
    // names. A base image's own references, when no two base images share one, name only it
    // (known once the base index is built: one rm does not build it).
    const ownBase = this.baseIndex !== undefined && wasChanged === 0 && image < this.changed.length && this.baseUnique();
    for (let k = 0; k < old.length; k++) {
      if (this.base && !ownBase && this.baseAnswer(keys[k]) !== undefined) index.set(keys[k], -1);
      else index.delete(keys[k]);
    }
    for (let k = old.length; k < keys.length; k++) index.set(keys[k], image);
    this.refs.set(image, refs);
    if (!journaling) return;
    this.journal.record(() => {
      for (let k = keys.length - 1; k >= 0; k--) {
        if (before[k] === undefined) index.delete(keys[k]);
        else index.set(keys[k], before[k]!);
      }
      if (hadOwn) this.refs.set(image, old as ImageReference[]);
      else this.refs.delete(image);
      if (image < this.changed.length) this.changed[image] = wasChanged;
    });
  }

  /** Moves a reference to `image` (a tag or digest pulled onto it), sorted as the reference store. */
  add(image: number, ref: ImageReference): void {
    const owner = this.imageBy(ref);
    if (owner === image) return;
    if (owner !== undefined) this.set(owner, this.of(owner).filter((r) => refKey(r) !== refKey(ref)));
    this.set(image, byReferenceString([...this.of(image), ref]));
  }
}
