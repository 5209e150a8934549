import { inferBlobMetadata, narratePull, pullHostFromGraph, type PullHost, type PullPlan, type RemoteImage } from '../analyze/pull.js';
import { DEFAULT_NETWORK, planPulls, type NetworkModel, type OrderedPulls } from '../analyze/pull-schedule.js';
import { GraphBuilder } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../model/reference.js';
import { humanSize, parseDuration, parseRate, shortSeconds } from '../render/units.js';
import { tabwrite } from '../render/tabwriter.js';
import { trimLines } from '../render/removal.js';
import { isDockerRoot, readDockerRoot } from '../sources/docker-root.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadSource } from '../sources/load.js';
import { blobLayers, readRegistrySource, type RegistryImage } from '../sources/registry.js';
import { LayerlabError } from '../errors.js';
import { json, oneOf, parseCommandArgs, usageError, wholeNumber, type Command } from './io.js';

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
    layers: blobLayers(img).map((l, k) => ({ ...l, diffId: img.diffIds?.[k] })),
  };
}

function renderSchedule(r: OrderedPulls, repeating: string[]): string {
  const s = r.schedule;
  const n = s.network;
  const rows = [['ORDER', 'IMAGE', 'DOWNLOAD', 'START', 'READY']];
  s.pulls.forEach((p, k) => rows.push([String(k + 1), p.ref, humanSize(p.downloadBytes), shortSeconds(p.start), shortSeconds(p.ready)]));
  let out = '\n' + trimLines(tabwrite(rows));
  out += `Estimated: all ready after ${shortSeconds(s.total)}, the first after ${shortSeconds(s.firstReady)} (mean ${shortSeconds(s.meanReady)}); pulls ${s.mode === 'sequential' ? 'one after another' : 'all at once, sharing transfers'}, ${r.how}.\n`;
  out += `Model: ${humanSize(n.bandwidth)}/s link, ${shortSeconds(n.latency)} per request, ${n.concurrency} concurrent downloads, ${n.extractRate > 0 ? `extraction at ${humanSize(n.extractRate)}/s` : 'extraction not timed'}.\n`;
  out += repeating.length
    ? `${repeating.join(', ')} repeat(s) a blob: docker fetches a repeat again when its first copy was already on the host, so Docker's bytes here depend on the order (the ideal ones do not).\n`
    : "The bytes do not depend on the order (no image repeats a blob).\n";
  return out;
}

function renderTable(plans: PullPlan[], host: PullHost): string {
  const rows = [['IMAGE', 'LAYER', 'DOCKER', 'DOWNLOAD', 'IDEAL STORE']];
  for (const p of plans) {
    if (p.imagePresent) rows.push([p.ref, '', 'image present: nothing read', '', '']);
    else
      for (const l of p.layers) {
        const docker = l.status === 'download' ? 'download' : l.status === 'Already exists' ? 'Already exists' : l.plannedBy === p.ref ? 'same blob lower in this image' : `Already exists (pulled by ${l.plannedBy} above)`;
        rows.push([p.ref, l.id12, docker, l.downloadBytes ? humanSize(l.downloadBytes) : '', l.ideal === 'present' ? 'has it' : 'download']);
      }
  }
  const sum = (f: (p: PullPlan) => number) => plans.reduce((s, p) => s + f(p), 0);
  let out = trimLines(tabwrite(rows));
  out += `\nCompressed bytes to download: ${humanSize(sum((p) => p.downloadBytes))} (Docker's rule), ${humanSize(sum((p) => p.idealDownloadBytes))} (ideal content-addressed store); each pulled alone onto an empty host: ${humanSize(sum((p) => p.coldBytes))}.\n`;
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
      --from SOURCE    where the images are: registry://127.0.0.1:PORT, an OCI layout folder, or
                       a folder of registry manifests (e.g. fixtures/official-images/manifests)
      --into SOURCE    the host: a Docker data root (its blob metadata is read), docker://, a
                       snapshot or archive (blob metadata inferred, and said so); default: empty
      --platform P     os/arch[/variant] (default linux/amd64)
      --format FORMAT  table (default), json, or docker (the lines docker pull prints)
      --order ORDER    given (default), or fastest-first (each next pull the one ready soonest:
                       the first image is ready as early as possible)
      --parallel       time the pulls issued all at once (compose pull) instead of one by one
      --bandwidth RATE link speed, e.g. 100Mbit (default), 12.5MB/s, 1Gbit
      --latency TIME   per request round trip, e.g. 50ms (default)
      --concurrency N  dockerd's max-concurrent-downloads (default 3)
      --extract-rate RATE  time layer extraction too, e.g. 200MB/s (default: not timed)
  -h, --help           show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        from: { type: 'string' },
        into: { type: 'string' },
        platform: { type: 'string' },
        format: { type: 'string' },
        order: { type: 'string' },
        parallel: { type: 'boolean' },
        bandwidth: { type: 'string' },
        latency: { type: 'string' },
        concurrency: { type: 'string' },
        'extract-rate': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      'pull',
    );
    if (values.help) {
      io.stdout(pullCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['table', 'json', 'docker'] as const, 'table', '--format');
    const order = oneOf(values.order, ['given', 'fastest-first'] as const, 'given', '--order');
    const rate = (v: string | undefined, fallback: number, option: string) => {
      if (v === undefined) return fallback;
      const r = parseRate(v);
      if (r === undefined) throw usageError(`${option} takes a rate like 100Mbit, 12.5MB/s or 1Gbit (got ${JSON.stringify(v)})`);
      return r;
    };
    const latency = values.latency === undefined ? DEFAULT_NETWORK.latency : parseDuration(values.latency);
    if (latency === undefined) throw usageError(`--latency takes a time like 50ms or 0.2s (got ${JSON.stringify(values.latency)})`);
    const net: NetworkModel = {
      bandwidth: rate(values.bandwidth, DEFAULT_NETWORK.bandwidth, '--bandwidth'),
      latency,
      concurrency: wholeNumber(values.concurrency, DEFAULT_NETWORK.concurrency, '--concurrency', 1, 1000),
      extractRate: rate(values['extract-rate'], 0, '--extract-rate'),
    };
    if (!values.from) throw usageError('pull needs --from SOURCE (a registry or a folder of manifests); see layerlab pull --help');
    if (positionals.length === 0) throw usageError('pull needs at least one REF');
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const remoteImages = (await readRegistrySource(values.from, platform)).images;
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
    const ordered = planPulls(host, wanted, net, values.parallel ? 'parallel' : 'sequential', order);
    const plans = ordered.plans;
    if (format === 'json') io.stdout(json({ metadata: host.metadata, order: ordered.order.map((k) => positionals[k]), plans, schedule: ordered.schedule }));
    else if (format === 'docker') {
      ordered.order.forEach((k, n) => {
        const given = parseNormalizedNamed(positionals[k]);
        io.stdout(narratePull(plans[n], given.tag !== undefined || given.digest !== undefined).join('\n') + '\n');
      });
    } else {
      const repeating = plans.filter((p) => new Set(p.layers.map((l) => l.digest)).size < p.layers.length).map((p) => p.ref);
      io.stdout(renderTable(plans, host) + renderSchedule(ordered, repeating));
    }
    return 0;
  },
};
