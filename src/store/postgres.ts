/**
 * Server back-end: a pg Pool on a PostgreSQL server (the deployment for more than one machine). Types are
 * parsed as on PGlite: int8 (counts, bigserial) becomes a number when it fits in 2^53.
 */
import pg from 'pg';
import type { Db, QueryResult } from './db.ts';
import { openFailed, redactUrl, withSavepoint } from './db.ts';

const INT8_OID = 20;

function parseInt8(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

type Queryable = pg.Pool | pg.PoolClient;

async function runQuery<T>(c: Queryable, sql: string, params?: unknown[]): Promise<QueryResult<T>> {
  const r = await c.query(sql, params);
  return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
}

/** A Db bound to one checked-out client inside BEGIN; nested transactions become savepoints. */
function clientDb(client: pg.PoolClient, depth: number): Db {
  const db: Db = {
    kind: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => runQuery<T>(client, sql, params),
    async exec(sql: string) {
      await client.query(sql);
    },
    transaction<R>(fn: (t: Db) => Promise<R>): Promise<R> {
      return withSavepoint(db, depth + 1, () => fn(clientDb(client, depth + 1)));
    },
    async close() {
      throw new Error('close() called on a transaction handle');
    },
  };
  return db;
}

/** Opens a pool on `url` and checks that the server answers. */
export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, types, application_name: 'gep', max: 10 });
  // An idle client that loses its server must not crash the process; the next query reports the error.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw openFailed(redactUrl(url), e);
  }
  let closed = false;
  return {
    kind: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => runQuery<T>(pool, sql, params),
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<R>(fn: (t: Db) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      let broken = false;
      // A checked-out client has no pool listener: a server restart (FATAL 57P01) would be an unhandled
      // 'error' event and kill the process. Mark the client broken instead; the pending query rejects.
      const onError = (): void => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const r = await fn(clientDb(client, 0));
        await client.query('COMMIT');
        return r;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw e;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
