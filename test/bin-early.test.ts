// The process side of the command line asks a docker:// daemon before anything else it sets up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakeEngine } from './helpers/fake-engine.js';
import { tempDir } from './helpers/tmp.js';

const sha = (c: string) => `sha256:${c.repeat(64)}`;

test('runMain connects to the daemon (and so sends its first requests) before it sets up standard output', async () => {
  const dir = tempDir('layerlab-bin-early-');
  const e = await fakeEngine(dir, {
    '/version': { Version: '29.0.0', ApiVersion: '1.52' },
    '/images/json?all=1': [{ Id: sha('a') }],
    '/containers/json?all=1&size=1': [],
    [`/images/${encodeURIComponent(sha('a'))}/json`]: { Id: sha('a'), RepoTags: ['a:1'], RootFS: { Type: 'layers', Layers: [sha('1')] }, Size: 5 },
    [`/images/${encodeURIComponent(sha('a'))}/history`]: [{ Created: 1, Size: 5, CreatedBy: 'COPY f /' }],
  });
  const orderFile = join(dir, 'order.json');
  // A socket writes what it was given once connected ('connect'); standard output is made on first use.
  const script = `import { writeFileSync } from 'node:fs';
    import net from 'node:net';
    const order = [];
    const emit = net.Socket.prototype.emit;
    net.Socket.prototype.emit = function (name, ...args) {
      if (name === 'connect' && this.remoteAddress === undefined && !order.includes('daemon connected')) order.push('daemon connected');
      return emit.call(this, name, ...args);
    };
    const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
    Object.defineProperty(process, 'stdout', { configurable: true, enumerable: stdout.enumerable, get() { if (!order.includes('stdout')) order.push('stdout'); return stdout.get.call(process); } });
    process.on('exit', () => writeFileSync(${JSON.stringify(orderFile)}, JSON.stringify(order)));
    const { runMain } = await import('./src/cli/bin.ts');
    runMain(['df', 'docker://unix://${e.sock}']);`;
  try {
    // asynchronously: this process serves the child's requests meanwhile
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.match(r.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +1 /);
    assert.deepEqual(JSON.parse(readFileSync(orderFile, 'utf8')), ['daemon connected', 'stdout']);
  } finally {
    await e.close();
  }
});
