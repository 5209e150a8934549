// Embedded DuckDB, loaded only by the commands that need it (the native module costs start-up).
import { LayerlabError } from '../errors.js';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** An in-memory DuckDB and one connection to it. */
export interface Duck {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

/** Opens an in-memory DuckDB, or one on a database file with settings (the Parquet writer's). */
export async function openDuck(path = ':memory:', settings?: Record<string, string>): Promise<Duck> {
  const api = await import('@duckdb/node-api');
  const instance = await api.DuckDBInstance.create(path, settings);
  const connection = await instance.connect();
  return {
    instance,
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal (paths go into COPY and read_parquet, which take no parameters). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** DuckDB's error text without its internal prefix lines, as a LayerlabError. */
export function duckError(e: unknown, code: 'EINPUT' | 'EANALYSIS', place: { file?: string; path?: string } = {}): LayerlabError {
  const m = (e as Error).message ?? String(e);
  return new LayerlabError(code, m.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' ').replace(/\s+/g, ' '), place);
}
