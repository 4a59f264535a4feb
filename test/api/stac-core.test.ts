/**
 * Contract tests of STAC API - Core, Collections and Features (../shared/schemas/stac-api-spec core/ and
 * ogcapi-features/ READMEs): landing page links, the conformance list, /api, collections and items with their
 * links; every collection and item returned is validated against the STAC 1.1 JSON Schemas.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { StacCollection, StacItem, StacLink } from '../../src/core/stac.ts';
import { STAC_CONFORMANCE } from '../../src/api/plugins/stac.ts';
import { SchemaValidator, STAC_SCHEMAS, stacCollectionErrors, stacItemErrors } from '../helpers/json-schema.ts';
import { body, ITEMS, openFixture, S2, type Fixture } from './stac-fixture.ts';

const schemas = { skip: existsSync(STAC_SCHEMAS) ? false : `STAC schemas not found at ${STAC_SCHEMAS}` };
const BASE = 'http://localhost:80';
const link = (links: StacLink[], rel: string, method?: string): StacLink | undefined =>
  links.find((l) => l.rel === rel && (method === undefined || (l.method ?? 'GET') === method));

describe('STAC API core, collections and features', () => {
  let fx: Fixture;
  const v = new SchemaValidator();
  before(async () => {
    fx = await openFixture();
  });
  after(async () => fx?.close());

  test('landing page: a STAC Catalog with the required links', async () => {
    await fx.inject({ method: 'GET', url: '/' }); // the first call refreshes the child links in the background
    const res = await fx.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    const lp = body<{ type: string; conformsTo: string[]; links: StacLink[]; stac_version: string; id: string; description: string }>(res);
    assert.equal(lp.type, 'Catalog');
    assert.equal(typeof lp.id, 'string');
    assert.equal(typeof lp.description, 'string');
    for (const c of STAC_CONFORMANCE) assert.ok(lp.conformsTo.includes(c), c);
    assert.equal(link(lp.links, 'self')?.href, `${BASE}/`);
    assert.equal(link(lp.links, 'root')?.href, `${BASE}/`);
    assert.equal(link(lp.links, 'service-desc')?.href, `${BASE}/api`);
    assert.equal(link(lp.links, 'conformance')?.href, `${BASE}/conformance`);
    assert.deepEqual({ ...link(lp.links, 'data') }, { rel: 'data', href: `${BASE}/collections`, type: 'application/json', title: 'Collections' });
    assert.equal(link(lp.links, 'search', 'GET')?.type, 'application/geo+json');
    assert.equal(link(lp.links, 'search', 'POST')?.href, `${BASE}/search`);
    assert.equal(link(lp.links, 'http://www.opengis.net/def/rel/ogc/1.0/queryables')?.href, `${BASE}/queryables`);
    assert.equal(link(lp.links, 'aggregate')?.href, `${BASE}/aggregate`);
    assert.deepEqual(lp.links.filter((l) => l.rel === 'child').map((l) => l.href).sort(), [`${BASE}/collections/l8`, `${BASE}/collections/s2`]);
    // Every link of the landing page is valid per the STAC link schema (when the shared schemas are present).
    if (schemas.skip) console.log(`# skipping schema check: ${schemas.skip}`);
    else assert.deepEqual(v.validate(lp, 'catalog-spec/json-schema/catalog.json').filter((e) => !e.includes('stac_version')), []);
  });

  test('conformance lists exactly the declared classes plus the server ones', async () => {
    const res = await fx.inject({ method: 'GET', url: '/conformance' });
    const c = body<{ conformsTo: string[] }>(res).conformsTo;
    for (const x of STAC_CONFORMANCE) assert.ok(c.includes(x), x);
    assert.ok(c.includes('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30'));
    assert.ok(!c.some((x) => x.endsWith('/spatial-functions')), 'spatial-functions (S_TOUCHES ...) not declared');
    assert.equal(new Set(c).size, c.length);
  });

  test('/api: OpenAPI 3.0 with every STAC route', async () => {
    const res = await fx.inject({ method: 'GET', url: '/api' });
    assert.equal(res.headers['content-type'], 'application/vnd.oai.openapi+json;version=3.0');
    const doc = body<{ paths: Record<string, Record<string, unknown>> }>(res);
    for (const [path, methods] of Object.entries({
      '/search': ['get', 'post'],
      '/collections': ['get', 'post'],
      '/collections/{collectionId}': ['get', 'put', 'patch', 'delete'],
      '/collections/{collectionId}/items': ['get', 'post'],
      '/collections/{collectionId}/items/{itemId}': ['get', 'put', 'patch', 'delete'],
      '/queryables': ['get'],
      '/collections/{collectionId}/queryables': ['get'],
      '/aggregate': ['get', 'post'],
      '/aggregations': ['get'],
    })) {
      for (const m of methods) assert.ok(doc.paths[path]?.[m], `${m.toUpperCase()} ${path}`);
    }
    // Every local $ref resolves.
    const text = res.body;
    for (const m of text.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)) {
      assert.ok((doc as unknown as { components: Record<string, Record<string, unknown>> }).components[m[1]!]?.[m[2]!], m[0]);
    }
  });

  test('/collections: every collection valid, with self/root/parent/items/queryables links', schemas, async () => {
    const res = await fx.inject({ method: 'GET', url: '/collections' });
    assert.equal(res.statusCode, 200);
    const b = body<{ collections: StacCollection[]; links: StacLink[] }>(res);
    assert.deepEqual(b.collections.map((c) => c.id), ['l8', 's2']);
    assert.equal(link(b.links, 'self')?.href, `${BASE}/collections`);
    assert.equal(link(b.links, 'root')?.href, `${BASE}/`);
    for (const c of b.collections) {
      assert.deepEqual(stacCollectionErrors(c, v), [], c.id);
      assert.equal(link(c.links, 'self')?.href, `${BASE}/collections/${c.id}`);
      assert.equal(link(c.links, 'root')?.href, `${BASE}/`);
      assert.equal(link(c.links, 'parent')?.href, `${BASE}/`);
      assert.equal(link(c.links, 'items')?.href, `${BASE}/collections/${c.id}/items`);
      assert.equal(link(c.links, 'items')?.type, 'application/geo+json');
      assert.equal(link(c.links, 'http://www.opengis.net/def/rel/ogc/1.0/queryables')?.href, `${BASE}/collections/${c.id}/queryables`);
    }
    const one = await fx.inject({ method: 'GET', url: '/collections/s2' });
    assert.equal(body<StacCollection>(one).title, 'Sentinel-2 test tiles');
    assert.deepEqual(stacCollectionErrors(body(one), v), []);
  });

  test('/collections/{id}/items: a FeatureCollection of valid items with links, counts and paging', schemas, async () => {
    const res = await fx.inject({ method: 'GET', url: '/collections/l8/items' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/geo\+json/);
    const fc = body<{ type: string; features: StacItem[]; links: StacLink[]; numberMatched: number; numberReturned: number }>(res);
    assert.equal(fc.type, 'FeatureCollection');
    assert.equal(fc.numberMatched, 4);
    assert.equal(fc.numberReturned, 4);
    // Default order: newest first.
    assert.deepEqual(fc.features.map((f) => f.id), ['l8-3', 'l8-2', 'l8-1', 'l8-0']);
    assert.equal(link(fc.links, 'self')?.href, `${BASE}/collections/l8/items`);
    assert.equal(link(fc.links, 'root')?.href, `${BASE}/`);
    assert.equal(link(fc.links, 'collection')?.href, `${BASE}/collections/l8`);
    assert.equal(link(fc.links, 'next'), undefined);
    for (const f of fc.features) {
      assert.deepEqual(stacItemErrors(f, v), [], f.id);
      assert.equal(link(f.links, 'self')?.href, `${BASE}/collections/l8/items/${f.id}`);
      assert.equal(link(f.links, 'parent')?.href, `${BASE}/collections/l8`);
      assert.equal(link(f.links, 'collection')?.href, `${BASE}/collections/l8`);
      assert.equal(link(f.links, 'root')?.href, `${BASE}/`);
      assert.equal(link(f.links, 'license')?.href, 'https://example.org/licence', 'absolute foreign links are kept');
      assert.equal(f.links.filter((l) => l.rel === 'self').length, 1, 'stored relative self link replaced');
    }
    // bbox + datetime + limit on the items endpoint, and its next link.
    const p1 = await fx.inject({ method: 'GET', url: '/collections/s2/items?bbox=5,44,7,46&datetime=2021-01-01T00:00:00Z/2021-12-31T23:59:59Z&limit=2' });
    const b1 = body<{ features: StacItem[]; links: StacLink[] }>(p1);
    assert.equal(b1.features.length, 2);
    const next = link(b1.links, 'next');
    assert.ok(next?.href.startsWith(`${BASE}/collections/s2/items?`));
    assert.match(next!.href, /bbox=5%2C44%2C7%2C46/);
    const p2 = await fx.inject({ method: 'GET', url: next!.href.slice(BASE.length) });
    assert.equal(p2.statusCode, 200);
    assert.ok(!body<{ features: StacItem[] }>(p2).features.some((f) => b1.features.some((g) => g.id === f.id)));
  });

  test('/collections/{id}/items/{itemId}: one valid item; 404s for unknown ones', schemas, async () => {
    const res = await fx.inject({ method: 'GET', url: '/collections/s2/items/s2-03' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/geo\+json/);
    const it = body<StacItem>(res);
    assert.deepEqual(stacItemErrors(it, v), []);
    assert.deepEqual(it.properties, S2[3]!.properties);
    const period = await fx.inject({ method: 'GET', url: '/collections/s2/items/s2-period' });
    assert.deepEqual(stacItemErrors(body(period), v), []);
    for (const url of ['/collections/s2/items/nope', '/collections/nope/items/s2-03', '/collections/nope', '/collections/nope/items', '/collections/nope/queryables']) {
      const r = await fx.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    }
  });

  test('/queryables: JSON Schema, global and per collection', async () => {
    const res = await fx.inject({ method: 'GET', url: '/queryables' });
    assert.match(String(res.headers['content-type']), /^application\/schema\+json/);
    const q = body<{ $schema: string; $id: string; type: string; properties: Record<string, Record<string, unknown>> }>(res);
    assert.equal(q.type, 'object');
    assert.equal(q.$id, `${BASE}/queryables`);
    for (const p of ['id', 'collection', 'geometry', 'datetime', 'eo:cloud_cover', 'platform']) assert.ok(q.properties[p], p);
    const qc = body<{ $id: string; properties: Record<string, Record<string, unknown>> }>(await fx.inject({ method: 'GET', url: '/collections/s2/queryables' }));
    assert.equal(qc.$id, `${BASE}/collections/s2/queryables`);
    assert.deepEqual(qc.properties.platform!.enum, ['sentinel-2a', 'sentinel-2b']);
    assert.equal(qc.properties.collection!.const, 's2');
  });

  test('every item of the catalogue is returned by /search and schema-valid', schemas, async () => {
    const res = await fx.inject({ method: 'GET', url: '/search?limit=100' });
    const fc = body<{ features: StacItem[]; numberMatched: number }>(res);
    assert.equal(fc.numberMatched, ITEMS.length);
    assert.equal(fc.features.length, ITEMS.length);
    for (const f of fc.features) assert.deepEqual(stacItemErrors(f, v), [], f.id);
  });
});
