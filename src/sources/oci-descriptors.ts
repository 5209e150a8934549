// What the OCI image spec and Docker's distribution formats share: descriptors, index media
// types, platform selection, attestation manifests. Used by archives, layouts and registries.
import { LayerlabError, quote } from '../errors.js';

/** `os/arch[/variant]` to select from multi-platform indexes. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** An OCI / Docker content descriptor. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export const INDEX_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
export const MANIFEST_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);

/** BuildKit's attestation manifests (provenance, SBOM): not images. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}

/** A descriptor with no platform matches any; otherwise os and architecture, and variant when asked. */
export function platformMatches(p: Descriptor['platform'], want: Platform): boolean {
  if (!p || (!p.os && !p.architecture)) return true;
  return p.os === want.os && p.architecture === want.architecture && (want.variant === undefined || p.variant === want.variant);
}

/** `os/arch[/variant]` as --platform takes it. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, extra] = s.split('/');
  if (!os || !architecture || extra !== undefined) throw new LayerlabError('EUSAGE', `--platform takes os/arch[/variant], got ${quote(s)}`);
  return variant ? { os, architecture, variant } : { os, architecture };
}
