// A registry's images side by side: bytes stored with and without blob dedup, and what pulling
// each one costs onto a host that already holds the others (or a chosen few), by Docker's rule
// (a layer is skipped only when its whole blob prefix is there: every image here was pulled from
// this registry, so the blob metadata is known) and by an ideal content-addressed store.
import type { RegistryImage } from '../sources/source.js';

/** What the view reads of a registry image. */
export type ViewImage = Pick<RegistryImage, 'manifestDigest' | 'layers' | 'repoTags' | 'repoDigests'>;

/** How an image is named in the view: its first tag, else its first digest reference, else its manifest digest. */
export function viewRef(img: ViewImage): string {
  return img.repoTags[0] ?? img.repoDigests[0] ?? img.manifestDigest;
}

export interface ViewRow {
  ref: string;
  layers: number;
  /** Compressed bytes of its distinct blobs. */
  size: number;
  /** Bytes of blobs no other image of the set has. */
  unique: number;
  /** Bytes docker pull downloads onto the host (Docker's rule). */
  pullDocker: number;
  /** Bytes an ideal content-addressed store downloads (blobs the host lacks). */
  pullIdeal: number;
  /** The image is one of the host's. */
  onHost: boolean;
}

/** The registry view: bytes stored with and without blob dedup, and each image's pull cost. */
export interface RegistryView {
  rows: ViewRow[];
  /** Each image's blobs counted for it: a registry without blob dedup. */
  storedWithoutDedup: number;
  /** Each distinct blob once. */
  storedWithDedup: number;
  sizesKnown: boolean;
  /** The host: every other image (per row), or the chosen tags. */
  host: 'others' | string[];
}

/**
 * One pass over the images' layers (interned blob prefixes and blobs, counted per image), then one
 * per image: linear in the total number of layers.
 */
export function registryView(images: readonly ViewImage[], hostTags?: readonly string[]): RegistryView {
  const blobId = new Map<string, number>();
  const prefixId = new Map<string, number>();
  const blobImages: number[] = [];
  const prefixImages: number[] = [];
  const onHost = hostTags ? new Set(images.filter((img) => img.repoTags.some((t) => hostTags.includes(t)))) : undefined;
  const hostBlob = new Set<number>();
  const hostPrefix = new Set<number>();
  const sizeOf = new Map<number, number>();
  let sizesKnown = true;
  const walked = images.map((img) => {
    const blobs: number[] = [];
    const prefixes: number[] = [];
    let prev = -1;
    for (const l of img.layers) {
      let b = blobId.get(l.digest);
      if (b === undefined) blobId.set(l.digest, (b = blobImages.push(0) - 1));
      if (l.size === undefined) sizesKnown = false;
      else sizeOf.set(b, l.size);
      const key = `${prev},${b}`;
      let p = prefixId.get(key);
      if (p === undefined) prefixId.set(key, (p = prefixImages.push(0) - 1));
      blobs.push(b);
      prefixes.push(p);
      prev = p;
    }
    const distinctBlobs = [...new Set(blobs)];
    for (const b of distinctBlobs) blobImages[b]++;
    for (const p of new Set(prefixes)) prefixImages[p]++;
    if (onHost?.has(img)) {
      distinctBlobs.forEach((b) => hostBlob.add(b));
      prefixes.forEach((p) => hostPrefix.add(p));
    }
    return { blobs, prefixes, distinctBlobs };
  });
  const size = (b: number) => sizeOf.get(b) ?? 0;
  const rows = images.map((img, i): ViewRow => {
    const { blobs, prefixes, distinctBlobs } = walked[i];
    const here = onHost?.has(img) ?? false;
    // "others hold it": counted by images (this one included once), or on the chosen host
    const blobThere = (b: number) => (onHost ? hostBlob.has(b) : blobImages[b] > 1);
    const prefixThere = (p: number) => (onHost ? hostPrefix.has(p) : prefixImages[p] > 1);
    let pullDocker = 0;
    if (!here) {
      let k = 0;
      while (k < prefixes.length && prefixThere(prefixes[k])) k++;
      const seen = new Set<number>();
      for (let j = k; j < blobs.length; j++) if (!seen.has(blobs[j])) (seen.add(blobs[j]), (pullDocker += size(blobs[j])));
    }
    return {
      ref: viewRef(img),
      layers: img.layers.length,
      size: distinctBlobs.reduce((s, b) => s + size(b), 0),
      unique: distinctBlobs.filter((b) => blobImages[b] === 1).reduce((s, b) => s + size(b), 0),
      pullDocker,
      pullIdeal: here ? 0 : distinctBlobs.filter((b) => !blobThere(b)).reduce((s, b) => s + size(b), 0),
      onHost: here,
    };
  });
  return {
    rows,
    storedWithoutDedup: rows.reduce((s, r) => s + r.size, 0),
    storedWithDedup: [...sizeOf.keys()].reduce((s, b) => s + size(b), 0),
    sizesKnown,
    host: hostTags ? [...hostTags] : 'others',
  };
}
