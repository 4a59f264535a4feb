/**
 * OGC API - Processes - Part 1 job routes (classes core, job-list, dismiss) from the requirements and abstract
 * tests: job list filters, limit and links; statusInfo; no-such-job; results not ready, of a failed job and of a
 * dismissed one; dismiss of a running and of a finished job; logs; the Server-Sent Events stream.
 * Embedded engine on PGlite in memory with the echo process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../src/engine/engine.ts';
import { buildServer } from '../../src/api/server.ts';
import { processesPlugin } from '../../src/api/plugins/processes.ts';
import { BASE, EXC, startProcessesApi, type Json, type ProcessesApi } from './processes-fixture.ts';
import { datetimeFilter } from '../../src/api/plugins/processes-jobs.ts';


type Link = { rel: string; href: string };

describe('OGC API - Processes: jobs, job list, dismiss, results, events', { timeout: 60_000 }, () => {
  let api: ProcessesApi;
  let engine: Engine;
  let app: FastifyInstance;
  const done: string[] = [];

  before(async () => {
    api = await startProcessesApi(2);
    ({ engine, app } = api);
    // Three finished jobs with owners, titles and visibility.
    for (const [owner, title, visibility] of [
      ['ann', 'Etna flank', 'public'],
      ['bob', 'Etna summit', 'private'],
      ['ann', 'Vesuvio', 'private'],
    ] as const) {
      const j = await engine.submit({ process: 'echo', inputs: { message: title }, owner, title, visibility });
      done.push((await engine.waitFor(j.id, { timeoutMs: 20_000 })).id);
    }
  });

  after(async () => {
    await api?.close();
  });

  const get = (url: string): ReturnType<ProcessesApi['get']> => api.get(url);
  const ids = (b: Json): string[] => (b.jobs as Json[]).map((j) => String(j.jobID));
  const asyncJob = async (inputs: Json): Promise<string> => {
    const r = await app.inject({ method: 'POST', url: '/processes/echo/execution', payload: { inputs }, headers: { prefer: 'respond-async' } });
    assert.equal(r.statusCode, 201);
    return String(r.json<Json>().jobID);
  };
  const untilStatus = async (id: string, status: string): Promise<void> => {
    for (let i = 0; i < 400; i++) {
      if ((await engine.get(id))?.status === status) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${id} never became ${status}`);
  };

  test('job list: statusInfo entries, self link, limit with next/prev links (/req/job-list/*)', async () => {
    const { status, body } = await get('/jobs');
    assert.equal(status, 200);
    for (const id of done) assert.ok(ids(body).includes(id));
    const first = (body.jobs as Json[])[0]!;
    assert.equal(first.type, 'process');
    assert.equal(first.processID, 'echo');
    assert.ok((body.links as Link[]).some((l) => l.rel === 'self' && l.href === `${BASE}/jobs`));

    const p1 = await get('/jobs?limit=2');
    assert.equal((p1.body.jobs as Json[]).length, 2);
    const next = (p1.body.links as Link[]).find((l) => l.rel === 'next');
    assert.ok(next);
    const p2 = await get(next.href.slice(BASE.length));
    assert.ok(ids(p2.body).length >= 1);
    assert.ok(!ids(p2.body).some((id) => ids(p1.body).includes(id)), 'pages do not overlap');
    assert.ok((p2.body.links as Link[]).some((l) => l.rel === 'prev'));
    assert.equal((await get('/jobs?limit=0')).status, 400);
    assert.equal((await get('/jobs?limit=10001')).status, 400);
    assert.equal((await get('/jobs?limit=10000')).status, 200);
  });

  test('job list filters: status, processID, type, datetime, owner, visibility, title', async () => {
    const n = async (q: string): Promise<string[]> => {
      const r = await get(`/jobs?${q}`);
      assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
      return ids(r.body);
    };
    assert.ok((await n('status=successful')).includes(done[0]!));
    assert.deepEqual(await n('status=failed'), []);
    assert.ok((await n('status=failed,successful')).includes(done[1]!));
    assert.ok((await n('status=failed&status=successful')).includes(done[1]!));
    assert.ok((await n('processID=echo')).length >= 3);
    assert.deepEqual(await n('processID=mpic-opt'), []);
    assert.ok((await n('type=process')).length >= 3);
    assert.deepEqual(await n('type=other'), []);
    assert.deepEqual((await n('owner=ann')).sort(), [done[0]!, done[2]!].sort());
    assert.deepEqual(await n('owner=ann&visibility=public'), [done[0]!]);
    assert.deepEqual((await n('title=etna')).sort(), [done[0]!, done[1]!].sort());
    assert.ok((await n('datetime=2000-01-01T00:00:00Z/..')).includes(done[0]!));
    assert.deepEqual(await n('datetime=../2000-01-01T00:00:00Z'), []);
    assert.ok((await n('minDuration=0')).includes(done[0]!));
    const bad = await get('/jobs?status=finished');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.parameter, 'status');
    assert.equal((await get('/jobs?datetime=yesterday')).body.parameter, 'datetime');
    assert.deepEqual(datetimeFilter('2024-01-01T00:00:00Z/'), { createdFrom: new Date('2024-01-01T00:00:00Z') });
  });

  test('unknown job: 404 no-such-job on status, results, dismiss, logs and events (/req/core/job-exception-no-such-job)', async () => {
    for (const [method, url] of [
      ['GET', '/jobs/nope'],
      ['GET', '/jobs/nope/results'],
      ['DELETE', '/jobs/nope'],
      ['GET', '/jobs/nope/logs'],
      ['GET', '/jobs/nope/events'],
    ] as const) {
      const r = await app.inject({ method, url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json<Json>().type, `${EXC}no-such-job`, url);
    }
  });

  test('results of a running job: 404 result-not-ready; dismiss of a running job: 200 dismissed, then gone (/req/dismiss/*)', async () => {
    const id = await asyncJob({ message: 'slow', tiles: 4, delayMs: 1500 });
    await untilStatus(id, 'running');
    const r = await get(`/jobs/${id}/results`);
    assert.equal(r.status, 404);
    assert.equal(r.body.type, `${EXC}result-not-ready`);
    const d = await app.inject({ method: 'DELETE', url: `/jobs/${id}` });
    assert.equal(d.statusCode, 200);
    const info = d.json<Json>();
    assert.equal(info.status, 'dismissed');
    assert.equal(info.jobID, id);
    assert.equal((await get(`/jobs/${id}`)).status, 404);
    assert.equal((await get(`/jobs/${id}/results`)).body.type, `${EXC}no-such-job`);
  });

  test('dismiss of a finished job removes it from the list', async () => {
    const id = done[2]!;
    const d = await app.inject({ method: 'DELETE', url: `/jobs/${id}` });
    assert.equal(d.statusCode, 200);
    assert.equal(d.json<Json>().status, 'dismissed');
    assert.ok(!ids((await get('/jobs?limit=100')).body).includes(id));
    done.pop();
  });

  test('results of a failed job: the job error as the exception (/req/core/job-results-failed)', async () => {
    const id = await asyncJob({ message: 'fail', tiles: 2, failTile: 0 });
    await engine.waitFor(id, { timeoutMs: 20_000 });
    const s = await get(`/jobs/${id}`);
    assert.equal(s.body.status, 'failed');
    const r = await get(`/jobs/${id}/results`);
    assert.equal(r.status, 400);
    assert.match(String(r.body.detail), /failTile/);
  });

  test('logs: entries with sequence numbers and links', async () => {
    const r = await get(`/jobs/${done[0]}/logs`);
    assert.equal(r.status, 200);
    const logs = r.body.logs as Json[];
    assert.ok(logs.some((l) => /echo 1\.0\.0 started/.test(String(l.message))));
    assert.ok((r.body.links as Link[]).some((l) => l.rel === 'up'));
    const page = await get(`/jobs/${done[0]}/logs?limit=1`);
    assert.equal((page.body.logs as Json[]).length, 1);
    const next = (page.body.links as Link[]).find((l) => l.rel === 'next');
    assert.ok(next);
    const more = await get(next.href.slice(BASE.length));
    assert.ok(Number((more.body.logs as Json[])[0]!.seq) > Number((page.body.logs as Json[])[0]!.seq));
  });

  test('events: an SSE stream of status and progress until a final successful event', async () => {
    const id = await asyncJob({ message: 'watched', tiles: 8, delayMs: 350 });
    const r = await app.inject({ method: 'GET', url: `/jobs/${id}/events` });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    const frames = r.body
      .split('\n\n')
      .filter((f) => f.startsWith('event:'))
      .map((f) => {
        const lines = Object.fromEntries(f.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
        return { event: lines.event, id: Number(lines.id), data: JSON.parse(String(lines.data)) as Json };
      });
    assert.ok(frames.length >= 3, `${frames.length} frames`);
    assert.ok(frames.every((f) => f.event === 'status' && f.data.jobID === id));
    assert.deepEqual(
      frames.map((f) => f.id),
      frames.map((_, i) => i + 1),
    );
    const progress = frames.map((f) => Number(f.data.progress));
    assert.ok(progress.some((p) => p > 0 && p < 100), `intermediate progress in ${progress.join(',')}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!, 'progress never goes back');
    const last = frames[frames.length - 1]!.data;
    assert.equal(last.status, 'successful');
    assert.equal(last.progress, 100);
    // A job already finished: one frame, then the stream ends.
    const again = await app.inject({ method: 'GET', url: `/jobs/${id}/events` });
    assert.equal(again.body.split('\n\n').filter((f) => f.startsWith('event:')).length, 1);
  });

  test('closing the server ends open event streams', async () => {
    const app2 = await buildServer({ baseUrl: BASE, plugins: [processesPlugin({ engine })] });
    const id = await asyncJob({ message: 'long', tiles: 2, delayMs: 5000 });
    const stream = app2.inject({ method: 'GET', url: `/jobs/${id}/events` });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await app2.close();
    const r = await stream;
    assert.ok(Date.now() - t0 < 2000, 'close did not wait for the job');
    assert.ok(r.body.startsWith('event: status'));
    assert.equal((await app.inject({ method: 'DELETE', url: `/jobs/${id}` })).statusCode, 200);
  });
});
