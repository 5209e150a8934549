import { removalHost } from '../analyze/removal.js';
import { renderRmiDocker, renderRmiTable, rmiMessageStyle } from '../render/removal.js';
import { quote } from '../errors.js';
import { loadSource } from '../sources/load.js';
import { formatOption, loadOptionsOf, notesFor, PLATFORM_OPTION, sourceHelp, writeNotes } from './common.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';
import { sha256Of } from '../sources/hashing.js';

export const rmCommand = defineCommand(
  {
    name: 'rm',
    summary: 'What `docker rmi` would do: records, conflicts, bytes freed (changes nothing)',
    description: `Predict \`docker rmi [-f] [--no-prune] IMAGE...\` on the host SOURCE describes (a snapshot, a
Docker data root, or docker:// for a live daemon, which is only read): the Untagged and
Deleted records Docker would print, the conflict it would refuse with (hard: a running
container or child images, never forced; soft: a stopped container or several repositories,
overridden by -f), and the bytes each deleted layer frees. IMAGEs are taken in order, each on
the host the previous ones left. Exits 1 when Docker would refuse any of them, as docker does.

${sourceHelp(false)}`,
    positionals: [{ name: 'SOURCE' }, { name: 'IMAGE', variadic: true }],
    options: {
      force: { type: 'boolean', short: 'f', description: 'as docker rmi -f' },
      'no-prune': { type: 'boolean', description: 'do not delete untagged parents' },
      'with-containers': { type: 'boolean', description: 'first remove the containers using each IMAGE (as docker rm -f)' },
      format: formatOption(['docker', 'table', 'json'], { docker: "docker's own lines", table: 'bytes per record' }),
      'docker-cli': {
        type: 'string',
        value: 'VERSION',
        description: 'word errors as that docker version does (e.g. 20.10): before 23.0 `Error: No such image: NAME` as typed, before 25.0 no repository in the lowercase error',
      },
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    const [source, ...refs] = positionals;
    const version = values['docker-cli'];
    const style = version === undefined ? undefined : rmiMessageStyle(version);
    if (version !== undefined && !style) throw usageError(`--docker-cli takes a version like 20.10 or 28.2.2 (got ${quote(version)})`);
    const loaded = await loadSource(source, loadOptionsOf(values.platform, io));
    const host = removalHost(loaded.graph, sha256Of);
    const notes = notesFor([loaded], ['image-set']);
    const removedContainers: string[] = [];
    const results = refs.map((ref) => {
      if (values['with-containers']) removedContainers.push(...host.removeContainersOf(ref));
      return host.rmi(ref, { force: values.force, noPrune: values['no-prune'] });
    });
    if (values.format === 'json') io.stdout(json({ removedContainers, results, notes }));
    else if (values.format === 'table') io.stdout(renderRmiTable(results));
    else {
      // docker's own output splits records (stdout) from refusals (stderr)
      const { stdout, stderr } = renderRmiDocker(results, style);
      for (const c of removedContainers) io.stdout(`${c}\n`);
      io.stdout(stdout);
      io.stderr(stderr);
    }
    if (values.format !== 'json') writeNotes(io, notes);
    // docker rmi's exit status: with -f, images that do not exist are reported but not a failure
    return results.some((r) => r.error && !(values.force && r.notFound)) ? 1 : 0;
  },
);
