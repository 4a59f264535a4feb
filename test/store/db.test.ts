import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, parseDbUrl, redactUrl } from '../../src/store/db.ts';
import { loadMigrations, migrate } from '../../src/store/migrate.ts';
import { getItem, upsertCollection, upsertItems } from '../../src/store/items.ts';
import { collection, item } from './cases.ts';

describe('database URLs', () => {
  test('parse to PGlite folders, memory or a server', () => {
    assert.deepEqual(parseDbUrl(undefined, { dataDir: '/srv/gep' }), { kind: 'pglite', dir: '/srv/gep/db' });
    assert.deepEqual(parseDbUrl('pglite:///var/x'), { kind: 'pglite', dir: '/var/x' });
    assert.deepEqual(parseDbUrl('memory://'), { kind: 'pglite', dir: null });
    assert.deepEqual(parseDbUrl('postgresql://u@h/db'), { kind: 'postgres', url: 'postgresql://u@h/db' });
    assert.throws(() => parseDbUrl('mysql://u:pw@h/db'), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
      assert.match(e.message, /mysql:\/\/u:\*\*\*@h\/db/);
      return true;
    });
    assert.equal(redactUrl('postgres://gep:s3cret@db:5432/gep'), 'postgres://gep:***@db:5432/gep');
  });

  test('migrations are numbered files with checksums', () => {
    const m = loadMigrations();
    assert.ok(m.length >= 1);
    assert.equal(m[0]!.version, '0001');
    assert.match(m[0]!.sha256, /^[0-9a-f]{64}$/);
  });
});

describe('PGlite data folder', () => {
  test('persists across close and open; migrations run once; edited migrations are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-pglite-'));
    try {
      const url = `pglite://${join(dir, 'db')}`;
      let db = await openDb(url);
      assert.equal(db.kind, 'pglite');
      // One process per folder: a second open is refused while the first holds it.
      await assert.rejects(openDb(url), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
        assert.match(e.message, /already open/);
        return true;
      });
      await upsertCollection(db, collection('keep'));
      await upsertItems(db, [item('keep', 'one', { datetime: '2024-05-01T10:20:30Z' })]);
      await db.close();
      assert.ok(existsSync(join(dir, 'db', 'PG_VERSION')));
      assert.ok(!existsSync(join(dir, 'db.lock')));
      // A lock left by a dead process is taken over.
      writeFileSync(join(dir, 'db.lock'), '999999999');

      db = await openDb(url);
      try {
        assert.equal((await getItem(db, 'keep', 'one'))?.properties.datetime, '2024-05-01T10:20:30Z');
        assert.deepEqual(await migrate(db), []);
        const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
        assert.equal(rows[0]!.n, loadMigrations().length);
        const edited = loadMigrations().map((m) => ({ ...m, sha256: '0'.repeat(64) }));
        await assert.rejects(migrate(db, edited), /0001_stac\.sql was changed/);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
