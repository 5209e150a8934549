import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainId, chainIds, EMPTY_LAYER_DIFF_ID, imageIdFromConfig } from '../src/model/identity.js';
import { digestProblem, parseDigest, sha256Digest, shortId } from '../src/model/digest.js';
import { LayerlabError } from '../src/errors.js';

// Vectors from shared/design/docker-semantics.md (image-spec config.md, moby identity/chainid.go).
test('chainID of [c6f9…, empty layer] is the published c3191d…', () => {
  const diffs = ['sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1', EMPTY_LAYER_DIFF_ID];
  assert.deepEqual(chainIds(diffs), [diffs[0], 'sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f']);
  assert.equal(chainId(diffs), 'sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f');
});

test('chainID of one layer is its diffID; of no layers is undefined', () => {
  assert.equal(chainId([EMPTY_LAYER_DIFF_ID]), EMPTY_LAYER_DIFF_ID);
  assert.equal(chainId([]), undefined);
});

test('image ID is the sha256 of the config bytes (published vector)', () => {
  const config = '{"comment": "abc", "rootfs": {"type": "layers", "diff_ids": ["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"]}}';
  assert.equal(imageIdFromConfig(config), 'sha256:8d25a9c45df515f9d0fe8e4a6b1c64dd3b965a84790ddbcc7954bb9bc89eb993');
  assert.equal(imageIdFromConfig(new TextEncoder().encode(config)), imageIdFromConfig(config));
});

test('the empty layer diffID is the sha256 of 1024 zero bytes', () => {
  assert.equal(sha256Digest(new Uint8Array(1024)), EMPTY_LAYER_DIFF_ID);
});

test('chainIDs match the real daemon layerdb (fixtures/docker-20.10-scenario)', () => {
  // layerdb.txt: app-b's top layer sits at chainID e19a98… over base 077f27…
  const base = 'sha256:077f276bfbd48645ecb836fee086342f8df57d87fd13c696f21261ac11a93675';
  assert.equal(chainId([base, 'sha256:1c5f553e227ac23d12af6d0b4009cfc71d3580703137c0c51617c0e42f72588b']), 'sha256:e19a98d1c22d054df3882b6c62c097cb6864c2b6d606af92f7f36f49e97090f2');
  assert.equal(chainId([base, 'sha256:c212f36b306cd870cc81cb9ed1772e64ce3b7dd780ced1fb85232ddb81768657']), 'sha256:b8908012d5794561480e0cd55687074f3f2cf68fb5cfb04ebd10895df1203a9d');
});

test('digests: sha256 and sha512 accepted; wrong length, uppercase, unknown algorithm refused', () => {
  assert.equal(digestProblem(EMPTY_LAYER_DIFF_ID), undefined);
  assert.equal(digestProblem('sha512:' + 'f'.repeat(128)), undefined);
  assert.match(digestProblem('sha256:' + 'f'.repeat(63)) ?? '', /^invalid checksum digest length/);
  assert.match(digestProblem('sha256:' + 'F'.repeat(64)) ?? '', /^invalid checksum digest format/);
  assert.match(digestProblem('md5:' + 'f'.repeat(32)) ?? '', /^unsupported digest algorithm/);
  assert.match(digestProblem('sha256') ?? '', /^invalid checksum digest format/);
  assert.match(digestProblem(':abc') ?? '', /^invalid checksum digest format/);
  assert.throws(() => parseDigest('sha256:xyz', { path: '$.x' }), (e: unknown) => e instanceof LayerlabError && e.code === 'EDIGEST' && e.place.path === '$.x');
});

test('short IDs are 12 hex with the algorithm dropped', () => {
  assert.equal(shortId(EMPTY_LAYER_DIFF_ID), '5f70bf18a086');
  assert.equal(shortId('5f70bf18a086007016e948b04aed3b82'), '5f70bf18a086');
});
