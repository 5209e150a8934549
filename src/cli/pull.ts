import { inferBlobMetadata, narratePull, pullHostFromGraph, remoteImageFor } from '../analyze/pull.js';
import type { HostState } from '../analyze/host-state.js';
import { DEFAULT_NETWORK, planPulls, type NetworkModel } from '../analyze/pull-schedule.js';
import { GraphBuilder } from '../model/graph.js';
import { familiarString, parseNormalizedNamed } from '../model/reference.js';
import { parseDuration, parseRate } from '../render/units.js';
import { renderPullSchedule, renderPullTable, repeatingRefs } from '../render/pull.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadRegistrySource } from '../sources/load.js';
import { LayerlabError } from '../errors.js';
import { loadHostSource } from './host-source.js';
import { json, oneOf, parseCommandArgs, usageError, wholeNumber, type Command } from './io.js';

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
    const refs = positionals.map((r) => {
      try {
        return parseNormalizedNamed(r);
      } catch (e) {
        throw usageError(`${JSON.stringify(r.slice(0, 200))}: ${(e as Error).message}`);
      }
    });
    const registry = (await loadRegistrySource(values.from, { platform })).registryImages;
    const wanted = refs.map((ref) => {
      const remote = remoteImageFor(registry, ref);
      if (!remote) throw new LayerlabError('EINPUT', `${familiarString(ref.digest ? ref : { ...ref, tag: ref.tag ?? 'latest' })} is not in the registry source`, { file: values.from });
      return remote;
    });
    let host: HostState;
    if (!values.into) host = pullHostFromGraph(new GraphBuilder().build(), undefined, registry);
    else {
      const { source } = await loadHostSource(values.into, platform ? { platform } : {});
      host = pullHostFromGraph(source.graph, source.distribution?.diffIdByDigest, registry);
      if (!source.distribution) inferBlobMetadata(host, source.graph, registry);
    }
    const ordered = planPulls(host, wanted, net, values.parallel ? 'parallel' : 'sequential', order);
    const plans = ordered.plans;
    if (format === 'json') io.stdout(json({ metadata: host.metadata, order: ordered.order.map((k) => positionals[k]), plans, schedule: ordered.schedule }));
    else if (format === 'docker') {
      ordered.order.forEach((k, n) => {
        const given = refs[k];
        io.stdout(narratePull(plans[n], given.tag !== undefined || given.digest !== undefined).join('\n') + '\n');
      });
    } else {
      io.stdout(renderPullTable(plans, host.metadata) + renderPullSchedule(ordered, repeatingRefs(plans)));
    }
    return 0;
  },
};
