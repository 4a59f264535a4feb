/**
 * Transaction extension (items and collections): create, replace, merge-patch, delete; 409 on duplicates,
 * 404 on missing resources, 400 on invalid STAC JSON; what was written is what search returns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { StacItem } from '../../src/core/stac.ts';
import { STAC_SCHEMAS, SchemaValidator, stacCollectionErrors, stacItemErrors } from '../helpers/json-schema.ts';
import { body, collection, openFixture, type Fixture } from './stac-fixture.ts';

const schemas = { skip: existsSync(STAC_SCHEMAS) ? false : `STAC schemas not found at ${STAC_SCHEMAS}` };
const BASE = 'http://localhost:80';

const newItem = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'Feature',
  id,
  geometry: { type: 'Polygon', coordinates: [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]] },
  properties: { datetime: '2023-05-01T10:00:00Z', 'eo:cloud_cover': 12 },
  assets: { data: { href: `https://example.org/${id}.tif` } },
  links: [],
  ...extra,
});

describe('STAC API transactions', schemas, () => {
  let fx: Fixture;
  const v = new SchemaValidator();
  before(async () => {
    fx = await openFixture();
  });
  after(async () => fx?.close());

  test('collections: create (201, Location), duplicate (409), replace, patch, delete, 404s', async () => {
    const c = { ...collection('tx'), links: undefined };
    const r1 = await fx.inject({ method: 'POST', url: '/collections', payload: c });
    assert.equal(r1.statusCode, 201, r1.body);
    assert.equal(r1.headers.location, `${BASE}/collections/tx`);
    assert.deepEqual(stacCollectionErrors(body(r1), v), []);
    const dup = await fx.inject({ method: 'POST', url: '/collections', payload: c });
    assert.equal(dup.statusCode, 409);
    assert.match(body<{ detail: string }>(dup).detail, /already exists/);
    const put = await fx.inject({ method: 'PUT', url: '/collections/tx', payload: { ...c, title: 'Replaced' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(body<{ title: string }>(await fx.inject({ method: 'GET', url: '/collections/tx' })).title, 'Replaced');
    const patch = await fx.inject({ method: 'PATCH', url: '/collections/tx', payload: { description: 'Patched', summaries: null }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(patch.statusCode, 200, patch.body);
    const got = body<Record<string, unknown>>(await fx.inject({ method: 'GET', url: '/collections/tx' }));
    assert.equal(got.description, 'Patched');
    assert.equal(got.title, 'Replaced');
    assert.equal(got.summaries, undefined);
    assert.equal((await fx.inject({ method: 'PUT', url: '/collections/nope', payload: collection('nope') })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'PATCH', url: '/collections/nope', payload: { title: 'x' } })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'PUT', url: '/collections/tx', payload: collection('other') })).statusCode, 400, 'id mismatch');
    assert.equal((await fx.inject({ method: 'DELETE', url: '/collections/tx' })).statusCode, 204);
    assert.equal((await fx.inject({ method: 'GET', url: '/collections/tx' })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'DELETE', url: '/collections/tx' })).statusCode, 404);
    // The landing page lists collections created through the API.
    await fx.inject({ method: 'POST', url: '/collections', payload: collection('tx2') });
    const lp = body<{ links: { rel: string; href: string }[] }>(await fx.inject({ method: 'GET', url: '/' }));
    assert.ok(lp.links.some((l) => l.rel === 'child' && l.href === `${BASE}/collections/tx2`));
  });

  test('items: create (201, geo+json), duplicate (409), replace, patch, delete, 404s', async () => {
    await fx.inject({ method: 'POST', url: '/collections', payload: collection('txi') });
    const r1 = await fx.inject({ method: 'POST', url: '/collections/txi/items', payload: newItem('a'), headers: { 'content-type': 'application/geo+json' } });
    assert.equal(r1.statusCode, 201, r1.body);
    assert.equal(r1.headers.location, `${BASE}/collections/txi/items/a`);
    const created = body<StacItem>(r1);
    assert.deepEqual(stacItemErrors(created, v), []);
    assert.deepEqual(created.bbox, [1, 1, 2, 2], 'bbox computed from the geometry');
    assert.equal(created.collection, 'txi');
    assert.equal((await fx.inject({ method: 'POST', url: '/collections/txi/items', payload: newItem('a') })).statusCode, 409);
    // A FeatureCollection is all-or-nothing.
    const fc = { type: 'FeatureCollection', features: [newItem('b'), newItem('c'), newItem('a')] };
    assert.equal((await fx.inject({ method: 'POST', url: '/collections/txi/items', payload: fc })).statusCode, 409);
    assert.equal((await fx.inject({ method: 'GET', url: '/collections/txi/items/b' })).statusCode, 404);
    const ok = await fx.inject({ method: 'POST', url: '/collections/txi/items', payload: { type: 'FeatureCollection', features: [newItem('b'), newItem('c')] } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(body<{ features: unknown[] }>(ok).features.length, 2);
    // Replace and patch.
    const put = await fx.inject({ method: 'PUT', url: '/collections/txi/items/b', payload: newItem('b', { properties: { datetime: '2023-06-01T00:00:00Z', 'eo:cloud_cover': 80 } }) });
    assert.equal(put.statusCode, 200, put.body);
    const patch = await fx.inject({ method: 'PATCH', url: '/collections/txi/items/c', payload: { properties: { 'eo:cloud_cover': 3, platform: 'x-sat' } } });
    assert.equal(patch.statusCode, 200, patch.body);
    const c = body<StacItem>(await fx.inject({ method: 'GET', url: '/collections/txi/items/c' }));
    assert.deepEqual(c.properties, { datetime: '2023-05-01T10:00:00Z', 'eo:cloud_cover': 3, platform: 'x-sat' });
    const s = body<{ features: StacItem[] }>(await fx.inject({ method: 'GET', url: '/search?collections=txi&sortby=id' }));
    assert.deepEqual(s.features.map((f) => [f.id, f.properties['eo:cloud_cover']]), [['a', 12], ['b', 80], ['c', 3]]);
    // 404s and id mismatches.
    assert.equal((await fx.inject({ method: 'PUT', url: '/collections/txi/items/zz', payload: newItem('zz') })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'PATCH', url: '/collections/txi/items/zz', payload: {} })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'POST', url: '/collections/nope/items', payload: newItem('q') })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'PUT', url: '/collections/txi/items/a', payload: newItem('b') })).statusCode, 400);
    assert.equal((await fx.inject({ method: 'POST', url: '/collections/txi/items', payload: { ...newItem('q'), collection: 's2' } })).statusCode, 400);
    assert.equal((await fx.inject({ method: 'DELETE', url: '/collections/txi/items/a' })).statusCode, 204);
    assert.equal((await fx.inject({ method: 'DELETE', url: '/collections/txi/items/a' })).statusCode, 404);
    assert.equal((await fx.inject({ method: 'GET', url: '/collections/txi/items/a' })).statusCode, 404);
  });

  test('item and collection validation: 400 naming the member', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...newItem('v'), type: 'Thing' }, /item\.type/],
      [{ ...newItem('v'), id: '' }, /item\.id/],
      [{ ...newItem('v'), id: 'a/b' }, /item\.id/],
      [{ ...newItem('v'), geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] } }, /geometry/],
      [(() => { const x = newItem('v'); delete x.geometry; return x; })(), /geometry.*required/],
      [{ ...newItem('v'), properties: {} }, /properties\.datetime.*required/],
      [{ ...newItem('v'), properties: { datetime: 'yesterday' } }, /properties\.datetime.*RFC 3339/],
      [{ ...newItem('v'), properties: { datetime: null, start_datetime: '2023-01-01T00:00:00Z' } }, /start_datetime and end_datetime/],
      [{ ...newItem('v'), properties: { datetime: null, start_datetime: '2023-02-01T00:00:00Z', end_datetime: '2023-01-01T00:00:00Z' } }, /after/],
      [{ ...newItem('v'), links: [{ href: 'x' }] }, /links\[0\]/],
      [{ ...newItem('v'), assets: { a: { title: 'no href' } } }, /assets\.a/],
      [{ ...newItem('v'), bbox: [1, 2, 3] }, /bbox/],
    ];
    for (const [payload, re] of cases) {
      const r = await fx.inject({ method: 'POST', url: '/collections/s2/items', payload });
      assert.equal(r.statusCode, 400, `${re}: ${r.body}`);
      assert.match(body<{ detail: string }>(r).detail, re);
    }
    const bad = await fx.inject({ method: 'POST', url: '/collections', payload: { ...collection('bad'), extent: { spatial: { bbox: [] } } } });
    assert.equal(bad.statusCode, 400);
    assert.match(body<{ detail: string }>(bad).detail, /extent/);
    const noLicense = await fx.inject({ method: 'POST', url: '/collections', payload: { ...collection('bad'), license: undefined } });
    assert.match(body<{ detail: string }>(noLicense).detail, /license/);
    const badJson = await fx.inject({ method: 'POST', url: '/collections/s2/items', payload: '{"type": "Feature",', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.statusCode, 400);
    assert.match(String(badJson.headers['content-type']), /problem\+json/);
  });
});
