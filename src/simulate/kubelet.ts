// The kubelet's rules, transcribed from kubernetes/kubernetes: image GC from
// pkg/kubelet/images/image_gc_manager.go (GarbageCollect, freeOldImages, freeSpace,
// byLastUsedAndDetected), pull throttling from pkg/kubelet/images/throttle and
// client-go's token bucket, back-off from the kubelet's image back-off (10 s doubling to 300 s),
// defaults from pkg/kubelet/apis/config/v1beta1/defaults.go.

/** KubeletConfiguration fields the simulation honours, in seconds and percent. */
export interface KubeletConfig {
  imageGCHighThresholdPercent: number;
  imageGCLowThresholdPercent: number;
  imageMinimumGCAge: number;
  /** 0: off. */
  imageMaximumGCAge: number;
  /** The kubelet's GC loop period (a constant of the kubelet, ImageGCPeriod = 5m; exposed for what-ifs). */
  imageGCPeriod: number;
  serializeImagePulls: boolean;
  /** 0: unlimited (nil). */
  maxParallelImagePulls: number;
  /** 0: unlimited. */
  registryPullQPS: number;
  registryBurst: number;
}

/** The Kubernetes defaults. */
export const KUBELET_DEFAULTS: KubeletConfig = {
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 80,
  imageMinimumGCAge: 120,
  imageMaximumGCAge: 0,
  imageGCPeriod: 300,
  serializeImagePulls: true,
  maxParallelImagePulls: 0,
  registryPullQPS: 5,
  registryBurst: 10,
};

/** Image pull back-off: first retry after 10 s, doubling, capped at 300 s (kubelet backOffPeriod, MaxContainerBackOff). */
export const PULL_BACKOFF_INITIAL = 10;
export const PULL_BACKOFF_MAX = 300;

/** The back-off before retry number `failures` (1-based). */
export function pullBackoff(failures: number): number {
  return Math.min(PULL_BACKOFF_MAX, PULL_BACKOFF_INITIAL * 2 ** Math.min(30, failures - 1));
}

/**
 * Bytes the kubelet sets out to free (0 below the high threshold): usage = 100 − int(available ×
 * 100 / capacity); at usage ≥ high, capacity × (100 − low) / 100 − available, in Go's int64
 * arithmetic (divisions truncate).
 */
export function gcAmountToFree(capacity: number, available: number, high: number, low: number): number {
  if (capacity <= 0) return 0;
  const avail = Math.min(available, capacity);
  const usage = 100 - Math.trunc((avail * 100) / capacity);
  if (usage < high) return 0;
  return Math.trunc((capacity * (100 - low)) / 100) - avail;
}

/** One image as the GC sees it. lastUsed is -Infinity for an image never seen in use (Go's zero time). */
export interface GcCandidate {
  image: number;
  size: number;
  lastUsed: number;
  firstDetected: number;
}

/** byLastUsedAndDetected; the image id breaks what Go's unstable sort leaves to chance. */
export function evictionOrder(a: GcCandidate, b: GcCandidate): number {
  if (a.lastUsed !== b.lastUsed) return a.lastUsed < b.lastUsed ? -1 : 1;
  if (a.firstDetected !== b.firstDetected) return a.firstDetected < b.firstDetected ? -1 : 1;
  return a.image - b.image;
}

/** What one GarbageCollect call decided: images removed by age, then for space. */
export interface GcDecision {
  byAge: number[];
  bySpace: number[];
  amountToFree: number;
  /** The kubelet's count: sizes of the images removed for space. */
  believedFreed: number;
  /** freed < amountToFree: the FreeDiskSpaceFailed event. */
  failed: boolean;
}

/**
 * GarbageCollect at `now` (kubelet started at `began`). `candidates` are the images not in use and
 * not pinned; `remove(image)` deletes one and returns the bytes that really left the disk;
 * `available()` reads the image filesystem after the age pass. With `freeable` (the layer-aware
 * what-if: the bytes removing an image now would really free) freeSpace evicts the images that
 * free most first (the kubelet's order breaks ties) and counts the bytes really freed instead of
 * image sizes.
 */
export function garbageCollect(
  cfg: KubeletConfig,
  now: number,
  began: number,
  candidates: GcCandidate[],
  capacity: number,
  available: () => number,
  remove: (image: number) => number,
  freeable?: (image: number) => number,
): GcDecision {
  const images = [...candidates].sort(evictionOrder);
  const d: GcDecision = { byAge: [], bySpace: [], amountToFree: 0, believedFreed: 0, failed: false };
  let remaining = images;
  if (cfg.imageMaximumGCAge > 0 && now - began > cfg.imageMaximumGCAge) {
    remaining = [];
    for (const img of images) {
      if (now - img.lastUsed > cfg.imageMaximumGCAge) {
        remove(img.image);
        d.byAge.push(img.image);
      } else remaining.push(img);
    }
  }
  const amount = gcAmountToFree(capacity, available(), cfg.imageGCHighThresholdPercent, cfg.imageGCLowThresholdPercent);
  if (amount <= 0) return d;
  d.amountToFree = amount;
  const countReal = freeable !== undefined;
  if (freeable) {
    const gain = new Map(remaining.map((c) => [c.image, freeable(c.image)]));
    remaining = [...remaining].sort((a, b) => gain.get(b.image)! - gain.get(a.image)! || evictionOrder(a, b));
  }
  let freed = 0;
  for (const img of remaining) {
    if (img.lastUsed >= now) continue;
    if (now - img.firstDetected < cfg.imageMinimumGCAge) continue;
    const real = remove(img.image);
    d.bySpace.push(img.image);
    d.believedFreed += img.size;
    freed += countReal ? real : img.size;
    if (freed >= amount) break;
  }
  d.failed = freed < amount;
  return d;
}

/** client-go's token bucket as the kubelet's pull throttle uses it: starts full, TryAccept or fail. */
export class TokenBuckets {
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  constructor(
    nodes: number,
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = new Float64Array(nodes).fill(burst);
    this.last = new Float64Array(nodes);
  }

  /** Takes a token of node `n` at time `now` if one is there (always, when qps is 0: unlimited). */
  tryAccept(n: number, now: number): boolean {
    if (this.qps <= 0) return true;
    const t = Math.min(this.burst, this.tokens[n] + (now - this.last[n]) * this.qps);
    this.last[n] = now;
    if (t >= 1) {
      this.tokens[n] = t - 1;
      return true;
    }
    this.tokens[n] = t;
    return false;
  }
}
