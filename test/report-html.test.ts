import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { layerTree, prefixSharing } from '../src/analyze/tree.js';
import { timeSeriesFigure } from '../src/render/html/charts.js';
import { snapshotFromJson } from '../src/sources/snapshot.js';
import { snapshotDoc } from './helpers/arbitraries.js';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = 'fixtures/docker-20.10-root/root';
const SCENARIO = 'fixtures/docker-20.10-scenario/host.snapshot.json';

function embedded(html: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(html);
  assert.ok(m, id);
  return JSON.parse(m[1]);
}

test('report embeds exactly what tree and df print as JSON, and refers to nothing outside the file', async () => {
  const r = await cli('report', ROOT, '-o', '-', '--title', 'a </script><b>title</b>');
  assert.equal(r.code, 0, r.stderr);
  const data = embedded(r.stdout, 'layerlab-data') as { tree: object; df: { notes: unknown }; title: string };
  // tree's JSON carries the source notes, which the page embeds once, with df
  assert.deepEqual({ ...data.tree, notes: data.df.notes }, JSON.parse((await cli('tree', '--format', 'json', ROOT)).stdout));
  assert.deepEqual(data.df, JSON.parse((await cli('df', '--format', 'json', ROOT)).stdout));
  assert.equal(data.title, 'a </script><b>title</b>');
  assert.match(r.stdout, /<title>a &lt;\/script&gt;&lt;b&gt;title&lt;\/b&gt;<\/title>/);
  assert.equal(r.stdout.match(/<\/script>/g)?.length, 3, 'only the three script elements close');
  assert.doesNotMatch(r.stdout, /\b(src|href)="(?!#)/, 'no link or source but in-page anchors');
  assert.doesNotMatch(r.stdout, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no URL but the SVG namespace');
});

test('report embeds a bounded cut of tree and df for a large input: only what the page draws, plus the counts of the rest', async () => {
  const dir = tempDir('layerlab-report-');
  const big = join(dir, 'big.json');
  assert.equal((await cli('generate', '--images', '20000', '--seed', '3', '-o', big)).code, 0);
  const r = await cli('report', big, '-o', '-');
  assert.equal(r.code, 0, r.stderr);
  const full = JSON.parse((await cli('df', '--format', 'json', big)).stdout) as { Images: unknown[]; ImagesUsage: unknown; ContainersUsage: unknown; LayersSize: number };
  assert.ok(r.stdout.length < 3_000_000, `page is ${r.stdout.length} bytes`);
  const data = embedded(r.stdout, 'layerlab-data') as {
    tree: { nodes: Record<string, { parent: number }>; images: Record<string, unknown>; cut: { nodes: number; images: number } };
    df: { Images: unknown[]; ImagesUsage: unknown; ContainersUsage: unknown; LayersSize: number; cut: { Images: number } };
  };
  assert.ok(JSON.stringify(data).length < 1_000_000, 'embedded JSON under 1 MB');
  assert.equal(data.tree.cut.images, 20000);
  assert.ok(data.tree.cut.nodes > 20000);
  const kept = Object.keys(data.tree.nodes).length;
  assert.ok(kept <= 600 + 40 * 64, `${kept} nodes embedded`);
  for (const n of Object.values(data.tree.nodes)) assert.ok(n.parent < 0 || String(n.parent) in data.tree.nodes, 'every embedded node has its parent');
  // the page shows every drawn layer's tooltip from the embedded data
  for (const m of r.stdout.matchAll(/class="layer[^"]*"[^>]*data-n="(\d+)"/g)) assert.ok(m[1] in data.tree.nodes, m[1]);
  assert.ok(Object.keys(data.tree.images).length <= 40 + 30 + 600);
  assert.ok(data.df.Images.length <= 40 + 30 + 600);
  assert.equal(data.df.cut.Images, full.Images.length);
  assert.deepEqual([data.df.ImagesUsage, data.df.ContainersUsage, data.df.LayersSize], [full.ImagesUsage, full.ContainersUsage, full.LayersSize]);
});

test('report --plan/--pull: a wrong file fails with exit 1 naming the file and the JSON path', async () => {
  const dir = tempDir('layerlab-report-');
  const bad = join(dir, 'plan.json');
  writeFileSync(bad, JSON.stringify({ steps: [{ command: 'docker rmi x', freedBytes: '12', cumulativeBytes: 12 }], freedBytes: 12, method: 'm', blocked: [] }));
  const r = await cli('report', SCENARIO, '--plan', bad, '-o', join(dir, 'out.html'));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `layerlab report: ${bad}: $.steps[0].freedBytes: expected a number\n`);
  const pull = join(dir, 'pull.json');
  writeFileSync(pull, JSON.stringify({ order: [], plans: [], schedule: { total: 1, firstReady: 1, downloadBytes: 0, mode: 'sequential', pulls: [{ ref: 'a', layers: [{ id12: 'x' }] }] } }));
  const p = await cli('report', SCENARIO, '--pull', pull, '-o', join(dir, 'out.html'));
  assert.equal(p.code, 1);
  assert.match(p.stderr, /pull\.json: \$\.schedule\.pulls\[0\]\.layers\[0\]\.registered: expected a number\n$/);
  const missing = await cli('report', SCENARIO, '--plan', join(dir, 'nope.json'), '-o', join(dir, 'out.html'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.json: cannot read/);
});

test('report with a real plan and pull draws a waterfall step per plan step and a timeline row per layer', async () => {
  const dir = tempDir('layerlab-report-');
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, (await cli('plan', ROOT, '--prune', '-a', '--format', 'json')).stdout);
  const out = join(dir, 'r.html');
  assert.equal((await cli('report', ROOT, '--plan', plan, '--dedup', '-o', out)).code, 0);
  const html = readFileSync(out, 'utf8');
  const section = (id: string) => html.slice(html.indexOf(`<section class="figure" id="${id}"`), html.indexOf('</section>', html.indexOf(`id="${id}"`)));
  assert.equal(section('plan').match(/<rect class="bar"/g)?.length, 3);
  assert.match(section('plan'), /3 steps \(.*\) free 6\.6kB in all\./);
  assert.match(section('dedup'), /chain 2\.005MB/);
});

test('prefixSharing: symmetric, the diagonal is the size, a pair shares at most the smaller image (random hosts)', () => {
  fc.assert(
    fc.property(snapshotDoc(), fc.integer({ min: 1, max: 8 }), (doc, max) => {
      const tree = layerTree(snapshotFromJson(doc).graph);
      const s = prefixSharing(tree, max);
      s.images.forEach((i, a) => {
        assert.equal(s.bytes[a][a], tree.images[i].size);
        s.images.forEach((j, b) => {
          assert.equal(s.bytes[a][b], s.bytes[b][a]);
          assert.ok(s.bytes[a][b] <= Math.min(tree.images[i].size!, tree.images[j].size!));
        });
        assert.ok(s.others.bytes[a] <= tree.images[i].size!);
      });
      assert.equal(s.images.length + s.others.images, tree.images.filter((x) => x.listed).length);
    }),
    { numRuns: 150 },
  );
});

test('timeSeriesFigure (the slot for simulations): one step line per series name, a table row per point, bytes as sizes', () => {
  const html = timeSeriesFigure({
    title: 'Disk use and bytes pulled',
    unit: 'bytes',
    points: [
      { t: 0, values: { disk: 0, pulled: 0 } },
      { t: 2, values: { disk: 5_000_000, pulled: 2_000_000 } },
      { t: 5, values: { disk: 4_000_000, pulled: 9_000_000 } },
    ],
  });
  assert.equal(html.match(/<path class="line/g)?.length, 2);
  assert.equal(html.match(/<tr>/g)?.length, 4);
  assert.match(html, /at the end disk 4MB, pulled 9MB/);
});
