/**
 * Distributed deployment with results in S3 and NO folder shared between the processes: a PostgreSQL server, an
 * S3-compatible server (s3rver), the engine here (queueing only, blobs on S3) and two `gep worker` child processes,
 * each with its own `--scratch` in a separate temp folder and `--storage s3://...`. An MPIC-OPT job (simulated
 * 192², three dates: three pairs, their correlation tiles spread over the workers) publishes its catalog and COGs
 * to S3 under jobs/<id>/, readable through openRaster(blobs.url(key)) and equal to a local run; the worker running a
 * second job is SIGKILLed mid-run and the job still ends with identical COGs in S3; a worker started on the dead
 * one's scratch sweeps its leftovers; dismiss deletes the keys.
 *
 * The input images are local files of this machine (read-only products): the product readers do not open s3://
 * URLs yet (src/sensors/index.ts openProduct), so inputs in the store are covered by results-blobs.test.ts only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessPostgres, startPostgres, type PgServer } from '../helpers/postgres.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { searchItems } from '../../src/store/index.ts';
import { Engine } from '../../src/engine/engine.ts';
import { closeLocalPools, runServiceLocally } from '../../src/services/local-runner.ts';
import { simulateScenario } from '../../src/simulate/index.ts';
import { ended, spawnWorker, until, type WorkerProc } from './helpers.ts';
import { assertSamePixels, readBandF32 } from '../helpers/raster.ts';
import { listKeys } from '../helpers/blobs.ts';

const skip = skipUnlessPostgres();
const WORKER_ARGS = ['--jobs', '1', '--concurrency', '1', '--heartbeat-ms', '250', '--stale-ms', '1500'];
const SIZE = 192;

describe('distributed engine, results in S3, no shared folder', { ...skip, timeout: 150_000 }, () => {
  let pg: PgServer;
  let s3: S3Server;
  let db: Db;
  let blobs: BlobStore;
  let engine: Engine;
  let dir: string;
  let images: string[];
  const scratch: string[] = [];
  const workers: WorkerProc[] = [];
  /** Worker id -> its scratch folder. */
  const scratchOf = new Map<string, string>();
  const first = { id: '', keys: [] as string[] };

  const startWorker = async (folder: string): Promise<WorkerProc> => {
    const w = await spawnWorker(pg.url, s3.url, [...WORKER_ARGS, '--scratch', folder], s3.env);
    scratchOf.set(w.id, folder);
    workers.push(w);
    return w;
  };
  const keys = (prefix: string): Promise<string[]> => listKeys(blobs, prefix);
  const scratchJobs = async (folder: string): Promise<string[]> => readdir(join(folder, 'jobs')).catch(() => []);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-dist-s3-'));
    for (let i = 0; i < 2; i++) scratch.push(await mkdtemp(join(tmpdir(), `gep-scratch-${i}-`)));
    [pg, s3] = await Promise.all([startPostgres(), startS3({ setEnv: true })]);
    await simulateScenario('displacement', { outDir: join(dir, 'scene'), size: SIZE, dates: 3, seed: 5, format: 'cog' });
    images = (await readdir(join(dir, 'scene', 'cog'))).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(dir, 'scene', 'cog', f));
    db = await openDb(pg.url);
    blobs = await openBlobStore(s3.url);
    engine = await Engine.open({ db, blobs, jobs: 0, tileThreads: 0, staleMs: 1500 });
    await Promise.all(scratch.map((s) => startWorker(s)));
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await engine?.close();
    await db?.close();
    await closeLocalPools();
    await Promise.all([pg?.stop(), s3?.stop()]);
    await Promise.all([dir, ...scratch].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
  });

  test('an MPIC-OPT job runs on the workers and publishes its catalog and COGs to S3', async () => {
    assert.equal(blobs.kind, 's3');
    for (const w of workers) assert.match(w.output(), /results to s3 store s3:\/\//);
    const job = await engine.submit({ process: 'mpic-opt', inputs: { images } });
    const done = await ended(engine, job.id, 60_000);
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.equal(done.outputs?.pairs, 3);
    const prefix = `jobs/${job.id}/`;
    assert.equal(done.outputs?.catalog, `${prefix}catalog.json`);
    const list = await keys(prefix);
    const tifs = list.filter((k) => k.endsWith('.tif'));
    assert.ok(list.includes(`${prefix}catalog.json`) && list.includes(`${prefix}fused/fused.json`), list.join(', '));
    assert.equal(list.filter((k) => /\/pair-\d{8}-\d{8}\.json$/.test(k)).length, 3);
    assert.ok(tifs.length >= 3 * 6 + 5, `${tifs.length} COGs in S3`);
    const { items } = await searchItems(db, { collections: [`job-${job.id}`], limit: 10 } as Parameters<typeof searchItems>[1]);
    assert.equal(items.length, 4);
    for (const it of items) for (const a of Object.values(it.assets)) assert.ok(list.includes(a.href), `${it.id}: ${a.href} is an S3 key`);

    // Read back from S3 = a local run on the same inputs.
    const ref = join(dir, 'reference');
    await runServiceLocally('mpic-opt', { images }, { workspace: ref, workers: 2 });
    for (const k of tifs) {
      assert.match(blobs.url(k), /^s3:\/\//);
      const n = assertSamePixels(await readBandF32(blobs.url(k)), await readBandF32(join(ref, k.slice(prefix.length))), k);
      // the job did real work: thousands of valid pixels (clouds and their shadows cover most of this small scene)
      if (k.endsWith('/dx.tif')) assert.ok(n > 2000, `${k}: ${n} valid pixels`);
    }
    for (const s of scratch) assert.deepEqual(await scratchJobs(s), [], `scratch ${s} is empty`);
    first.id = job.id;
    first.keys = list.map((k) => k.slice(prefix.length));
  });

  test('SIGKILL of the worker running a job: identical COGs in S3; its scratch is swept by the next worker', async () => {
    assert.ok(first.id, 'the first test ran');
    const job = await engine.submit({ process: 'mpic-opt', inputs: { images } });
    const holder = await until(async () => {
      const j = await engine.get(job.id);
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_tiles WHERE job_id = $1 AND state = 'done'`, [job.id]);
      return j?.status === 'running' && j.workerId && rows[0]!.n >= 1 ? j.workerId : undefined;
    }, 40_000, 'the job to run with a tile done');
    const victim = workers.find((w) => w.id === holder);
    assert.ok(victim, `job held by a spawned worker (${holder})`);
    const victimScratch = scratchOf.get(victim.id)!;
    await victim.stop('SIGKILL');
    workers.splice(workers.indexOf(victim), 1);
    assert.deepEqual(await scratchJobs(victimScratch), [job.id], 'the killed run left its scratch');

    const done = await ended(engine, job.id, 90_000);
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.notEqual(done.workerId, holder);
    const prefix = `jobs/${job.id}/`;
    const list = await keys(prefix);
    assert.deepEqual(list.map((k) => k.slice(prefix.length)), first.keys, 'the same files');
    for (const rel of first.keys.filter((k) => k.endsWith('.tif')))
      assertSamePixels(await readBandF32(blobs.url(prefix + rel)), await readBandF32(blobs.url(`jobs/${first.id}/${rel}`)), rel);

    // A replacement worker on the dead one's scratch removes the dead run's folder.
    await startWorker(victimScratch);
    assert.deepEqual(await scratchJobs(victimScratch), []);
  });

  test('dismiss deletes the S3 keys of a job', async () => {
    const ids = (await engine.list({ process: ['mpic-opt'] })).jobs.map((j) => j.id);
    assert.ok(ids.length >= 2);
    for (const id of ids) {
      assert.ok((await keys(`jobs/${id}/`)).length > 0);
      assert.equal((await engine.dismiss(id)).status, 'dismissed');
      assert.deepEqual(await keys(`jobs/${id}/`), []);
    }
  });
});
