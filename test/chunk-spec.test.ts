import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLayerlabError } from '../src/errors.js';
import { chunkBytes, createChunker, listChunkers, registerChunker } from '../src/chunk/registry.js';
import { CutList, type Chunker } from '../src/chunk/types.js';

function usageError(spec: string): string {
  try {
    createChunker(spec);
  } catch (e) {
    assert.ok(isLayerlabError(e), `${spec}: ${String(e)}`);
    assert.equal(e.code, 'EUSAGE');
    return e.message;
  }
  assert.fail(`${spec} was accepted`);
}

test('spec: defaults filled in, sizes with binary units, canonical spec round-trips', () => {
  assert.equal(createChunker('fastcdc2020').spec, 'fastcdc2020:avg=16384,min=4096,max=65536,level=1,seed=0');
  assert.equal(createChunker('fastcdc2020:min=4k,avg=16k,max=64k,level=2,seed=0').spec, 'fastcdc2020:avg=16384,min=4096,max=65536,level=2,seed=0');
  assert.equal(createChunker('fixed:size=64k').spec, 'fixed:size=65536');
  assert.equal(createChunker('gear:avg=8KiB').spec, 'gear:avg=8192,min=2048,max=32768,seed=0');
  assert.equal(createChunker('rabin:window=48,avg=8k').spec, `rabin:window=48,avg=8192,min=2048,max=32768,poly=${0x3da3358b4dc173n}`);
  assert.equal(createChunker('fastcdc2016:avg=1m,seed=0xff').spec, 'fastcdc2016:avg=1048576,min=262144,max=4194304,level=1,seed=255');
  for (const name of ['fastcdc2020', 'fastcdc2016', 'gear', 'rabin', 'fixed']) {
    const spec = createChunker(name).spec;
    assert.equal(createChunker(spec).spec, spec);
  }
});

test('spec: errors name the parameter and what was expected', () => {
  assert.match(usageError('nope:avg=1'), /unknown algorithm "nope" \(expected one of fastcdc2020, fastcdc2016, gear, rabin, fixed/);
  assert.match(usageError('fastcdc2020:avg=16q'), /avg expects a byte size such as 4096, 64k or 1m \(got "16q"\)/);
  assert.match(usageError('fastcdc2020:avg=100'), /avg must be from 256 to 4194304 bytes \(got 100\)/);
  assert.match(usageError('fastcdc2020:level=4'), /level must be from 0 to 3 \(got 4\)/);
  assert.match(usageError('fastcdc2020:speed=4'), /unknown parameter "speed" for fastcdc2020 \(expected avg, min, max, level, seed\)/);
  assert.match(usageError('fastcdc2020:min=64k,avg=16k'), /min <= avg <= max \(got min=65536, avg=16384, max=65536\)/);
  assert.match(usageError('fastcdc2020:avg'), /expected key=value parameters/);
  assert.match(usageError('fastcdc2020:avg=1k,avg=2k'), /parameter avg given twice/);
  assert.match(usageError('fixed:size=0'), /size must be from 1 to/);
  assert.match(usageError('rabin:window=48,min=32,avg=64,max=128'), /min must be at least the window/);
  assert.match(usageError('rabin:poly=0x100'), /poly must have a degree from 9 to 53/);
  assert.match(usageError('Fast'), /expected an algorithm name/);
  assert.match(usageError('fixed:seed=-1'), /unknown parameter "seed" for fixed \(expected size\)/);
});

test('spec fuzz: any string gives a chunker or a usage error, never anything else', () => {
  const piece = fc.oneof(
    fc.constantFrom('fastcdc2020', 'fastcdc2016', 'gear', 'rabin', 'fixed', 'min', 'avg', 'max', 'level', 'seed', 'size', 'window', 'poly', '=', ',', ':', 'k', 'm', 'KiB', '0x', '-1'),
    fc.nat({ max: 1 << 30 }).map(String),
    fc.string({ maxLength: 4 }),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 10 }), (parts) => {
      const spec = parts.join('');
      try {
        const c = createChunker(spec);
        assert.equal(createChunker(c.spec).spec, c.spec);
      } catch (e) {
        assert.ok(isLayerlabError(e) && e.code === 'EUSAGE', `${JSON.stringify(spec)}: ${String(e)}`);
      }
    }),
    { numRuns: 3000 },
  );
});

/** A user's chunker: cuts after every byte equal to `byte` (a toy, but through the same interface). */
class ByteChunker implements Chunker {
  readonly cuts = new CutList();
  readonly fingerprints = false;
  private total = 0;
  private last = 0;
  constructor(
    readonly spec: string,
    private readonly byte: number,
  ) {}
  push(bytes: Uint8Array): number {
    this.cuts.clear();
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === this.byte) this.cuts.add((this.last = this.total + i + 1), 0n);
    this.total += bytes.length;
    return this.cuts.length;
  }
  finish(): number {
    const [end, last] = [this.total, this.last];
    this.reset();
    if (end > last) this.cuts.add(end, 0n);
    return this.cuts.length;
  }
  reset(): void {
    this.cuts.clear();
    this.total = this.last = 0;
  }
}

test('registerChunker: a user chunker works through createChunker, chunkBytes and spec errors', () => {
  registerChunker('byte-test', (p) => {
    const byte = p.int('byte', 10, 0, 255);
    return new ByteChunker(p.done(), byte);
  }, 'cut after a given byte');
  assert.ok(listChunkers().some((c) => c.name === 'byte-test' && c.summary === 'cut after a given byte'));
  const got = chunkBytes('byte-test:byte=0x2c', Buffer.from('a,bb,,c'));
  assert.deepEqual(got.map((c) => c.length), [2, 3, 1, 1]);
  assert.equal(createChunker('byte-test').spec, 'byte-test:byte=10');
  assert.match(usageError('byte-test:byte=300'), /byte must be from 0 to 255/);
  assert.throws(() => registerChunker('byte-test', () => new ByteChunker('x', 0)), /already registered/);
  assert.throws(() => registerChunker('Bad Name', () => new ByteChunker('x', 0)), /chunker name "Bad Name"/);
});
