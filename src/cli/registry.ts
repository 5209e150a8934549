import { registryView, type RegistryView } from '../analyze/registry-view.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { humanSize } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { parsePlatform } from '../sources/image-archive.js';
import { blobLayers, readRegistrySource } from '../sources/registry.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

function render(v: RegistryView): string {
  const hostWords = v.host === 'others' ? 'every other image here' : v.host.join(', ');
  const rows = [['IMAGE', 'LAYERS', 'SIZE', 'UNIQUE', 'PULL (DOCKER)', 'PULL (IDEAL)']];
  for (const r of v.rows) rows.push([r.ref, String(r.layers), humanSize(r.size), humanSize(r.unique), r.onHost ? 'on the host' : humanSize(r.pullDocker), r.onHost ? '' : humanSize(r.pullIdeal)]);
  let out = trimLines(tabwrite(rows));
  const saved = v.storedWithoutDedup - v.storedWithDedup;
  out += `\nStored: ${humanSize(v.storedWithDedup)} with blob dedup, ${humanSize(v.storedWithoutDedup)} without (${v.storedWithoutDedup ? Math.round((100 * saved) / v.storedWithoutDedup) : 0}% saved by sharing blobs).\n`;
  out += `PULL: compressed bytes a pull downloads onto a host holding ${hostWords} (pulled from this registry): DOCKER by docker's rule (a layer is skipped only when its whole blob prefix is there), IDEAL by a content-addressed store (any blob already there).\n`;
  out += 'UNIQUE: bytes of blobs no other image here has.\n';
  if (!v.sizesKnown) out += 'Some blob sizes are unknown and count as 0.\n';
  return out;
}

export const registryCommand: Command = {
  name: 'registry',
  summary: 'A registry\'s images: bytes stored with and without blob dedup, each pull\'s cost given the others',
  usage: `Usage: layerlab registry [OPTIONS] SOURCE

For the images of a registry source (registry://127.0.0.1:PORT, an OCI layout, or a folder of
registry manifests):
each image's compressed size, its bytes no other image shares, and what pulling it downloads onto
a host that already holds the others (or only the --host images), by docker's rule and by an ideal
content-addressed store; the registry's bytes stored with blob dedup and without.

Options:
      --host REF       the host holds just these images (repeatable); default: all the others
      --platform P     os/arch[/variant] of indexes (default linux/amd64)
      --format FORMAT  table (default) or json
  -h, --help           show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { host: { type: 'string', multiple: true }, platform: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      'registry',
    );
    if (values.help) {
      io.stdout(registryCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json'] as const, 'table', '--format');
    if (positionals.length !== 1) throw usageError('registry takes exactly one SOURCE (registry://HOST:PORT or a folder of manifests)');
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const read = await readRegistrySource(positionals[0], platform);
    const images = read.images.map((img) => ({
      ref: img.repoTags[0] ?? img.repoDigests[0] ?? img.manifestDigest,
      tags: img.repoTags,
      layers: blobLayers(img),
    }));
    let hostRefs: string[] | undefined;
    if (values.host) {
      hostRefs = values.host.map((h) => {
        let tag: string;
        try {
          tag = familiarString(withDefaultTag(parseNormalizedNamed(h)));
        } catch (e) {
          throw usageError(`--host ${JSON.stringify(h)}: ${(e as Error).message}`);
        }
        const img = images.find((i) => i.tags.includes(tag));
        if (!img) throw new LayerlabError('EINPUT', `--host ${h}: ${tag} is not in the registry source`, { file: positionals[0] });
        return img.ref;
      });
    }
    const view = registryView(images, hostRefs);
    io.stdout(format === 'json' ? json(view) : render(view));
    return 0;
  },
};
