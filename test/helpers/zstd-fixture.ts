// The layer tar behind fixtures/zstd/*.zst (scripts/make-zstd-fixture.ts): rebuilt here, byte for
// byte, so tests check the decompressed stream against a tar they did not read from the fixture.
import tar from 'tar-stream';

/** A deterministic pseudo-random buffer (xorshift), compressible only where `repeat` repeats it. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = 0x41 + (x & 0x0f);
  }
  return b;
}

/** Entries: a dir, text, 200 KiB of 4-bit noise (several zstd blocks), a repeated copy, a symlink, a hard link, a whiteout. */
export async function zstdFixtureTar(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  const mtime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const big = noise(200 * 1024, 7);
  const file = (name: string, data: Buffer, extra: Partial<tar.Header> = {}) => pack.entry({ name, size: data.length, mode: 0o644, uid: 0, gid: 0, mtime, ...extra }, data);
  pack.entry({ name: 'etc/', type: 'directory', mode: 0o755, mtime });
  file('etc/motd', Buffer.from('hello from a zstd layer\n'));
  file('data/noise.bin', big, { uid: 1000, gid: 100 });
  file('data/twice.bin', Buffer.concat([big.subarray(0, 64 * 1024), big.subarray(0, 64 * 1024)]));
  pack.entry({ name: 'data/link', type: 'symlink', linkname: 'noise.bin', mtime });
  pack.entry({ name: 'data/hard', type: 'link', linkname: 'data/noise.bin', mtime });
  file('etc/.wh.gone', Buffer.alloc(0));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
