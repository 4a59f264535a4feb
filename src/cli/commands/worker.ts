/**
 * `gep worker --database postgres://... [--storage file://DIR] [--jobs N] [--concurrency N]`: a queue worker for
 * the distributed deployment. It takes jobs and tiles from the PostgreSQL job queue that `gep serve --database`
 * feeds, until SIGTERM / SIGINT (then it gives its running work back to the queue and exits 0). Job workspaces
 * go under the storage folder, which must be the one the server and the other workers see.
 */
import { resolve } from 'node:path';
import { invalidInput } from '../../core/errors.ts';
import { DEFAULT_DATA_DIR, openDb, redactUrl } from '../../store/db.ts';
import type { Command } from '../main.ts';
import { intOption, parse } from '../args.ts';

const USAGE = 'gep worker --database postgres://USER@HOST/DB [--storage file://DIR] [--jobs N] [--concurrency N] [--heartbeat-ms MS] [--stale-ms MS]';

/** Folder of job workspaces from --storage (file://DIR) or the default data folder. */
export function workRootOf(storage: string | undefined): string {
  if (storage === undefined) return resolve(DEFAULT_DATA_DIR);
  if (storage.startsWith('file://') && storage.length > 'file://'.length) return resolve(storage.slice('file://'.length));
  throw invalidInput(`--storage ${JSON.stringify(storage)}: expected file://<dir> (a folder shared with the server and the other workers)`, { input: 'storage' });
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
    const workRoot = workRootOf(values.storage as string | undefined);
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
    const worker = new EngineWorker({ db, queue, workRoot, jobs, tileThreads, fanOut: 'queue', heartbeatMs, staleMs, onError });
    await worker.start();
    say(`gep worker ${worker.id} ready: ${redactUrl(url)}, ${jobs} job(s) and ${tileThreads} tile(s) at once, workspaces in ${workRoot}`);
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
