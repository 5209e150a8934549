// The one interface every reader implements (go-containerregistry's v1.Image at the edge,
// dive's Resolver): a SOURCE argument in, the image graph plus everything else the reader knows
// out. Commands never ask where images came from; they ask a LoadedSource what it has.
import type { Readable } from 'node:stream';
import type { ImageGraph } from '../model/graph.js';
import type { Platform } from './oci-descriptors.js';

/** What kind of input a SOURCE turned out to be. */
export type SourceKind =
  | 'snapshot'
  | 'docker-archive'
  | 'oci-archive'
  | 'oci-layout'
  | 'registry-folder'
  | 'registry'
  | 'data-root'
  | 'engine'
  | 'columnar';

/**
 * A structured remark about what a source could or could not tell: a stable `code`, its
 * parameters, and the sentence the CLI prints. Renderers may word it differently from `params`.
 */
export interface SourceNote {
  code: string;
  params: Record<string, string | number | boolean>;
  message: string;
}

/**
 * Blob digest -> diffID and diffID -> blob digests (with source repository) that a daemon
 * recorded on pulls and pushes (image/<driver>/distribution). It decides whether a pull says
 * `Already exists` and what a push mounts.
 */
export interface DistributionMetadata {
  diffIdByDigest: Map<string, string>;
  digestsByDiffId: Map<string, { digest: string; sourceRepository: string }[]>;
}

/** One layer of an image as a registry serves it. */
export interface RemoteLayer {
  /** Blob digest (compressed, as in the manifest). */
  digest: string;
  /** Blob size in bytes, when the manifest says it (checked against the blob where the blob is read). */
  size?: number;
  mediaType?: string;
  /** diffID from the image config, when the config was read. */
  diffId?: string;
}

/** An image manifest as a registry (or a registry-shaped source) holds it: the one remote-image type. */
export interface RegistryImage {
  /** Digest of the image manifest (not of an index above it). */
  manifestDigest: string;
  /** Digest of what the image's tags resolve to: the index when there is one, else the manifest. */
  resolvedDigest: string;
  config: { digest: string; size?: number };
  layers: RemoteLayer[];
  /** Familiar tag references (`name:tag`) that resolve to this image. */
  repoTags: string[];
  /** Familiar `name@digest` references. */
  repoDigests: string[];
  /** `os/arch[/variant]` when an index said it. */
  platform?: string;
}

/** Reads blobs by digest: layers, configs, manifests. Implemented by archives, layouts, registries, data roots. */
export interface BlobProvider {
  /** True when the blob is available from this provider (without reading it). */
  has(digest: string): boolean;
  /** The blob's bytes as stored (compressed for registry-style layers); the digest is verified as it streams. */
  open(digest: string): Promise<Readable>;
  /** The stored blob whose tar has this diffID, when the graph knows a layer by diffID only (`docker save` of containerd's store keeps compressed blobs). */
  blobOfDiffId?(diffId: string): string | undefined;
}

/** Everything a reader learned from one SOURCE. */
export interface LoadedSource {
  /** The SOURCE argument as given. */
  source: string;
  kind: SourceKind;
  graph: ImageGraph;
  /** Images as a registry serves them (registries, registry folders, OCI layouts). */
  registryImages?: RegistryImage[];
  /** The daemon's recorded blob metadata (data roots). */
  distribution?: DistributionMetadata;
  /** Layer and config bytes, when the source holds them. */
  blobs?: BlobProvider;
  /**
   * Image ID -> byte length of its config file (data roots): what `docker push` uploads as the
   * config blob, so a push's manifest can be predicted. Absent when the source does not hold configs.
   */
  configSizes?: Map<string, number>;
  /** What the reader could not tell, or left out, as structured remarks. */
  notes: SourceNote[];
  /** Free-form facts for JSON output (engine version, storage driver, snapshot meta). */
  meta: Record<string, unknown>;
}

/** Options that apply to some sources. */
export interface LoadOptions {
  /** Platform to select from multi-platform indexes. */
  platform?: Platform;
  /** What `-` reads (a snapshot on standard input); the process's standard input when absent. */
  stdin?: Readable;
}

/** A reader of one kind of SOURCE; `load.ts` asks each in turn whether it claims the argument. */
export interface SourceReader {
  kind: SourceKind;
  /** Cheap test on the argument (and, for files, a probe of its first bytes / folder entries). */
  claims(arg: string, probe: SourceProbe): boolean;
  load(arg: string, opts: LoadOptions): Promise<LoadedSource>;
}

/** What load.ts already knows about an argument before asking readers. */
export interface SourceProbe {
  /** `directory`, `file` (regular), `other` (fifo, device, socket: only snapshots read from a stream), or `url`. */
  type: 'directory' | 'file' | 'other' | 'url';
  /** First bytes of a regular file (up to 512), empty otherwise. */
  head: Buffer;
  /** Entry names of a directory, empty otherwise. */
  entries: readonly string[];
}
