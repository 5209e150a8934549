// The removal planner as it was before it worked over image indexes (session 6): string image IDs,
// a trial then a replay of every removal, records with chainIDs. The oracle the planner is tested
// against (test/plan-oracle.test.ts); not used by the CLI.
import type { HostState } from '../../src/analyze/host-state.js';
import { shortId } from '../../src/model/digest.js';
import type { ImageGraph } from '../../src/model/graph.js';
import { removalHost } from '../../src/analyze/removal.js';

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

const refsOf = (host: HostState, id: string) => host.bindings(id)?.refs ?? [];

/** The docker commands that remove one image from `host` (mutated), or why they cannot. */
function removeOne(host: HostState, id: string, opts: PlanOptions, keep: Set<string>): { commands: string[]; freed: number; df: number } | { reason: string } {
  const b = host.bindings(id);
  if (!b) return { reason: 'already gone' };
  if (keep.has(id)) return { reason: 'kept (--keep)' };
  if (b.children.length) return { reason: `image has dependent child images (${taggedDescendants(host, id).join(', ')})` };
  const commands: string[] = [];
  if (b.containers.length) {
    if (!opts.withContainers) {
      const c = b.containers[0];
      return { reason: `used by ${c.running ? 'running' : 'stopped'} container ${c.name ?? shortId(c.id)}${b.containers.length > 1 ? ` and ${b.containers.length - 1} more` : ''} (allow with --with-containers)` };
    }
    commands.push(`docker rm -f ${b.containers.map((c) => c.name ?? shortId(c.id)).join(' ')}`);
  }
  // Try it first (the host takes the try back), so a plan never holds a refused step.
  const tried = host.trial((): { reason: string } | { args: string[]; freed: number; df: number } => {
    for (const c of b.containers) host.removeContainer(c.id);
    const args: string[] = [];
    let freed = 0;
    let df = 0;
    // Each argument is chosen on the host the previous ones left: untagging the last tag of a
    // repository also drops its digest references (moby ImageDelete), which then no longer exist.
    for (let left = b.refs; host.bindings(id); left = host.bindings(id)?.refs ?? []) {
      const a = left.find((r) => !r.includes('@')) ?? left[0] ?? shortId(id);
      const r = host.rmi(a);
      if (r.error) return { reason: r.error };
      args.push(a);
      freed += r.freedBytes;
      df += r.dfSizeChange;
      if (left.length === 0) break; // by ID: whatever it could do is done
    }
    // The untagged-parent pruning Docker does may take a kept image's parent: never allowed.
    for (const k of keep) if (!host.bindings(k)) return { reason: `would also remove kept image ${shortId(k)}` };
    return { args, freed, df };
  });
  if ('reason' in tried) return tried;
  const { args, freed, df } = tried;
  for (const c of b.containers) host.removeContainer(c.id);
  for (const a of args) host.rmi(a);
  commands.push(`docker rmi ${args.join(' ')}`);
  return { commands, freed, df };
}

/** The nearest tagged descendants of an image (untagged build parents looked through), for messages. */
function taggedDescendants(host: HostState, id: string): string[] {
  const out: string[] = [];
  const walk = (x: string) => {
    for (const c of host.bindings(x)?.children ?? []) {
      const refs = host.bindings(c)!.refs;
      if (refs.length) out.push(refs[0]);
      else if (host.bindings(c)!.children.length) walk(c);
      else out.push(shortId(c));
    }
  };
  walk(id);
  return out.sort();
}

function resolveAll(host: HostState, refs: readonly string[]): { ids: string[]; unknown: string[] } {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const r of refs) {
    const id = host.idOf(r);
    if (id) ids.push(id);
    else unknown.push(r);
  }
  return { ids, unknown };
}

/**
 * Removes `targets` from `host` (mutated) children first, each step checked by simulation.
 * Returns the steps taken and the targets that could not go.
 */
function removeInOrder(host: HostState, targets: string[], opts: PlanOptions, keep: Set<string>): { steps: PlanStep[]; freed: number; left: string[] } {
  const steps: PlanStep[] = [];
  let total = 0;
  let pending = [...new Set(targets)];
  // Rounds over what is still pending, in order; each round's leftovers are the next round's list
  // (filtering the list once per removed image made a prune -a of n images O(n²)).
  for (let progress = true; pending.length && progress; ) {
    progress = false;
    const next: string[] = [];
    for (const id of pending) {
      const b = host.bindings(id);
      if (!b) {
        progress = true; // already pruned as an untagged parent
        continue;
      }
      if (b.children.length) {
        next.push(id);
        continue;
      }
      const label = b.refs[0] ?? shortId(id);
      const r = removeOne(host, id, opts, keep);
      if ('reason' in r) {
        next.push(id);
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

function blockedReasons(host: HostState, ids: string[], opts: PlanOptions, keep: Set<string>): { image: string; reason: string }[] {
  return ids.map((id) => {
    const r = host.trial(() => removeOne(host, id, opts, keep));
    return { image: refsOf(host, id)[0] ?? shortId(id), reason: 'reason' in r ? r.reason : 'its child images cannot go' };
  });
}

/**
 * An ordered list of docker commands reaching the goal in which no step conflicts: containers
 * (only when allowed) before their images, children before parents, each step checked by
 * simulating it; freed bytes count a shared layer only when its last user goes.
 * `host`: the removal model of `graph`, untouched (a caller that resolved names on it already).
 */
export function removalPlan(graph: ImageGraph, goal: PlanGoal, opts: PlanOptions = {}, host = removalHost(graph)): Plan {
  const keepIds = resolveAll(host, opts.keep ?? []);
  const keep = new Set(keepIds.ids);
  const blocked: { image: string; reason: string }[] = keepIds.unknown.map((r) => ({ image: r, reason: 'no such image (in --keep)' }));

  if (goal.kind === 'remove' || goal.kind === 'prune') {
    let targets: string[];
    if (goal.kind === 'remove') {
      const { ids, unknown } = resolveAll(host, goal.images);
      for (const u of unknown) blocked.push({ image: u, reason: 'no such image' });
      targets = ids;
    } else {
      const before = host.imageIds();
      const after = host.trial(() => {
        host.prune(goal.all);
        return new Set(host.imageIds());
      });
      targets = before.filter((id) => !after.has(id));
    }
    const r = removeInOrder(host, targets, opts, keep);
    blocked.push(...blockedReasons(host, r.left, opts, keep));
    const method = goal.kind === 'prune' ? `the images docker image prune${goal.all ? ' -a' : ''} would delete, in a conflict-free order` : 'the images named, children before parents';
    return { goal, steps: r.steps, freedBytes: r.freed, blocked, method, optimal: null, reachedGoal: blocked.length === 0 };
  }

  // Free at least N bytes removing as few images as possible; 0 bytes needs no removal.
  if (goal.bytes === 0) return { goal, steps: [], freedBytes: 0, blocked, method: 'nothing to free: the goal is 0 bytes', optimal: true, reachedGoal: blocked.length === 0 };
  const universe = host.imageIds().filter((id) => {
    const b = host.bindings(id)!;
    return !keep.has(id) && (opts.withContainers || b.containers.length === 0);
  });
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

/**
 * Greedy "free N bytes": each step removes the image that frees the most at that point (ties: the
 * smaller ID). What an image frees depends on the reference counts along its layer chain and on its
 * untagged ancestors, so after a step only the images those changed are tried again: holders of a
 * layer now held by no more holders than one step can take away, the parents of the removed
 * images, and the images whose removal would prune one of those as an untagged parent. `incremental: false`
 * tries every candidate at every step (the reference the incremental one is tested against).
 */
export function greedyFree(graph: ImageGraph, host: HostState, universe: string[], bytes: number, opts: PlanOptions, keep: Set<string>, incremental = true): { steps: PlanStep[]; freed: number } {
  const gainOf = (id: string): number | undefined => {
    const b = host.bindings(id);
    if (!b || b.children.length) return undefined;
    const r = host.trial(() => removeOne(host, id, opts, keep));
    return 'reason' in r ? undefined : r.freed;
  };
  const gain = new Map<string, number | undefined>();
  const best = new GainHeap();
  const setGain = (id: string, g: number | undefined) => {
    gain.set(id, g);
    if (g !== undefined && g > 0) best.push(g, id);
  };
  for (const id of universe) setGain(id, gainOf(id));
  let nodeImages: Map<number, string[]> | undefined;
  const holdersOf = (node: number): string[] => {
    if (!nodeImages) {
      nodeImages = new Map();
      graph.images.forEach((m, i) => {
        for (let p = graph.stackStart[i]; p < graph.stackStart[i + 1]; p++) {
          const list = nodeImages!.get(graph.stackNode[p]);
          if (list) list.push(m.id);
          else nodeImages!.set(graph.stackNode[p], [m.id]);
        }
      });
    }
    return nodeImages.get(node) ?? [];
  };
  // The images whose removal may prune `id`: docker prunes a parent only while it is untagged, so
  // the children of an untagged image, and theirs through untagged ones.
  const pruners = (id: string, into: Set<string>) => {
    const b = host.bindings(id);
    if (!b || b.refs.length) return;
    for (const c of b.children) {
      if (into.has(c)) continue;
      into.add(c);
      pruners(c, into);
    }
  };
  // The most holders of one layer a single step can take away: the image, its containers (when
  // they may go) and the untagged ancestors docker prunes with it (which also share layers with it).
  const groupHolds = (id: string): number => {
    let n = 1 + (opts.withContainers ? (host.bindings(id)?.containers.length ?? 0) : 0);
    for (let p = host.bindings(id)?.parent; p !== undefined; p = host.bindings(p)?.parent) {
      const b = host.bindings(p);
      if (!b || b.refs.length) break;
      n++;
    }
    return n;
  };
  const sole = universe.reduce((m, id) => Math.max(m, groupHolds(id)), 1);
  const steps: PlanStep[] = [];
  let total = 0;
  while (total < bytes) {
    // the largest gain, ties to the smaller ID; heap entries whose gain has changed since are stale
    let pick: string | undefined;
    while (best.size && pick === undefined) {
      const top = best.pop();
      if (gain.get(top.id) === top.gain) pick = top.id;
    }
    if (pick === undefined) break;
    // What the step may change: the layers of the pick and of the ancestors that may go with it
    // (usually a prefix of the pick's), and the parents of whatever goes.
    const lineage: string[] = [];
    for (let a: string | undefined = pick; a !== undefined && host.bindings(a); a = host.bindings(a)!.parent) lineage.push(a);
    const path = new Map<number, number>();
    for (const a of lineage) for (const node of host.stackNodes(a)) path.set(node, host.holders(node));
    const r = removeInOrder(host, [pick], opts, keep);
    for (const st of r.steps) steps.push({ ...st, cumulativeBytes: total + st.cumulativeBytes });
    total += r.freed;
    if (!incremental) {
      for (const id of [...gain.keys()]) setGain(id, gainOf(id));
      continue;
    }
    const affected = new Set<string>();
    // What an image frees depends on the holder counts along its layers: only the layers where
    // the step's release walks stopped changed and survive, and they matter to an image only when
    // its removal group can be all that holds them.
    for (const [node, before] of path) {
      const n = host.holders(node);
      if (n > 0 && n !== before && n <= sole) {
        for (const id of holdersOf(node)) {
          if (!host.bindings(id)) continue;
          affected.add(id);
          pruners(id, affected);
        }
      }
    }
    for (const a of lineage) {
      if (host.bindings(a)) continue; // still there: the step stopped below it
      gain.delete(a);
      const parent = lineage[lineage.indexOf(a) + 1];
      if (parent && host.bindings(parent)) {
        affected.add(parent); // one child fewer: it may now go itself
        pruners(parent, affected);
      }
    }
    for (const id of affected) if (gain.has(id)) setGain(id, gainOf(id));
  }
  return { steps, freed: total };
}

/** A binary max-heap of (gain, image ID): larger gain first, then the smaller ID. */
class GainHeap {
  private gains: number[] = [];
  private ids: string[] = [];
  get size(): number {
    return this.gains.length;
  }
  private above(a: number, b: number): boolean {
    return this.gains[a] > this.gains[b] || (this.gains[a] === this.gains[b] && this.ids[a] < this.ids[b]);
  }
  private swap(a: number, b: number): void {
    [this.gains[a], this.gains[b]] = [this.gains[b], this.gains[a]];
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
  }
  push(gain: number, id: string): void {
    this.gains.push(gain);
    this.ids.push(id);
    for (let i = this.gains.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!this.above(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  pop(): { gain: number; id: string } {
    const top = { gain: this.gains[0], id: this.ids[0] };
    const last = this.gains.length - 1;
    this.swap(0, last);
    this.gains.pop();
    this.ids.pop();
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
