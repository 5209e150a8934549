import { sha256Digest, type Digest } from './digest.js';

/** diffID of the 1024-byte all-zero tar, the empty layer Docker creates for metadata-only steps. */
export const EMPTY_LAYER_DIFF_ID: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
/** Blob digest of the well-known 32-byte gzip of the empty layer. */
export const EMPTY_LAYER_GZIP_DIGEST: Digest = 'sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1';

/** The chainID of a parent chain extended by one diffID (image-spec config.md). */
export function extendChainId(parentChainId: Digest | undefined, diffId: Digest): Digest {
  return parentChainId === undefined ? diffId : sha256Digest(parentChainId + ' ' + diffId);
}

/** ChainIDs of every prefix of a layer stack: result[i] identifies layers 0..i. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let chain: Digest | undefined;
  for (const d of diffIds) {
    chain = extendChainId(chain, d);
    out.push(chain);
  }
  return out;
}

/** ChainID of a whole stack, or undefined for an image with no layers. */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  const all = chainIds(diffIds);
  return all[all.length - 1];
}

/** Image ID: the sha256 of the config JSON exactly as stored (the manifest's config digest). */
export function imageIdFromConfig(configBytes: Uint8Array | string): Digest {
  return sha256Digest(configBytes);
}
