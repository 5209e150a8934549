// Writes fixtures/zstd/: an uncompressed layer tar built deterministically by `zstdFixtureTar()`
// (test/helpers/zstd-fixture.ts rebuilds the same bytes), compressed by the zstd CLI (Debian's
// `zstd`, the reference implementation) as one frame (`layer.tar.zst`, level 19, with checksum)
// and as two concatenated frames (`layer.2frames.tar.zst`, split at a tar block boundary), the
// layer shapes `application/vnd.oci.image.layer.v1.tar+zstd` allows. Run: node --import tsx scripts/make-zstd-fixture.ts
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { zstdFixtureTar } from '../test/helpers/zstd-fixture.js';

const tar = await zstdFixtureTar();
const z = (b: Buffer, level: string) => execFileSync('zstd', [level, '-c', '-q', '--check'], { input: b, maxBuffer: 1 << 30 });
writeFileSync('fixtures/zstd/layer.tar.zst', z(tar, '-19'));
const cut = 512 * Math.floor(tar.length / 1024);
writeFileSync('fixtures/zstd/layer.2frames.tar.zst', Buffer.concat([z(tar.subarray(0, cut), '-3'), z(tar.subarray(cut), '-3')]));
console.log(`zstd ${execFileSync('zstd', ['--version']).toString().trim()}; tar ${tar.length} bytes`);
