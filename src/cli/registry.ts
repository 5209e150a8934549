import { registryView } from '../analyze/registry-view.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { renderRegistryView } from '../render/registry.js';
import { loadRegistrySource } from '../sources/load.js';
import { LayerlabError, quote } from '../errors.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, writeFormatted, writeNotes } from './common.js';
import { usageError } from './io.js';
import { defineCommand } from './options.js';

export const registryCommand = defineCommand(
  {
    name: 'registry',
    summary: "A registry's images: bytes stored with and without blob dedup, each pull's cost given the others",
    description: `For the images of a registry source (registry://127.0.0.1:PORT, an OCI layout or OCI archive,
or a folder of registry manifests): each image's compressed size, its bytes no other image shares,
and what pulling it downloads onto a host that already holds the others (or only the --host
images), by docker's rule and by an ideal content-addressed store; the registry's bytes stored
with blob dedup and without.`,
    positionals: [{ name: 'SOURCE' }],
    options: {
      host: { type: 'string', value: 'REF', multiple: true, description: 'the host holds just these images', defaultHelp: 'all the others' },
      platform: PLATFORM_OPTION,
      format: formatOption(['table', 'json']),
    },
  },
  async ({ values, positionals }, io) => {
    const read = await loadRegistrySource(positionals[0], loadOptionsOf(values.platform, io));
    const images = read.registryImages;
    const hostTags = values.host.length === 0 ? undefined : values.host.map((h) => {
      let tag: string;
      try {
        tag = familiarString(withDefaultTag(parseNormalizedNamed(h)));
      } catch (e) {
        throw usageError(`--host ${quote(h)}: ${(e as Error).message}`);
      }
      if (!images.some((i) => i.repoTags.includes(tag))) throw new LayerlabError('EINPUT', `--host ${quote(h)}: ${tag} is not in the registry source`, { file: positionals[0] });
      return tag;
    });
    const notes = notesFor([read], ['image-set']);
    await writeFormatted(io, values.format, { ...registryView(images, hostTags), notes }, { table: renderRegistryView });
    if (values.format !== 'json') writeNotes(io, notes);
    return 0;
  },
);
