/**
 * One database interface over embedded PGlite (PostgreSQL in WebAssembly, the default, in a data folder) and a
 * PostgreSQL server (pg Pool). Both speak the same SQL and run the same migrations (./migrations/*.sql) on open,
 * so every layer above sees one code path (DESIGN.md "Two deployments, one code path"; convention 5).
 *
 * Value mapping is the same on both back-ends: jsonb -> parsed JSON, timestamptz -> Date, float8 -> number,
 * int4/int8 -> number (int8 beyond 2^53 stays a string on PostgreSQL; cast counts to int in SQL to be safe).
 */
import { resolve } from 'node:path';
import { GepError, invalidInput } from '../core/errors.ts';

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT (or RETURNING), or rows affected by INSERT / UPDATE / DELETE. */
  rowCount: number;
}

export interface Db {
  /** One statement with `$1..$n` parameters. Values always travel as parameters, never spliced into SQL. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs several `;`-separated statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Nested calls on `tx`
   * become savepoints.
   */
  transaction<R>(fn: (tx: Db) => Promise<R>): Promise<R>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
}

/** Default data folder of the embedded deployment, relative to the working directory. */
export const DEFAULT_DATA_DIR = 'gep-data';

/** Where a database URL points. */
export type DbTarget =
  | { kind: 'pglite'; dir: string | null /* null = in memory */ }
  | { kind: 'postgres'; url: string };

/**
 * Parses a database URL: undefined or `pglite://<dir>` -> PGlite in <dir> (default `<dataDir>/db`),
 * `memory://` -> in-memory PGlite, `postgres://` / `postgresql://` -> PostgreSQL server.
 */
export function parseDbUrl(url: string | undefined, opts: { dataDir?: string } = {}): DbTarget {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  if (url === undefined || url === '') return { kind: 'pglite', dir: resolve(dataDir, 'db') };
  if (url === 'memory://' || url === 'memory:') return { kind: 'pglite', dir: null };
  if (url.startsWith('pglite://')) {
    const dir = url.slice('pglite://'.length);
    return { kind: 'pglite', dir: resolve(dir === '' ? resolve(dataDir, 'db') : dir) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  throw invalidInput(
    `database URL ${JSON.stringify(redactUrl(url))}: expected pglite://<dir>, memory://, postgres://... or postgresql://...`,
    { input: 'database' },
  );
}

/** The URL with any password replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** Opens the database named by `url` (see parseDbUrl) and brings its schema up to date. */
export async function openDb(url: string | undefined, opts: { dataDir?: string } = {}): Promise<Db> {
  const target = parseDbUrl(url, opts);
  // Loaded on first use so that a process using one back-end never loads the other.
  const db =
    target.kind === 'pglite'
      ? await (await import('./pglite.ts')).openPglite(target.dir)
      : await (await import('./postgres.ts')).openPostgres(target.url);
  try {
    const { migrate } = await import('./migrate.ts');
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}

/** SQLSTATE of a driver error (both pg and PGlite expose `code`), or undefined. */
export function sqlState(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    if (typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c)) return c;
  }
  return undefined;
}

/** Wraps a savepoint around `fn` inside an open transaction (shared by both back-ends). */
export async function withSavepoint<R>(tx: Db, depth: number, fn: () => Promise<R>): Promise<R> {
  const name = `gep_sp_${depth}`;
  await tx.exec(`SAVEPOINT ${name}`);
  try {
    const r = await fn();
    await tx.exec(`RELEASE SAVEPOINT ${name}`);
    return r;
  } catch (e) {
    await tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
    throw e;
  }
}

/** Error for a database that could not be opened, naming it (without password). */
export function openFailed(what: string, e: unknown): GepError {
  const msg = e instanceof Error ? e.message : String(e);
  return new GepError('GEP_ERR_REMOTE', `cannot open database ${what}: ${msg}`, { database: what }, { cause: e });
}
