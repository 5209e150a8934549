// The contract between the fleet simulator and one node's image store. The simulator never looks
// inside a store: it asks what a pull would fetch, pulls, starts/stops containers, removes images
// and reads sizes. Two implementations satisfy it: the small reference store in
// reference-store.ts (obviously correct, for tests) and the host state of issue 10 §1 (compact,
// for fleets). Everything is indexed by the universe's integer ids, so a store costs typed arrays,
// not objects.

/** `docker`: dockerd's layer store; `containerd`: a content store of blobs plus snapshots. */
export type Runtime = 'docker' | 'containerd';

/**
 * The immutable catalog every node of a fleet pulls from (registry images merged with what the
 * starting hosts hold). Images, blobs (compressed layer digests), diffs (uncompressed layers,
 * diffIDs) and chains (chainIDs: a diff on top of a parent chain) are dense integer ids.
 */
export interface SimUniverse {
  readonly imageCount: number;
  /** Familiar reference of each image (`repo:tag`). */
  readonly imageRef: readonly string[];
  /** Config blob bytes of each image (fetched by every pull of an image not present). */
  readonly imageConfigSize: Float64Array;
  /** CSR over layer references: image i's layers, bottom-up, are refs imageLayerStart[i] .. imageLayerStart[i+1]-1. */
  readonly imageLayerStart: Uint32Array;
  /** Blob of each layer reference. */
  readonly refBlob: Uint32Array;
  /** Chain of each layer reference (the chainID from the bottom up to this layer). */
  readonly refChain: Uint32Array;
  readonly blobCount: number;
  /** Compressed bytes of each blob (the registry's descriptor size: bytes on the wire). */
  readonly blobSize: Float64Array;
  /** The diff (uncompressed layer, diffID) each blob unpacks to. */
  readonly blobDiff: Uint32Array;
  readonly diffCount: number;
  /** Uncompressed bytes of each diff (what a layer or snapshot costs on disk). */
  readonly diffSize: Float64Array;
  readonly chainCount: number;
  /** Parent chain of each chain, -1 at the bottom. */
  readonly chainParent: Int32Array;
  /** Diff on top of each chain. */
  readonly chainDiff: Uint32Array;
}

/** What a pull of one image does on one store (from `plan`, or done by `pull`). */
export interface PullEffect {
  /** Blobs fetched from the registry, bottom-up, each once (empty when the image is present). */
  blobs: number[];
  /** Bytes from the registry: the blobs' compressed sizes plus the config when the image is new. */
  downloadBytes: number;
  /** Uncompressed bytes written by unpacking (downloaded blobs, and containerd blobs present without a snapshot). */
  unpackBytes: number;
  /** How much the store's disk use grows (blobs kept, layers/snapshots, config). */
  diskGrowth: number;
}

/**
 * One node's image store. Time `now` is in seconds of simulated time. Images are universe ids.
 * The kubelet's view (`imageSize`, `lastUsed`, `firstDetected`, `inUse`) is kept here so a store
 * and its kubelet bookkeeping move together through the host state's undo journal.
 */
export interface NodeImageStore {
  readonly runtime: Runtime;
  /** The image's config (image ID) is present: an `IfNotPresent` pull does nothing. */
  hasImage(image: number): boolean;
  /** What pulling `image` now would fetch and write; changes nothing. */
  plan(image: number): PullEffect;
  /** Pulls `image` (docker: layers present by chain are `Already exists`; containerd: snapshot by chainID present → nothing, blob present → unpack only). Sets firstDetected on a new image. `planned`: this store's `plan(image)` just taken (saves computing it again). */
  pull(image: number, now: number, planned?: PullEffect): PullEffect;
  /** Removes the image (untag + delete); returns the bytes that really left the disk. Throws when a container uses it. */
  rmi(image: number): number;
  /** The bytes `rmi(image)` would really free now (0 when absent); changes nothing. */
  freeable(image: number): number;
  /** The size the kubelet sees for a present image (docker: sum of its layers' uncompressed sizes; containerd CRI: content size, compressed blobs + config). */
  imageSize(image: number): number;
  /** Present images, ascending ids (callers that run often keep their own order; this may sort). */
  images(): number[];
  /** Bytes this store really holds on disk now. */
  diskUsed(): number;
  /** Some container (running or stopped, not removed) uses the image. */
  inUse(image: number): boolean;
  /** A container of `image` starts (created + started); the image must be present. */
  containerStart(image: number, now: number): void;
  /** That container stops and is removed (the kubelet's pod teardown). */
  containerStop(image: number, now: number): void;
  /** Last time a container of the image was running (the kubelet's lastUsed); firstDetected if never. */
  lastUsed(image: number): number;
  /** When the kubelet first saw the image (its pull time, or 0 for images on the starting host). */
  firstDetected(image: number): number;
}
