/**
 * Schema migrations: ./migrations/NNNN_name.sql applied in name order, each once, all pending ones in one
 * transaction, recorded in `schema_migrations` with a SHA-256 of the file. A transaction-level advisory lock
 * serialises processes migrating the same PostgreSQL at the same time: the second waits, then finds nothing to do.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GepError } from '../core/errors.ts';
import type { Db } from './db.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
/** pg_advisory_xact_lock key: the ASCII of "gepstore" read as a big-endian int64. */
const LOCK_KEY = '7450484799731364453';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  sha256: string;
}

/** The migration files, sorted by version (the digits before the first underscore). */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({ version: m[1]!, name: file, sql, sha256: createHash('sha256').update(sql).digest('hex') });
  }
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) {
      throw new GepError('GEP_ERR_INTERNAL', `migrations ${out[i - 1]!.name} and ${out[i]!.name} share a version`);
    }
  }
  return out;
}

/** Applies pending migrations; returns the names applied (empty when the schema was current). */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY}::bigint)`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map<string, { name: string; sha256: string }>();
    const { rows } = await tx.query<{ version: string; name: string; sha256: string }>(
      'SELECT version, name, sha256 FROM schema_migrations',
    );
    for (const r of rows) done.set(r.version, r);
    const applied: string[] = [];
    for (const m of migrations) {
      const prev = done.get(m.version);
      if (prev) {
        if (prev.sha256 !== m.sha256) {
          throw new GepError(
            'GEP_ERR_INTERNAL',
            `migration ${m.name} was changed after it was applied (as ${prev.name}); add a new migration instead`,
          );
        }
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.sha256,
      ]);
      applied.push(m.name);
    }
    return applied;
  });
}
