/**
 * OGC API - Processes - Part 1 contract tests (classes core, ogc-process-description, json, oas30), from the
 * requirements and abstract tests: landing page and conformance, API definition, process list and description,
 * execute (sync by default, async with `Prefer: respond-async`), results, input validation, no-such-process.
 * Embedded engine on PGlite in memory with the echo process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../src/engine/engine.ts';
import { BASE, EXC, startProcessesApi, type Json, type ProcessesApi } from './processes-fixture.ts';

const CONF = 'http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/';

type Link = { rel: string; href: string; type?: string };

describe('OGC API - Processes: core, process description, json, oas30', { timeout: 60_000 }, () => {
  let api: ProcessesApi;
  let engine: Engine;
  let app: FastifyInstance;

  before(async () => {
    api = await startProcessesApi(1, { syncTimeoutMs: 20_000 });
    ({ engine, app } = api);
  });

  after(async () => {
    await api?.close();
  });

  const get = (url: string): ReturnType<ProcessesApi['get']> => api.get(url);
  const execute = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/processes/${id}/execution`, payload: body as Json, headers });

  test('landing page links processes and job-list; /conformance declares the classes (/req/core/landingpage-success, conformance-success)', async () => {
    const { status, body } = await get('/');
    assert.equal(status, 200);
    const links = body.links as Link[];
    const rel = (r: string): Link | undefined => links.find((l) => l.rel === r);
    assert.equal(rel('http://www.opengis.net/def/rel/ogc/1.0/processes')?.href, `${BASE}/processes`);
    assert.equal(rel('http://www.opengis.net/def/rel/ogc/1.0/job-list')?.href, `${BASE}/jobs`);
    assert.ok(rel('service-desc'));
    const conf = (await get('/conformance')).body.conformsTo as string[];
    for (const c of ['core', 'ogc-process-description', 'json', 'job-list', 'dismiss', 'oas30']) assert.ok(conf.includes(`${CONF}${c}`), c);
  });

  test('the API definition describes every route (/req/core/api-definition-success, oas30)', async () => {
    const r = await app.inject({ method: 'GET', url: '/api' });
    assert.equal(r.statusCode, 200);
    const paths = r.json<{ paths: Record<string, Json> }>().paths;
    const ops: [string, string][] = [
      ['/processes', 'get'],
      ['/processes/{processId}', 'get'],
      ['/processes/{processId}/execution', 'post'],
      ['/jobs', 'get'],
      ['/jobs/{jobId}', 'get'],
      ['/jobs/{jobId}', 'delete'],
      ['/jobs/{jobId}/results', 'get'],
      ['/jobs/{jobId}/events', 'get'],
      ['/jobs/{jobId}/logs', 'get'],
    ];
    for (const [p, m] of ops) assert.ok(paths[p]?.[m], `${m.toUpperCase()} ${p}`);
  });

  test('process list: summaries with links, limit honoured, self link (/req/core/process-list-success, pl-limit-response, pl-links)', async () => {
    const { status, body } = await get('/processes');
    assert.equal(status, 200);
    const list = body.processes as Json[];
    const echo = list.find((p) => p.id === 'echo');
    assert.ok(echo);
    assert.equal(echo.version, '1.0.0');
    assert.deepEqual(echo.jobControlOptions, ['sync-execute', 'async-execute']);
    const el = echo.links as Link[];
    assert.ok(el.some((l) => l.rel === 'self' && l.href === `${BASE}/processes/echo`));
    assert.ok(el.some((l) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/execute' && l.href === `${BASE}/processes/echo/execution`));
    assert.ok((body.links as Link[]).some((l) => l.rel === 'self' && l.href === `${BASE}/processes`));

    const one = await get('/processes?limit=1');
    assert.equal((one.body.processes as Json[]).length, 1);
    const next = (one.body.links as Link[]).find((l) => l.rel === 'next');
    assert.ok(next, 'a next link when more processes exist');
    const page2 = await get(next.href.slice(BASE.length));
    assert.equal((page2.body.processes as Json[]).length, 1);
    assert.notEqual((page2.body.processes as Json[])[0]!.id, (one.body.processes as Json[])[0]!.id);

    const bad = await get('/processes?limit=0');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.parameter, 'limit');
  });

  test('process description: inputs and outputs with schemas and occurrences (/req/ogc-process-description/*)', async () => {
    const { status, body, headers } = await get('/processes/echo');
    assert.equal(status, 200);
    assert.match(String(headers['content-type']), /^application\/json/);
    assert.equal(body.id, 'echo');
    const inputs = body.inputs as Record<string, Json>;
    assert.deepEqual(inputs.message!.schema, { type: 'string' });
    assert.equal(inputs.message!.minOccurs, 1);
    assert.equal(inputs.count!.minOccurs, 0);
    assert.equal(inputs.labels!.maxOccurs, 'unbounded');
    assert.deepEqual((inputs.count!.schema as Json).maximum, 10);
    assert.ok((body.outputs as Record<string, Json>).squares);
    assert.ok((body.links as Link[]).some((l) => l.rel === 'profile'));
  });

  test('unknown process: 404 no-such-process on description and execution (/req/core/process-exception-no-such-process)', async () => {
    const r = await get('/processes/nope');
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(r.body.type, `${EXC}no-such-process`);
    assert.match(String(r.body.detail), /nope/);
    const x = await execute('nope', { inputs: {} });
    assert.equal(x.statusCode, 404);
    assert.equal(x.json<Json>().type, `${EXC}no-such-process`);
  });

  test('execute without Prefer runs synchronously: one output raw, several as a results document', async () => {
    const all = await execute('echo', { inputs: { message: 'hello sync' } });
    assert.equal(all.statusCode, 200);
    assert.match(String(all.headers['content-type']), /^application\/json/);
    // Outputs omitted: every output the job produced (echo returns its inputs, defaults applied).
    assert.deepEqual(all.json(), { message: 'hello sync', ratio: 0.5, count: 3, flag: false, color: 'green', values: [1, 2, 3] });
    const one = await execute('echo', { inputs: { message: 'hello sync' }, outputs: { message: { transmissionMode: 'value' } } });
    assert.equal(one.statusCode, 200);
    assert.match(String(one.headers['content-type']), /^text\/plain/);
    assert.equal(one.body, 'hello sync');
    assert.match(String(one.headers.link), /rel="monitor"/);

    const inputs = { message: 'many', count: 4, ratio: 0.25, values: [5, 6], bbox: { bbox: [1, 2, 3, 4] } };
    const many = await execute('echo', { inputs, outputs: { message: {}, count: {}, values: {}, bbox: {} } });
    assert.equal(many.statusCode, 200);
    assert.match(String(many.headers['content-type']), /^application\/json/);
    assert.match(String(many.headers.link), /ogc-results>; rel="profile"/);
    assert.deepEqual(many.json(), { message: 'many', count: 4, values: [5, 6], bbox: { bbox: [1, 2, 3, 4], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' } });

    const doc = await execute('echo', { inputs: { message: 'doc', count: 2 }, outputs: { count: {} }, response: 'document' });
    assert.deepEqual(doc.json(), { count: 2 });
    const raw = await execute('echo', { inputs: { message: 'n', count: 7 }, outputs: { count: {} } });
    assert.equal(raw.statusCode, 200);
    assert.equal(raw.json(), 7);

    const none = await execute('echo', { inputs: { message: 'quiet' }, outputs: {} });
    assert.equal(none.statusCode, 204);
    assert.equal(none.body, '');
  });

  test('execute with Prefer: respond-async: 201, Location, statusInfo, Preference-Applied; poll until successful; results echo the inputs', async () => {
    const inputs = { message: 'hello async', count: 3, flag: true, color: 'blue', labels: ['a', 'b'], when: '2024-05-01T10:00:00Z', tiles: 3 };
    const r = await execute('echo', { inputs }, { prefer: 'respond-async' });
    assert.equal(r.statusCode, 201);
    assert.equal(r.headers['preference-applied'], 'respond-async');
    const info = r.json<Json>();
    assert.equal(info.type, 'process');
    assert.equal(info.processID, 'echo');
    assert.ok(['accepted', 'running', 'successful'].includes(String(info.status)));
    const id = String(info.jobID);
    assert.equal(r.headers.location, `${BASE}/jobs/${id}`);
    assert.ok((info.links as Link[]).some((l) => l.rel === 'self' && l.href === `${BASE}/jobs/${id}`));

    let status = '';
    let last: Json = {};
    for (let i = 0; i < 200 && status !== 'successful' && status !== 'failed'; i++) {
      last = (await get(`/jobs/${id}`)).body;
      status = String(last.status);
      if (status !== 'successful') await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(status, 'successful', JSON.stringify(last));
    assert.equal(last.progress, 100);
    assert.ok((last.links as Link[]).some((l) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/results' && l.href === `${BASE}/jobs/${id}/results`));

    const res = await get(`/jobs/${id}/results`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.link), /ogc-results/);
    const { squares, ...echoed } = res.body;
    const { tiles: _tiles, ...given } = inputs;
    assert.deepEqual(echoed, { ...given, ratio: 0.5, values: [1, 2, 3] }, 'the inputs echoed, defaults applied');
    assert.deepEqual(squares, [0, 1, 4]);

    const only = await get(`/jobs/${id}/results?outputs=message,count`);
    assert.deepEqual(only.body, { message: 'hello async', count: 3 });
    const missing = await get(`/jobs/${id}/results?outputs=bbox`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.type, `${EXC}no-such-output`);
    const single = await app.inject({ method: 'GET', url: `/jobs/${id}/results/labels` });
    assert.deepEqual(single.json(), ['a', 'b']);
  });

  test('Prefer with other preferences and qualified input values', async () => {
    const r = await execute('echo', { inputs: { message: { value: 'qualified', mediaType: 'text/plain' } } }, { prefer: 'return=minimal, respond-async; wait=0' });
    assert.equal(r.statusCode, 201);
    const id = String(r.json<Json>().jobID);
    const done = await engine.waitFor(id, { timeoutMs: 20_000 });
    assert.equal(done.outputs?.message, 'qualified');
    // Only other preferences: synchronous, nothing applied.
    const s = await execute('echo', { inputs: { message: 'x' } }, { prefer: 'return=representation' });
    assert.equal(s.statusCode, 200);
    assert.equal(s.headers['preference-applied'], undefined);
  });

  test('input validation: 400 naming the input (unknown, out of range, missing, wrong type) (/req/core/process-execute-input-validation)', async () => {
    const cases: [Json, string, RegExp][] = [
      [{ message: 'x', bogus: 1 }, 'bogus', /bogus/],
      [{ message: 'x', count: 11 }, 'count', /count.*1 to 10|count.*10/],
      [{ message: 'x', ratio: 1 }, 'ratio', /ratio/],
      [{ count: 2 }, 'message', /message/],
      [{ message: 42 }, 'message', /message.*string/],
      [{ message: 'x', color: 'pink' }, 'color', /color/],
    ];
    for (const [inputs, name, re] of cases) {
      const r = await execute('echo', { inputs });
      assert.equal(r.statusCode, 400, JSON.stringify(inputs));
      const p = r.json<Json>();
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(p.parameter, name, JSON.stringify(p));
      assert.match(String(p.detail), re);
    }
    const outs = await execute('echo', { inputs: { message: 'x' }, outputs: { nothing: {} } });
    assert.equal(outs.statusCode, 400);
    assert.match(String(outs.json<Json>().detail), /nothing/);
    const notObj = await execute('echo', { inputs: [1, 2] });
    assert.equal(notObj.statusCode, 400);
    assert.equal(notObj.json<Json>().parameter, 'inputs');
    const badJson = await app.inject({ method: 'POST', url: '/processes/echo/execution', payload: '{', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.statusCode, 400);
  });

  test('a failing synchronous job answers with its error', async () => {
    const r = await execute('echo', { inputs: { message: 'boom', tiles: 2, failTile: 1 } });
    assert.equal(r.statusCode, 400);
    assert.match(String(r.json<Json>().detail), /failTile/);
  });
});
