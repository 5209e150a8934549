import type { Digest } from './digest.js';

/** Container states as the Engine API reports them. */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
/** One of {@link CONTAINER_STATES}. */
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** A layer: diffID + uncompressed size (what a host stores), blob digest + compressed size (what travels). Any may be unknown. */
export interface LayerRecord {
  /** sha256 of the uncompressed tar. */
  diffId?: Digest;
  /** Uncompressed size in bytes, as Docker counts it. */
  size?: number;
  /** Digest of the blob as transferred (usually gzip). */
  digest?: Digest;
  /** Size of the blob in bytes. */
  compressedSize?: number;
  /** Media type of the blob. */
  mediaType?: string;
}

/** An image's metadata; its layer stack is passed separately as layer indices. */
export interface ImageMeta {
  /** Image ID: the config digest. */
  id: Digest;
  /** Familiar `name:tag` references. */
  repoTags?: string[];
  /** Familiar `name@digest` references. */
  repoDigests?: string[];
  /** Creation time in Unix seconds. */
  created?: number;
  /** `os/arch[/variant]`. */
  platform?: string;
  /** Parent image ID (local builds only). */
  parent?: Digest;
}

/** A container bound to exactly one image. */
export interface ContainerRecord {
  /** 64-hex container ID. */
  id: string;
  /** Name without the leading slash. */
  name?: string;
  /** Image ID the container runs. */
  image: Digest;
  /** The reference the container was created from, as Docker shows it in IMAGE. */
  imageRef?: string;
  state: ContainerState;
  /** Docker's human status, e.g. `Exited (0) 2 hours ago`. */
  status?: string;
  /** Size of the writable layer in bytes. */
  sizeRw?: number;
  /** Creation time in Unix seconds. */
  created?: number;
  /** Command line as Docker shows it. */
  command?: string;
}
