import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { GepError } from '../../src/core/errors.ts';
import { buildServer, type ApiPlugin } from '../../src/api/server.ts';
import { assembleOpenApi, OPENAPI_JSON } from '../../src/api/openapi.ts';
import { DEFAULT_INFO } from '../../src/api/server.ts';

const demo: ApiPlugin = {
  name: 'demo',
  conformance: ['https://example.org/conf/demo', 'https://api.stacspec.org/v1.0.0/core'],
  links: (base) => [
    { rel: 'data', href: `${base}/collections`, type: 'application/json' },
    { rel: 'search', href: `${base}/search`, type: 'application/geo+json', method: 'GET' },
  ],
  openapi: {
    paths: {
      '/demo/fail': { get: { operationId: 'fail', responses: { default: { $ref: '#/components/responses/Problem' } } } },
      '/demo/echo': {
        get: {
          operationId: 'echo',
          parameters: [{ name: 'n', in: 'query', required: true, schema: { type: 'integer' } }],
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Echo' } } } } },
        },
      },
    },
    components: { schemas: { Echo: { type: 'object', properties: { n: { type: 'integer' } } } } },
  },
  register(app) {
    app.get('/demo/fail', async (req) => {
      const kind = (req.query as { kind?: string }).kind;
      if (kind === 'gep') throw new GepError('GEP_ERR_UNSUPPORTED', 'x.tif: compression 34712 is not supported', { parameter: 'url' });
      if (kind === 'internal') throw new GepError('GEP_ERR_INTERNAL', 'internal error: secret /srv/data/db.sqlite');
      if (kind === 'ogc') throw new GepError('GEP_ERR_NOT_FOUND', 'no process foo', { exceptionType: 'http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process' });
      const e = new Error('connect ECONNREFUSED /var/run/secret.sock password=hunter2');
      throw e;
    });
    app.get('/demo/echo', { schema: { querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, async (req) => ({
      n: (req.query as { n: number }).n,
    }));
    app.post('/demo/body', async (req) => req.body);
  },
};

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = JSON.parse(res.body) as Record<string, unknown>;
  for (const k of ['type', 'title', 'status', 'detail', 'code']) assert.ok(k in p, `problem has ${k}`);
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.ok(!/\bat .*\(.*:\d+:\d+\)|node_modules|\.ts:\d+/.test(res.body), 'no stack trace');
  return p;
}

/** Every "$ref": "#/..." in the document points at something that exists. */
function checkRefs(doc: unknown): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref') {
          assert.equal(typeof x, 'string');
          const parts = (x as string).replace(/^#\//, '').split('/');
          let cur: unknown = doc;
          for (const p of parts) cur = (cur as Record<string, unknown> | undefined)?.[p];
          assert.ok(cur !== undefined, `unresolved $ref ${String(x)}`);
          n++;
        } else walk(x);
      }
    }
  };
  walk(doc);
  return n;
}

describe('landing page, conformance, API definition', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildServer({ baseUrl: 'https://gep.example.org/', plugins: [demo], resolveAsset: async () => null });
  });
  after(async () => app.close());

  test('landing page is a STAC catalog with the required links and conformsTo', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.ok(res.headers['x-request-id']);
    const body = res.json() as { type: string; stac_version: string; id: string; description: string; conformsTo: string[]; links: { rel: string; href: string; type?: string }[] };
    assert.equal(body.type, 'Catalog');
    assert.ok(body.stac_version && body.id && body.description);
    const rel = (r: string): { href: string; type?: string } | undefined => body.links.find((l) => l.rel === r);
    assert.equal(rel('self')?.href, 'https://gep.example.org/');
    assert.equal(rel('root')?.href, 'https://gep.example.org/');
    assert.equal(rel('service-desc')?.href, 'https://gep.example.org/api');
    assert.equal(rel('service-desc')?.type, OPENAPI_JSON);
    assert.equal(rel('conformance')?.href, 'https://gep.example.org/conformance');
    assert.equal(rel('http://www.opengis.net/def/rel/ogc/1.0/conformance')?.href, 'https://gep.example.org/conformance');
    assert.equal(rel('data')?.href, 'https://gep.example.org/collections');
    assert.equal(rel('search')?.type, 'application/geo+json');
    for (const l of body.links) assert.ok(l.type, `link ${l.rel} has a type`);
    assert.ok(body.conformsTo.includes('https://api.stacspec.org/v1.0.0/core'));
    assert.ok(body.conformsTo.includes('https://example.org/conf/demo'));
    assert.equal(new Set(body.conformsTo).size, body.conformsTo.length);
  });

  test('/conformance lists the classes of every plugin', async () => {
    const res = await app.inject({ url: '/conformance' });
    assert.equal(res.statusCode, 200);
    const c = (res.json() as { conformsTo: string[] }).conformsTo;
    const landing = (await app.inject({ url: '/' })).json() as { conformsTo: string[] };
    assert.deepEqual(c, landing.conformsTo);
    assert.ok(c.includes('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30'));
  });

  test('/api is an OpenAPI 3.0 document with every plugin path and resolvable refs', async () => {
    const res = await app.inject({ url: '/api' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], OPENAPI_JSON);
    const doc = JSON.parse(res.body) as { openapi: string; info: { title: string; version: string }; servers: { url: string }[]; paths: Record<string, Record<string, { responses?: unknown; operationId?: string }>> };
    assert.match(doc.openapi, /^3\.0\.\d$/);
    assert.ok(doc.info.title && doc.info.version);
    assert.deepEqual(doc.servers, [{ url: 'https://gep.example.org' }]);
    for (const p of ['/', '/conformance', '/api', '/demo/fail', '/demo/echo', '/tiles/{z}/{x}/{y}.png', '/preview.png', '/tilejson.json', '/assets/{key}'])
      assert.ok(doc.paths[p], `path ${p}`);
    const ids = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(item)) {
        if (m === 'parameters') continue;
        assert.ok(op.responses && typeof op.responses === 'object', `${m} ${p} has responses`);
        assert.ok(op.operationId && !ids.has(op.operationId), `${m} ${p} has a unique operationId`);
        ids.add(op.operationId);
      }
    assert.ok(checkRefs(doc) > 5);
  });

  test('HEAD and CORS pre-flight', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    const pre = await app.inject({ method: 'OPTIONS', url: '/tiles/1/2/3.png', headers: { origin: 'https://x.org', 'access-control-request-method': 'GET' } });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-headers']), /Range/);
  });

  test('request ids: a client token is echoed, anything else replaced', async () => {
    const a = await app.inject({ url: '/', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(a.headers['x-request-id'], 'abc-123');
    const b = await app.inject({ url: '/', headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.notEqual(b.headers['x-request-id'], 'bad id\twith spaces');
    assert.match(String(b.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('errors as RFC 7807 problems', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildServer({ plugins: [demo] });
  });
  after(async () => app.close());

  test('unknown route -> 404 problem', async () => {
    const res = await app.inject({ url: '/nope/here?x=1' });
    const p = assertProblem(res, 404, 'GEP_ERR_NOT_FOUND');
    assert.equal(p.instance, '/nope/here');
    assert.equal(p.type, 'urn:gep:error:not-found');
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  test('a thrown GepError keeps its status, code, message and parameter', async () => {
    const p = assertProblem(await app.inject({ url: '/demo/fail?kind=gep' }), 422, 'GEP_ERR_UNSUPPORTED');
    assert.equal(p.detail, 'x.tif: compression 34712 is not supported');
    assert.equal(p.parameter, 'url');
    const o = assertProblem(await app.inject({ url: '/demo/fail?kind=ogc' }), 404, 'GEP_ERR_NOT_FOUND');
    assert.equal(o.type, 'http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process');
  });

  test('unexpected errors -> 500 without stack or internals', async () => {
    for (const kind of ['plain', 'internal']) {
      const res = await app.inject({ url: `/demo/fail?kind=${kind}`, headers: { 'x-request-id': 'req-42' } });
      const p = assertProblem(res, 500, 'GEP_ERR_INTERNAL');
      assert.ok(!/secret|hunter2|ECONNREFUSED|sqlite/.test(res.body), res.body);
      assert.equal(p.requestId, 'req-42');
    }
  });

  test('validation and body errors -> 400 naming the parameter', async () => {
    const p = assertProblem(await app.inject({ url: '/demo/echo?n=abc' }), 400, 'GEP_ERR_INVALID_INPUT');
    assert.match(String(p.detail), /n/);
    assert.equal(p.parameter, 'n');
    const m = assertProblem(await app.inject({ url: '/demo/echo' }), 400, 'GEP_ERR_INVALID_INPUT');
    assert.equal(m.parameter, 'n');
    assertProblem(await app.inject({ method: 'POST', url: '/demo/body', headers: { 'content-type': 'application/json' }, payload: '{bad' }), 400, 'GEP_ERR_INVALID_INPUT');
    assertProblem(await app.inject({ method: 'POST', url: '/demo/body', headers: { 'content-type': 'application/x-weird' }, payload: 'x' }), 415, 'GEP_ERR_UNSUPPORTED');
    assert.equal((await app.inject({ url: '/demo/echo?n=5' })).json().n, 5);
  });

  test('base URL from the Host header when none is configured; tiles and assets are off without a resolver', async () => {
    const res = await app.inject({ url: '/', headers: { host: 'maps.local:8080' } });
    const self = (res.json() as { links: { rel: string; href: string }[] }).links.find((l) => l.rel === 'self');
    assert.equal(self?.href, 'http://maps.local:8080/');
    assertProblem(await app.inject({ url: '/tiles/0/0/0.png?url=x' }), 404, 'GEP_ERR_NOT_FOUND');
  });

  test('conflicting plugins are refused when the server is built', async () => {
    await assert.rejects(buildServer({ plugins: [demo, { ...demo }] }), /registered twice/);
    const clash: ApiPlugin = { name: 'clash', register() {}, openapi: { paths: { '/demo/echo': { get: { responses: {} } } } } };
    assert.throws(() => assembleOpenApi([demo, clash], DEFAULT_INFO), /GET \/demo\/echo/);
    const comp: ApiPlugin = { name: 'comp', register() {}, openapi: { paths: {}, components: { schemas: { Echo: { type: 'string' } } } } };
    assert.throws(() => assembleOpenApi([demo, comp], DEFAULT_INFO), /schemas\/Echo/);
  });
});
