import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainReference, familiarName, familiarString, parseAnyReference, parseNormalizedNamed, parseReference, referenceName, referenceString } from '../src/model/reference.js';
import { LayerlabError } from '../src/errors.js';

const F64 = 'f'.repeat(64);
// distribution/reference reference_test.go TestReferenceParse: input → domain, name, tag, digest or error.
const PARSE: { input: string; err?: RegExp; repository?: string; domain?: string; tag?: string; digest?: string }[] = [
  { input: 'test_com', repository: 'test_com' },
  { input: 'test.com:tag', repository: 'test.com', tag: 'tag' },
  { input: 'test.com:5000', repository: 'test.com', tag: '5000' },
  { input: 'test.com/repo:tag', domain: 'test.com', repository: 'test.com/repo', tag: 'tag' },
  { input: 'test:5000/repo', domain: 'test:5000', repository: 'test:5000/repo' },
  { input: 'test:5000/repo:tag', domain: 'test:5000', repository: 'test:5000/repo', tag: 'tag' },
  { input: `test:5000/repo@sha256:${F64}`, domain: 'test:5000', repository: 'test:5000/repo', digest: `sha256:${F64}` },
  { input: `test:5000/repo:tag@sha256:${F64}`, domain: 'test:5000', repository: 'test:5000/repo', tag: 'tag', digest: `sha256:${F64}` },
  { input: '', err: /at least one component/ },
  { input: ':justtag', err: /^invalid reference format$/ },
  { input: `@sha256:${F64}`, err: /^invalid reference format$/ },
  { input: 'repo@sha256:ffffffffffffffffffffffffffffffffff', err: /invalid checksum digest length/ },
  { input: `validname@invaliddigest:${F64}`, err: /unsupported digest algorithm/ },
  { input: 'Uppercase:tag', err: /must be lowercase/ },
  { input: 'test:5000/Uppercase/lowercase:tag', err: /must be lowercase/ },
  { input: 'lowercase:Uppercase', repository: 'lowercase', tag: 'Uppercase' },
  { input: 'a/'.repeat(128) + 'a:tag', err: /not be more than 255 characters/ },
  { input: 'a/'.repeat(127) + 'a:tag-puts-this-over-max', domain: 'a', repository: 'a/'.repeat(127) + 'a', tag: 'tag-puts-this-over-max' },
  { input: 'aa/asdf$$^/aa', err: /^invalid reference format$/ },
  { input: 'sub-dom1.foo.com/bar/baz/quux', domain: 'sub-dom1.foo.com', repository: 'sub-dom1.foo.com/bar/baz/quux' },
  { input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', domain: 'sub-dom1.foo.com', repository: 'sub-dom1.foo.com/bar/baz/quux', tag: 'some-long-tag' },
  { input: 'b.gcr.io/test.example.com/my-app:test.example.com', domain: 'b.gcr.io', repository: 'b.gcr.io/test.example.com/my-app', tag: 'test.example.com' },
  { input: 'xn--n3h.com/myimage:xn--n3h.com', domain: 'xn--n3h.com', repository: 'xn--n3h.com/myimage', tag: 'xn--n3h.com' },
  { input: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${'f'.repeat(128)}`, domain: 'xn--7o8h.com', repository: 'xn--7o8h.com/myimage', tag: 'xn--7o8h.com', digest: `sha512:${'f'.repeat(128)}` },
  { input: 'foo_bar.com:8080', repository: 'foo_bar.com', tag: '8080' },
  { input: 'foo/foo_bar.com:8080', domain: 'foo', repository: 'foo/foo_bar.com', tag: '8080' },
  { input: '192.168.1.1', repository: '192.168.1.1' },
  { input: '192.168.1.1:tag', repository: '192.168.1.1', tag: 'tag' },
  { input: '192.168.1.1:5000', repository: '192.168.1.1', tag: '5000' },
  { input: '192.168.1.1/repo', domain: '192.168.1.1', repository: '192.168.1.1/repo' },
  { input: '192.168.1.1:5000/repo', domain: '192.168.1.1:5000', repository: '192.168.1.1:5000/repo' },
  { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', repository: '192.168.1.1:5000/repo', tag: '5050' },
  { input: '[2001:db8::1]', err: /^invalid reference format$/ },
  { input: '[2001:db8::1]:5000', err: /^invalid reference format$/ },
  { input: '[2001:db8::1]:tag', err: /^invalid reference format$/ },
  { input: '[2001:db8::1]/repo', domain: '[2001:db8::1]', repository: '[2001:db8::1]/repo' },
  { input: '[2001:db8:1:2:3:4:5:6]/repo:tag', domain: '[2001:db8:1:2:3:4:5:6]', repository: '[2001:db8:1:2:3:4:5:6]/repo', tag: 'tag' },
  { input: '[2001:db8::1]:5000/repo', domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo' },
  { input: '[2001:db8::1]:5000/repo:tag', domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo', tag: 'tag' },
  { input: `[2001:db8::1]:5000/repo@sha256:${F64}`, domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo', digest: `sha256:${F64}` },
  { input: `[2001:db8::1]:5000/repo:tag@sha256:${F64}`, domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo', tag: 'tag', digest: `sha256:${F64}` },
  { input: '[2001:db8::]:5000/repo', domain: '[2001:db8::]:5000', repository: '[2001:db8::]:5000/repo' },
  { input: '[::1]:5000/repo', domain: '[::1]:5000', repository: '[::1]:5000/repo' },
  { input: '[fe80::1%eth0]:5000/repo', err: /^invalid reference format$/ },
  { input: '[fe80::1%@invalidzone]:5000/repo', err: /^invalid reference format$/ },
];

for (const tc of PARSE) {
  test(`Parse ${JSON.stringify(tc.input.length > 60 ? tc.input.slice(0, 57) + '...' : tc.input)}`, () => {
    if (tc.err) {
      assert.throws(() => parseReference(tc.input), (e: unknown) => e instanceof LayerlabError && e.code === 'EREF' && tc.err!.test(e.message));
      return;
    }
    const r = parseReference(tc.input);
    assert.equal(referenceString(r), tc.input, 'String() round-trips the input');
    assert.equal(referenceName(r), tc.repository);
    assert.equal(r.domain, tc.domain ?? '');
    assert.equal(r.tag, tc.tag);
    assert.equal(r.digest, tc.digest);
  });
}

// normalize_test.go TestValidateReferenceName / TestValidateRemoteName.
const VALID = [
  'docker/docker', 'library/debian', 'debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian',
  'index.docker.io/docker/docker', 'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian', '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker', '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'Docker/docker', 'DOCKER/docker',
  'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker',
];
const INVALID = [
  'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
  'docker.io/docker/Docker', 'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian', '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'docker-/docker', '-docker-/docker', '____/____', '_docker/_docker', 'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/',
  'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4) + '/docker',
];
test('ParseNormalizedNamed accepts the valid names of normalize_test.go', () => {
  for (const n of VALID) assert.doesNotThrow(() => parseNormalizedNamed(n), n);
});
test('ParseNormalizedNamed refuses the invalid names of normalize_test.go', () => {
  for (const n of INVALID) assert.throws(() => parseNormalizedNamed(n), LayerlabError, n);
});

// normalize_test.go TestParseRepositoryInfo: familiar, full, ambiguous forms.
const REPO_INFO = [
  { remote: 'fooo/bar', familiar: 'fooo/bar', full: 'docker.io/fooo/bar', ambiguous: 'index.docker.io/fooo/bar', domain: 'docker.io' },
  { remote: 'library/ubuntu', familiar: 'ubuntu', full: 'docker.io/library/ubuntu', ambiguous: 'library/ubuntu', domain: 'docker.io' },
  { remote: 'nonlibrary/ubuntu', familiar: 'nonlibrary/ubuntu', full: 'docker.io/nonlibrary/ubuntu', domain: 'docker.io' },
  { remote: 'other/library', familiar: 'other/library', full: 'docker.io/other/library', domain: 'docker.io' },
  { remote: 'private/moonbase', familiar: '127.0.0.1:8000/private/moonbase', full: '127.0.0.1:8000/private/moonbase', domain: '127.0.0.1:8000' },
  { remote: 'privatebase', familiar: '127.0.0.1:8000/privatebase', full: '127.0.0.1:8000/privatebase', domain: '127.0.0.1:8000' },
  { remote: 'private/moonbase', familiar: 'example.com/private/moonbase', full: 'example.com/private/moonbase', domain: 'example.com' },
  { remote: 'privatebase', familiar: 'example.com:8000/privatebase', full: 'example.com:8000/privatebase', domain: 'example.com:8000' },
  { remote: 'library/ubuntu-12.04-base', familiar: 'ubuntu-12.04-base', full: 'docker.io/library/ubuntu-12.04-base', ambiguous: 'index.docker.io/library/ubuntu-12.04-base', domain: 'docker.io' },
  { remote: 'library/foo', familiar: 'foo', full: 'docker.io/library/foo', ambiguous: 'docker.io/foo', domain: 'docker.io' },
  { remote: 'library/foo/bar', familiar: 'library/foo/bar', full: 'docker.io/library/foo/bar', domain: 'docker.io' },
  { remote: 'store/foo/bar', familiar: 'store/foo/bar', full: 'docker.io/store/foo/bar', domain: 'docker.io' },
  { remote: 'bar', familiar: 'Foo/bar', full: 'Foo/bar', domain: 'Foo' },
  { remote: 'bar', familiar: 'FOO/bar', full: 'FOO/bar', domain: 'FOO' },
];
for (const tc of REPO_INFO) {
  test(`repository info of ${tc.full}`, () => {
    for (const s of [tc.familiar, tc.full, ...(tc.ambiguous ? [tc.ambiguous] : [])]) {
      const r = parseNormalizedNamed(s);
      assert.equal(familiarName(r), tc.familiar, s);
      assert.equal(referenceName(r), tc.full, s);
      assert.equal(r.domain, tc.domain, s);
      assert.equal(r.path, tc.remote, s);
    }
  });
}

test('ParseAnyReference: a bare 64-hex is an image ID, a digest is a digest, 63-hex is a name', () => {
  const id = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
  assert.equal(referenceString(parseAnyReference(id)), 'sha256:' + id);
  assert.equal(referenceString(parseAnyReference('sha256:' + id)), 'sha256:' + id);
  assert.equal(referenceString(parseAnyReference(id.slice(0, 63))), 'docker.io/library/' + id.slice(0, 63));
  assert.equal(referenceString(parseAnyReference('dmcgowan/myapp:latest')), 'docker.io/dmcgowan/myapp:latest');
  assert.equal(referenceString(parseAnyReference('redis@sha256:' + id)), 'docker.io/library/redis@sha256:' + id);
});

test('tag and digest together: familiar string keeps both (TestParseReferenceWithTagAndDigest)', () => {
  const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
  const r = parseNormalizedNamed(short);
  assert.equal(referenceString(r), 'docker.io/library/' + short);
  assert.equal(familiarString(r), short);
});

test('explain: default tag, namespace, familiar and canonical forms', () => {
  assert.deepEqual(explainReference('redis'), {
    input: 'redis', valid: true, kind: 'named', registry: 'docker.io', namespace: 'library', repository: 'library/redis',
    tag: 'latest', tagDefaulted: true, familiar: 'redis:latest', canonical: 'docker.io/library/redis:latest',
  });
  const reg = explainReference('localhost:5000/team/app:v1');
  assert.equal(reg.registry, 'localhost:5000');
  assert.equal(reg.namespace, 'team');
  assert.equal(reg.familiar, 'localhost:5000/team/app:v1');
  assert.equal(reg.tagDefaulted, false);
  const bad = explainReference('Redis');
  assert.equal(bad.valid, false);
  assert.match(bad.error ?? '', /must be lowercase/);
});
