/**
 * The job queue on pg-boss 10 (PostgreSQL `FOR UPDATE SKIP LOCKED` fetching, retries with limits, expiry of
 * active entries as a last-resort stall detector, archiving), over our Db through pglite-adapter.ts, so the same
 * queue runs on embedded PGlite and on a PostgreSQL server.
 *
 * Queues: `gep-jobs` (retry limit 5, expiry 23 h: a whole run may be long; crashed runs are caught much sooner
 * by the engine's worker heartbeats, see worker.ts) and `gep-tiles` (retry limit 10, expiry 4 h).
 */
import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { GepError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { pgBossDb } from './pglite-adapter.ts';
import { JOBS_QUEUE, TILES_QUEUE, type EntryState, type JobQueue, type QueueEntry, type QueueName, type SendOptions } from './queue.ts';

const QUEUES: Record<QueueName, { retryLimit: number; expireInSeconds: number }> = {
  [JOBS_QUEUE]: { retryLimit: 5, expireInSeconds: 23 * 3600 },
  [TILES_QUEUE]: { retryLimit: 10, expireInSeconds: 4 * 3600 },
};

type CompletionFn = (name: string, ids: string[], data: object | null, options: { db?: PgBoss.Db }) => Promise<unknown>;

export interface PgBossQueueOptions {
  /** Maintenance (expiry, archiving) period in seconds (default 60). */
  maintenanceSeconds?: number;
  /** Receives pg-boss background errors (lost connection during maintenance ...); default: ignored. */
  onError?: (e: Error) => void;
}

export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly listeners: ((q: QueueName) => void)[] = [];
  private started = false;

  constructor(private readonly db: Db, opts: PgBossQueueOptions = {}) {
    this.boss = new PgBoss({
      db: pgBossDb(db),
      schedule: false,
      supervise: true,
      migrate: true,
      maintenanceIntervalSeconds: opts.maintenanceSeconds ?? 60,
    } as PgBoss.ConstructorOptions);
    // An 'error' event without a listener would end the process; a lost database connection is reported here.
    this.boss.on('error', (e: Error) => opts.onError?.(e));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    for (const [name, o] of Object.entries(QUEUES)) {
      if (await this.boss.getQueue(name)) continue;
      try {
        await this.boss.createQueue(name, { name, retryLimit: o.retryLimit, expireInSeconds: o.expireInSeconds } as PgBoss.Queue);
      } catch (e) {
        // another process may have created it at the same moment
        if (!(await this.boss.getQueue(name))) throw e;
      }
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: false, close: false, wait: true } as PgBoss.StopOptions);
  }

  /**
   * complete/fail as pg-boss implements them, `(name, id | ids, data, options)`: its typings omit `data` for
   * id lists, which would make the options be taken for the data.
   */
  private raw(): { complete: CompletionFn; fail: CompletionFn } {
    return this.boss as unknown as { complete: CompletionFn; fail: CompletionFn };
  }

  private conn(tx: Db | undefined): { db: PgBoss.Db } | undefined {
    return tx ? { db: pgBossDb(tx) as PgBoss.Db } : undefined;
  }

  async send<T extends object>(queue: QueueName, items: { data: T; options?: SendOptions }[], tx?: Db): Promise<string[]> {
    if (items.length === 0) return [];
    const rows = items.map((it) => ({ id: it.options?.id ?? randomUUID(), name: queue, data: it.data }));
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      if (tx) await this.boss.insert(chunk, this.conn(tx)!);
      else await this.boss.insert(chunk);
    }
    for (const l of this.listeners) l(queue);
    return rows.map((r) => r.id);
  }

  async fetch<T>(queue: QueueName, batch: number, tx?: Db): Promise<QueueEntry<T>[]> {
    const jobs = await this.boss.fetch<T>(queue, { batchSize: batch, ...this.conn(tx) });
    return jobs.map((j) => ({ id: j.id, data: j.data }));
  }

  async complete(queue: QueueName, ids: string[], tx?: Db): Promise<void> {
    if (ids.length) await this.raw().complete(queue, ids, null, this.conn(tx) ?? {});
  }

  async fail(queue: QueueName, ids: string[], reason: string, tx?: Db): Promise<void> {
    if (ids.length) await this.raw().fail(queue, ids, { message: reason }, this.conn(tx) ?? {});
  }

  async cancel(queue: QueueName, ids: string[], tx?: Db): Promise<void> {
    if (ids.length) await this.boss.cancel(queue, ids, this.conn(tx));
  }

  async state(queue: QueueName, id: string): Promise<EntryState | null> {
    const j = await this.boss.getJobById(queue, id, { includeArchive: true });
    return (j?.state as EntryState | undefined) ?? null;
  }

  onSend(listener: (queue: QueueName) => void): void {
    this.listeners.push(listener);
  }
}

/** Opens and starts the queue on `db`. */
export async function openQueue(db: Db, opts?: PgBossQueueOptions): Promise<JobQueue> {
  const q = new PgBossQueue(db, opts);
  try {
    await q.start();
  } catch (e) {
    throw new GepError('GEP_ERR_INTERNAL', `cannot start the job queue: ${(e as Error).message}`, undefined, { cause: e });
  }
  return q;
}
