import { localImageFor, narratePush, planPush, pushHostFromGraph, registryStateOf } from '../analyze/push.js';
import { familiarName, familiarString, withDefaultTag } from '../model/reference.js';
import { renderPushTable } from '../render/push.js';
import { loadRegistrySource, loadSource } from '../sources/load.js';
import { LayerlabError } from '../errors.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, writeNotes } from './common.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';
import { refsOf } from './pull.js';

export const pushCommand = defineCommand(
  {
    name: 'push',
    summary: 'What `docker push` would upload, mount or skip, without any network',
    synopsis: '--from SOURCE --registry SOURCE REF...',
    description: `Plan \`docker push REF...\` in order with the daemon's rule (moby push_v2.go): a layer whose blob
the daemon knows (its v2 metadata) and the target repository has is "Layer already exists"; one
another repository of the same registry has is "Mounted from" it (cross-repository mount);
anything else is gzipped and uploaded ("Pushed"). Later REFs see what earlier ones pushed.`,
    positionals: [{ name: 'REF', variadic: true }],
    options: {
      from: {
        type: 'string',
        value: 'SOURCE',
        description: 'the pushing host (required): a Docker data root (its v2 metadata is read), or any other source (metadata inferred from RepoDigests, and said so)',
      },
      registry: { type: 'string', value: 'SOURCE', description: 'the registry (required): registry://127.0.0.1:PORT, an OCI layout, or a folder of registry manifests' },
      platform: PLATFORM_OPTION,
      format: formatOption(['table', 'json', 'docker'], { docker: 'the lines docker push prints' }),
    },
  },
  async ({ values, positionals }, io) => {
    if (!values.from) throw usageError('push needs --from SOURCE (the host holding the images); see layerlab push --help');
    if (!values.registry) throw usageError('push needs --registry SOURCE (registry://HOST:PORT or a folder of manifests); see layerlab push --help');
    const refs = refsOf(positionals);
    const opts = loadOptionsOf(values.platform, io);
    const target = await loadRegistrySource(values.registry, opts);
    const images = target.registryImages;
    const registry = registryStateOf(images);
    const from = await loadSource(values.from, opts);
    const graph = from.graph;
    const host = pushHostFromGraph(graph, images, from.distribution);
    const plans = refs.map((ref, k) => {
      const image = localImageFor(graph, ref, from.configSizes);
      if (!image) {
        const tag = familiarString(withDefaultTag(ref));
        const there = graph.images.some((m) => (m.repoTags ?? []).includes(tag));
        throw new LayerlabError('EINPUT', there ? `${positionals[k]}: the source does not give its layers' diffIDs (a push reads them from the host)` : `An image does not exist locally with the tag: ${familiarName(ref)}`, { file: values.from });
      }
      return planPush(host, registry, image);
    });
    const notes = notesFor([target, from], ['image-set']);
    if (values.format === 'json') {
      io.stdout(json({ metadata: host.metadata, plans, notes }));
      return 0;
    }
    if (values.format === 'docker') io.stdout(plans.map((p) => narratePush(p).join('\n') + '\n').join(''));
    else io.stdout(renderPushTable(plans, host.metadata));
    writeNotes(io, notes);
    return 0;
  },
);
