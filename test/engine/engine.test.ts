/**
 * Embedded engine (PGlite in memory, workers in this process): OGC states, progress, logs, provenance, results
 * in the catalogue, cancel / dismiss / retry / resubmit, list filters, statusInfo, update events, and the tile
 * queue on PGlite (the distributed fan-out's code path without a server).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/store/db.ts';
import { getCollection, searchItems } from '../../src/store/index.ts';
import { Engine } from '../../src/engine/engine.ts';
import { canTransition } from '../../src/engine/jobs.ts';
import { statusInfo, type Job } from '../../src/engine/types.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';
import { SOFTWARE_VERSION } from '../../src/core/version.ts';
import { until } from './helpers.ts';

describe('engine on PGlite', { timeout: 60_000 }, () => {
  let db: Db;
  let engine: Engine;
  let dir: string;
  const events: Job[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gep-engine-'));
    db = await openDb('memory://');
    engine = await Engine.open({ db, workRoot: dir, localThreads: 2 });
    engine.events.on('job', (j: Job) => events.push(j));
  });

  after(async () => {
    await engine.close();
    await closeLocalPools();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tiled echo job: accepted -> running -> successful, outputs, provenance, logs, results collection', async () => {
    const job = await engine.submit({ process: 'echo', inputs: { message: 'hello', tiles: 5, count: 2 }, owner: 'ann', title: 'first' });
    assert.equal(job.status, 'accepted');
    assert.equal(job.progress, 0);
    const done = await engine.waitFor(job.id, { timeoutMs: 30_000 });
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.equal(done.progress, 100);
    assert.deepEqual(done.outputs?.squares, [0, 1, 4, 9, 16]);
    assert.equal(done.outputs?.message, 'hello');
    assert.ok(done.started && done.finished && done.started <= done.finished && done.created <= done.started);
    assert.deepEqual(done.provenance?.['processing:software'], { gep: SOFTWARE_VERSION });
    assert.equal((done.provenance?.['gep:parameters'] as Record<string, unknown>).count, 2);
    assert.equal(done.provenance?.['gep:job'], job.id);
    const logs = await engine.logs(job.id);
    assert.ok(logs.some((l) => l.message.startsWith('echo 1.0.0 started')));
    assert.ok(logs.some((l) => /results registered as collection job-/.test(l.message)));
    const coll = await getCollection(db, `job-${job.id}`);
    assert.ok(coll, 'results collection registered');
    const { items } = await searchItems(db, { collections: [`job-${job.id}`], limit: 10 } as Parameters<typeof searchItems>[1]);
    assert.equal(items.length, 1);
    assert.equal(items[0]!.properties['gep:job'], job.id);
    assert.deepEqual(items[0]!.properties['gep:outputs'], { ...done.outputs });
    const r = await engine.results(job.id);
    assert.equal(r.collection, `job-${job.id}`);
    const seen = events.filter((e) => e.id === job.id).map((e) => e.status);
    assert.deepEqual([...new Set(seen)], ['accepted', 'running', 'successful']);
  });

  test('statusInfo follows OGC (jobID, processID, type, status, times, progress, links)', async () => {
    const [j] = (await engine.list({ status: ['successful'] })).jobs;
    const s = statusInfo(j!, 'http://x');
    assert.equal(s.type, 'process');
    assert.equal(s.processID, 'echo');
    assert.equal(s.progress, 100);
    assert.match(s.created, /Z$/);
    assert.ok(s.links.some((l) => l.rel === 'self' && l.href === `http://x/jobs/${j!.id}`));
    assert.ok(s.links.some((l) => l.rel.endsWith('/results')));
    assert.deepEqual(await engine.status(j!.id, 'http://x'), s);
  });

  test('bad inputs are refused at submit; a failing tile fails the job with its message, and retry/resubmit', async () => {
    await assert.rejects(engine.submit({ process: 'echo', inputs: { message: 'x', count: 99 } }), /input 'count'/);
    await assert.rejects(engine.submit({ process: 'nope', inputs: {} }), /unknown process 'nope'/);
    const job = await engine.submit({ process: 'echo', inputs: { message: 'x', tiles: 3, failTile: 1 } });
    const done = await engine.waitFor(job.id, { timeoutMs: 30_000 });
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'GEP_ERR_INVALID_INPUT');
    assert.match(done.message ?? '', /tile 1 failed on purpose/);
    await assert.rejects(engine.results(job.id), /has no results: it is failed/);
    const again = await engine.retry(job.id);
    assert.equal(again.status, 'accepted');
    assert.equal(again.attempt, 1);
    assert.equal((await engine.waitFor(job.id, { timeoutMs: 30_000 })).status, 'failed', 'deterministic: fails again');
    const copy = await engine.resubmit(job.id);
    assert.notEqual(copy.id, job.id);
    assert.equal(copy.resubmittedFrom, job.id);
    assert.deepEqual(copy.inputs, job.inputs);
    await engine.waitFor(copy.id, { timeoutMs: 30_000 });
  });

  test('cancel a running job -> dismissed; dismiss deletes a job and its results', async () => {
    const job = await engine.submit({ process: 'echo', inputs: { message: 'slow', pause: 20 } });
    await until(async () => ((await engine.get(job.id))?.status === 'running' ? true : undefined), 10_000, 'running');
    const t0 = Date.now();
    const c = await engine.cancel(job.id);
    assert.equal(c.status, 'dismissed');
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(engine.retry((await engine.list({ status: ['successful'] })).jobs[0]!.id), /only failed or cancelled/);
    const quick = await engine.submit({ process: 'echo', inputs: { message: 'ok' } });
    assert.equal((await engine.waitFor(quick.id)).status, 'successful');
    const d = await engine.dismiss(quick.id);
    assert.equal(d.status, 'dismissed');
    assert.equal(await engine.get(quick.id), null);
    assert.equal(await getCollection(db, `job-${quick.id}`), null);
    assert.equal(existsSync(join(dir, 'jobs', quick.id)), false);
  });

  test('cancel of a queued job, list filters and paging', async () => {
    const busy = await engine.submit({ process: 'echo', inputs: { message: 'a', pause: 3 }, owner: 'bob', visibility: 'public', title: 'Landslide A' });
    const busy2 = await engine.submit({ process: 'echo', inputs: { message: 'b', pause: 3 }, owner: 'bob', title: 'landslide b' });
    const queued = await engine.submit({ process: 'echo', inputs: { message: 'c' }, owner: 'carl' });
    const c = await engine.cancel(queued.id);
    assert.equal(c.status, 'dismissed');
    assert.equal(c.started, null);
    const bob = await engine.list({ owner: 'bob' });
    assert.equal(bob.total, 2);
    assert.equal((await engine.list({ title: 'LANDSLIDE' })).total, 2);
    assert.equal((await engine.list({ owner: 'carl', includePublic: true })).total, 2);
    assert.equal((await engine.list({ visibility: 'public' })).jobs[0]!.id, busy.id);
    const page = await engine.list({ limit: 2, offset: 1 });
    assert.equal(page.jobs.length, 2);
    assert.ok(page.total >= 5);
    await assert.rejects(engine.list({ status: ['done' as never] }), /status 'done'/);
    for (const j of [busy, busy2]) await engine.cancel(j.id);
    const again = await engine.retry(queued.id);
    assert.equal(again.status, 'accepted');
    assert.equal((await engine.waitFor(queued.id)).status, 'successful', 'a cancelled job runs again on retry');
  });

  test('state machine refuses moves out of a final state', () => {
    assert.equal(canTransition('successful', 'running'), false);
    assert.equal(canTransition('failed', 'accepted'), true);
    assert.equal(canTransition('accepted', 'successful'), false);
  });

  test('tiles through the queue on PGlite (distributed fan-out code path, in process)', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'gep-engine-q-'));
    const db2 = await openDb('memory://');
    const e2 = await Engine.open({ db: db2, workRoot: dir2, fanOut: 'queue', tileThreads: 2, jobs: 1 });
    try {
      const job = await e2.submit({ process: 'echo', inputs: { message: 'q', tiles: 6, delayMs: 20 } });
      const done = await e2.waitFor(job.id, { timeoutMs: 30_000 });
      assert.equal(done.status, 'successful', done.message ?? '');
      assert.deepEqual(done.outputs?.squares, [0, 1, 4, 9, 16, 25]);
      const bad = await e2.waitFor((await e2.submit({ process: 'echo', inputs: { message: 'q', tiles: 4, failTile: 2 } })).id, { timeoutMs: 30_000 });
      assert.equal(bad.status, 'failed');
      assert.match(bad.message ?? '', /tile 2 failed on purpose/);
    } finally {
      await e2.close();
      await db2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
