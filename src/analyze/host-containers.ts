// A host's containers, split from HostState: the ones known by ID and name (a daemon's, with their
// state) and the ones known by count only (a simulated node's pods). HostState makes each hold its
// image's top layer; this keeps who uses which image. Changes are journaled as HostState's are.
import type { Journal } from './host-refs.js';
import { SparseCounts } from './sparse-counts.js';

/** A container on the host: the image it uses and whether its process exists (a hard conflict for rmi). */
export interface HostContainer {
  id: string;
  name?: string;
  image: number;
  running: boolean;
  top: number;
}

/** The containers of one host. */
export class HostContainers {
  /** Containers known by count only, per image (see HostState.startPod). */
  readonly pods = new SparseCounts();
  readonly list: HostContainer[] = [];
  private byImage = new Map<number, HostContainer[]>();

  constructor(private readonly journal: Journal) {}

  of(image: number): readonly HostContainer[] {
    return this.byImage.get(image) ?? [];
  }

  /** Some container (running or stopped, not removed, or counted) uses the image. */
  inUse(image: number): boolean {
    return this.pods.get(image) > 0 || (this.byImage.get(image)?.length ?? 0) > 0;
  }

  /** Adds a container of `image` on chain `top`. */
  create(image: number, c: { id: string; name?: string; running: boolean }, top: number): HostContainer {
    const hc: HostContainer = { ...c, image, top };
    let users = this.byImage.get(image);
    if (!users) this.byImage.set(image, (users = []));
    const list = users;
    this.list.push(hc);
    list.push(hc);
    this.journal.record(() => {
      this.list.pop();
      list.pop();
      if (!list.length) this.byImage.delete(image);
    });
    return hc;
  }

  /** One more (or, with -1, one fewer) counted container of the image. */
  countPod(image: number, by: 1 | -1): void {
    if (by < 0 && this.pods.get(image) <= 0) throw new Error(`no pod of image ${image}`);
    this.pods.add(image, by);
    if (this.journal.journaling) this.journal.record(() => this.pods.add(image, -by));
  }

  /** A container starts or stops. */
  setRunning(c: HostContainer, running: boolean): void {
    const was = c.running;
    c.running = running;
    this.journal.record(() => (c.running = was));
  }

  /** The first container with this name or ID prefix (as `docker rm` finds it), -1 when none. */
  find(idOrName: string): number {
    return this.list.findIndex((c) => c.name === idOrName || c.id.startsWith(idOrName));
  }

  /** Takes the k-th container off the host and returns it. */
  drop(k: number): HostContainer {
    const [c] = this.list.splice(k, 1);
    const users = this.byImage.get(c.image) ?? [];
    const at = users.indexOf(c);
    users.splice(at, 1);
    if (!users.length) this.byImage.delete(c.image);
    this.journal.record(() => {
      this.list.splice(k, 0, c);
      users.splice(at, 0, c);
      this.byImage.set(c.image, users);
    });
    return c;
  }
}
