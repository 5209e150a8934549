import { localImageFor, narratePush, planPush, pushHostFromGraph, registryStateOf } from '../analyze/push.js';
import { familiarName, familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { renderPushTable } from '../render/push.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadRegistrySource } from '../sources/load.js';
import { LayerlabError } from '../errors.js';
import { loadHostSource } from './host-source.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

export const pushCommand: Command = {
  name: 'push',
  summary: 'What `docker push` would upload, mount or skip, without any network',
  usage: `Usage: layerlab push --from SOURCE --registry SOURCE [OPTIONS] REF...

Plan \`docker push REF...\` in order with the daemon's rule (moby push_v2.go): a layer whose blob
the daemon knows (its v2 metadata) and the target repository has is "Layer already exists"; one
another repository of the same registry has is "Mounted from" it (cross-repository mount);
anything else is gzipped and uploaded ("Pushed"). Later REFs see what earlier ones pushed.

Options:
      --from SOURCE      the pushing host: a Docker data root (its v2 metadata is read), or any
                         other source (metadata inferred from RepoDigests, and said so)
      --registry SOURCE  the registry: registry://127.0.0.1:PORT, an OCI layout, or a folder of
                         registry manifests
      --platform P       os/arch[/variant] of registry indexes (default linux/amd64)
      --format FORMAT    table (default), json, or docker (the lines docker push prints)
  -h, --help             show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { from: { type: 'string' }, registry: { type: 'string' }, platform: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      'push',
    );
    if (values.help) {
      io.stdout(pushCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json', 'docker'] as const, 'table', '--format');
    if (!values.from) throw usageError('push needs --from SOURCE (the host holding the images); see layerlab push --help');
    if (!values.registry) throw usageError('push needs --registry SOURCE (registry://HOST:PORT or a folder of manifests); see layerlab push --help');
    if (positionals.length === 0) throw usageError('push needs at least one REF');
    const refs = positionals.map((r) => {
      try {
        return parseNormalizedNamed(r);
      } catch (e) {
        throw usageError(`${JSON.stringify(r)}: ${(e as Error).message}`);
      }
    });
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const images = (await loadRegistrySource(values.registry, { platform })).registryImages;
    const registry = registryStateOf(images);
    const { source, configSizes } = await loadHostSource(values.from, platform ? { platform } : {});
    const graph = source.graph;
    const host = pushHostFromGraph(graph, images, source.distribution);
    const plans = refs.map((ref, k) => {
      const image = localImageFor(graph, ref, configSizes);
      if (!image) {
        const tag = familiarString(withDefaultTag(ref));
        const there = graph.images.some((m) => (m.repoTags ?? []).includes(tag));
        throw new LayerlabError('EINPUT', there ? `${positionals[k]}: the source does not give its layers' diffIDs (a push reads them from the host)` : `An image does not exist locally with the tag: ${familiarName(ref)}`, { file: values.from });
      }
      return planPush(host, registry, image);
    });
    if (format === 'json') io.stdout(json({ metadata: host.metadata, plans }));
    else if (format === 'docker') io.stdout(plans.map((p) => narratePush(p).join('\n') + '\n').join(''));
    else io.stdout(renderPushTable(plans, host.metadata));
    return 0;
  },
};
