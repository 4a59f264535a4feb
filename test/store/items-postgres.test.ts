/**
 * The shared store cases on a real PostgreSQL server (test/helpers/postgres.ts), plus what only a server can
 * show: several processes migrating the same database at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { loadMigrations } from '../../src/store/migrate.ts';
import { skipUnlessPostgres, startPostgres } from '../helpers/postgres.ts';
import type { PgServer } from '../helpers/postgres.ts';
import { storeCases } from './cases.ts';

describe('PostgreSQL server', skipUnlessPostgres(), () => {
  let server: PgServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  storeCases('PostgreSQL', async () => openDb(await server.createDatabase('cases')));
  storeCases('PostgreSQL', async () => openDb(await server.createDatabase('cases_gist')), { gistPath: true });

  test('concurrent openDb on one fresh database all migrate it once (advisory lock)', async () => {
    const url = await server.createDatabase('race');
    const dbs: Db[] = await Promise.all([openDb(url), openDb(url), openDb(url), openDb(url)]);
    try {
      assert.ok(dbs.every((d) => d.kind === 'postgres'));
      const { rows } = await dbs[0]!.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      // Each migration recorded exactly once although four processes raced to apply them.
      assert.deepEqual(rows.map((r) => r.version), loadMigrations().map((m) => m.version));
      const n = await dbs[1]!.query<{ n: number }>('SELECT count(*) AS n FROM items');
      assert.equal(n.rows[0]!.n, 0); // int8 parsed as a number, as on PGlite
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });

  test('a wrong server is reported with its URL, password hidden', async () => {
    await assert.rejects(openDb(`postgres://postgres:secret@127.0.0.1:${server.port}/no_such_db`), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'GEP_ERR_REMOTE');
      assert.match(e.message, /no_such_db/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
  });
});
