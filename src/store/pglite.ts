/**
 * Embedded back-end: PGlite (PostgreSQL compiled to WebAssembly) in a data folder or in memory. One PGlite
 * instance is single-connection; it serialises queries and holds an exclusive lock for a transaction, so the
 * Db semantics are the same as a pool (only slower under concurrency).
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GepError } from '../core/errors.ts';
import { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import type { Db, QueryResult } from './db.ts';
import { openFailed, withSavepoint } from './db.ts';

interface Runner {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function toResult<T>(r: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
}

/** A Db bound to one open PGlite transaction; nested transactions become savepoints. */
function txDb(tx: Transaction, depth: number): Db {
  const db: Db = {
    kind: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      return toResult<T>(await tx.query<T>(sql, params));
    },
    async exec(sql: string) {
      await tx.exec(sql);
    },
    transaction<R>(fn: (t: Db) => Promise<R>): Promise<R> {
      return withSavepoint(db, depth + 1, () => fn(txDb(tx, depth + 1)));
    },
    async close() {
      throw new Error('close() called on a transaction handle');
    },
  };
  return db;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Takes `<dir>.lock` (holding our pid) so that a second process cannot open the same PGlite folder: PGlite is
 * single-process and two writers would corrupt it. A lock left by a dead process is taken over.
 */
function lockDir(dir: string): string {
  const lock = `${dir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lock;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new GepError(
          'GEP_ERR_INVALID_INPUT',
          `database folder ${dir} is in use by process ${pid}; PGlite serves one process (use a PostgreSQL server to share a database)`,
          { database: dir, pid },
        );
      }
      if (pid === process.pid) {
        throw new GepError('GEP_ERR_INVALID_INPUT', `database folder ${dir} is already open in this process`, { database: dir });
      }
      rmSync(lock, { force: true });
    }
  }
  throw new GepError('GEP_ERR_INTERNAL', `could not take the lock ${lock}`);
}

/** Opens PGlite in `dir` (created if missing; one process at a time) or in memory when `dir` is null. */
export async function openPglite(dir: string | null): Promise<Db> {
  let pg: PGlite;
  const lock = dir === null ? null : lockDir(dir);
  try {
    if (dir !== null) mkdirSync(dir, { recursive: true });
    pg = dir === null ? await PGlite.create() : await PGlite.create(dir);
  } catch (e) {
    if (lock) rmSync(lock, { force: true });
    throw openFailed(dir === null ? 'memory://' : `pglite://${dir}`, e);
  }
  const runner: Runner = pg;
  let closed = false;
  return {
    kind: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      return toResult<T>(await runner.query<T>(sql, params));
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    transaction<R>(fn: (t: Db) => Promise<R>): Promise<R> {
      return pg.transaction((tx) => fn(txDb(tx, 0)));
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        if (lock) rmSync(lock, { force: true });
      }
    },
  };
}
