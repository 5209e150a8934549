import { evaluateDiveCi, type DiveCiConfig } from '../analyze/dive-ci.js';
import { diveExport, diveLayerHistory, fileDedup, wasteAnalysis } from '../analyze/waste.js';
import { findImage, stackOf } from '../analyze/image-lookup.js';
import { imageLabel } from '../analyze/sharing.js';
import { renderDiveCi, renderWaste, wasteAcross, wasteImage, type WasteResult } from '../render/waste.js';
import { readConfigHistory } from '../sources/image-config.js';
import { indexSourceLayers } from '../sources/layer-contents.js';
import { loadSource } from '../sources/load.js';
import { formatOption, PLATFORM_OPTION, platformOf, layerSourceHelp } from './common.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';

export const wasteCommand = defineCommand(
  {
    name: 'waste',
    summary: 'Wasted space per image as dive computes it (efficiency, wasted bytes, CI rules), and files duplicated across images',
    description: `For each IMAGE in SOURCE (all images when none is named), dive's figures, by dive's definitions:
  efficiency         Σ over paths of the smallest size any layer gives it / Σ of its sizes over
                     every layer touching it (1.0 when nothing)
  wastedBytes        Σ of the summed sizes of paths two or more layers touch (surviving copy included)
  userWastedPercent  wastedBytes / Σ of the sizes of the layers after the first
and the inefficient files, largest first. A whiteout counts 0 for a file, its subtree for a directory.
Then, over the images together: regular files and bytes, and how many are unique by content
(same sha256, any path, each distinct layer counted once).

--ci applies dive's rules (lowest efficiency 0.9, highest user wasted percent 0.1, highest
wasted bytes disabled by default; byte values in SI units, 20MB = 20,000,000) and exits 1
when an image fails one, naming the rule. A rule's value "disabled" turns it off.

${layerSourceHelp()}`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE', variadic: true, optional: true }],
    options: {
      format: formatOption(['table', 'json', 'dive-json'], { json: 'images[] {image, id, efficiency, sizeBytes, userSizeBytes, wastedBytes, wastedUserPercent, inefficiencies}, acrossImages', 'dive-json': "dive's --json export (one image; layer commands from the config history)" }),
      ci: { type: 'boolean', description: "evaluate dive's CI rules; exit 1 when an image fails one" },
      'lowest-efficiency': { type: 'string', value: 'R', description: 'with --ci: fail below this efficiency (0-1, or disabled)', defaultHelp: '0.9' },
      'highest-wasted-bytes': { type: 'string', value: 'B', description: 'with --ci: fail above this many wasted bytes (20MB, 1.5GiB, or disabled)', defaultHelp: 'disabled' },
      'highest-user-wasted-percent': { type: 'string', value: 'P', description: 'with --ci: fail above this wasted / user bytes ratio (0-1, or disabled)', defaultHelp: '0.1' },
      top: { type: 'number', value: 'N', description: 'inefficient files listed per image in the table', min: 0, max: 1_000_000, default: 10 },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [sourceArg, ...imageArgs] = positionals;
    const config: DiveCiConfig = {
      ...(values['lowest-efficiency'] !== undefined ? { lowestEfficiency: values['lowest-efficiency'] } : {}),
      ...(values['highest-wasted-bytes'] !== undefined ? { highestWastedBytes: values['highest-wasted-bytes'] } : {}),
      ...(values['highest-user-wasted-percent'] !== undefined ? { highestUserWastedPercent: values['highest-user-wasted-percent'] } : {}),
    };
    if (!values.ci && Object.keys(config).length) throw usageError('the rule thresholds apply with --ci only');
    if (values.ci) {
      // dive refuses a bad rule value before analysing anything; here it is a usage error.
      const probe = evaluateDiveCi({ efficiency: 1, sizeBytes: 0, userSizeBytes: 0, wastedBytes: 0, wastedUserPercent: 0, inefficiencies: [] }, config);
      const bad = probe.results.find((r) => r.status === 'misconfigured');
      if (bad) throw usageError(`--ci rule ${bad.rule}: ${bad.message}`);
    }
    const s = await loadSource(sourceArg, { platform: platformOf(values.platform) });
    const g = s.graph;
    const chosen = imageArgs.length ? [...new Set(imageArgs.map((a) => findImage(g, a, sourceArg)))] : g.images.map((_, i) => i);
    if (values.format === 'dive-json' && chosen.length !== 1) throw usageError(`--format dive-json describes one image; name one IMAGE (${chosen.length} chosen)`);
    const stacks = chosen.map((i) => stackOf(g, i).layers);
    const indexed = await indexSourceLayers(s, { layers: stacks.flat() });
    const per = chosen.map((i, k) => {
      const a = wasteAnalysis(
        stacks[k].map((l) => indexed.get(l)!.files),
        stacks[k].map((l) => indexed.get(l)!.size),
      );
      return { a, w: wasteImage(imageLabel(g, i), g.images[i].id, a) };
    });
    if (values.format === 'dive-json') {
      const { a } = per[0];
      const history = diveLayerHistory(await readConfigHistory(s, g.images[chosen[0]].id), stacks[0].map((l) => g.layerDiffId[l] ?? ''), stacks[0].length);
      const layers = stacks[0].map((l, k) => ({ id: g.layerDigest[l] ?? g.layerDiffId[l] ?? '', ...history[k], sizeBytes: indexed.get(l)!.size }));
      io.stdout(json(diveExport(a, layers)));
      return values.ci && !evaluateDiveCi(a, config).pass ? 1 : 0;
    }
    const d = fileDedup([...indexed.values()].map((x) => x.files));
    const result: WasteResult = {
      source: sourceArg,
      images: per.map((p) => p.w),
      acrossImages: wasteAcross(chosen.length, indexed.size, d),
    };
    if (!values.ci) {
      io.stdout(values.format === 'json' ? json(result) : renderWaste(result, values.top));
      return 0;
    }
    let failed = false;
    const reports = per.map((p) => {
      const ci = evaluateDiveCi(p.a, config);
      if (!ci.pass) failed = true;
      return { image: p.w.image, pass: ci.pass, results: ci.results, text: renderDiveCi(p.w, ci) };
    });
    if (values.format === 'json') io.stdout(json({ ...result, ci: reports.map(({ text: _t, ...r }) => r) }));
    else io.stdout(reports.map((r) => r.text).join('\n'));
    return failed ? 1 : 0;
  },
);
