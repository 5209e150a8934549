import type { Caveat } from '../model/caveat.js';
import { ABSENT } from '../model/digest-bytes.js';
import type { ImageGraph } from '../model/graph.js';
import { listedImages } from './df.js';
import { distinctDigests } from './distinct-digests.js';
import { effectiveSizes, type SizeBasis } from './sizes.js';

/** The dedup models layerlab compares, from no sharing to a registry's blob store. */
export type DedupModelName = 'none' | 'chain' | 'diff' | 'blob';

/** One model's answer to "how much storage do these images take". */
export interface DedupModelResult {
  model: DedupModelName;
  /** What is deduplicated on. */
  key: string;
  /** Who stores images this way. */
  whoDoesIt: string;
  available: boolean;
  /** Sum over images of their full size (nothing shared). */
  logicalBytes: number;
  /** Bytes stored once sharing under this model is taken into account. */
  storedBytes: number;
  savedBytes: number;
  /** logical / stored (1 when nothing is stored). */
  ratio: number;
  basis: SizeBasis;
  /** Missing sizes or identities, estimates (worded by render/caveats.ts). */
  caveats: Caveat[];
}

/** The comparison of every model on one image set. */
export interface DedupComparison {
  images: number;
  layerReferences: number;
  distinctLayers: number;
  distinctChainLayers: number;
  distinctBlobs: number;
  models: DedupModelResult[];
}

/** Storage of the images Docker lists under each dedup model, side by side. */
export function compareDedupModels(graph: ImageGraph): DedupComparison {
  const eff = effectiveSizes(graph);
  const listed = listedImages(graph);
  const { stackStart, stackLayer, stackNode } = graph;
  const layerUsed = new Uint8Array(graph.layerCount);
  const nodeUsed = new Uint8Array(graph.chain.count);
  let logical = 0;
  let logicalCompressed = 0;
  let refs = 0;
  let images = 0;
  for (let i = 0; i < graph.imageCount; i++) {
    if (!listed[i]) continue;
    images++;
    for (let p = stackStart[i], e = stackStart[i + 1]; p < e; p++) {
      const l = stackLayer[p];
      logical += eff.size[l];
      logicalCompressed += graph.layerCompressed[l];
      layerUsed[l] = 1;
      nodeUsed[stackNode[p]] = 1;
      refs++;
    }
  }
  let chainBytes = 0;
  let chainNodes = 0;
  for (let k = 0; k < graph.chain.count; k++) {
    if (!nodeUsed[k]) continue;
    chainNodes++;
    chainBytes += eff.size[graph.chain.nodeLayer[k]];
  }
  let diffBytes = 0;
  let distinctLayers = 0;
  let noDiffId = 0;
  let noDigest = 0;
  let noCompressed = 0;
  // Digests as bytes: ten million images hold about twenty million distinct blobs, more than a
  // Map holds (2^24), and a string per layer would take gigabytes.
  const diffIds = graph.layerDigestBytes('diffId');
  const digests = graph.layerDigestBytes('digest');
  const blobRows = new Uint32Array(graph.layerCount);
  let blobCount = 0;
  for (let l = 0; l < graph.layerCount; l++) {
    if (!layerUsed[l]) continue;
    distinctLayers++;
    diffBytes += eff.size[l];
    if (diffIds.offsetOf(l) === ABSENT) noDiffId++;
    if (digests.offsetOf(l) === ABSENT) noDigest++;
    else if (Number.isNaN(graph.layerCompressed[l])) noCompressed++;
    else blobRows[blobCount++] = l;
  }
  const blobs = distinctDigests(digests, blobRows, blobCount, graph.layerCompressed);
  const blobBytes = blobs.sum;

  const sizeNotes: Caveat[] = [];
  if (eff.basis === 'compressed') sizeNotes.push({ code: 'sizes-compressed', params: {} });
  else if (eff.compressedOnly > 0) sizeNotes.push({ code: 'compressed-size-stands-in', params: { layers: eff.compressedOnly } });
  if (eff.unknown > 0) sizeNotes.push({ code: 'layers-without-size', params: { layers: eff.unknown } });
  const identityNotes: Caveat[] = noDiffId > 0 ? [{ code: 'diffid-unknown', params: { layers: noDiffId, of: distinctLayers } }] : [];

  const model = (name: DedupModelName, key: string, who: string, lg: number, st: number, basis: SizeBasis, caveats: Caveat[], available = true): DedupModelResult => ({
    model: name,
    key,
    whoDoesIt: who,
    available,
    logicalBytes: available ? lg : 0,
    storedBytes: available ? st : 0,
    savedBytes: available ? lg - st : 0,
    ratio: available && st > 0 ? lg / st : 1,
    basis,
    caveats,
  });
  const blobMissing = noDigest + noCompressed;
  const blobNotes: Caveat[] = blobMissing > 0 ? [{ code: 'blob-identity-missing', params: { layers: blobMissing, of: distinctLayers } }] : [];
  return {
    images,
    layerReferences: refs,
    distinctLayers,
    distinctChainLayers: chainNodes,
    distinctBlobs: blobs.count,
    models: [
      model('none', 'nothing shared', 'a naive sum of image sizes', logical, logical, eff.basis, sizeNotes),
      model('chain', 'chainID (stack prefix)', 'Docker graphdrivers, containerd snapshotters', logical, chainBytes, eff.basis, [...sizeNotes, ...identityNotes]),
      model('diff', 'diffID at any position', 'an ideal content-addressed layer store', logical, diffBytes, eff.basis, [...sizeNotes, ...identityNotes]),
      model('blob', 'blob digest (compressed)', 'registries (distribution, Harbor, ECR)', logicalCompressed, blobBytes, 'compressed', blobNotes, blobMissing === 0),
    ],
  };
}
