import { inferBlobMetadata, narratePull, planPull, pullHostFromGraph, type PullHost, type PullPlan, type RemoteImage } from '../analyze/pull.js';
import { GraphBuilder } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { humanSize } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { isDockerRoot, readDockerRoot } from '../sources/docker-root.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadSource } from '../sources/load.js';
import { parseRegistrySource, readRegistry, readRegistryFolder, RegistryClient, type RegistryImage } from '../sources/registry.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

/** Finds REF among registry images and turns it into what a pull reads. */
function remoteFor(ref: string, images: RegistryImage[]): RemoteImage {
  const want = withDefaultTag(parseNormalizedNamed(ref));
  const tag = familiarString(want);
  const img = images.find((i) => i.repoTags.includes(tag));
  if (!img) throw new LayerlabError('EINPUT', `${tag} is not in the registry source`);
  const repoDigest = img.repoDigests.find((d) => d.startsWith(familiarString({ ...want, tag: undefined, digest: undefined }) + '@'));
  return {
    ref: want,
    digest: repoDigest ? repoDigest.slice(repoDigest.indexOf('@') + 1) : img.manifestDigest,
    configDigest: img.manifest.config!.digest,
    layers: (img.manifest.layers ?? []).map((l, k) => ({ digest: l.digest, size: l.size, diffId: img.diffIds?.[k] })),
  };
}

function renderTable(plans: PullPlan[], host: PullHost): string {
  const rows = [['IMAGE', 'LAYER', 'DOCKER', 'DOWNLOAD', 'IDEAL STORE']];
  for (const p of plans) {
    if (p.imagePresent) rows.push([p.ref, '', 'image present: nothing read', '', '']);
    else for (const l of p.layers) rows.push([p.ref, l.id12, l.status === 'download' ? 'download' : l.status === 'planned' ? 'download (again in this pull)' : 'Already exists', l.downloadBytes ? humanSize(l.downloadBytes) : '', l.ideal === 'present' ? 'has it' : 'download']);
  }
  const sum = (f: (p: PullPlan) => number) => plans.reduce((s, p) => s + f(p), 0);
  let out = trimLines(tabwrite(rows));
  out += `\nCompressed bytes to download: ${humanSize(sum((p) => p.downloadBytes))} (Docker's rule), ${humanSize(sum((p) => p.idealDownloadBytes))} (ideal content-addressed store); a cold pull: ${humanSize(sum((p) => p.coldBytes))}.\n`;
  if (plans.some((p) => !p.sizesKnown)) out += 'Some blob sizes are unknown: totals are lower bounds.\n';
  if (plans.some((p) => !p.diffIdsKnown)) out += 'The registry data has no image configs: blob digests stand in for diffIDs (exact for layers pulled from this registry).\n';
  out += `Blob metadata (which blobs the host already has): ${host.metadata === 'read' ? 'read from the Docker data root' : host.metadata === 'inferred' ? 'inferred from images that carry a RepoDigest of this registry (a loaded image with one would be counted as pulled)' : 'none (an empty host)'}.\n`;
  return out;
}

export const pullCommand: Command = {
  name: 'pull',
  summary: 'What `docker pull` would download onto a host, and its narration, without any network',
  usage: `Usage: layerlab pull --from SOURCE [--into SOURCE] [OPTIONS] REF...

Plan \`docker pull REF...\` in order: per layer, Already exists or download, the compressed bytes
on the wire, with Docker's real rule (a layer counts as present only when the daemon's recorded
blob metadata maps its digest to a diffID and that chain exists, so layers that arrived by docker
load or a local build download again), and beside it what an ideal content-addressed store would
download. Later REFs see the layers earlier ones brought.

Options:
      --from SOURCE    where the images are: registry://127.0.0.1:PORT, or a folder of registry
                       manifests (e.g. fixtures/official-images/manifests)
      --into SOURCE    the host: a Docker data root (its blob metadata is read), docker://, a
                       snapshot or archive (blob metadata inferred, and said so); default: empty
      --platform P     os/arch[/variant] (default linux/amd64)
      --format FORMAT  table (default), json, or docker (the lines docker pull prints)
  -h, --help           show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { from: { type: 'string' }, into: { type: 'string' }, platform: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      'pull',
    );
    if (values.help) {
      io.stdout(pullCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json', 'docker'] as const, 'table', '--format');
    if (!values.from) throw usageError('pull needs --from SOURCE (a registry or a folder of manifests); see layerlab pull --help');
    if (positionals.length === 0) throw usageError('pull needs at least one REF');
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const remoteImages = values.from.startsWith('registry://')
      ? (await readRegistry(new RegistryClient(parseRegistrySource(values.from)), platform)).images
      : readRegistryFolder(values.from, platform).images;
    const wanted = positionals.map((r) => remoteFor(r, remoteImages));
    let host: PullHost;
    if (!values.into) host = pullHostFromGraph(new GraphBuilder().build());
    else if (isDockerRoot(values.into)) {
      const root = readDockerRoot(values.into);
      host = pullHostFromGraph(root.graph, root.distribution.diffIdByDigest);
    } else {
      const { graph } = await loadSource(values.into, { platform });
      host = pullHostFromGraph(graph);
      inferBlobMetadata(host, graph, wanted);
    }
    const plans = wanted.map((w) => planPull(host, w));
    if (format === 'json') io.stdout(json({ metadata: host.metadata, plans }));
    else if (format === 'docker') {
      positionals.forEach((r, k) => {
        const given = parseNormalizedNamed(r);
        io.stdout(narratePull(plans[k], given.tag !== undefined || given.digest !== undefined).join('\n') + '\n');
      });
    } else io.stdout(renderTable(plans, host));
    return 0;
  },
};
