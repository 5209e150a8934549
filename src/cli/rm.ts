import { RemovalHost } from '../analyze/removal.js';
import { renderRmiDocker, renderRmiTable } from '../render/removal.js';
import { parsePlatform } from '../sources/image-archive.js';
import { loadSource } from '../sources/load.js';
import { json, oneOf, parseCommandArgs, usageError, type Command } from './io.js';

export const rmCommand: Command = {
  name: 'rm',
  summary: 'What `docker rmi` would do: records, conflicts, bytes freed (changes nothing)',
  usage: `Usage: layerlab rm [OPTIONS] SOURCE IMAGE...

Predict \`docker rmi [-f] [--no-prune] IMAGE...\` on the host SOURCE describes (a snapshot, a
Docker data root, or docker:// for a live daemon, which is only read): the Untagged and
Deleted records Docker would print, the conflict it would refuse with (hard: a running
container or child images, never forced; soft: a stopped container or several repositories,
overridden by -f), and the bytes each deleted layer frees. IMAGEs are taken in order, each on
the host the previous ones left. Exits 1 when Docker would refuse any of them, as docker does.

Options:
  -f, --force            as docker rmi -f
      --no-prune         do not delete untagged parents
      --with-containers  first remove the containers using each IMAGE (as docker rm -f)
      --format FORMAT    docker (default: docker's own lines), table (bytes per record), json
  -h, --help             show this help
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        force: { type: 'boolean', short: 'f' },
        'no-prune': { type: 'boolean' },
        'with-containers': { type: 'boolean' },
        format: { type: 'string' },
        platform: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      'rm',
    );
    if (values.help) {
      io.stdout(rmCommand.usage);
      return 0;
    }
    const format = oneOf(values.format, ['docker', 'table', 'json'] as const, 'docker', '--format');
    if (positionals.length < 2) throw usageError('rm needs a SOURCE and at least one IMAGE; see layerlab rm --help');
    const [source, ...refs] = positionals;
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const host = new RemovalHost((await loadSource(source, { platform })).graph);
    const removedContainers: string[] = [];
    const results = refs.map((ref) => {
      if (values['with-containers']) removedContainers.push(...host.removeContainersOf(ref));
      return host.rmi(ref, { force: values.force, noPrune: values['no-prune'] });
    });
    if (format === 'json') io.stdout(json({ removedContainers, results }));
    else if (format === 'table') io.stdout(renderRmiTable(results));
    else {
      const { stdout, stderr } = renderRmiDocker(results);
      for (const c of removedContainers) io.stdout(`${c}\n`);
      io.stdout(stdout);
      io.stderr(stderr);
    }
    // docker rmi's exit status: with -f, images that do not exist are reported but not a failure
    return results.some((r) => r.error && !(values.force && r.notFound)) ? 1 : 0;
  },
};
