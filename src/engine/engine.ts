/**
 * The engine facade the HTTP layer (OGC API - Processes) and the CLI use: submit, get, list, logs, results,
 * cancel, dismiss, retry, resubmit, a feed of job updates (for SSE), subscriptions and `onItemsIngested`.
 *
 * Deployments (DESIGN.md "Two deployments, one code path"): on PGlite the queue workers run in this process and
 * jobs fan their tiles out to local threads; on PostgreSQL this process may run jobs too (`jobs` > 0) while
 * `gep worker` processes take jobs and tiles from the same queue. Updates made by other processes reach the
 * feed through a poll of `jobs.updated` (every `feedMs` while someone listens).
 *
 * Files: a run works in a local scratch folder of the process that runs it and publishes its results to the blob
 * store under `jobs/<id>/` (run-job.ts), so the server and the workers share only the database and the store
 * (a local folder, or S3 on several machines). Dismiss deletes that prefix.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { GepError, invalidInput } from '../core/errors.ts';
import type { StacItem } from '../core/stac.ts';
import { openBlobStore, type BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { getService } from '../services/registry.ts';
import { maxOccursOf, validateInputs } from '../services/validate.ts';
import * as jobs from './jobs.ts';
import { JOBS_QUEUE, type JobQueue } from './queue.ts';
import { openQueue } from './queue-pgboss.ts';
import { getCollection } from '../store/items.ts';
import { jobPrefix } from './publish.ts';
import { removeResults } from './results.ts';
import { defaultScratch } from './scratch.ts';
import * as subs from './subscriptions.ts';
import { statusInfo, type Job, type JobFilter, type JobLogEntry, type JobPage, type StatusInfo, type SubmitRequest } from './types.ts';
import { EngineWorker, reapStale, type WorkerOptions } from './worker.ts';

/**
 * The worker's settings (src/engine/worker.ts documents each) with the engine's defaults: jobs 2 (0: only queue
 * them, for `gep worker` processes); tile threads 0 on PGlite, CPUs on PostgreSQL; fan-out `local` on PGlite, the
 * tile `queue` on PostgreSQL.
 */
export interface EngineOptions
  extends Pick<WorkerOptions, 'db' | 'jobs' | 'tileThreads' | 'fanOut' | 'localThreads' | 'heartbeatMs' | 'staleMs' | 'pollMs'> {
  /** Blob store of job results (default: `<workRoot>/blobs` when `workRoot` is given; else required). */
  blobs?: BlobStore;
  /** Local folder of run workspaces (default `<workRoot>/scratch`, else `<os tmpdir>/gep-scratch`). */
  scratch?: string;
  /**
   * A data folder standing for both (blobs in `<workRoot>/blobs`, scratch in `<workRoot>/scratch`), as `gep serve`
   * lays them out; dismiss also removes `<workRoot>/jobs/<id>` of jobs run before results went to the store.
   */
  workRoot?: string;
  /** Period of the cross-process update poll, in ms (default 1000). */
  feedMs?: number;
  /** A queue to use instead of pg-boss on `db` (tests). */
  queue?: JobQueue;
}

const FINAL = new Set(['successful', 'failed', 'dismissed']);

export class Engine {
  /** Emits `job` with the Job after each change seen by this process. */
  readonly events = new EventEmitter();
  /** Same updates, for waitFor (listening here does not start the cross-process poll). */
  private readonly local = new EventEmitter();
  readonly worker: EngineWorker | null;
  private feedTimer: NodeJS.Timeout | undefined;
  private reapTimer: NodeJS.Timeout | undefined;
  private feedSince = new Date(0);
  private readonly seen = new Map<string, number>();
  private closed = false;

  private constructor(
    readonly db: Db,
    readonly queue: JobQueue,
    /** Where job results live (`jobs/<id>/...`). */
    readonly blobs: BlobStore,
    /** Local folder of this process's run workspaces. */
    readonly scratch: string,
    private readonly o: EngineOptions,
  ) {
    this.events.setMaxListeners(0);
    this.local.setMaxListeners(0);
    const pglite = db.kind === 'pglite';
    const runJobs = o.jobs ?? 2;
    const tileThreads = o.tileThreads ?? (pglite ? 0 : undefined);
    this.worker =
      runJobs > 0 || (tileThreads ?? 1) > 0
        ? new EngineWorker({
            db,
            queue,
            blobs,
            scratch,
            jobs: runJobs,
            ...(tileThreads !== undefined ? { tileThreads } : {}),
            fanOut: o.fanOut ?? (pglite ? 'local' : 'queue'),
            ...(o.localThreads !== undefined ? { localThreads: o.localThreads } : {}),
            ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
            ...(o.staleMs !== undefined ? { staleMs: o.staleMs } : {}),
            ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
            exclusive: pglite,
            onUpdate: (j) => this.publish(j),
          })
        : null;
    this.events.on('newListener', (name) => {
      if (name === 'job') this.startFeed();
    });
  }

  /** Starts the queue and, when this process runs jobs, its worker (jobs left running by a dead process resume). */
  static async open(o: EngineOptions): Promise<Engine> {
    if (!o.blobs && o.workRoot === undefined) throw invalidInput('Engine.open: give a blob store (blobs) or a data folder (workRoot)');
    const blobs = o.blobs ?? (await openBlobStore(undefined, { dataDir: o.workRoot! }));
    const scratch = resolve(o.scratch ?? (o.workRoot !== undefined ? join(o.workRoot, 'scratch') : defaultScratch()));
    const queue = o.queue ?? (await openQueue(o.db));
    const e = new Engine(o.db, queue, blobs, scratch, o);
    if (e.worker) await e.worker.start();
    else {
      // No worker here to reap dead ones: do it on a timer (the `gep worker` processes do it too).
      const stale = o.staleMs ?? 10_000;
      await reapStale(o.db, queue, stale, (j) => e.publish(j));
      let busy = false;
      e.reapTimer = setInterval(() => {
        if (busy) return;
        busy = true;
        void reapStale(o.db, queue, stale, (j) => e.publish(j))
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, Math.max(200, stale / 2));
      e.reapTimer.unref();
    }
    return e;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.feedTimer) clearInterval(this.feedTimer);
    if (this.reapTimer) clearInterval(this.reapTimer);
    await this.worker?.stop();
    if (!this.o.queue) await this.queue.stop();
  }

  private publish(job: Job): void {
    const t = job.updated.getTime();
    if ((this.seen.get(job.id) ?? -1) >= t) return;
    this.seen.set(job.id, t);
    this.events.emit('job', job);
    this.local.emit('job', job);
  }

  private startFeed(): void {
    if (this.feedTimer || this.closed) return;
    this.feedSince = new Date(Date.now() - 5000);
    let busy = false;
    this.feedTimer = setInterval(() => {
      if (busy) return;
      if (this.events.listenerCount('job') === 0) {
        clearInterval(this.feedTimer);
        this.feedTimer = undefined;
        return;
      }
      busy = true;
      const since = new Date(this.feedSince.getTime() - 2000); // margin for commits that land out of order
      jobs
        .jobsUpdatedSince(this.db, since)
        .then((list) => {
          for (const j of list) {
            this.publish(j);
            if (j.updated > this.feedSince) this.feedSince = j.updated;
          }
          if (this.seen.size > 10_000) this.seen.clear();
        })
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, this.o.feedMs ?? 1000);
    this.feedTimer.unref();
  }

  /** Validates the inputs against the process description and queues a job (status `accepted`). */
  async submit(req: SubmitRequest, extra: { resubmittedFrom?: string; tx?: Db; id?: string } = {}): Promise<Job> {
    const svc = await getService(req.process);
    if (req.inputs === null || typeof req.inputs !== 'object' || Array.isArray(req.inputs)) throw invalidInput(`inputs of process '${req.process}' must be an object`);
    validateInputs(svc.description, req.inputs);
    if (req.visibility !== undefined && req.visibility !== 'private' && req.visibility !== 'public')
      throw invalidInput(`visibility: expected 'private' or 'public', got ${JSON.stringify(req.visibility)}`, { input: 'visibility' });
    const queueId = randomUUID();
    const insert = async (tx: Db): Promise<Job> => {
      const job = await jobs.insertJob(tx, {
        id: extra.id ?? randomUUID(),
        processId: svc.description.id,
        processVersion: svc.description.version,
        inputs: req.inputs,
        owner: req.owner ?? null,
        visibility: req.visibility ?? 'private',
        title: req.title ?? null,
        subscriptionId: req.subscriptionId ?? null,
        resubmittedFrom: extra.resubmittedFrom ?? null,
        queueId,
        workspace: null,
      });
      await this.queue.send(JOBS_QUEUE, [{ data: { jobId: job.id }, options: { id: queueId } }], tx);
      return job;
    };
    const job = extra.tx ? await extra.tx.transaction(insert) : await this.db.transaction(insert);
    this.publish(job);
    return job;
  }

  get(id: string): Promise<Job | null> {
    return jobs.getJob(this.db, id);
  }

  /** The job, or GEP_ERR_NOT_FOUND. */
  require(id: string): Promise<Job> {
    return jobs.requireJob(this.db, id);
  }

  /** OGC statusInfo of a job (links relative to `baseUrl`). */
  async status(id: string, baseUrl = ''): Promise<StatusInfo> {
    return statusInfo(await this.require(id), baseUrl);
  }

  list(filter: JobFilter = {}): Promise<JobPage> {
    return jobs.listJobs(this.db, filter);
  }

  async logs(id: string, opts: { after?: number; limit?: number } = {}): Promise<JobLogEntry[]> {
    await this.require(id);
    return jobs.getLogs(this.db, id, opts);
  }

  /**
   * Outputs and provenance of a successful job, with its result collection. Not successful yet -> GEP_ERR_NOT_FOUND
   * naming the status (OGC: 404 result-not-ready; the HTTP layer may map failed jobs to their error).
   */
  async results(id: string): Promise<{ job: Job; outputs: Record<string, unknown>; provenance: Record<string, unknown> | null; collection: string | null }> {
    const job = await this.require(id);
    if (job.status !== 'successful') throw new GepError('GEP_ERR_NOT_FOUND', `job '${id}' has no results: it is ${job.status}${job.error ? ` (${job.error.message})` : ''}`, { job: id, status: job.status });
    const collection = job.resultCollection && (await getCollection(this.db, job.resultCollection)) ? job.resultCollection : null;
    return { job, outputs: job.outputs ?? {}, provenance: job.provenance, collection };
  }

  /**
   * Stops a queued or running job: it ends `dismissed`. Waits up to `waitMs` for a running job to stop and returns
   * the job as it then is. A job that already ended is returned unchanged.
   */
  async cancel(id: string, opts: { waitMs?: number } = {}): Promise<Job> {
    const job = await this.require(id);
    if (FINAL.has(job.status)) return job;
    if (job.status === 'accepted') {
      const done = await this.db.transaction(async (tx) => {
        const d = await jobs.finishJob(tx, id, null, { status: 'dismissed', message: 'cancelled before it started' });
        if (d) {
          const qid = await jobs.queueIdOf(tx, id);
          if (qid) await this.queue.cancel(JOBS_QUEUE, [qid], tx);
        }
        return d;
      });
      if (done) {
        this.publish(done);
        return done;
      }
    }
    await jobs.requestCancel(this.db, id);
    this.worker?.abortLocal(id);
    return this.waitFor(id, { timeoutMs: opts.waitMs ?? 10_000, quiet: true });
  }

  /**
   * OGC dismiss: cancels the job if needed, then deletes it with its logs, results collection and its files in
   * the blob store (`jobs/<id>/`).
   * Returns the job's last state with status `dismissed`; afterwards the job is unknown (404).
   */
  async dismiss(id: string): Promise<Job> {
    let job = await this.require(id);
    if (!FINAL.has(job.status)) job = await this.cancel(id, { waitMs: 5000 });
    await removeResults(this.db, id);
    await jobs.deleteJobRow(this.db, id);
    await this.blobs.deletePrefix(jobPrefix(id));
    if (job.workspace && this.o.workRoot !== undefined) {
      // a job run before results went to the blob store: its workspace in the data folder
      const root = resolve(this.o.workRoot, 'jobs') + sep;
      const ws = resolve(job.workspace);
      if (ws.startsWith(root)) await rm(ws, { recursive: true, force: true });
    }
    const last: Job = { ...job, status: 'dismissed', message: 'dismissed', updated: new Date() };
    this.events.emit('job', last);
    return last;
  }

  /** Runs a failed or cancelled job again, same id and inputs (attempt + 1). */
  async retry(id: string): Promise<Job> {
    const job = await this.require(id);
    if (job.status !== 'failed' && job.status !== 'dismissed')
      throw invalidInput(`job '${id}' is ${job.status}: only failed or cancelled jobs can be retried (resubmit makes a new job)`, { job: id });
    const queueId = randomUUID();
    const again = await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM job_tiles WHERE job_id = $1', [id]);
      await removeResults(tx, id);
      const j = await jobs.requeueForRetry(tx, id, queueId);
      if (!j) return null;
      await jobs.appendLogs(tx, id, [{ level: 'info', message: `retry ${j.attempt} requested`, time: new Date() }]);
      await this.queue.send(JOBS_QUEUE, [{ data: { jobId: id }, options: { id: queueId } }], tx);
      return j;
    });
    if (!again) throw invalidInput(`job '${id}' changed state meanwhile; try again`, { job: id });
    this.publish(again);
    return again;
  }

  /** A new job with the same process, inputs, owner, visibility and title. */
  async resubmit(id: string, overrides: Partial<Pick<SubmitRequest, 'owner' | 'visibility' | 'title'>> = {}): Promise<Job> {
    const j = await this.require(id);
    return this.submit({ process: j.processId, inputs: j.inputs, owner: j.owner, visibility: j.visibility, title: j.title, ...overrides }, { resubmittedFrom: id });
  }

  /** Resolves when the job has ended (or after `timeoutMs`, with the job as it then is, unless `quiet` is false). */
  async waitFor(id: string, opts: { timeoutMs?: number; quiet?: boolean } = {}): Promise<Job> {
    const until = Date.now() + (opts.timeoutMs ?? 60_000);
    let wait = 10;
    for (;;) {
      const j = await this.require(id);
      if (FINAL.has(j.status)) return j;
      if (Date.now() >= until) {
        if (opts.quiet ?? true) return j;
        throw new GepError('GEP_ERR_INTERNAL', `job '${id}' did not end within ${opts.timeoutMs} ms (status ${j.status})`);
      }
      let wake: (() => void) | undefined;
      const onJob = (u: Job): void => {
        if (u.id === id && FINAL.has(u.status)) wake?.();
      };
      this.local.on('job', onJob);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, wait);
      });
      this.local.off('job', onJob);
      wait = Math.min(200, wait * 2);
    }
  }

  /** Job updates as an async iterator (all jobs, or one), ending when `signal` aborts (SSE). */
  async *watch(opts: { jobId?: string; signal?: AbortSignal } = {}): AsyncGenerator<Job> {
    const buf: Job[] = [];
    let wake: (() => void) | undefined;
    const on = (j: Job): void => {
      if (opts.jobId && j.id !== opts.jobId) return;
      buf.push(j);
      wake?.();
    };
    const stop = (): void => wake?.();
    this.events.on('job', on);
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      while (!opts.signal?.aborted && !this.closed) {
        while (buf.length) yield buf.shift()!;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      this.events.off('job', on);
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  // ---- systematic processing ----

  createSubscription(s: subs.NewSubscription): Promise<subs.Subscription> {
    return subs.createSubscription(this.db, s);
  }
  getSubscription(id: string): Promise<subs.Subscription | null> {
    return subs.getSubscription(this.db, id);
  }
  listSubscriptions(f: { owner?: string; collection?: string } = {}): Promise<subs.Subscription[]> {
    return subs.listSubscriptions(this.db, f);
  }
  setSubscriptionEnabled(id: string, enabled: boolean): Promise<subs.Subscription> {
    return subs.setSubscriptionEnabled(this.db, id, enabled);
  }
  deleteSubscription(id: string): Promise<boolean> {
    return subs.deleteSubscription(this.db, id);
  }

  /**
   * Called by catalogue ingestion with the items just stored: starts one job per matching (subscription, item)
   * not seen before. Returns the jobs started.
   */
  async onItemsIngested(items: StacItem[]): Promise<Job[]> {
    const cols = [...new Set(items.map((i) => i.collection).filter((c): c is string => typeof c === 'string'))];
    if (cols.length === 0) return [];
    const list = await subs.subscriptionsFor(this.db, cols);
    const started: Job[] = [];
    for (const s of list) {
      // A subscription whose process is no longer registered starts nothing; the others still run.
      const svc = await getService(s.processId).catch(() => null);
      const input = svc?.description.inputs[s.itemInput];
      if (!input) continue;
      for (const item of items) {
        if (!subs.matches(s, item)) continue;
        const id = randomUUID();
        const job = await this.db.transaction(async (tx) => {
          if (!(await subs.claimRun(tx, s.id, item.collection!, item.id, id))) return null;
          return this.submit(
            {
              process: s.processId,
              inputs: { ...s.inputs, [s.itemInput]: subs.itemValue(maxOccursOf(input), item.collection!, item.id) },
              owner: s.owner,
              title: `${s.title ?? `subscription ${s.id}`}: ${item.collection}/${item.id}`,
              subscriptionId: s.id,
            },
            { tx, id },
          );
        });
        if (job) started.push(job);
      }
    }
    return started;
  }
}

export { statusInfo };
