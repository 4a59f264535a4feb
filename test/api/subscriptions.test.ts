/**
 * Systematic processing end to end over HTTP: subscriptions (create, list, get, patch, delete, 400s naming the
 * input), triggered by STAC item transactions (POST of a FeatureCollection, PUT, PATCH) through the stac plugin's
 * `onItemsIngested` hook; the jobs run the echo process with the item reference as their `message`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { processesPlugin } from '../../src/api/plugins/processes.ts';
import { stacPlugin } from '../../src/api/plugins/stac.ts';
import { Engine } from '../../src/engine/engine.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';
import { openDb, type Db } from '../../src/store/db.ts';

const BASE = 'http://gep.test';
type Json = Record<string, unknown>;

const collection = (id: string): Json => ({
  type: 'Collection',
  stac_version: '1.1.0',
  stac_extensions: [],
  id,
  description: `Test collection ${id}`,
  license: 'CC-BY-4.0',
  extent: { spatial: { bbox: [[0, 40, 20, 50]] }, temporal: { interval: [['2021-01-01T00:00:00Z', null]] } },
  links: [],
});

/** A 0.5° square item with its lower-left corner at (x, y). */
const item = (id: string, x: number, y: number, extra: Json = {}): Json => ({
  type: 'Feature',
  stac_version: '1.1.0',
  id,
  geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.5, y], [x + 0.5, y + 0.5], [x, y + 0.5], [x, y]]] },
  properties: { datetime: '2024-05-01T10:00:00Z', ...extra },
  assets: { data: { href: `https://example.org/${id}.tif`, roles: ['data'] } },
  links: [],
});

describe('subscriptions API and STAC transaction triggers', { timeout: 60_000 }, () => {
  let dir: string;
  let db: Db;
  let engine: Engine;
  let app: FastifyInstance;
  let hookCalls = 0;
  let failHook = false;

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const r = await app.inject({ method, url, ...(payload !== undefined ? { payload: payload as Json } : {}), headers });
    return { status: r.statusCode, body: (r.body ? r.json() : null) as Json, headers: r.headers };
  };
  const jobsOf = async (sub: string): Promise<Json[]> => (await call('GET', `/jobs?subscription=${sub}&limit=100`)).body.jobs as Json[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gep-subs-api-'));
    db = await openDb('memory://');
    engine = await Engine.open({ db, workRoot: dir, localThreads: 1, pollMs: 50 });
    const onItemsIngested = async (items: Parameters<Engine['onItemsIngested']>[0]): Promise<unknown> => {
      hookCalls++;
      if (failHook) throw new Error('hook down');
      return engine.onItemsIngested(items);
    };
    app = await buildServer({ baseUrl: BASE, plugins: [stacPlugin({ db, onItemsIngested }), processesPlugin({ engine, ownerOf: () => 'alice' })] });
    for (const c of ['X', 'Y']) assert.equal((await call('POST', '/collections', collection(c))).status, 201);
  });

  after(async () => {
    await app.close();
    await engine.close();
    await closeLocalPools();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bbox subscription on X: POST of 3 items (2 inside) starts exactly 2 echo jobs that complete; re-ingestion starts none', async () => {
    const created = await call('POST', '/subscriptions', {
      process: 'echo',
      collection: 'X',
      bbox: [5, 44, 8, 47],
      itemInput: 'message',
      inputs: { count: { value: 4 }, color: 'blue' },
      title: 'alps',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sub = created.body;
    const id = sub.id as string;
    assert.equal(created.headers.location, `${BASE}/subscriptions/${id}`);
    assert.deepEqual(sub.bbox, [5, 44, 8, 47]);
    assert.deepEqual(sub.inputs, { count: 4, color: 'blue' }, 'qualified values unwrapped');
    assert.equal(sub.owner, 'alice');
    assert.equal(sub.enabled, true);

    const fc = { type: 'FeatureCollection', features: [item('in1', 6, 45), item('in2', 7.4, 46.4), item('out', 12, 45)] };
    const posted = await call('POST', '/collections/X/items', fc);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    const jobs = await jobsOf(id);
    assert.equal(jobs.length, 2);
    const messages: string[] = [];
    for (const j of jobs) {
      const done = await engine.waitFor(j.jobID as string, { timeoutMs: 20_000 });
      assert.equal(done.status, 'successful', done.message ?? '');
      assert.equal(done.subscriptionId, id);
      assert.equal(done.owner, 'alice');
      assert.equal(done.inputs.count, 4);
      assert.equal(done.outputs?.message, done.inputs.message, 'echo returns the item reference');
      assert.equal(done.outputs?.count, 4);
      assert.match(done.title ?? '', /^alps: X\/in[12]$/);
      messages.push(String(done.inputs.message));
    }
    assert.deepEqual(messages.sort(), ['X/in1', 'X/in2']);

    // GET with jobsStarted and the link to its jobs.
    const got = await call('GET', `/subscriptions/${id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.jobsStarted, 2);
    const jobLink = (got.body.links as { rel: string; href: string }[]).find((l) => l.href.includes('/jobs?'));
    assert.equal(jobLink?.href, `${BASE}/jobs?subscription=${id}`);

    // Re-POST: 409, nothing stored, nothing started. PUT and PATCH of the same items: the hook runs, claimRun refuses.
    assert.equal((await call('POST', '/collections/X/items', fc)).status, 409);
    assert.equal((await call('PUT', '/collections/X/items/in1', item('in1', 6, 45, { note: 'fixed' }))).status, 200);
    const patch = await call('PATCH', '/collections/X/items/in2', { properties: { datetime: '2024-05-01T10:00:00Z', note: 'x' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.equal((await jobsOf(id)).length, 2, 're-ingesting the same items starts no job');

    // A subscription created later has not run on in1: a PUT of in1 starts its job (documented choice).
    const late = (await call('POST', '/subscriptions', { process: 'echo', collection: 'X', itemInput: 'message' })).body.id as string;
    assert.equal((await call('PUT', '/collections/X/items/in1', item('in1', 6, 45))).status, 200);
    assert.equal((await jobsOf(late)).length, 1);
    assert.equal((await jobsOf(id)).length, 2);
    assert.equal((await call('DELETE', `/subscriptions/${late}`)).status, 204);
  });

  test('a disabled subscription starts nothing; enabling again (PATCH) resumes; a failing hook never fails the write', async () => {
    const s = await call('POST', '/subscriptions', { process: 'echo', collection: 'Y', itemInput: 'message', enabled: false });
    assert.equal(s.status, 201);
    const id = s.body.id as string;
    assert.equal((await call('POST', '/collections/Y/items', item('y1', 1, 41))).status, 201);
    assert.equal((await jobsOf(id)).length, 0);
    const p = await call('PATCH', `/subscriptions/${id}`, { enabled: true, title: 'renamed' }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.enabled, true);
    assert.equal(p.body.title, 'renamed');
    assert.equal((await call('POST', '/collections/Y/items', item('y2', 1, 41))).status, 201);
    assert.equal((await jobsOf(id)).length, 1);
    const calls = hookCalls;
    failHook = true;
    try {
      assert.equal((await call('POST', '/collections/Y/items', item('y3', 1, 41))).status, 201);
    } finally {
      failHook = false;
    }
    assert.equal(hookCalls, calls + 1);
    assert.equal((await call('GET', '/collections/Y/items/y3')).status, 200, 'the item is stored');
  });

  test('bad subscription bodies: 400 naming the input; unknown process 400; unknown id 404', async () => {
    const bad = async (body: unknown, param: string, re: RegExp): Promise<void> => {
      const r = await call('POST', '/subscriptions', body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'GEP_ERR_INVALID_INPUT');
      assert.equal(r.body.parameter, param, JSON.stringify(r.body));
      assert.match(String(r.body.detail), re);
    };
    const ok = { process: 'echo', collection: 'X', itemInput: 'message' };
    await bad({ ...ok, inputs: { count: 99 } }, 'count', /input 'count': expected an integer from 1 to 10, got 99/);
    await bad({ ...ok, inputs: { colour: 'red' } }, 'colour', /colour/);
    await bad({ ...ok, inputs: { message: 'x' } }, 'message', /receives each new item/);
    await bad({ ...ok, itemInput: 'count' }, 'itemInput', /cannot take an item reference/);
    await bad({ ...ok, itemInput: 'nope' }, 'itemInput', /has no input "nope"/);
    await bad({ process: 'echo', collection: 'X' }, 'itemInput', /no input of kind raster or product/);
    await bad({ ...ok, process: 'nope' }, 'process', /no process 'nope'/);
    await bad({ ...ok, collection: 'a/b' }, 'collection', /expected a collection id/);
    await bad({ ...ok, bbox: [8, 44, 5] }, 'bbox', /expected \[minx, miny, maxx, maxy\]/);
    await bad({ ...ok, bbox: [5, 47, 8, 44] }, 'bbox', /miny <= maxy/);
    await bad({ ...ok, intersects: { type: 'Polygon', coordinates: 'x' } }, 'intersects', /intersects: expected a GeoJSON geometry/);
    await bad({ ...ok, filter: [1] }, 'filter', /filter/);
    await bad({ ...ok, enabled: 'yes' }, 'enabled', /true or false/);
    await bad({ ...ok, bbbox: [1, 2, 3, 4] }, 'bbbox', /not a member/);
    await bad([1], 'body', /JSON object/);
    assert.equal((await call('GET', '/subscriptions/nope')).status, 404);
    assert.equal((await call('DELETE', '/subscriptions/nope')).status, 404);
    assert.equal((await call('PATCH', '/subscriptions/nope', { enabled: false })).status, 404);
    const s = (await call('POST', '/subscriptions', ok)).body.id as string;
    const p = await call('PATCH', `/subscriptions/${s}`, { process: 'x' });
    assert.equal(p.status, 400);
    assert.equal(p.body.parameter, 'process');
    assert.equal((await call('PATCH', `/subscriptions/${s}`, { enabled: 1 })).status, 400);
    assert.equal((await call('DELETE', `/subscriptions/${s}`)).status, 204);
  });

  test('list: filters, paging links; intersects geometry; OpenAPI lists the routes', async () => {
    const poly = { type: 'Polygon', coordinates: [[[0, 40], [1, 40], [1, 41], [0, 40]]] };
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/subscriptions', { process: 'echo', collection: 'Y', itemInput: 'labels', inputs: { message: 'hi' }, intersects: poly, title: `p${i}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body.intersects, poly);
      made.push(r.body.id as string);
    }
    const page1 = await call('GET', '/subscriptions?collection=Y&process=echo&limit=2');
    assert.equal(page1.status, 200);
    const all = (await call('GET', '/subscriptions?collection=Y&limit=100')).body;
    assert.equal(page1.body.numberMatched, all.numberMatched);
    assert.equal(page1.body.numberReturned, 2);
    const next = (page1.body.links as { rel: string; href: string }[]).find((l) => l.rel === 'next');
    assert.ok(next, 'next link');
    const page2 = await call('GET', next.href.slice(BASE.length));
    assert.equal((page2.body.links as { rel: string }[]).some((l) => l.rel === 'prev'), true);
    assert.equal((await call('GET', '/subscriptions?owner=alice&collection=Y&enabled=true')).body.numberMatched, all.numberMatched);
    assert.equal((await call('GET', '/subscriptions?owner=bob')).body.numberMatched, 0);
    assert.equal((await call('GET', '/subscriptions?enabled=maybe')).status, 400);
    assert.equal((await call('GET', '/subscriptions?limit=0')).status, 400);
    // An item inside the triangle's box but outside the triangle starts nothing; one inside starts a job whose
    // `labels` input (maxOccurs unbounded) gets the reference in a list.
    await call('POST', '/collections/Y/items', { type: 'FeatureCollection', features: [item('tri-out', -0.2, 40.5), item('tri-in', 0.1, 40.1)] });
    const jobs = await jobsOf(made[0]!);
    assert.equal(jobs.length, 1);
    assert.deepEqual((await engine.get(jobs[0]!.jobID as string))?.inputs.labels, ['Y/tri-in']);
    for (const id of made) assert.equal((await call('DELETE', `/subscriptions/${id}`)).status, 204);
    const api = (await call('GET', '/api')).body as { paths: Record<string, Json> };
    assert.ok(api.paths['/subscriptions']?.post && api.paths['/subscriptions/{subscriptionId}']?.patch);
  });
});
