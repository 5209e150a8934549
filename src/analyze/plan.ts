import type { HostState } from './host-state.js';
import { shortId } from '../model/digest.js';
import type { ImageGraph } from '../model/graph.js';
import { removalHost, resolveImage } from './removal.js';

/** What a plan should achieve. */
export type PlanGoal = { kind: 'remove'; images: string[] } | { kind: 'free'; bytes: number } | { kind: 'prune'; all: boolean };

/** What a plan may not touch, and whether it may remove containers. */
export interface PlanOptions {
  /** Images never to remove (references or IDs). */
  keep?: readonly string[];
  /** Allow `docker rm -f` of containers that use images the plan removes. */
  withContainers?: boolean;
}

/** One command of a plan and what it frees. */
export interface PlanStep {
  command: string;
  /** Image the step is for. */
  image: string;
  freedBytes: number;
  cumulativeBytes: number;
  dfSizeChange: number;
}

/** An ordered, conflict-free list of docker commands, the bytes each frees, and whether the goal is met. */
export interface Plan {
  goal: PlanGoal;
  steps: PlanStep[];
  freedBytes: number;
  /** Images the goal names that cannot go, and why. */
  blocked: { image: string; reason: string }[];
  /** How the images were chosen, and whether the choice is known to be optimal. */
  method: string;
  optimal: boolean | null;
  reachedGoal: boolean;
}

const COUNT_ONLY = { countOnly: true } as const;
const idOf = (host: HostState, img: number) => host.universe.imageIdOf(img);
/** How a step or a refusal names an image: its first reference, else its short ID. */
const labelOf = (host: HostState, img: number) => host.familiarRefs(img)[0] ?? shortId(idOf(host, img));

/**
 * The docker commands that remove one image from `host` (mutated), or why they cannot (the host
 * unchanged). Each removal runs once on the host and is taken back if docker would refuse it.
 */
function removeOne(host: HostState, img: number, opts: PlanOptions, keep: Set<number>): { commands: string[]; freed: number; df: number } | { reason: string } {
  if (!host.hasImage(img)) return { reason: 'already gone' };
  if (keep.has(img)) return { reason: 'kept (--keep)' };
  if (host.childrenOf(img).length) return { reason: `image has dependent child images (${taggedDescendants(host, img).join(', ')})` };
  const containers = host.containersOf(img).map((c) => ({ id: c.id, name: c.name, running: c.running }));
  const commands: string[] = [];
  if (containers.length) {
    if (!opts.withContainers) {
      const c = containers[0];
      return { reason: `used by ${c.running ? 'running' : 'stopped'} container ${c.name ?? shortId(c.id)}${containers.length > 1 ? ` and ${containers.length - 1} more` : ''} (allow with --with-containers)` };
    }
    commands.push(`docker rm -f ${containers.map((c) => c.name ?? shortId(c.id)).join(' ')}`);
  }
  const id = idOf(host, img);
  const done = host.attempt(
    (): { reason: string } | { args: string[]; freed: number; df: number } => {
      for (const c of containers) host.removeContainer(c.id);
      const args: string[] = [];
      let freed = 0;
      let df = 0;
      // Each argument is chosen on the host the previous ones left: untagging the last tag of a
      // repository also drops its digest references (moby ImageDelete), which then no longer exist.
      for (let left = host.familiarRefs(img); host.hasImage(img); left = host.familiarRefs(img)) {
        const a = left.find((r) => !r.includes('@')) ?? left[0] ?? shortId(id);
        const r = host.rmi(a, COUNT_ONLY);
        if (r.error) return { reason: r.error };
        args.push(a);
        freed += r.freedBytes;
        df += r.dfSizeChange;
        if (left.length === 0) break; // by ID: whatever it could do is done
      }
      // The untagged-parent pruning Docker does may take a kept image's parent: never allowed.
      for (const k of keep) if (!host.hasImage(k)) return { reason: `would also remove kept image ${shortId(idOf(host, k))}` };
      return { args, freed, df };
    },
    (r) => !('reason' in r),
  );
  if ('reason' in done) return done;
  commands.push(`docker rmi ${done.args.join(' ')}`);
  return { commands, freed: done.freed, df: done.df };
}

/** The nearest tagged descendants of an image (untagged build parents looked through), for messages. */
function taggedDescendants(host: HostState, img: number): string[] {
  const out: string[] = [];
  const walk = (x: number) => {
    for (const c of host.childrenOf(x)) {
      const refs = host.familiarRefs(c);
      if (refs.length) out.push(refs[0]);
      else if (host.childrenOf(c).length) walk(c);
      else out.push(shortId(idOf(host, c)));
    }
  };
  walk(img);
  return out.sort();
}

function resolveAll(host: HostState, refs: readonly string[]): { images: number[]; unknown: string[] } {
  const images: number[] = [];
  const unknown: string[] = [];
  for (const r of refs) {
    const i = resolveImage(host, r);
    if (i !== undefined) images.push(i);
    else unknown.push(r);
  }
  return { images, unknown };
}

/**
 * Removes `targets` from `host` (mutated) children first, each step checked by simulation.
 * Returns the steps taken and the targets that could not go.
 */
function removeInOrder(host: HostState, targets: readonly number[], opts: PlanOptions, keep: Set<number>): { steps: PlanStep[]; freed: number; left: number[] } {
  const steps: PlanStep[] = [];
  let total = 0;
  let pending = [...new Set(targets)];
  // Rounds over what is still pending, in order; each round's leftovers are the next round's list
  // (filtering the list once per removed image made a prune -a of n images O(n²)).
  for (let progress = true; pending.length && progress; ) {
    progress = false;
    const next: number[] = [];
    for (const img of pending) {
      if (!host.hasImage(img)) {
        progress = true; // already pruned as an untagged parent
        continue;
      }
      if (host.childrenOf(img).length) {
        next.push(img);
        continue;
      }
      const label = labelOf(host, img);
      const r = removeOne(host, img, opts, keep);
      if ('reason' in r) {
        next.push(img);
        continue;
      }
      r.commands.forEach((command, k) => {
        const last = k === r.commands.length - 1;
        if (last) total += r.freed;
        steps.push({ command, image: label, freedBytes: last ? r.freed : 0, cumulativeBytes: total, dfSizeChange: last ? r.df : 0 });
      });
      progress = true;
    }
    pending = next;
  }
  return { steps, freed: total, left: pending };
}

function blockedReasons(host: HostState, images: number[], opts: PlanOptions, keep: Set<number>): { image: string; reason: string }[] {
  return images.map((img) => {
    const r = host.trial(() => removeOne(host, img, opts, keep));
    return { image: host.hasImage(img) ? labelOf(host, img) : shortId(idOf(host, img)), reason: 'reason' in r ? r.reason : 'its child images cannot go' };
  });
}

/**
 * An ordered list of docker commands reaching the goal in which no step conflicts: containers
 * (only when allowed) before their images, children before parents, each step checked by
 * simulating it; freed bytes count a shared layer only when its last user goes.
 * `host`: the removal model of `graph`, untouched (a caller that resolved names on it already).
 */
export function removalPlan(graph: ImageGraph, goal: PlanGoal, opts: PlanOptions = {}, host = removalHost(graph)): Plan {
  if (goal.kind !== 'remove') host.indexReferences(); // every image's references are looked up
  const keepIds = resolveAll(host, opts.keep ?? []);
  const keep = new Set(keepIds.images);
  const blocked: { image: string; reason: string }[] = keepIds.unknown.map((r) => ({ image: r, reason: 'no such image (in --keep)' }));

  if (goal.kind === 'remove' || goal.kind === 'prune') {
    let targets: number[];
    if (goal.kind === 'remove') {
      const { images, unknown } = resolveAll(host, goal.images);
      for (const u of unknown) blocked.push({ image: u, reason: 'no such image' });
      targets = images;
    } else {
      // What the prune deletes, found on a second host of the same graph (no undo journal of a
      // million changes), counting bytes only.
      const pruned = removalHost(graph);
      pruned.prune(goal.all, true);
      targets = host.images().filter((img) => !pruned.hasImage(img));
    }
    const r = removeInOrder(host, targets, opts, keep);
    blocked.push(...blockedReasons(host, r.left, opts, keep));
    const method = goal.kind === 'prune' ? `the images docker image prune${goal.all ? ' -a' : ''} would delete, in a conflict-free order` : 'the images named, children before parents';
    return { goal, steps: r.steps, freedBytes: r.freed, blocked, method, optimal: null, reachedGoal: blocked.length === 0 };
  }

  // Free at least N bytes removing as few images as possible; 0 bytes needs no removal.
  if (goal.bytes === 0) return { goal, steps: [], freedBytes: 0, blocked, method: 'nothing to free: the goal is 0 bytes', optimal: true, reachedGoal: blocked.length === 0 };
  const universe = host.images().filter((img) => !keep.has(img) && (opts.withContainers || host.containersOf(img).length === 0));
  if (universe.length <= 12) {
    // Exact: every set of images by increasing size; the first size that reaches the goal, most bytes.
    for (let k = 1; k <= universe.length; k++) {
      let best: { steps: PlanStep[]; freed: number } | undefined;
      for (const set of subsets(universe, k)) {
        const r = host.trial(() => removeInOrder(host, set, opts, keep));
        if (r.left.length === 0 && r.freed >= goal.bytes && (!best || r.freed > best.freed)) best = r;
      }
      if (best) {
        return { goal, steps: best.steps, freedBytes: best.freed, blocked, method: `exhaustive search over the ${imagesThatMayGo(universe.length)}: the fewest images, then the most bytes`, optimal: true, reachedGoal: true };
      }
    }
  }
  const { steps, freed: total } = greedyFree(graph, host, universe, goal.bytes, opts, keep);
  const small = universe.length <= 12;
  return {
    goal,
    steps,
    freedBytes: total,
    blocked,
    method: small
      ? `exhaustive search over the ${imagesThatMayGo(universe.length)}: no set frees that much; this greedy plan frees what can be freed`
      : `greedy over ${imagesThatMayGo(universe.length)}: each step removes the image that frees the most at that point (a layer shared with remaining images counts only when its last user goes); not guaranteed to use the fewest images`,
    optimal: small ? false : null,
    reachedGoal: total >= goal.bytes,
  };
}

/** `1 image that may go`, `13 images that may go`: the method strings agree in number. */
function imagesThatMayGo(n: number): string {
  return `${n} ${n === 1 ? 'image' : 'images'} that may go`;
}

/** The images holding each chain node (CSR over the graph's stacks), in image order. */
function holdersByNode(graph: ImageGraph): { start: Uint32Array; image: Uint32Array } {
  const { stackStart, stackNode } = graph;
  const nodes = graph.chain.count;
  const start = new Uint32Array(nodes + 1);
  const refs = stackStart[graph.imageCount];
  for (let p = 0; p < refs; p++) start[stackNode[p] + 1]++;
  for (let n = 0; n < nodes; n++) start[n + 1] += start[n];
  const at = start.slice(0, nodes);
  const image = new Uint32Array(refs);
  for (let i = 0; i < graph.imageCount; i++) for (let p = stackStart[i]; p < stackStart[i + 1]; p++) image[at[stackNode[p]]++] = i;
  return { start, image };
}

/**
 * Greedy "free N bytes" over image indexes (`universe`: the images that may go): each step removes
 * the image that frees the most at that point (ties: the smaller ID). What an image frees depends
 * on the reference counts along its layer chain and on its untagged ancestors, so after a step only
 * the images those changed are tried again: holders of a layer now held by no more holders than one
 * step can take away, the parents of the removed images, and the images whose removal would prune
 * one of those as an untagged parent. `incremental: false` tries every candidate at every step (the
 * reference the incremental one is tested against).
 */
export function greedyFree(graph: ImageGraph, host: HostState, universe: readonly number[], bytes: number, opts: PlanOptions, keep: Set<number>, incremental = true): { steps: PlanStep[]; freed: number } {
  const gainOf = (img: number): number | undefined => {
    if (!host.hasImage(img) || host.childrenOf(img).length) return undefined;
    const r = host.trial(() => removeOne(host, img, opts, keep));
    return 'reason' in r ? undefined : r.freed;
  };
  // The gain of each image still in play (NaN: none; absent: out of play)
  const gain = new Map<number, number>();
  const best = new GainHeap((a, b) => idOf(host, a) < idOf(host, b));
  const setGain = (img: number, g: number | undefined) => {
    gain.set(img, g ?? NaN);
    if (g !== undefined && g > 0) best.push(g, img);
  };
  for (const img of universe) setGain(img, gainOf(img));
  let holders: { start: Uint32Array; image: Uint32Array } | undefined;
  // The images whose removal may prune `img`: docker prunes a parent only while it is untagged, so
  // the children of an untagged image, and theirs through untagged ones.
  const pruners = (img: number, into: Set<number>) => {
    if (!host.hasImage(img) || host.refCount(img)) return;
    for (const c of host.childrenOf(img)) {
      if (into.has(c)) continue;
      into.add(c);
      pruners(c, into);
    }
  };
  // The most holders of one layer a single step can take away: the image, its containers (when
  // they may go) and the untagged ancestors docker prunes with it (which also share layers with it).
  const groupHolds = (img: number): number => {
    let n = 1 + (opts.withContainers && host.hasImage(img) ? host.containersOf(img).length : 0);
    for (let p = host.hasImage(img) ? host.parentOf(img) : undefined; p !== undefined; p = host.parentOf(p)) {
      if (!host.hasImage(p) || host.refCount(p)) break;
      n++;
    }
    return n;
  };
  const sole = universe.reduce((m, img) => Math.max(m, groupHolds(img)), 1);
  const steps: PlanStep[] = [];
  let total = 0;
  while (total < bytes) {
    // the largest gain, ties to the smaller ID; heap entries whose gain has changed since are stale
    let pick: number | undefined;
    while (best.size && pick === undefined) {
      const top = best.pop();
      if (gain.get(top.img) === top.gain) pick = top.img;
    }
    if (pick === undefined) break;
    // What the step may change: the layers of the pick and of the ancestors that may go with it
    // (usually a prefix of the pick's), and the parents of whatever goes.
    const lineage: number[] = [];
    for (let a: number | undefined = pick; a !== undefined && host.hasImage(a); a = host.parentOf(a)) lineage.push(a);
    const path = new Map<number, number>();
    for (const a of lineage) for (const node of host.stackChains(a)) path.set(node, host.holders(node));
    const r = removeInOrder(host, [pick], opts, keep);
    for (const st of r.steps) steps.push({ ...st, cumulativeBytes: total + st.cumulativeBytes });
    total += r.freed;
    if (!incremental) {
      for (const img of [...gain.keys()]) setGain(img, gainOf(img));
      continue;
    }
    const affected = new Set<number>();
    // What an image frees depends on the holder counts along its layers: only the layers where
    // the step's release walks stopped changed and survive, and they matter to an image only when
    // its removal group can be all that holds them.
    for (const [node, before] of path) {
      const n = host.holders(node);
      if (n > 0 && n !== before && n <= sole) {
        holders ??= holdersByNode(graph);
        for (let q = holders.start[node]; q < holders.start[node + 1]; q++) {
          const img = holders.image[q];
          if (!host.hasImage(img)) continue;
          affected.add(img);
          pruners(img, affected);
        }
      }
    }
    lineage.forEach((a, k) => {
      if (host.hasImage(a)) return; // still there: the step stopped below it
      gain.delete(a);
      const parent = lineage[k + 1];
      if (parent !== undefined && host.hasImage(parent)) {
        affected.add(parent); // one child fewer: it may now go itself
        pruners(parent, affected);
      }
    });
    for (const img of affected) if (gain.has(img)) setGain(img, gainOf(img));
  }
  return { steps, freed: total };
}

/** A binary max-heap of (gain, image): larger gain first, then the image `before` puts first. */
class GainHeap {
  private gains: number[] = [];
  private imgs: number[] = [];
  constructor(private readonly before: (a: number, b: number) => boolean) {}
  get size(): number {
    return this.gains.length;
  }
  private above(a: number, b: number): boolean {
    return this.gains[a] > this.gains[b] || (this.gains[a] === this.gains[b] && this.before(this.imgs[a], this.imgs[b]));
  }
  private swap(a: number, b: number): void {
    [this.gains[a], this.gains[b]] = [this.gains[b], this.gains[a]];
    [this.imgs[a], this.imgs[b]] = [this.imgs[b], this.imgs[a]];
  }
  push(gain: number, img: number): void {
    this.gains.push(gain);
    this.imgs.push(img);
    for (let i = this.gains.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!this.above(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  pop(): { gain: number; img: number } {
    const top = { gain: this.gains[0], img: this.imgs[0] };
    const last = this.gains.length - 1;
    this.swap(0, last);
    this.gains.pop();
    this.imgs.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.gains.length && this.above(l, m)) m = l;
      if (r < this.gains.length && this.above(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

function* subsets<T>(items: T[], k: number, from = 0, acc: T[] = []): Generator<T[]> {
  if (acc.length === k) {
    yield [...acc];
    return;
  }
  for (let i = from; i <= items.length - (k - acc.length); i++) {
    acc.push(items[i]);
    yield* subsets(items, k, i + 1, acc);
    acc.pop();
  }
}
