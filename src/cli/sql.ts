import { duckForSources, querySummary, runSql, shippedQuery, SHIPPED_QUERIES } from '../sources/sql-queries.js';
import { renderQueryList, renderSqlCsv, renderSqlTable, sqlRowsAsObjects } from '../render/sql.js';
import { formatOption, PLATFORM_OPTION, platformOf, sourceHelp } from './common.js';
import { json, usageError } from './io.js';
import { defineCommand } from './options.js';

export const sqlCommand = defineCommand(
  {
    name: 'sql',
    summary: 'Run SQL (shipped queries or your own) over the tables of SOURCEs, on embedded DuckDB',
    synopsis: 'SOURCE... (--query NAME | -e SQL | --list)',
    description: `Query the tables layerlab export writes (layers, images, image_refs, image_layers, chains,
containers, files, chunks) with embedded DuckDB. A Parquet export is queried in place; any other
SOURCE is loaded into in-memory tables of the same schema first. The shipped queries (sql/*.sql)
keep to the SQL that DuckDB, Spark SQL and Trino share, so they run unchanged on a cluster.

${sourceHelp(true)}          a folder written by layerlab export (Arrow or Parquet)`,
    positionals: [{ name: 'SOURCE', variadic: true, optional: true }],
    options: {
      query: { type: 'string', short: 'q', value: 'NAME', description: 'run a shipped query (see --list)' },
      execute: { type: 'string', short: 'e', value: 'SQL', description: 'run this SQL (DuckDB dialect)' },
      list: { type: 'boolean', description: 'list the shipped queries and exit' },
      format: formatOption(['table', 'json', 'csv'], { json: 'an array of row objects', csv: 'RFC 4180 with a header row' }),
      platform: PLATFORM_OPTION,
    },
  },
  async ({ values, positionals }, io) => {
    if (values.list) {
      io.stdout(renderQueryList(SHIPPED_QUERIES.map((name) => ({ name, summary: querySummary(shippedQuery(name)) }))));
      return 0;
    }
    if ((values.query === undefined) === (values.execute === undefined)) throw usageError(`sql needs exactly one of --query NAME (${SHIPPED_QUERIES.join(', ')}) or -e SQL`);
    if (positionals.length === 0) throw usageError('sql needs at least one SOURCE');
    const text = values.query !== undefined ? shippedQuery(values.query) : (values.execute as string);
    const duck = await duckForSources(positionals, { platform: platformOf(values.platform) });
    try {
      const result = await runSql(duck, text);
      if (values.format === 'json') io.stdout(json(sqlRowsAsObjects(result)));
      else io.stdout(values.format === 'csv' ? renderSqlCsv(result) : renderSqlTable(result));
    } finally {
      duck.close();
    }
    return 0;
  },
);
