/**
 * Job repository (tables of migrations/0002_jobs.sql) and the state machine. Every status change goes through
 * a guarded UPDATE (`WHERE status IN (allowed sources)`, and for a running job `run_token = $token`), so two
 * processes can never both move a job, and a run that lost its lease (its worker was declared dead and the job
 * started again elsewhere) cannot overwrite the newer run's result.
 *
 *   accepted -> running -> successful | failed | dismissed
 *   accepted -> dismissed (cancel)          running -> accepted (worker died; queued again)
 *   failed | dismissed -> accepted (retry)  successful is final (resubmit makes a new job)
 */
import { GepError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { LogLevel } from '../services/types.ts';
import { JOB_STATUSES, type Job, type JobError, type JobFilter, type JobLogEntry, type JobPage, type JobStatus, type Visibility } from './types.ts';

/** Allowed transitions: target -> sources. */
export const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  accepted: ['running', 'failed', 'dismissed'],
  running: ['accepted', 'running'],
  successful: ['running'],
  failed: ['accepted', 'running'],
  dismissed: ['accepted', 'running'],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[to].includes(from);
}

export const isFinal = (s: JobStatus): boolean => s === 'successful' || s === 'failed' || s === 'dismissed';

interface JobRow {
  id: string;
  process_id: string;
  process_version: string | null;
  status: JobStatus;
  message: string | null;
  progress: number;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  provenance: Record<string, unknown> | null;
  error: JobError | null;
  owner: string | null;
  visibility: Visibility;
  title: string | null;
  subscription_id: string | null;
  resubmitted_from: string | null;
  attempt: number;
  worker_id: string | null;
  cancel_requested: boolean;
  workspace: string | null;
  result_collection: string | null;
  created: Date;
  started: Date | null;
  finished: Date | null;
  updated: Date;
}

const COLUMNS = `id, process_id, process_version, status, message, progress, inputs, outputs, provenance, error, owner,
  visibility, title, subscription_id, resubmitted_from, attempt, worker_id, cancel_requested, workspace,
  result_collection, created, started, finished, updated`;

export function jobOf(r: JobRow): Job {
  return {
    id: r.id,
    processId: r.process_id,
    processVersion: r.process_version,
    status: r.status,
    message: r.message,
    progress: Number(r.progress),
    inputs: r.inputs,
    outputs: r.outputs,
    provenance: r.provenance,
    error: r.error,
    owner: r.owner,
    visibility: r.visibility,
    title: r.title,
    subscriptionId: r.subscription_id,
    resubmittedFrom: r.resubmitted_from,
    attempt: Number(r.attempt),
    workerId: r.worker_id,
    cancelRequested: r.cancel_requested,
    workspace: r.workspace,
    resultCollection: r.result_collection,
    created: new Date(r.created),
    started: r.started ? new Date(r.started) : null,
    finished: r.finished ? new Date(r.finished) : null,
    updated: new Date(r.updated),
  };
}

export interface NewJob {
  id: string;
  processId: string;
  processVersion: string | null;
  inputs: Record<string, unknown>;
  owner: string | null;
  visibility: Visibility;
  title: string | null;
  subscriptionId: string | null;
  resubmittedFrom: string | null;
  queueId: string;
  workspace: string | null;
}

export async function insertJob(db: Db, j: NewJob): Promise<Job> {
  const { rows } = await db.query<JobRow>(
    `INSERT INTO jobs (id, process_id, process_version, status, message, inputs, owner, visibility, title, subscription_id,
       resubmitted_from, queue_id, workspace)
     VALUES ($1, $2, $3, 'accepted', 'queued', $4::jsonb, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
    [j.id, j.processId, j.processVersion, JSON.stringify(j.inputs), j.owner, j.visibility, j.title, j.subscriptionId, j.resubmittedFrom, j.queueId, j.workspace],
  );
  return jobOf(rows[0]!);
}

export async function getJob(db: Db, id: string): Promise<Job | null> {
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
  return rows[0] ? jobOf(rows[0]) : null;
}

/** The job or GEP_ERR_NOT_FOUND naming it. */
export async function requireJob(db: Db, id: string): Promise<Job> {
  const j = await getJob(db, id);
  if (!j) throw new GepError('GEP_ERR_NOT_FOUND', `job '${id}' not found`, { job: id });
  return j;
}

/** Jobs matching `f`, newest first, with the total count. */
export async function listJobs(db: Db, f: JobFilter = {}): Promise<JobPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => (params.push(v), `$${params.length}`);
  if (f.status?.length) {
    for (const s of f.status) if (!JOB_STATUSES.includes(s)) throw new GepError('GEP_ERR_INVALID_INPUT', `status '${s}': expected one of ${JOB_STATUSES.join(', ')}`, { input: 'status' });
    where.push(`status = ANY(${p(f.status)}::text[])`);
  }
  if (f.process?.length) where.push(`process_id = ANY(${p(f.process)}::text[])`);
  if (f.owner !== undefined) where.push(f.includePublic ? `(owner = ${p(f.owner)} OR visibility = 'public')` : `owner = ${p(f.owner)}`);
  if (f.visibility) where.push(`visibility = ${p(f.visibility)}`);
  if (f.title) where.push(`title ILIKE ${p(`%${f.title.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
  if (f.createdFrom) where.push(`created >= ${p(f.createdFrom.toISOString())}::timestamptz`);
  if (f.createdTo) where.push(`created <= ${p(f.createdTo.toISOString())}::timestamptz`);
  if (f.subscriptionId) where.push(`subscription_id = ${p(f.subscriptionId)}`);
  const duration = `EXTRACT(epoch FROM (COALESCE(finished, clock_timestamp()) - COALESCE(started, clock_timestamp())))`;
  if (f.minDuration !== undefined) where.push(`${duration} >= ${p(f.minDuration)}::float8`);
  if (f.maxDuration !== undefined) where.push(`${duration} <= ${p(f.maxDuration)}::float8`);
  const limit = f.limit ?? 100;
  const offset = f.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new GepError('GEP_ERR_INVALID_INPUT', `limit: expected an integer from 1 to 1000, got ${limit}`, { input: 'limit' });
  if (!Number.isInteger(offset) || offset < 0) throw new GepError('GEP_ERR_INVALID_INPUT', `offset: expected a non-negative integer, got ${offset}`, { input: 'offset' });
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs ${w}`, params);
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs ${w} ORDER BY created DESC, id DESC LIMIT ${limit} OFFSET ${offset}`, params);
  return { jobs: rows.map(jobOf), total: Number(total.rows[0]?.n ?? 0) };
}

/**
 * Starts (or restarts) a run of the job whose queue entry is `queueId`: accepted/running -> running, with this
 * worker as the lease holder, a fresh run token and `workspace` set to the blob prefix of its results (`jobs/<id>`).
 * Null when the job is gone or no longer runnable.
 */
export async function startRun(db: Db, queueId: string, workerId: string, token: string): Promise<Job | null> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET status = 'running', worker_id = $2, run_token = $3, started = COALESCE(started, clock_timestamp()),
       message = 'running', workspace = 'jobs/' || id, updated = clock_timestamp()
     WHERE queue_id = $1 AND status IN ('accepted', 'running') AND NOT cancel_requested RETURNING ${COLUMNS}`,
    [queueId, workerId, token],
  );
  return rows[0] ? jobOf(rows[0]) : null;
}

/** Progress of a running job (percent) from its current run; null when the run lost its lease. */
export async function setProgress(db: Db, id: string, token: string, percent: number, message: string | null): Promise<Job | null> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET progress = $3, message = COALESCE($4, message), updated = clock_timestamp()
     WHERE id = $1 AND run_token = $2 AND status = 'running' RETURNING ${COLUMNS}`,
    [id, token, Math.min(100, Math.max(0, percent)), message],
  );
  return rows[0] ? jobOf(rows[0]) : null;
}

export interface Finish {
  status: 'successful' | 'failed' | 'dismissed';
  message: string;
  outputs?: Record<string, unknown> | null;
  provenance?: Record<string, unknown> | null;
  error?: JobError | null;
  resultCollection?: string | null;
  processVersion?: string | null;
}

/**
 * Ends the job's current run (token given) or a job not running at all (token null: accepted -> failed /
 * dismissed). Returns the updated job, or null when the guard failed (another run owns it, or it ended).
 */
export async function finishJob(db: Db, id: string, token: string | null, f: Finish): Promise<Job | null> {
  const sources = TRANSITIONS[f.status].filter((s) => (token === null ? s !== 'running' : s === 'running'));
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET status = $2, message = $3, outputs = $4::jsonb, provenance = COALESCE($5::jsonb, provenance),
       error = $6::jsonb, result_collection = $7, process_version = COALESCE($8, process_version),
       progress = CASE WHEN $2 = 'successful' THEN 100 ELSE progress END,
       finished = clock_timestamp(), updated = clock_timestamp(), worker_id = NULL, run_token = NULL
     WHERE id = $1 AND status = ANY($9::text[]) AND ($10::text IS NULL OR run_token = $10) RETURNING ${COLUMNS}`,
    [
      id,
      f.status,
      f.message,
      f.outputs ? JSON.stringify(f.outputs) : null,
      f.provenance ? JSON.stringify(f.provenance) : null,
      f.error ? JSON.stringify(f.error) : null,
      f.resultCollection ?? null,
      f.processVersion ?? null,
      sources,
      token,
    ],
  );
  return rows[0] ? jobOf(rows[0]) : null;
}

/** Flags a job for cancellation; the worker running it notices within a heartbeat. */
export async function requestCancel(db: Db, id: string): Promise<Job | null> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET cancel_requested = true, updated = clock_timestamp() WHERE id = $1 AND status IN ('accepted', 'running') RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? jobOf(rows[0]) : null;
}

/** failed | dismissed -> accepted with a new queue entry; the attempt counter grows. */
export async function requeueForRetry(db: Db, id: string, queueId: string): Promise<Job | null> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET status = 'accepted', message = 'queued (retry)', progress = 0, outputs = NULL, error = NULL,
       result_collection = NULL, attempt = attempt + 1, queue_id = $2, cancel_requested = false, started = NULL,
       finished = NULL, worker_id = NULL, run_token = NULL, updated = clock_timestamp()
     WHERE id = $1 AND status IN ('failed', 'dismissed') RETURNING ${COLUMNS}`,
    [id, queueId],
  );
  return rows[0] ? jobOf(rows[0]) : null;
}

export async function deleteJobRow(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM jobs WHERE id = $1', [id])).rowCount > 0;
}

export async function queueIdOf(db: Db, id: string): Promise<string | null> {
  const { rows } = await db.query<{ queue_id: string | null }>('SELECT queue_id FROM jobs WHERE id = $1', [id]);
  return rows[0]?.queue_id ?? null;
}

export async function appendLogs(db: Db, id: string, entries: { level: LogLevel; message: string; time: Date }[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO job_logs (job_id, level, message, time)
     SELECT $1, e.level, e.message, e.time FROM jsonb_to_recordset($2::jsonb) AS e(level text, message text, time timestamptz)
     WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $1)`,
    [id, JSON.stringify(entries.map((e) => ({ level: e.level, message: e.message.slice(0, 8000), time: e.time.toISOString() })))],
  );
}

/** Log entries after `after` (a seq, default 0), oldest first. */
export async function getLogs(db: Db, id: string, opts: { after?: number; limit?: number } = {}): Promise<JobLogEntry[]> {
  const { rows } = await db.query<{ seq: number; time: Date; level: LogLevel; message: string }>(
    'SELECT seq, time, level, message FROM job_logs WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [id, opts.after ?? 0, Math.min(10_000, opts.limit ?? 1000)],
  );
  return rows.map((r) => ({ seq: Number(r.seq), time: new Date(r.time), level: r.level, message: r.message }));
}

/** Jobs changed since `since` (for update feeds across processes). */
export async function jobsUpdatedSince(db: Db, since: Date, limit = 500): Promise<Job[]> {
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE updated > $1 ORDER BY updated LIMIT $2`, [since.toISOString(), limit]);
  return rows.map(jobOf);
}
