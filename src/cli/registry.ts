import { registryView } from '../analyze/registry-view.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { renderRegistryView } from '../render/registry.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadRegistrySource } from '../sources/load.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

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
    const read = await loadRegistrySource(positionals[0], { platform });
    const images = read.registryImages ?? [];
    const hostTags = values.host?.map((h) => {
      let tag: string;
      try {
        tag = familiarString(withDefaultTag(parseNormalizedNamed(h)));
      } catch (e) {
        throw usageError(`--host ${JSON.stringify(h.slice(0, 200))}: ${(e as Error).message}`);
      }
      if (!images.some((i) => i.repoTags.includes(tag))) throw new LayerlabError('EINPUT', `--host ${h}: ${tag} is not in the registry source`, { file: positionals[0] });
      return tag;
    });
    const view = registryView(images, hostTags);
    io.stdout(format === 'json' ? json({ ...view, notes: read.notes }) : renderRegistryView(view, read.notes));
    return 0;
  },
};
