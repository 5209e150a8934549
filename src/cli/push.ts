import { inferPushHost, localImageFor, narratePush, planPush, registryStateOf, type PushHost, type PushPlan, type StoredManifest } from '../analyze/push.js';
import { familiarName, familiarString, parseNormalizedNamed, referenceName, withDefaultTag } from '../model/reference.js';
import { humanSize } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { isDockerRoot, readDockerRoot } from '../sources/docker-root.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadSource } from '../sources/load.js';
import { blobLayers, readRegistrySource, type RegistryImage } from '../sources/registry.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

/** Registry images as stored manifests under the repositories (full names) that reference them. */
export function storedManifests(images: RegistryImage[]): StoredManifest[] {
  return images.map((img) => {
    const repos = new Set<string>();
    for (const r of [...img.repoTags, ...img.repoDigests]) {
      try {
        repos.add(referenceName(parseNormalizedNamed(r)));
      } catch {
        // a name the registry data spells oddly links nothing
      }
    }
    return {
      digest: img.manifestDigest,
      repositories: [...repos],
      config: { digest: img.manifest.config!.digest, ...(img.manifest.config!.size !== undefined ? { size: img.manifest.config!.size } : {}) },
      layers: blobLayers(img),
    };
  });
}

function renderTable(plans: PushPlan[], host: PushHost): string {
  const rows = [['IMAGE', 'LAYER', 'PUSH', 'BYTES']];
  for (const p of plans)
    for (const l of [...p.layers].reverse()) {
      const what = l.status === 'Pushed' ? 'upload (gzip now)' : l.status === 'Mounted from' ? `Mounted from ${l.from}` : 'Layer already exists';
      const bytes = l.status === 'Pushed' ? (l.uncompressedSize !== undefined ? `${humanSize(l.uncompressedSize)} before gzip` : 'unknown') : l.size !== undefined ? humanSize(l.size) + ' not sent' : '';
      rows.push([p.ref, l.id12, what, bytes]);
    }
  const sum = (f: (p: PushPlan) => number) => plans.reduce((s, p) => s + f(p), 0);
  const uploads = plans.reduce((s, p) => s + p.layers.filter((l) => l.status === 'Pushed').length, 0);
  let out = trimLines(tabwrite(rows));
  out += `\nTo upload: ${uploads} layer(s), ${humanSize(sum((p) => p.uploadUncompressedBytes))} before gzip; not sent (already there or mounted): ${humanSize(sum((p) => p.savedBytes))} compressed.\n`;
  out += `Blob metadata of the pushing host: ${host.source === 'read' ? 'read from the Docker data root' : host.source === 'inferred' ? "inferred from the images' RepoDigests and the registry's manifests (ages unknown, so the repository a blob is mounted from may differ)" : 'none'}.\n`;
  out += "The registry's contents: the blobs its manifests reference, per repository (a blob uploaded or mounted without a manifest is not seen).\n";
  return out;
}

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
    const manifests = storedManifests((await readRegistrySource(values.registry, platform)).images);
    const registry = registryStateOf(manifests);
    let host: PushHost;
    let graph;
    let configSizes: Map<string, number> | undefined;
    if (isDockerRoot(values.from)) {
      const root = readDockerRoot(values.from);
      graph = root.graph;
      configSizes = root.configSizes;
      host = { metadata: new Map([...root.distribution.digestsByDiffId].map(([d, ms]) => [d, [...ms]])), source: 'read' };
    } else {
      graph = (await loadSource(values.from, { platform })).graph;
      host = inferPushHost(graph, manifests);
    }
    const plans = refs.map((ref, k) => {
      const image = localImageFor(graph, ref, configSizes);
      if (!image) {
        const tag = familiarString(withDefaultTag(ref));
        const there = graph.images.some((m) => (m.repoTags ?? []).includes(tag));
        throw new LayerlabError('EINPUT', there ? `${positionals[k]}: the source does not give its layers' diffIDs (a push reads them from the host)` : `An image does not exist locally with the tag: ${familiarName(ref)}`, { file: values.from });
      }
      return planPush(host, registry, image);
    });
    if (format === 'json') io.stdout(json({ metadata: host.source, plans }));
    else if (format === 'docker') io.stdout(plans.map((p) => narratePush(p).join('\n') + '\n').join(''));
    else io.stdout(renderTable(plans, host));
    return 0;
  },
};
