/**
 * Bad input table: every malformed search parameter is a 400 application/problem+json whose `parameter` names
 * it and whose detail says what was expected; nothing leaks a stack trace or SQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { body, openFixture, type Fixture } from './stac-fixture.ts';

/** [method, url, POST body or null, the parameter named, a pattern of the detail]. */
const CASES: [string, string, unknown, string, RegExp][] = [
  ['GET', '/search?limit=0', null, 'limit', /integer from 1/],
  ['GET', '/search?limit=-5', null, 'limit', /integer/],
  ['GET', '/search?limit=abc', null, 'limit', /integer/],
  ['GET', '/search?limit=2.5', null, 'limit', /integer/],
  ['POST', '/search', { limit: 'ten' }, 'limit', /integer/],
  ['GET', '/search?bbox=1,2,3', null, 'bbox', /4 or 6/],
  ['GET', '/search?bbox=a,b,c,d', null, 'bbox', /finite numbers/],
  ['GET', '/search?bbox=0,-91,1,1', null, 'bbox', /latitudes/],
  ['GET', '/search?bbox=-181,0,1,1', null, 'bbox', /longitudes/],
  ['GET', '/search?bbox=0,10,1,5', null, 'bbox', /miny must not exceed maxy/],
  ['POST', '/search', { bbox: [0, 0, 1] }, 'bbox', /4 or 6/],
  ['POST', '/search', { bbox: [0, 0, 1, 1], intersects: { type: 'Point', coordinates: [0, 0] } }, 'intersects', /both/],
  ['POST', '/search', { intersects: { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 0]]] } }, 'intersects', /4 positions/],
  ['POST', '/search', { intersects: { type: 'Circle', coordinates: [0, 0] } }, 'intersects', /geometry type/],
  ['GET', '/search?intersects={nope', null, 'intersects', /GeoJSON/],
  ['GET', '/search?datetime=2021-13-01T00:00:00Z', null, 'datetime', /RFC 3339/],
  ['GET', '/search?datetime=yesterday', null, 'datetime', /RFC 3339/],
  ['GET', '/search?datetime=2021-01-01', null, 'datetime', /RFC 3339/],
  ['GET', '/search?datetime=2021-02-01T00:00:00Z/2021-01-01T00:00:00Z', null, 'datetime', /after its end/],
  ['GET', '/search?datetime=../..', null, 'datetime', /at least one bound/],
  ['GET', '/search?datetime=a/b/c', null, 'datetime', /one interval/],
  ['POST', '/search', { datetime: 20210101 }, 'datetime', /string/],
  ['GET', '/search?collections=nope,s2', null, 'collections', /unknown collection "nope"/],
  ['POST', '/search', { collections: 's2' }, 'collections', /array/],
  ['POST', '/search', { ids: [1, 2] }, 'ids', /strings/],
  ['GET', '/search?filter=eo:cloud_cover%20%3C', null, 'filter', /filter/],
  ['GET', '/search?filter=nope%20%3D%201', null, 'filter', /unknown property 'nope'/],
  ['GET', "/search?filter=eo:cloud_cover%20%3D%20'high'", null, 'filter', /cannot compare/],
  ['GET', '/search?filter-lang=cql2-json&filter={bad', null, 'filter', /JSON/],
  ['POST', '/search', { filter: { op: 'nope', args: [] } }, 'filter', /filter/],
  ['GET', '/search?filter-lang=sql&filter=1', null, 'filter-lang', /cql2-text or cql2-json/],
  ['GET', '/search?filter-crs=EPSG:3857&filter=id%3D%27a%27', null, 'filter-crs', /CRS84/],
  ['GET', '/search?sortby=-nope', null, 'sortby', /cannot sort on "nope"/],
  ['POST', '/search', { sortby: [{ field: 'datetime', direction: 'up' }] }, 'sortby', /asc/],
  ['GET', '/search?fields=a%20b', null, 'fields', /field names/],
  ['GET', '/search?query={"eo:cloud_cover":{"like":1}}', null, 'query', /unknown operator/],
  ['POST', '/search', { query: { nope: { eq: 1 } } }, 'query', /unknown property/],
  ['POST', '/search', { query: { platform: { in: [] } } }, 'query', /non-empty array/],
  ['GET', '/search?token=not%20a%20token', null, 'token', /paging token/],
  ['GET', '/search?token=eyJzIjoieCJ9', null, 'token', /token/],
  ['GET', '/search?limit=5&limit=6', null, 'limit', /more than once/],
  ['GET', '/search?colections=s2', null, 'colections', /unknown query parameter/],
  ['GET', '/search?f=html', null, 'f', /JSON/],
  ['POST', '/search', [1, 2], 'body', /JSON object/],
  ['GET', '/collections/s2/items?collections=l8', null, 'collections', /unknown query parameter/],
];

describe('STAC API bad input -> 400 problem+json naming the parameter', () => {
  let fx: Fixture;
  before(async () => {
    fx = await openFixture();
  });
  after(async () => fx?.close());

  test('the table', async () => {
    for (const [method, url, payload, parameter, re] of CASES) {
      const res = await fx.inject(payload === null ? { method: method as 'GET', url } : { method: method as 'POST', url, payload: payload as Record<string, unknown> });
      const what = `${method} ${url} ${payload === null ? '' : JSON.stringify(payload)}`;
      assert.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 300)}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, what);
      const p = body<{ detail: string; parameter?: string; code: string }>(res);
      assert.equal(p.code, 'GEP_ERR_INVALID_INPUT', what);
      assert.equal(p.parameter, parameter, `${what}: ${p.detail}`);
      assert.match(p.detail, re, what);
      assert.ok(!/\bat .*:\d+:\d+|node_modules|SELECT|\$\d/.test(res.body), `${what}: no stack or SQL in ${res.body}`);
    }
  });

  test('malformed JSON bodies and wrong media types are 4xx problems', async () => {
    const bad = await fx.inject({ method: 'POST', url: '/search', payload: '{"limit": ', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
    const text = await fx.inject({ method: 'POST', url: '/search', payload: 'limit=1', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 400);
    assert.equal(body<{ parameter: string }>(text).parameter, 'body');
    const xml = await fx.inject({ method: 'POST', url: '/search', payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    assert.equal(xml.statusCode, 415);
  });

  test('a huge limit is clamped, not refused; an empty POST body is an empty search', async () => {
    const r = await fx.inject({ method: 'GET', url: '/search?limit=99999999999999999999' });
    assert.equal(r.statusCode, 200);
    const e = await fx.inject({ method: 'POST', url: '/search', headers: { 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(body<{ features: unknown[] }>(e).features.length, 10);
  });
});
