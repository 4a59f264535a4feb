/**
 * Distributed deployment with real processes: a PostgreSQL server, the engine here (queueing only) and
 * `gep worker` child processes. Reliability: the worker running a tiled job is killed with SIGKILL mid-run and the
 * job still completes with the undisturbed result; PostgreSQL is restarted mid-run and the workers reconnect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { findPgBin, skipUnlessPostgres, startPostgres, type PgServer } from '../helpers/postgres.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { Engine } from '../../src/engine/engine.ts';
import { ended, spawnWorker, until, type WorkerProc } from './helpers.ts';

const skip = skipUnlessPostgres();
const WORKER_ARGS = ['--jobs', '1', '--concurrency', '1', '--heartbeat-ms', '250', '--stale-ms', '1500'];

describe('distributed engine (PostgreSQL + gep worker processes)', { ...skip, timeout: 90_000 }, () => {
  let pg: PgServer;
  let db: Db;
  let engine: Engine;
  let storage: string;
  const workers: WorkerProc[] = [];
  const squares = (n: number): number[] => Array.from({ length: n }, (_, i) => i * i);

  before(async () => {
    pg = await startPostgres();
    storage = mkdtempSync(join(tmpdir(), 'gep-dist-'));
    db = await openDb(pg.url);
    engine = await Engine.open({ db, workRoot: storage, jobs: 0, tileThreads: 0, staleMs: 1500 });
    const ws = await Promise.all([0, 1].map(() => spawnWorker(pg.url, join(storage, 'blobs'), [...WORKER_ARGS, '--scratch', join(storage, 'scratch')])));
    workers.push(...ws);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await engine?.close();
    await db?.close();
    await pg?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  test('a tiled job runs across the workers and registers its results', async () => {
    const job = await engine.submit({ process: 'echo', inputs: { message: 'spread', tiles: 8, delayMs: 150 } });
    const done = await ended(engine, job.id, 30_000);
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.deepEqual(done.outputs?.squares, squares(8));
    const r = await engine.results(job.id);
    assert.equal(r.collection, `job-${job.id}`);
    const seen = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM job_tiles WHERE job_id = $1', [job.id]);
    assert.equal(seen.rows[0]!.n, 0, 'tile rows are cleared once the job ended');
  });

  test('SIGKILL of the worker running a tiled job: the job completes with the undisturbed result', async () => {
    const inputs = { message: 'kill', tiles: 16, delayMs: 250 };
    const reference = await ended(engine, (await engine.submit({ process: 'echo', inputs })).id, 40_000);
    assert.equal(reference.status, 'successful');
    const job = await engine.submit({ process: 'echo', inputs });
    // Wait until the job runs and some tiles are done, then kill the worker holding the job.
    const holder = await until(async () => {
      const j = await engine.get(job.id);
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_tiles WHERE job_id = $1 AND state = 'done'`, [job.id]);
      return j?.status === 'running' && j.workerId && rows[0]!.n >= 3 ? j.workerId : undefined;
    }, 20_000, 'the job to run');
    const victim = workers.find((w) => w.id === holder);
    assert.ok(victim, `job held by a spawned worker (${holder})`);
    const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_tiles WHERE job_id = $1 AND state = 'done'`, [job.id]);
    await victim.stop('SIGKILL');
    workers.splice(workers.indexOf(victim), 1);
    const done = await ended(engine, job.id, 40_000);
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.deepEqual(done.outputs?.squares, reference.outputs?.squares);
    assert.deepEqual(done.outputs, { ...reference.outputs });
    assert.notEqual(done.workerId, holder);
    assert.ok(before.rows[0]!.n >= 3);
    // A replacement worker for the next tests.
    workers.push(await spawnWorker(pg.url, join(storage, 'blobs'), [...WORKER_ARGS, '--scratch', join(storage, 'scratch')]));
  });

  test('PostgreSQL restarted mid-run: workers reconnect, the job and the next one complete', async () => {
    const job = await engine.submit({ process: 'echo', inputs: { message: 'restart', tiles: 10, delayMs: 300 } });
    await until(async () => {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_tiles WHERE job_id = $1 AND state = 'done'`, [job.id]);
      return rows[0]!.n >= 2 ? true : undefined;
    }, 20_000, 'tiles to be done');
    const { rows } = await db.query<{ data_directory: string }>('SHOW data_directory');
    const bin = findPgBin()!;
    const asRoot = userInfo().uid === 0;
    const dataDir = rows[0]!.data_directory;
    // -l: the restarted server must not inherit our pipes (spawnSync would wait for it to exit).
    const args = ['-D', dataDir, '-l', join(dirname(dataDir), 'server.log'), '-m', 'fast', '-w', '-t', '30', 'restart'];
    const opts = { encoding: 'utf8' as const, stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], timeout: 60_000 };
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], opts) : spawnSync(join(bin, 'pg_ctl'), args, opts);
    assert.equal(r.status, 0, `pg_ctl restart: ${r.stderr}`);
    const done = await ended(engine, job.id, 45_000);
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.deepEqual(done.outputs?.squares, squares(10));
    const next = await ended(engine, (await engine.submit({ process: 'echo', inputs: { message: 'after', tiles: 4 } })).id, 30_000);
    assert.equal(next.status, 'successful');
    for (const w of workers) assert.equal(w.child.exitCode, null, `worker ${w.id} still alive:\n${w.output()}`);
  });

  test('cancel reaches a job running in another process', async () => {
    const job = await engine.submit({ process: 'echo', inputs: { message: 'stop', tiles: 6, delayMs: 2000 } });
    await until(async () => ((await engine.get(job.id))?.status === 'running' ? true : undefined), 20_000, 'the job to run');
    const c = await engine.cancel(job.id, { waitMs: 10_000 });
    assert.equal(c.status, 'dismissed');
    assert.equal(c.message, 'cancelled');
  });
});
