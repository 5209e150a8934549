// Every parser of outside input, fed random and mutated input: only layerlab's typed error, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LayerlabError } from '../src/errors.js';
import { explainReference, parseAnyReference } from '../src/model/reference.js';
import { graphFromEngine } from '../src/sources/engine.js';
import { readRegistryFolder } from '../src/sources/registry.js';
import { readDockerRoot } from '../src/sources/docker-root.js';
import { readOciLayout } from '../src/sources/oci-layout.js';
import { makeLayout } from './helpers/oci.js';

function typed(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `crashed with ${(e as Error)?.stack ?? e}`);
  }
}
async function typedAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof LayerlabError, `crashed with ${(e as Error)?.stack ?? e}`);
  }
}

/** Replaces a random byte range of a text with random text. */
const mutateText = (text: string, at: number, len: number, insert: string) => {
  const i = at % Math.max(1, text.length);
  return text.slice(0, i) + insert + text.slice(i + (len % 16));
};

test('fuzz: references — any string is parsed or refused with EREF, explain never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-zA-Z0-9._:@/\-[\]]{0,80}$/)), (s) => {
      typed(() => parseAnyReference(s));
      const e = explainReference(s);
      assert.equal(typeof e.valid, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: Engine API answers (image inspect, containers) of any shape', () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), (imgs, ctrs) => {
      typed(() => graphFromEngine(imgs as never, ctrs as never, new Map()));
    }),
    { numRuns: 500 },
  );
});

test('fuzz: folders of registry documents, mutated', () => {
  const src = 'fixtures/registry-manifests';
  const files = readdirSync(src).filter((f) => f.endsWith('.json'));
  fc.assert(
    fc.property(fc.nat(), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }), (which, at, len, insert) => {
      const dir = mkdtempSync(join(tmpdir(), 'layerlab-fz-'));
      try {
        for (const f of files) cpSync(join(src, f), join(dir, f));
        const f = files[which % files.length];
        writeFileSync(join(dir, f), mutateText(readFileSync(join(src, f), 'utf8'), at, len, insert));
        typed(() => readRegistryFolder(dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 200 },
  );
});

test('fuzz: Docker data roots with mutated config, size and container files', () => {
  const src = 'fixtures/docker-20.10-root/root';
  const targets: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else targets.push(p.slice(src.length + 1));
    }
  };
  walk(src);
  fc.assert(
    fc.property(fc.nat(), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }), (which, at, len, insert) => {
      const dir = mkdtempSync(join(tmpdir(), 'layerlab-fz-'));
      try {
        cpSync(src, dir, { recursive: true });
        const t = targets[which % targets.length];
        writeFileSync(join(dir, t), mutateText(readFileSync(join(src, t), 'utf8'), at, len, insert));
        typed(() => readDockerRoot(dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 150 },
  );
});

test('fuzz: OCI layout folders with mutated index, manifests and configs', async () => {
  const { dir: base } = await makeLayout([{ files: [{ a: 'aaaa' }, { b: 'bb' }] }, { files: [{ a: 'aaaa' }] }]);
  const texts = ['index.json', 'oci-layout', ...readdirSync(join(base, 'blobs', 'sha256')).map((h) => `blobs/sha256/${h}`)].filter((p) => readFileSync(join(base, p))[0] === 0x7b);
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }), async (which, at, len, insert) => {
      const dir = mkdtempSync(join(tmpdir(), 'layerlab-fz-'));
      try {
        cpSync(base, dir, { recursive: true });
        const t = texts[which % texts.length];
        writeFileSync(join(dir, t), mutateText(readFileSync(join(base, t), 'utf8'), at, len, insert));
        await typedAsync(() => readOciLayout(dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 200 },
  );
});
