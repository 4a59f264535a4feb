/**
 * `gep worker --database postgres://... [--storage s3://BUCKET/PREFIX?endpoint=...|file://DIR] [--scratch DIR]
 * [--jobs N] [--concurrency N]`: a queue worker for the distributed deployment. It takes jobs and tiles from the
 * PostgreSQL job queue that `gep serve --database` feeds, until SIGTERM / SIGINT (then it gives its running work
 * back to the queue and exits 0). Jobs run in a local scratch folder (default `<os tmpdir>/gep-scratch`) and
 * publish their results to the blob store, which must be the server's (`--storage` of `gep serve`); the worker
 * needs no folder shared with the server. S3 credentials come from the usual AWS_* variables.
 */
import { resolve } from 'node:path';
import { invalidInput, isGepError } from '../../core/errors.ts';
import { openBlobStore, type BlobStore } from '../../store/blobs.ts';
import { DEFAULT_DATA_DIR, openDb, redactUrl } from '../../store/db.ts';
import type { Command } from '../main.ts';
import { intOption, parse } from '../args.ts';

const USAGE =
  'gep worker --database postgres://USER@HOST/DB [--storage s3://BUCKET/PREFIX?endpoint=URL|file://DIR] [--scratch DIR] [--jobs N] [--concurrency N] [--heartbeat-ms MS] [--stale-ms MS]';

/**
 * Opens the blob store of `--storage` (default: the blobs folder of the default data folder, as `gep serve` has
 * it). A bad URL is GEP_ERR_INVALID_INPUT naming the option (exit 2).
 */
export async function storageOf(storage: string | undefined, dataDir = DEFAULT_DATA_DIR): Promise<BlobStore> {
  if (storage !== undefined && !/^(file|s3):\/\/./.test(storage))
    throw invalidInput(`--storage ${JSON.stringify(redactUrl(storage))}: expected s3://BUCKET[/PREFIX][?endpoint=URL] or file://DIR, the blob store the server uses`, { input: 'storage' });
  try {
    return await openBlobStore(storage, { dataDir });
  } catch (e) {
    if (isGepError(e) && e.code !== 'GEP_ERR_INTERNAL' && e.code !== 'GEP_ERR_REMOTE') throw invalidInput(`--storage: ${e.message}`, { input: 'storage' });
    throw e;
  }
}

/** The scratch folder of `--scratch`, resolved; undefined for the default. */
export function scratchOf(scratch: unknown): string | undefined {
  if (scratch === undefined) return undefined;
  if (typeof scratch !== 'string' || scratch.trim() === '') throw invalidInput('--scratch: expected a folder', { input: 'scratch' });
  return resolve(scratch);
}

export const workerCommand: Command = {
  summary: 'Run a queue worker for the distributed deployment (jobs and tiles from PostgreSQL)',
  usage: USAGE,
  async run(args) {
    const { values } = parse(
      args,
      {
        database: { type: 'string' },
        storage: { type: 'string' },
        scratch: { type: 'string' },
        jobs: { type: 'string' },
        concurrency: { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'stale-ms': { type: 'string' },
        quiet: { type: 'boolean' },
      },
      false,
    );
    const url = values.database as string | undefined;
    if (!url) throw invalidInput(`--database is required: ${USAGE}`, { input: 'database' });
    const cpus = (await import('node:os')).availableParallelism();
    const tileThreads = intOption('concurrency', values.concurrency, cpus, 1, 1024);
    const jobs = intOption('jobs', values.jobs, 2, 0, 1024);
    const heartbeatMs = intOption('heartbeat-ms', values['heartbeat-ms'], 1000, 50, 60_000);
    const staleMs = intOption('stale-ms', values['stale-ms'], 10_000, 200, 3_600_000);
    const { defaultScratch } = await import('../../engine/scratch.ts');
    const scratch = scratchOf(values.scratch) ?? defaultScratch();
    const blobs = await storageOf(values.storage as string | undefined);
    const say = (m: string): void => {
      if (!values.quiet) process.stdout.write(`${m}\n`);
    };
    const db = await openDb(url);
    const { openQueue } = await import('../../engine/queue-pgboss.ts');
    const { EngineWorker } = await import('../../engine/worker.ts');
    const { closeLocalPools } = await import('../../services/local-runner.ts');
    let lastError = 0;
    const onError = (e: unknown): void => {
      // a restarting database fails every query for a while: one line per 5 s is enough
      if (Date.now() - lastError < 5000) return;
      lastError = Date.now();
      process.stderr.write(`gep worker: ${(e as Error).message ?? String(e)} (retrying)\n`);
    };
    const queue = await openQueue(db, { onError });
    const worker = new EngineWorker({ db, queue, blobs, scratch, jobs, tileThreads, fanOut: 'queue', heartbeatMs, staleMs, onError });
    await worker.start();
    say(`gep worker ${worker.id} ready: ${redactUrl(url)}, results to ${blobs.kind} store ${redactUrl(blobs.location)}, scratch ${scratch}, ${jobs} job(s) and ${tileThreads} tile(s) at once`);
    await new Promise<void>((done) => {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    });
    say(`gep worker ${worker.id} stopping`);
    await worker.stop();
    await queue.stop();
    await closeLocalPools();
    await db.close();
    return 0;
  },
};
