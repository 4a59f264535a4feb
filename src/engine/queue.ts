/**
 * The durable job queue behind a small interface (DESIGN.md convention 5): the engine owns the rules (states,
 * leases, retries of crashed runs), a back-end only stores entries and hands each to one consumer at a time.
 * The one back-end is pg-boss (queue-pgboss.ts) on PGlite or PostgreSQL; `tx` arguments let a caller enqueue
 * or fetch in the same transaction as its own rows.
 */
import type { Db } from '../store/db.ts';

/** Queue of whole jobs (payload: {@link JobMessage}). */
export const JOBS_QUEUE = 'gep-jobs';
/** Queue of tiles of distributed `ctx.map` calls (payload: {@link TileMessage}). */
export const TILES_QUEUE = 'gep-tiles';
export type QueueName = typeof JOBS_QUEUE | typeof TILES_QUEUE;

export interface JobMessage {
  jobId: string;
}

export interface TileMessage {
  jobId: string;
  mapIndex: number;
  tileIndex: number;
}

export interface QueueEntry<T> {
  /** Queue id (UUID). */
  id: string;
  data: T;
}

export type EntryState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface SendOptions {
  /** Deterministic id (UUID): sending an id that exists is a no-op (idempotent fan-out). */
  id?: string;
}

export interface JobQueue {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Adds entries; returns their ids (existing ids are skipped silently). */
  send<T extends object>(queue: QueueName, items: { data: T; options?: SendOptions }[], tx?: Db): Promise<string[]>;
  /** Takes up to `batch` waiting entries (they become active: nobody else gets them). */
  fetch<T>(queue: QueueName, batch: number, tx?: Db): Promise<QueueEntry<T>[]>;
  complete(queue: QueueName, ids: string[], tx?: Db): Promise<void>;
  /** Marks active entries failed: they come back (retry) until their retry limit, then stay failed. */
  fail(queue: QueueName, ids: string[], reason: string, tx?: Db): Promise<void>;
  /** Withdraws entries that have not completed. */
  cancel(queue: QueueName, ids: string[], tx?: Db): Promise<void>;
  state(queue: QueueName, id: string): Promise<EntryState | null>;
  /** Called after sends in this process: wakes local consumers without waiting for their next poll. */
  onSend(listener: (queue: QueueName) => void): void;
}
