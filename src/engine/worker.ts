/**
 * A queue worker: takes jobs (`gep-jobs`) and tiles (`gep-tiles`) and runs them; the same class runs inside the
 * server (embedded deployment) and in each `gep worker` process (distributed deployment).
 *
 * Leases and crash recovery. A worker writes a heartbeat row (engine_workers) every `heartbeatMs`. Taking an
 * entry and recording the lease happen in ONE transaction (the queue fetch and `jobs.worker_id` /
 * `job_tiles.worker_id`), so no entry is ever active without a known holder. Every worker also reaps: a job or
 * tile whose holder's heartbeat is older than `staleMs` (or which has no live holder) is put back (`running` ->
 * `accepted` / `queued`) and its queue entry failed, which pg-boss turns into a retry; past the queue's retry
 * limit it fails for good. pg-boss's own expiry stays as the last resort. A run that lost its lease (declared
 * dead while only slow) is aborted at its next heartbeat and cannot store an end (run token), and tiles it
 * computed are identical to the new run's (same input hash), so nothing is lost or doubled.
 *
 * Cancellation: each heartbeat also reads `cancel_requested` of the jobs this worker runs (and of the parents
 * of its tiles) and aborts their AbortSignals.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { serialize, deserialize } from 'node:v8';
import { isGepError } from '../core/errors.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import type { TileMapper } from '../services/context.ts';
import { localTileMapper } from '../services/local-runner.ts';
import { tileErrorOf } from '../services/tile-worker.ts';
import { finishJob, jobOf, startRun } from './jobs.ts';
import { JOBS_QUEUE, TILES_QUEUE, type JobMessage, type JobQueue, type TileMessage } from './queue.ts';
import { withRetry } from './retry.ts';
import { runJob } from './run-job.ts';
import { sweepScratch } from './scratch.ts';
import { LEASE_LOST, localModule, queueTileMapper } from './tiles.ts';
import type { Job } from './types.ts';

export interface WorkerOptions {
  db: Db;
  queue: JobQueue;
  /** Where job results are published (`jobs/<id>/...`): a local folder or S3, shared by every process. */
  blobs: BlobStore;
  /** LOCAL folder of this worker's run workspaces (`<scratch>/jobs/<id>/<run>`, scratch.ts); not shared. */
  scratch: string;
  /** Jobs run at once (default 2; 0: take no jobs). */
  jobs?: number;
  /** Tiles from the tile queue run at once, in as many threads (default: available parallelism; 0: none). */
  tileThreads?: number;
  /** How this worker's jobs fan out: `local` threads (embedded) or the tile `queue` (default). */
  fanOut?: 'local' | 'queue';
  /** Threads of the local fan-out (default: available parallelism). */
  localThreads?: number;
  heartbeatMs?: number;
  /** A holder whose heartbeat is older than this is dead (ms, default 10 000). */
  staleMs?: number;
  /** Longest wait between two polls of an idle queue (ms, default 500). */
  pollMs?: number;
  /** This process is the only one on the database (PGlite): every other worker row is stale at start. */
  exclusive?: boolean;
  onUpdate?: (job: Job) => void;
  /** Diagnostics (lost database connection ...). */
  onError?: (e: unknown) => void;
}

type Wake = { promise: Promise<void>; wake: () => void };
function waker(): Wake {
  let wake = (): void => {};
  const promise = new Promise<void>((r) => (wake = r));
  return { promise, wake };
}

export class EngineWorker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly jobs = new Map<string, AbortController>();
  /** Running tiles: key -> { parent job id, controller }. */
  private readonly tiles = new Map<string, { jobId: string; ctl: AbortController }>();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakers: Partial<Record<string, Wake>> = {};
  private beat: NodeJS.Timeout | undefined;
  private beating = false;
  private readonly o: Required<Omit<WorkerOptions, 'onUpdate' | 'onError'>> & Pick<WorkerOptions, 'onUpdate' | 'onError'>;

  constructor(opts: WorkerOptions) {
    const cpus = availableParallelism();
    this.o = {
      jobs: 2,
      tileThreads: cpus,
      fanOut: 'queue',
      localThreads: cpus,
      heartbeatMs: 1000,
      staleMs: 10_000,
      pollMs: 500,
      exclusive: false,
      ...opts,
    };
    opts.queue.onSend((q) => this.wakers[q]?.wake());
  }

  get running(): { jobs: number; tiles: number } {
    return { jobs: this.jobs.size, tiles: this.tiles.size };
  }

  async start(): Promise<void> {
    const { db } = this.o;
    if (this.o.exclusive) await db.query('DELETE FROM engine_workers WHERE id <> $1', [this.id]);
    await this.heartbeat();
    if (this.o.exclusive) await reapStale(db, this.o.queue, this.o.staleMs, this.o.onUpdate);
    if (this.o.jobs > 0) await sweepScratch(db, this.o.scratch);
    this.beat = setInterval(() => void this.tick(), this.o.heartbeatMs);
    if (this.o.jobs > 0) this.loops.push(this.loop(JOBS_QUEUE, this.o.jobs, () => this.jobs.size, (n) => this.takeJobs(n)));
    if (this.o.tileThreads > 0) this.loops.push(this.loop(TILES_QUEUE, this.o.tileThreads, () => this.tiles.size, (n) => this.takeTiles(n)));
  }

  /** Stops taking work; running jobs and tiles are aborted and put back for another worker (or a restart). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.beat) clearInterval(this.beat);
    for (const w of Object.values(this.wakers)) w?.wake();
    for (const c of this.jobs.values()) c.abort(LEASE_LOST);
    for (const t of this.tiles.values()) t.ctl.abort(LEASE_LOST);
    await Promise.allSettled(this.loops);
    for (let i = 0; i < 100 && (this.jobs.size || this.tiles.size); i++) await new Promise((r) => setTimeout(r, 50));
    await this.o.db.query('DELETE FROM engine_workers WHERE id = $1', [this.id]).catch(() => undefined);
    await reapStale(this.o.db, this.o.queue, this.o.staleMs, this.o.onUpdate).catch(() => undefined);
  }

  /** Aborts a job running in this process (cancel). */
  abortLocal(jobId: string): boolean {
    const c = this.jobs.get(jobId);
    c?.abort();
    return !!c;
  }

  private async loop(queue: string, slots: number, busy: () => number, take: (n: number) => Promise<number>): Promise<void> {
    let idle = 20;
    while (!this.stopping) {
      const free = slots - busy();
      let got = 0;
      if (free > 0) {
        try {
          got = await take(free);
        } catch (e) {
          this.o.onError?.(e);
          idle = this.o.pollMs;
        }
      }
      if (this.stopping) break;
      if (got > 0 && got === free) continue;
      const w = (this.wakers[queue] = waker());
      const wait = got > 0 ? 20 : idle;
      idle = got > 0 ? 20 : Math.min(this.o.pollMs, idle * 2);
      await Promise.race([w.promise, new Promise((r) => setTimeout(r, wait))]);
    }
  }

  private wakeAll(): void {
    for (const w of Object.values(this.wakers)) w?.wake();
  }

  private async takeJobs(n: number): Promise<number> {
    const { db, queue } = this.o;
    const started: { job: Job; token: string; queueId: string }[] = [];
    await db.transaction(async (tx) => {
      const entries = await queue.fetch<JobMessage>(JOBS_QUEUE, n, tx);
      const gone: string[] = [];
      for (const e of entries) {
        const token = randomUUID();
        const job = await startRun(tx, e.id, this.id, token);
        if (job) started.push({ job, token, queueId: e.id });
        else gone.push(e.id);
      }
      await queue.complete(JOBS_QUEUE, gone, tx);
    });
    for (const { job, token, queueId } of started) this.launchJob(job, token, queueId);
    return started.length;
  }

  private launchJob(job: Job, token: string, queueId: string): void {
    const { db, queue } = this.o;
    const ctl = new AbortController();
    this.jobs.set(job.id, ctl);
    this.o.onUpdate?.(job);
    const mapper: TileMapper =
      this.o.fanOut === 'local' ? localTileMapper(this.o.localThreads) : queueTileMapper({ db, queue, jobId: job.id, attempt: job.attempt, pollMs: Math.min(250, this.o.pollMs) });
    void (async () => {
      try {
        const done = await runJob(
          { db, blobs: this.o.blobs, scratch: this.o.scratch, mapperFor: () => mapper, onUpdate: (j) => this.o.onUpdate?.(j), queuedTiles: this.o.fanOut === 'queue' },
          job,
          token,
          ctl.signal,
        );
        if (done) await withRetry(() => queue.complete(JOBS_QUEUE, [queueId]));
      } catch (e) {
        // The end could not be stored: give the job back so that another run finishes it.
        this.o.onError?.(e);
        await withRetry(async () => {
          const { rows } = await db.query<{ queue_id: string }>(
            `UPDATE jobs SET status = 'accepted', worker_id = NULL, run_token = NULL, message = 'queued again', updated = clock_timestamp()
             WHERE id = $1 AND run_token = $2 RETURNING queue_id`,
            [job.id, token],
          );
          if (rows[0]) await queue.fail(JOBS_QUEUE, [rows[0].queue_id], 'run could not store its end');
        }).catch((err: unknown) => this.o.onError?.(err));
      } finally {
        this.jobs.delete(job.id);
        this.wakeAll();
      }
    })();
  }

  private async takeTiles(n: number): Promise<number> {
    const { db, queue } = this.o;
    let rows: { job_id: string; map_index: number; tile_index: number; input_hash: string; module: string; export: string; input: Uint8Array; queue_id: string }[] = [];
    await db.transaction(async (tx) => {
      const entries = await queue.fetch<TileMessage>(TILES_QUEUE, n, tx);
      if (entries.length === 0) return;
      const keys = entries.map((e) => ({ j: e.data.jobId, m: e.data.mapIndex, t: e.data.tileIndex, q: e.id }));
      const r = await tx.query<(typeof rows)[number]>(
        `UPDATE job_tiles t SET state = 'running', worker_id = $2, runs = runs + 1, updated = clock_timestamp()
         FROM jsonb_to_recordset($1::jsonb) AS k(j text, m int, t int, q text)
         WHERE t.job_id = k.j AND t.map_index = k.m AND t.tile_index = k.t AND t.queue_id = k.q AND t.state IN ('queued', 'running')
           AND EXISTS (SELECT 1 FROM jobs WHERE id = t.job_id AND status IN ('accepted', 'running') AND NOT cancel_requested)
         RETURNING t.job_id, t.map_index, t.tile_index, t.input_hash, t.module, t.export, t.input, t.queue_id`,
        [JSON.stringify(keys), this.id],
      );
      rows = r.rows;
      const taken = new Set(rows.map((x) => x.queue_id));
      await queue.complete(TILES_QUEUE, entries.filter((e) => !taken.has(e.id)).map((e) => e.id), tx);
    });
    for (const row of rows) this.launchTile(row);
    return rows.length;
  }

  private launchTile(row: { job_id: string; map_index: number; tile_index: number; input_hash: string; module: string; export: string; input: Uint8Array; queue_id: string }): void {
    const { db, queue } = this.o;
    const key = row.queue_id;
    const ctl = new AbortController();
    this.tiles.set(key, { jobId: row.job_id, ctl });
    const mapper = localTileMapper(this.o.tileThreads);
    void (async () => {
      let state: 'done' | 'failed' | null = null;
      let result: Uint8Array | null = null;
      let error: unknown = null;
      try {
        const tile = deserialize(row.input) as unknown;
        const [value] = await mapper([tile], { module: localModule(row.module), export: row.export }, ctl.signal);
        result = serialize(value);
        state = 'done';
      } catch (e) {
        if (!ctl.signal.aborted) {
          state = 'failed';
          const te = tileErrorOf(e);
          error = { code: isGepError(e) ? e.code : te.code, message: te.message };
        }
      }
      try {
        if (state) {
          await withRetry(async () => {
            await db.query(
              `UPDATE job_tiles SET state = $5, result = $6, error = $7::jsonb, input = CASE WHEN $5 = 'done' THEN NULL ELSE input END,
                 worker_id = NULL, updated = clock_timestamp()
               WHERE job_id = $1 AND map_index = $2 AND tile_index = $3 AND input_hash = $4 AND state IN ('queued', 'running')`,
              [row.job_id, row.map_index, row.tile_index, row.input_hash, state, result, error ? JSON.stringify(error) : null],
            );
            await queue.complete(TILES_QUEUE, [row.queue_id]);
          });
        } else if (ctl.signal.reason !== LEASE_LOST) {
          await queue.complete(TILES_QUEUE, [row.queue_id]); // cancelled with its job
        }
      } catch (e) {
        this.o.onError?.(e);
      } finally {
        this.tiles.delete(key);
        this.wakeAll();
      }
    })();
  }

  private async heartbeat(): Promise<void> {
    await this.o.db.query(
      `INSERT INTO engine_workers (id, host, pid, info) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (id) DO UPDATE SET heartbeat = clock_timestamp()`,
      [this.id, hostname(), process.pid, JSON.stringify({ jobs: this.o.jobs, tileThreads: this.o.tileThreads })],
    );
  }

  private async tick(): Promise<void> {
    if (this.beating || this.stopping) return;
    this.beating = true;
    try {
      await this.heartbeat();
      await this.checkCancels();
      await reapStale(this.o.db, this.o.queue, this.o.staleMs, this.o.onUpdate);
    } catch (e) {
      this.o.onError?.(e);
    } finally {
      this.beating = false;
    }
  }

  /** Aborts runs whose job was cancelled, dismissed, deleted or (for jobs) taken over by another worker. */
  private async checkCancels(): Promise<void> {
    const jobIds = [...this.jobs.keys()];
    const tileJobs = [...new Set([...this.tiles.values()].map((t) => t.jobId))];
    if (jobIds.length === 0 && tileJobs.length === 0) return;
    const { rows } = await this.o.db.query<{ id: string; status: string | null; cancel: boolean | null; worker: string | null }>(
      `SELECT x.id, j.status, j.cancel_requested AS cancel, j.worker_id AS worker
       FROM unnest($1::text[]) AS x(id) LEFT JOIN jobs j ON j.id = x.id`,
      [[...new Set([...jobIds, ...tileJobs])]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of jobIds) {
      const r = byId.get(id);
      if (!r || r.status === null || r.cancel) this.jobs.get(id)?.abort();
      else if (r.status !== 'running' || r.worker !== this.id) this.jobs.get(id)?.abort(LEASE_LOST);
    }
    for (const t of this.tiles.values()) {
      const r = byId.get(t.jobId);
      if (!r || r.status === null || !['accepted', 'running'].includes(r.status) || r.cancel) t.ctl.abort();
    }
  }
}

/**
 * Puts back the jobs and tiles of dead workers (heartbeat older than `staleMs`, or no worker row at all) and
 * fails their queue entries so that pg-boss retries them; entries past their retry limit end the job / tile as
 * failed. Safe to run in every process at once: each row is moved by exactly one UPDATE.
 */
export async function reapStale(db: Db, queue: JobQueue, staleMs: number, onUpdate?: (job: Job) => void): Promise<{ jobs: number; tiles: number }> {
  await db.query(`DELETE FROM engine_workers WHERE heartbeat < clock_timestamp() - $1::float8 * interval '1 millisecond'`, [staleMs]);
  const live = `SELECT id FROM engine_workers`;
  const jobs = await db.query<{ id: string; queue_id: string; worker: string | null }>(
    `UPDATE jobs SET status = 'accepted', message = 'queued again: its worker stopped', worker_id = NULL, run_token = NULL, updated = clock_timestamp()
     WHERE status = 'running' AND (worker_id IS NULL OR worker_id NOT IN (${live})) RETURNING id, queue_id`,
  );
  if (jobs.rows.length) {
    await queue.fail(JOBS_QUEUE, jobs.rows.map((r) => r.queue_id), 'worker stopped');
    for (const r of jobs.rows) {
      if ((await queue.state(JOBS_QUEUE, r.queue_id)) === 'failed') {
        const j = await finishJob(db, r.id, null, { status: 'failed', message: 'its worker stopped too many times', error: { code: 'GEP_ERR_INTERNAL', message: 'its worker stopped too many times' } });
        if (j) onUpdate?.(j);
      }
    }
    const { rows } = await db.query<Parameters<typeof jobOf>[0]>(`SELECT * FROM jobs WHERE id = ANY($1::text[])`, [jobs.rows.map((r) => r.id)]);
    for (const r of rows) onUpdate?.(jobOf(r));
  }
  const tiles = await db.query<{ job_id: string; map_index: number; tile_index: number; queue_id: string }>(
    `UPDATE job_tiles SET state = 'queued', worker_id = NULL, updated = clock_timestamp()
     WHERE state = 'running' AND (worker_id IS NULL OR worker_id NOT IN (${live})) RETURNING job_id, map_index, tile_index, queue_id`,
  );
  if (tiles.rows.length) {
    await queue.fail(TILES_QUEUE, tiles.rows.map((r) => r.queue_id), 'worker stopped');
    for (const r of tiles.rows) {
      if ((await queue.state(TILES_QUEUE, r.queue_id)) === 'failed') {
        await db.query(
          `UPDATE job_tiles SET state = 'failed', error = $4::jsonb WHERE job_id = $1 AND map_index = $2 AND tile_index = $3 AND state = 'queued'`,
          [r.job_id, r.map_index, r.tile_index, JSON.stringify({ code: 'GEP_ERR_INTERNAL', message: `tile ${r.tile_index}: its worker stopped too many times` })],
        );
      }
    }
  }
  return { jobs: jobs.rows.length, tiles: tiles.rows.length };
}
