/**
 * pg-boss on our Db (PGlite or PostgreSQL). pg-boss accepts any object with `executeSql(text, values)` as its
 * `db` option (node_modules/pg-boss/src/db.js is its own pg Pool version) and reads `rows` from the answer.
 *
 * Multi-statement texts (schema creation and maintenance, wrapped by pg-boss in `BEGIN; ...; COMMIT;`) go
 * through Db.exec: PGlite's extended-protocol `query` takes one statement, and pg answers a multi-statement
 * simple query with an array of results. pg-boss sends no parameters with those and reads no rows from them.
 * Going through Db rather than a second pool gives one connection budget and lets a caller pass a transaction
 * (`tx`) so that a queue entry and the engine's own rows commit together; on PGlite it is the only way, the
 * database being single-connection.
 */
import type { Db } from '../store/db.ts';

export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;
}

const MULTI = /^\s*BEGIN\s*;/i;

export function pgBossDb(db: Db): PgBossDb {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if ((values === undefined || values.length === 0) && MULTI.test(text)) {
        await db.exec(text);
        return { rows: [], rowCount: 0 };
      }
      return db.query<Record<string, unknown>>(text, values);
    },
  };
}
