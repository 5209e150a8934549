import fc from 'fast-check';
import { sha256Digest } from '../../src/model/digest.js';
import type { SnapshotDoc } from './arbitraries.js';

/**
 * Adds the digest references a pull or push gives (RepoDigests): per image, none, one in the
 * repository of each tag (what `docker pull repo:tag` leaves), one in a repository without a tag
 * on this image, or a digest only (an image pulled by digest). Each image's digests are its own,
 * so no reference names two images.
 */
export const withRepoDigests = (docs: fc.Arbitrary<SnapshotDoc>): fc.Arbitrary<SnapshotDoc> =>
  fc.tuple(docs, fc.array(fc.nat(3), { minLength: 16, maxLength: 16 })).map(([doc, kinds]) => ({
    ...doc,
    images: doc.images.map((img, k) => {
      const kind = kinds[k % kinds.length];
      const tags = (img.repoTags as string[] | undefined) ?? [];
      const digest = (repo: string) => `${repo}@${sha256Digest(`manifest-${k}-${repo}`)}`;
      let digests: string[] = [];
      if (kind === 1) digests = [...new Set(tags.map((t) => t.slice(0, t.lastIndexOf(':'))))].map(digest);
      else if (kind === 2) digests = [digest(`pulled${k % 2}`)];
      else if (kind === 3) digests = [...new Set(tags.map((t) => t.slice(0, t.lastIndexOf(':'))))].map(digest).concat(digest('mirror'));
      return digests.length ? { ...img, repoDigests: digests } : img;
    }),
  }));
