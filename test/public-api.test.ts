import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as api from '../src/index.js';
import * as internals from '../src/internals.js';

test('public API: exactly these values, named (types are listed in src/index.ts)', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'DEFAULT_NETWORK', 'GraphBuilder', 'HostState', 'ImageGraph', 'LayerlabError', 'Universe', 'chainIds', 'compareDedupModels', 'describeCaveat', 'dfCaveats', 'explainReference',
    'humanSize', 'imageBindings', 'imageIdFromConfig', 'isLayerlabError', 'loadRegistrySource', 'loadSource', 'loadSources', 'mostSharedLayers', 'pairwiseShared', 'parseHumanSize',
    'parseNormalizedNamed', 'parseSnapshot', 'planPull', 'planPulls', 'planPush', 'pullHostFromGraph', 'registryView', 'removalHost', 'removalPlan', 'renderDfSummary',
    'renderDfVerbose', 'serializeSnapshot', 'simulatePulls', 'syntheticGraph', 'systemDf',
  ]);
  for (const name of Object.keys(api)) assert.equal((internals as Record<string, unknown>)[name], (api as Record<string, unknown>)[name], `internals has ${name} too`);
});

test('public API: every name src/index.ts exports is documented where it is declared', () => {
  const index = readFileSync('src/index.ts', 'utf8');
  const undocumented: string[] = [];
  for (const m of index.matchAll(/export (?:type )?\{([^}]*)\} from '\.\/([^']*)\.js'/g)) {
    const lines = readFileSync(`src/${m[2]}.ts`, 'utf8').split('\n');
    for (const name of m[1].split(',').map((n) => n.trim().replace(/^type /, '')).filter(Boolean)) {
      const at = lines.findIndex((l) => new RegExp(`^export (?:async )?(?:interface|type|class|function|const) ${name}\\b`).test(l));
      assert.ok(at >= 0, `${name} is declared in src/${m[2]}.ts`);
      let k = at - 1;
      while (k >= 0 && lines[k].trim() === '') k--;
      if (!lines[k]?.trim().endsWith('*/')) undocumented.push(`${name} (src/${m[2]}.ts)`);
    }
  }
  assert.deepEqual(undocumented, []);
});

test('package.json: "." is the public API, "./internals" the rest, both built from src', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  assert.deepEqual(pkg.exports['./internals'], { types: './dist/internals.d.ts', default: './dist/internals.js' });
});
