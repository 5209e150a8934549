// A fleet simulation as a log of what each node's image store did, in the order the engine did
// it, so the run can be replayed on real daemons and held to them event by event (issue 10 §5,
// test-docker/simulate-live.test.ts). The engine is run unchanged; each node's store is wrapped.
import { HostNodeStore } from '../analyze/node-store.js';
import type { Universe } from '../model/universe.js';
import { simulate } from './engine.js';
import type { NodeImageStore, PullEffect, SimUniverse } from './store.js';
import type { NodeSpec, SimConfig, SimResult } from './types.js';

/** A node's images and disk right after an event. */
export interface ReplayState {
  /** Present images, ascending ids. */
  images: number[];
  /** The store's own disk accounting (layers, blobs kept, configs). */
  diskUsed: number;
  /** Σ config bytes of the present images (in diskUsed, not in `docker system df`). */
  configBytes: number;
  /** Docker's df rule (LayersSize): each distinct chain some present image stacks, counted once. */
  dfSize: number;
  /** Those chains, ascending ids. */
  chains: number[];
}

interface Base {
  /** Index of the node in the scenario. */
  node: number;
  image: number;
  after: ReplayState;
}

/**
 * One thing a node's store did, at simulated time `t` (seconds). A removal is the kubelet's image
 * GC, which runs on its period after the events logged before it: its `t` is the time of the last
 * pull, start or stop of any node (the GC ran at the first GC period from then on, or later).
 * `freed` is what really left the disk, `believed` the image size the kubelet counts.
 */
export type ReplayEvent =
  | (Base & { kind: 'pull'; t: number; effect: PullEffect; alreadyExists: boolean[] })
  | (Base & { kind: 'start' | 'stop'; t: number })
  | (Base & { kind: 'rmi'; t: number; freed: number; believed: number });

/** An event before the state after it is read (Omit over each member of the union). */
type EventWithoutState = ReplayEvent extends infer E ? (E extends ReplayEvent ? Omit<E, 'after'> : never) : never;

/** The store the engine makes when a config names none (the engine's default). */
export function defaultStore(node: NodeSpec, u: Universe): NodeImageStore {
  return new HostNodeStore(u, node.runtime, { discardUnpackedLayers: node.discardUnpackedLayers });
}

/** Docker's df rule over the present images: distinct chains and their uncompressed sizes. */
export function dfOf(u: SimUniverse, images: readonly number[]): { chains: number[]; size: number } {
  const seen = new Set<number>();
  for (const i of images) for (let r = u.imageLayerStart[i]; r < u.imageLayerStart[i + 1]; r++) seen.add(u.refChain[r]);
  const chains = [...seen].sort((a, b) => a - b);
  let size = 0;
  for (const c of chains) size += u.diffSize[u.chainDiff[c]];
  return { chains, size };
}

function stateOf(u: Universe, s: NodeImageStore): ReplayState {
  const images = s.images();
  const df = dfOf(u, images);
  let configBytes = 0;
  for (const i of images) configBytes += u.imageConfigSize[i];
  return { images, diskUsed: s.diskUsed(), configBytes, dfSize: df.size, chains: df.chains };
}

/** Wraps one node's store: every change is logged with the node's state after it. */
class RecordingStore implements NodeImageStore {
  constructor(
    private readonly inner: NodeImageStore,
    private readonly u: Universe,
    private readonly node: number,
    private readonly log: ReplayEvent[],
    private readonly clock: { t: number },
  ) {}

  get runtime() {
    return this.inner.runtime;
  }

  private push(e: EventWithoutState): void {
    this.clock.t = e.t;
    this.log.push({ ...e, after: stateOf(this.u, this.inner) } as ReplayEvent);
  }

  hasImage(i: number) {
    return this.inner.hasImage(i);
  }
  plan(i: number) {
    return this.inner.plan(i);
  }
  pull(image: number, now: number, planned?: PullEffect): PullEffect {
    const effect = this.inner.pull(image, now, planned);
    const fetched = new Set(effect.blobs);
    const alreadyExists: boolean[] = [];
    for (let r = this.u.imageLayerStart[image]; r < this.u.imageLayerStart[image + 1]; r++) alreadyExists.push(!fetched.has(this.u.refBlob[r]));
    this.push({ kind: 'pull', node: this.node, image, t: now, effect, alreadyExists });
    return effect;
  }
  rmi(image: number): number {
    const believed = this.inner.imageSize(image);
    const freed = this.inner.rmi(image);
    this.push({ kind: 'rmi', node: this.node, image, t: this.clock.t, freed, believed });
    return freed;
  }
  imageSize(i: number) {
    return this.inner.imageSize(i);
  }
  freeable(i: number) {
    return this.inner.freeable(i);
  }
  images() {
    return this.inner.images();
  }
  diskUsed() {
    return this.inner.diskUsed();
  }
  inUse(i: number) {
    return this.inner.inUse(i);
  }
  containerStart(image: number, now: number): void {
    this.inner.containerStart(image, now);
    this.push({ kind: 'start', node: this.node, image, t: now });
  }
  containerStop(image: number, now: number): void {
    this.inner.containerStop(image, now);
    this.push({ kind: 'stop', node: this.node, image, t: now });
  }
  lastUsed(i: number) {
    return this.inner.lastUsed(i);
  }
  firstDetected(i: number) {
    return this.inner.firstDetected(i);
  }
}

/**
 * Runs `cfg` through the engine with every node's store (cfg.makeStore, else the engine's default)
 * recorded: the result, and the events of all nodes in the order the engine caused them.
 */
export function recordSimulation(cfg: SimConfig): { result: SimResult; events: ReplayEvent[] } {
  const events: ReplayEvent[] = [];
  const clock = { t: 0 };
  const make = cfg.makeStore ?? defaultStore;
  const makeStore = (node: NodeSpec, u: Universe) => new RecordingStore(make(node, u), u, cfg.nodes.indexOf(node), events, clock);
  const result = simulate({ ...cfg, makeStore });
  return { result, events };
}
