import { inferBlobMetadata, narratePull, pullHostFromGraph, remoteImageFor } from '../analyze/pull.js';
import type { HostState } from '../analyze/host-state.js';
import { DEFAULT_NETWORK, planPulls, type NetworkModel } from '../analyze/pull-schedule.js';
import { GraphBuilder } from '../model/graph.js';
import { familiarString, parseNormalizedNamed, type ImageReference } from '../model/reference.js';
import { parseDuration, parseRate } from '../render/units.js';
import { renderPullSchedule, renderPullTable, repeatingRefs } from '../render/pull.js';
import { loadRegistrySource, loadSource } from '../sources/load.js';
import type { LoadedSource } from '../sources/source.js';
import { LayerlabError, quote } from '../errors.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, writeNotes } from './common.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';

function rateOf(v: string | undefined, fallback: number, option: string): number {
  if (v === undefined) return fallback;
  const r = parseRate(v);
  if (r === undefined) throw usageError(`${option} takes a rate like 100Mbit, 12.5MB/s or 1Gbit (got ${quote(v)})`);
  return r;
}

/** REF arguments as docker parses them; an invalid one is a usage error naming it. */
export function refsOf(args: readonly string[]): ImageReference[] {
  return args.map((r) => {
    try {
      return parseNormalizedNamed(r);
    } catch (e) {
      throw usageError(`${quote(r)}: ${(e as Error).message}`);
    }
  });
}

export const pullCommand = defineCommand(
  {
    name: 'pull',
    summary: 'What `docker pull` would download onto a host, and its narration, without any network',
    synopsis: '--from SOURCE [--into SOURCE] REF...',
    description: `Plan \`docker pull REF...\` in order: per layer, Already exists or download, the compressed bytes
on the wire, with Docker's real rule (a layer counts as present only when the daemon's recorded
blob metadata maps its digest to a diffID and that chain exists, so layers that arrived by docker
load or a local build download again), and beside it what an ideal content-addressed store would
download. Later REFs see the layers earlier ones brought.`,
    positionals: [{ name: 'REF', variadic: true }],
    options: {
      from: {
        type: 'string',
        value: 'SOURCE',
        description: 'where the images are (required): registry://127.0.0.1:PORT, an OCI layout folder or OCI archive, or a folder of registry manifests (e.g. fixtures/official-images/manifests)',
      },
      into: {
        type: 'string',
        value: 'SOURCE',
        description: 'the host: a Docker data root (its blob metadata is read), docker://, a snapshot or archive (blob metadata inferred, and said so)',
        defaultHelp: 'an empty host',
      },
      platform: PLATFORM_OPTION,
      format: formatOption(['table', 'json', 'docker'], { docker: 'the lines docker pull prints' }),
      order: {
        type: 'string',
        value: 'ORDER',
        description: '',
        oneOf: ['given', 'fastest-first'],
        default: 'given',
        valueHelp: { 'fastest-first': 'each next pull the one ready soonest: the first image is ready as early as possible' },
      },
      parallel: { type: 'boolean', description: 'time the pulls issued all at once (compose pull) instead of one by one' },
      bandwidth: { type: 'string', value: 'RATE', description: 'link speed, e.g. 100Mbit, 12.5MB/s, 1Gbit', defaultHelp: '100Mbit' },
      latency: { type: 'string', value: 'TIME', description: 'per request round trip, e.g. 50ms or 0.2s', defaultHelp: '50ms' },
      concurrency: { type: 'number', value: 'N', description: "dockerd's max-concurrent-downloads", min: 1, max: 1000, default: DEFAULT_NETWORK.concurrency },
      'extract-rate': { type: 'string', value: 'RATE', description: 'time layer extraction too, e.g. 200MB/s', defaultHelp: 'not timed' },
    },
  },
  async ({ values, positionals }, io) => {
    const latency = values.latency === undefined ? DEFAULT_NETWORK.latency : parseDuration(values.latency);
    if (latency === undefined) throw usageError(`--latency takes a time like 50ms or 0.2s (got ${quote(values.latency ?? '')})`);
    const net: NetworkModel = {
      bandwidth: rateOf(values.bandwidth, DEFAULT_NETWORK.bandwidth, '--bandwidth'),
      latency,
      concurrency: values.concurrency,
      extractRate: rateOf(values['extract-rate'], 0, '--extract-rate'),
    };
    if (!values.from) throw usageError('pull needs --from SOURCE (a registry or a folder of manifests); see layerlab pull --help');
    const refs = refsOf(positionals);
    const opts = loadOptionsOf(values.platform, io);
    const from = await loadRegistrySource(values.from, opts);
    const registry = from.registryImages;
    const wanted = refs.map((ref) => {
      const remote = remoteImageFor(registry, ref);
      if (!remote) throw new LayerlabError('EINPUT', `${familiarString(ref.digest ? ref : { ...ref, tag: ref.tag ?? 'latest' })} is not in the registry source`, { file: values.from });
      return remote;
    });
    const loaded: LoadedSource[] = [from];
    let host: HostState;
    if (!values.into) host = pullHostFromGraph(new GraphBuilder().build(), undefined, registry);
    else {
      const into = await loadSource(values.into, opts);
      loaded.push(into);
      host = pullHostFromGraph(into.graph, into.distribution?.diffIdByDigest, registry);
      // any host image whose ID is a registry config digest tells which blobs the host has
      if (!into.distribution) inferBlobMetadata(host, into.graph, registry);
    }
    const notes = notesFor(loaded, ['image-set']);
    const ordered = planPulls(host, wanted, net, values.parallel ? 'parallel' : 'sequential', values.order);
    const plans = ordered.plans;
    if (values.format === 'json') {
      io.stdout(json({ metadata: host.metadata, order: ordered.order.map((k) => positionals[k]), plans, schedule: ordered.schedule, notes }));
      return 0;
    }
    if (values.format === 'docker') {
      ordered.order.forEach((k, n) => {
        const given = refs[k];
        io.stdout(narratePull(plans[n], given.tag !== undefined || given.digest !== undefined, values.concurrency).join('\n') + '\n');
      });
    } else io.stdout(renderPullTable(plans, host.metadata) + renderPullSchedule(ordered, repeatingRefs(plans)));
    writeNotes(io, notes);
    return 0;
  },
);
