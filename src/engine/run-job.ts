/**
 * One run of a job, after its worker took the lease (worker.ts): validate the inputs, resolve catalogue items
 * (blob keys as the store's URLs), build the ServiceContext (a local scratch workspace, scratch.ts; logger into
 * job_logs, progress throttled to the database, AbortSignal tied to cancel, `map` on local threads or on the tile
 * queue), run the service, publish its files to the blob store under `jobs/<id>/` (publish.ts), register the
 * results as collection `job-<id>` (asset hrefs: blob keys), then end the job: successful, failed (the
 * GepError's code and message; no retry: a deterministic input error would only fail again) or dismissed
 * (cancelled). Nothing is published unless the service succeeded; when registering fails, what was published is
 * deleted again. The scratch workspace is removed at every end.
 */
import { mkdir } from 'node:fs/promises';
import { GepError, throwIfAborted, toGepError } from '../core/errors.ts';
import { SOFTWARE } from '../core/version.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { createServiceContext, type TileMapper } from '../services/context.ts';
import { provenanceProperties } from '../services/outputs.ts';
import { getService } from '../services/registry.ts';
import type { LogLevel } from '../services/types.ts';
import { validateInputs } from '../services/validate.ts';
import { appendLogs, finishJob, setProgress, type Finish } from './jobs.ts';
import { jobPrefix, publishResults } from './publish.ts';
import { registerResults, removeResults } from './results.ts';
import { resolveInputs } from './resolve-inputs.ts';
import { isConnectionError, withRetry } from './retry.ts';
import { removeWorkspace, runWorkspace } from './scratch.ts';
import { LEASE_LOST } from './tiles.ts';
import type { Job } from './types.ts';

export interface RunDeps {
  db: Db;
  /** Where results are published (`jobs/<id>/...`) and blob-key inputs are read from. */
  blobs: BlobStore;
  /** Local folder for run workspaces (`<scratch>/jobs/<id>/<run>`). */
  scratch: string;
  /** How this run's `ctx.map` fans out. */
  mapperFor(job: Job): TileMapper;
  /** Called with the job after each stored change (progress, end). */
  onUpdate(job: Job): void;
  /** Whether `ctx.map` uses the tile queue (job_tiles rows to clear at the end). */
  queuedTiles?: boolean;
  /** Least time between two progress writes, in ms (default 500). */
  progressMs?: number;
}

/** Buffers log lines and writes them in batches (every `everyMs`, and on flush). */
class JobLog {
  private buf: { level: LogLevel; message: string; time: Date }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db, private readonly jobId: string, private readonly everyMs = 500) {}

  add(level: LogLevel, message: string): void {
    this.buf.push({ level, message, time: new Date() });
    this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buf;
    this.buf = [];
    this.writing = this.writing.then(() => appendLogs(this.db, this.jobId, batch)).catch(() => undefined);
    return this.writing;
  }
}

/** Progress sink: keeps the latest value and writes it at most every `progressMs` (the first one too). */
function progressWriter(deps: RunDeps, job: Job, token: string): { set(f: number, m?: string): void; flush(): Promise<void>; discard(): void } {
  const every = deps.progressMs ?? 500;
  let last = Date.now(); // the first write waits too: short jobs store only their end
  let pending: { p: number; m: string | null } | null = null;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const w = pending;
    pending = null;
    if (!w) return chain;
    last = Date.now();
    chain = chain
      .then(async () => {
        const j = await setProgress(deps.db, job.id, token, w.p, w.m);
        if (j) deps.onUpdate(j);
      })
      .catch(() => undefined);
    return chain;
  };
  return {
    set(f, m) {
      pending = { p: Math.round(f * 1000) / 10, m: m ?? null };
      const wait = every - (Date.now() - last);
      if (wait <= 0) void write();
      else timer ??= setTimeout(() => void write(), wait);
    },
    flush: write,
    discard() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = null;
    },
  };
}

/**
 * Runs the job (already marked running with `token`) to its end. Failures become the job's state; it throws
 * only when the end cannot be stored (database unreachable for a minute). Returns the ended job, or null when the run lost its lease (the job is someone else's now).
 */
export async function runJob(deps: RunDeps, job: Job, token: string, signal: AbortSignal): Promise<Job | null> {
  const workspace = runWorkspace(deps.scratch, job.id, token);
  try {
    return await runIn(deps, job, token, signal, workspace);
  } finally {
    await removeWorkspace(workspace); // lease lost, or the end could not be stored
  }
}

async function runIn(deps: RunDeps, job: Job, token: string, signal: AbortSignal, workspace: string): Promise<Job | null> {
  const { db, blobs } = deps;
  const log = new JobLog(db, job.id);
  const progress = progressWriter(deps, job, token);
  const started = job.started ?? new Date();
  let processVersion: string | null = null;
  let provenance: Record<string, unknown> | null = null;
  let publishing = false;
  let end: Finish;
  try {
    const svc = await getService(job.processId);
    const desc = svc.description;
    processVersion = desc.version;
    const inputs = validateInputs(desc, job.inputs);
    await mkdir(workspace, { recursive: true });
    const resolved = await resolveInputs(db, desc, inputs, workspace, blobs);
    const base = provenanceProperties(desc, inputs, `${SOFTWARE}: job ${job.id} of ${desc.id} ${desc.version}`, started);
    const ids = [...(base['gep:inputs'] as string[]).filter((i) => !resolved.items.some((r) => r.endsWith(`/${i}`) || r === i)), ...resolved.items];
    provenance = { ...base, 'gep:inputs': ids, 'gep:job': job.id };
    log.add('info', `${desc.id} ${desc.version} started by ${SOFTWARE}${job.attempt ? ` (retry ${job.attempt})` : ''}`);
    if (resolved.items.length) log.add('info', `catalogue items: ${resolved.items.join(', ')}`);
    const ctx = createServiceContext({
      inputs: resolved.inputs,
      workspace,
      signal,
      mapper: deps.mapperFor(job),
      log: (level, message) => log.add(level, message),
      progress: (f, m) => progress.set(f, m),
      provenance,
    });
    const result = await svc.run(ctx);
    throwIfAborted(signal);
    for (const key of Object.keys(result.outputs))
      if (!Object.hasOwn(desc.outputs, key)) throw new GepError('GEP_ERR_INTERNAL', `service '${desc.id}' returned undeclared output '${key}'`);
    publishing = true;
    const pub = await publishResults(blobs, job.id, workspace, desc, result);
    if (pub.keys.length) log.add('info', `${pub.keys.length} result file(s) published to the ${blobs.kind} blob store under ${jobPrefix(job.id)}`);
    const collection = await registerResults(db, job.id, desc, pub.items, pub.outputs, provenance, started);
    log.add('info', `results registered as collection ${collection}`);
    end = { status: 'successful', message: 'finished', outputs: pub.outputs, provenance, resultCollection: collection, processVersion };
  } catch (e) {
    const leaseLost = signal.aborted && signal.reason === LEASE_LOST;
    // A run that lost its lease leaves the keys to its successor (same keys, same content).
    if (publishing && !leaseLost) {
      await blobs.deletePrefix(jobPrefix(job.id)).catch(() => undefined);
      await removeResults(db, job.id).catch(() => undefined); // a collection an earlier run of the job registered
    }
    if (leaseLost) {
      await log.flush();
      return null;
    }
    // A lost database connection says nothing about the job: the worker gives it back to the queue.
    if (!signal.aborted && isConnectionError(e)) throw e;
    if (signal.aborted) {
      log.add('warn', 'cancelled');
      end = { status: 'dismissed', message: 'cancelled', provenance, processVersion };
    } else {
      const err = toGepError(e);
      log.add('error', err.message);
      end = { status: 'failed', message: err.message, error: { code: err.code, message: err.message }, provenance, processVersion };
    }
  }
  // The end state carries the final progress (100 for a success): a pending intermediate value is moot.
  progress.discard();
  await log.flush();
  await removeWorkspace(workspace); // before the end is stored: an ended job has no scratch left
  const final = end;
  const done = await withRetry(() => finishJob(db, job.id, token, final), signal.aborted ? 5_000 : 60_000);
  if (done) {
    deps.onUpdate(done);
    if (deps.queuedTiles) await db.query('DELETE FROM job_tiles WHERE job_id = $1', [job.id]).catch(() => undefined);
  }
  return done;
}
