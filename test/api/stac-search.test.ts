/**
 * Item Search (../shared/schemas/stac-api-spec/item-search/README.md) and its Sort, Fields, Filter and Query
 * extensions on the known catalogue of ./stac-fixture.ts: every answer is compared with the items selected
 * in JS from the fixture (known answers), for GET and POST.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StacItem, StacLink } from '../../src/core/stac.ts';
import { body, endOf, ITEMS, openFixture, S2, startOf, T0, DAY, type Fixture } from './stac-fixture.ts';

type Fc = { features: StacItem[]; links: StacLink[]; numberMatched?: number; numberReturned: number };
const BASE = 'http://localhost:80';
const ids = (items: { id: string }[]): string[] => items.map((i) => i.id).sort();
const boxOf = (it: StacItem): number[] => {
  const c = (it.geometry as { coordinates: number[][][] }).coordinates[0]!;
  return [Math.min(...c.map((p) => p[0]!)), Math.min(...c.map((p) => p[1]!)), Math.max(...c.map((p) => p[0]!)), Math.max(...c.map((p) => p[1]!))];
};
const boxHits = (it: StacItem, b: number[]): boolean => {
  const a = boxOf(it);
  return a[0]! <= b[2]! && a[2]! >= b[0]! && a[1]! <= b[3]! && a[3]! >= b[1]!;
};

describe('STAC API item search', () => {
  let fx: Fixture;
  const get = async (url: string): Promise<Fc> => {
    const r = await fx.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    return body<Fc>(r);
  };
  const post = async (payload: Record<string, unknown>, url = '/search'): Promise<Fc> => {
    const r = await fx.inject({ method: 'POST', url, payload });
    assert.equal(r.statusCode, 200, `${JSON.stringify(payload)}: ${r.body}`);
    return body<Fc>(r);
  };
  before(async () => {
    fx = await openFixture();
  });
  after(async () => fx?.close());

  test('bbox: box-level matches refined by the exact geometry; antimeridian boxes accepted', async () => {
    const b = [5.5, 44.2, 6.5, 44.5];
    assert.deepEqual(ids((await get(`/search?bbox=${b.join(',')}&limit=100`)).features), ids(ITEMS.filter((i) => i.id !== 's2-triangle' && boxHits(i, b))));
    assert.deepEqual(ids((await get('/search?bbox=5.5,44.2,6.5,44.5')).features), ['s2-00', 's2-01']);
    // The triangle's bbox overlaps (0.6..1, 44.6..45) but its shape does not.
    const miss = await get('/search?bbox=0.6,44.6,1,45');
    assert.equal(miss.features.length, 0);
    assert.equal(miss.numberMatched, 0);
    assert.deepEqual(ids((await get('/search?bbox=0,44,0.2,44.2')).features), ['s2-triangle']);
    assert.deepEqual(ids((await post({ bbox: [0, 44, -1000, 0.2, 44.2, 1000] })).features), ['s2-triangle'], '6-number bbox');
    assert.equal((await get('/search?bbox=170,40,-170,50')).features.length, 0);
    assert.deepEqual(ids((await get('/search?bbox=12.5,46.5,12.5,46.5')).features), ['s2-period'], 'degenerate (point) bbox');
  });

  test('intersects: a polygon selects exactly the tiles it touches (GET and POST)', async () => {
    const tri = { type: 'Polygon', coordinates: [[[5, 44], [8, 44], [5, 46.7], [5, 44]]] };
    const inside = (x: number, y: number): boolean => x >= 5 - 1e-9 && y >= 44 - 1e-9 && (x - 5) / 3 + (y - 44) / 2.7 <= 1 + 1e-9;
    const expected = ids(ITEMS.filter((i) => i.id !== 's2-triangle' && inside(boxOf(i)[0]!, boxOf(i)[1]!)));
    assert.ok(expected.includes('l8-0') && !expected.includes('l8-1') && expected.length > 5);
    assert.deepEqual(ids((await post({ intersects: tri, limit: 100 })).features), expected);
    assert.deepEqual(ids((await get(`/search?limit=100&intersects=${encodeURIComponent(JSON.stringify(tri))}`)).features), expected);
    const pt = await post({ intersects: { type: 'Point', coordinates: [0.1, 44.1] } });
    assert.deepEqual(ids(pt.features), ['s2-triangle']);
    assert.deepEqual(ids((await post({ intersects: { type: 'Point', coordinates: [0.9, 44.9] } })).features), [], 'inside the bbox, outside the triangle');
  });

  test('datetime: instants, closed and open intervals, period items', async () => {
    const overlap = (s: number | null, e: number | null): string[] =>
      ids(ITEMS.filter((i) => (e === null || startOf(i) <= e) && (s === null || endOf(i) >= s)));
    const t5 = String(S2[5]!.properties.datetime);
    assert.deepEqual(ids((await get(`/search?datetime=${t5}`)).features), ['s2-05']);
    assert.deepEqual(ids((await get(`/search?datetime=${t5.replace('.000Z', '+00:00')}`)).features), ['s2-05'], 'offset form');
    const a = '2021-02-01T00:00:00Z';
    const b = '2021-04-15T12:00:00Z';
    assert.deepEqual(ids((await get(`/search?limit=100&datetime=${a}/${b}`)).features), overlap(Date.parse(a), Date.parse(b)));
    assert.deepEqual(ids((await get(`/search?limit=100&datetime=../${b}`)).features), overlap(null, Date.parse(b)));
    assert.deepEqual(ids((await get(`/search?limit=100&datetime=${a}/..`)).features), overlap(Date.parse(a), null));
    assert.deepEqual(ids((await get(`/search?limit=100&datetime=/${b}`)).features), overlap(null, Date.parse(b)), 'empty open start');
    assert.deepEqual(ids((await post({ limit: 100, datetime: `${a}/${b}` })).features), overlap(Date.parse(a), Date.parse(b)));
    assert.deepEqual(ids((await get('/search?datetime=2022-03-15T00:00:00Z')).features), ['s2-period']);
  });

  test('ids and collections', async () => {
    assert.deepEqual(ids((await get('/search?ids=s2-01,l8-2,nope')).features), ['l8-2', 's2-01']);
    assert.deepEqual(ids((await get('/search?collections=l8&limit=100')).features), ['l8-0', 'l8-1', 'l8-2', 'l8-3']);
    assert.equal((await get('/search?collections=l8,s2&limit=100')).numberMatched, ITEMS.length);
    assert.deepEqual(ids((await post({ collections: ['l8'], ids: ['l8-1', 's2-01'] })).features), ['l8-1']);
  });

  test('paging across 3 pages returns each item once (GET next href, POST next body merged)', async () => {
    const dt = '2021-01-01T00:00:00Z/2021-06-30T00:00:00Z';
    const expected = ids(ITEMS.filter((i) => i.collection === 's2' && startOf(i) <= Date.parse('2021-06-30T00:00:00Z')));
    assert.equal(expected.length, 19);
    const seen: string[] = [];
    let url: string | undefined = `/search?collections=s2&datetime=${dt}&limit=7`;
    let pages = 0;
    while (url) {
      const fc = await get(url);
      pages++;
      seen.push(...fc.features.map((f) => f.id));
      assert.equal(fc.numberReturned, fc.features.length);
      assert.equal(fc.numberMatched, 19);
      const next = fc.links.find((l) => l.rel === 'next');
      assert.equal(next?.type ?? 'application/geo+json', 'application/geo+json');
      url = next ? next.href.slice(BASE.length) : undefined;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 19);
    assert.deepEqual([...seen].sort(), expected);

    const request = { collections: ['s2'], datetime: dt, limit: 7, sortby: [{ field: 'id', direction: 'asc' }] };
    let req: Record<string, unknown> | null = request;
    const seenPost: string[] = [];
    pages = 0;
    while (req) {
      const fc = await post(req);
      pages++;
      seenPost.push(...fc.features.map((f) => f.id));
      const next = fc.links.find((l) => l.rel === 'next') as (StacLink & { merge?: boolean; body?: Record<string, unknown> }) | undefined;
      if (next) {
        assert.equal(next.method, 'POST');
        assert.equal(next.merge, true);
        assert.equal(next.href, `${BASE}/search`);
      }
      req = next ? { ...request, ...next.body } : null;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seenPost, expected, 'sorted by id, each once');
  });

  test('sortby: GET -field,+field and POST objects', async () => {
    const byCloud = [...ITEMS].sort((a, b) => {
      const ca = a.properties['eo:cloud_cover'] as number | undefined;
      const cb = b.properties['eo:cloud_cover'] as number | undefined;
      if (ca === undefined || cb === undefined) return ca === cb ? (a.id < b.id ? -1 : 1) : ca === undefined ? 1 : -1;
      return cb - ca || (a.id < b.id ? -1 : 1);
    });
    assert.deepEqual((await get('/search?limit=100&sortby=-eo:cloud_cover,+id')).features.map((f) => f.id), byCloud.map((i) => i.id));
    const asc = [...ITEMS].sort((a, b) => startOf(a) - startOf(b) || (a.collection! < b.collection! ? -1 : a.collection! > b.collection! ? 1 : a.id < b.id ? -1 : 1));
    assert.deepEqual((await get('/search?limit=100&sortby=%2Bdatetime')).features.map((f) => f.id), asc.map((i) => i.id));
    assert.deepEqual((await get('/search?limit=100&sortby=datetime')).features.map((f) => f.id), asc.map((i) => i.id));
    assert.deepEqual((await post({ limit: 100, sortby: [{ field: 'properties.datetime', direction: 'asc' }] })).features.map((f) => f.id), asc.map((i) => i.id));
    const byId = ITEMS.map((i) => i.id).sort().reverse();
    assert.deepEqual((await post({ limit: 100, sortby: [{ field: 'id', direction: 'desc' }] })).features.map((f) => f.id), byId);
  });

  test('fields: include adds to the defaults, exclude removes', async () => {
    const one = (await get('/search?ids=s2-04&fields=properties.eo:cloud_cover,-assets,-links')).features[0] as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(one).sort(), ['bbox', 'collection', 'geometry', 'id', 'properties', 'stac_extensions', 'stac_version', 'type']);
    assert.deepEqual(one.properties, { datetime: S2[4]!.properties.datetime, 'eo:cloud_cover': S2[4]!.properties['eo:cloud_cover'] });
    const bare = (await get('/search?ids=s2-04&fields=-properties,-assets')).features[0] as unknown as Record<string, unknown>;
    assert.equal(bare.properties, undefined);
    assert.equal(bare.assets, undefined);
    const two = (await get('/search?ids=s2-04&fields=id,properties.eo:cloud_cover,-geometry')).features[0] as unknown as Record<string, unknown>;
    assert.deepEqual(two.properties, { datetime: S2[4]!.properties.datetime, 'eo:cloud_cover': S2[4]!.properties['eo:cloud_cover'] });
    assert.equal(two.geometry, undefined);
    assert.ok(two.assets && two.links);
    const three = (await post({ ids: ['s2-04'], fields: { include: ['properties'], exclude: ['properties.gsd', 'assets'] } })).features[0] as unknown as Record<string, unknown>;
    const props = { ...S2[4]!.properties };
    delete props.gsd;
    assert.deepEqual(three.properties, props);
    assert.equal(three.assets, undefined);
    const four = (await post({ ids: ['s2-04'], fields: {} })).features[0] as unknown as Record<string, unknown>;
    assert.deepEqual(four.properties, { datetime: S2[4]!.properties.datetime }, 'empty fields object: the default set');
  });

  test('filter: CQL2 text and JSON give the same, known answers', async () => {
    const cases: [string, unknown, (i: StacItem) => boolean][] = [
      [
        "eo:cloud_cover < 20 AND platform = 'sentinel-2a'",
        { op: 'and', args: [{ op: '<', args: [{ property: 'eo:cloud_cover' }, 20] }, { op: '=', args: [{ property: 'platform' }, 'sentinel-2a'] }] },
        (i) => (i.properties['eo:cloud_cover'] as number) < 20 && i.properties.platform === 'sentinel-2a',
      ],
      [
        "platform LIKE 'landsat%' OR eo:cloud_cover BETWEEN 90 AND 100",
        { op: 'or', args: [{ op: 'like', args: [{ property: 'platform' }, 'landsat%'] }, { op: 'between', args: [{ property: 'eo:cloud_cover' }, 90, 100] }] },
        (i) => String(i.properties.platform).startsWith('landsat') || ((i.properties['eo:cloud_cover'] as number) >= 90 && (i.properties['eo:cloud_cover'] as number) <= 100),
      ],
      [
        "CASEI(platform) IN (CASEI('SENTINEL-2B')) AND collection = 's2'",
        { op: 'and', args: [{ op: 'in', args: [{ op: 'casei', args: [{ property: 'platform' }] }, [{ op: 'casei', args: ['SENTINEL-2B'] }]] }, { op: '=', args: [{ property: 'collection' }, 's2'] }] },
        (i) => i.properties.platform === 'sentinel-2b' && i.collection === 's2',
      ],
      [
        "S_INTERSECTS(geometry, LINESTRING(5.5 44.1, 5.5 46))",
        { op: 's_intersects', args: [{ property: 'geometry' }, { type: 'LineString', coordinates: [[5.5, 44.1], [5.5, 46]] }] },
        (i) => i.id !== 's2-triangle' && boxHits(i, [5.5, 44.1, 5.5, 46]),
      ],
      [
        "T_INTERSECTS(datetime, INTERVAL('2021-02-01T00:00:00Z', '2021-03-01T00:00:00Z'))",
        { op: 't_intersects', args: [{ property: 'datetime' }, { interval: ['2021-02-01T00:00:00Z', '2021-03-01T00:00:00Z'] }] },
        (i) => startOf(i) <= Date.parse('2021-03-01T00:00:00Z') && endOf(i) >= Date.parse('2021-02-01T00:00:00Z'),
      ],
      [
        "A_CONTAINS(instruments, ('msi')) AND eo:cloud_cover < gsd",
        { op: 'and', args: [{ op: 'a_contains', args: [{ property: 'instruments' }, ['msi']] }, { op: '<', args: [{ property: 'eo:cloud_cover' }, { property: 'gsd' }] }] },
        (i) => Array.isArray(i.properties.instruments) && (i.properties['eo:cloud_cover'] as number) < 10,
      ],
      ['NOT (id = \'s2-00\') AND datetime < TIMESTAMP(\'2021-01-20T00:00:00Z\')', { op: 'and', args: [{ op: 'not', args: [{ op: '=', args: [{ property: 'id' }, 's2-00'] }] }, { op: '<', args: [{ property: 'datetime' }, { timestamp: '2021-01-20T00:00:00Z' }] }] }, (i) => i.id !== 's2-00' && startOf(i) < Date.parse('2021-01-20T00:00:00Z')],
    ];
    for (const [text, json, pred] of cases) {
      const expected = ids(ITEMS.filter(pred));
      assert.ok(expected.length > 0, text);
      assert.deepEqual(ids((await get(`/search?limit=100&filter=${encodeURIComponent(text)}`)).features), expected, text);
      assert.deepEqual(ids((await get(`/search?limit=100&filter-lang=cql2-json&filter=${encodeURIComponent(JSON.stringify(json))}`)).features), expected, `GET json ${text}`);
      assert.deepEqual(ids((await post({ limit: 100, filter: json })).features), expected, `POST json ${text}`);
      assert.deepEqual(ids((await post({ limit: 100, 'filter-lang': 'cql2-text', filter: text })).features), expected, `POST text ${text}`);
    }
    // filter with the items endpoint and with other parameters (AND).
    const fc = await get(`/collections/s2/items?limit=100&bbox=5,44,6,45&filter=${encodeURIComponent('eo:cloud_cover >= 10')}`);
    assert.deepEqual(ids(fc.features), ids(S2.filter((i) => boxHits(i, [5, 44, 6, 45]) && (i.properties['eo:cloud_cover'] as number) >= 10)));
  });

  test('query extension: every operator', async () => {
    const cc = (i: StacItem): number => i.properties['eo:cloud_cover'] as number;
    const cases: [Record<string, unknown>, (i: StacItem) => boolean][] = [
      [{ 'eo:cloud_cover': { lt: 10 } }, (i) => cc(i) < 10],
      [{ 'eo:cloud_cover': { gte: 90, lte: 95 } }, (i) => cc(i) >= 90 && cc(i) <= 95],
      [{ 'eo:cloud_cover': { gt: 97 } }, (i) => cc(i) > 97],
      [{ platform: { eq: 'landsat-8' } }, (i) => i.properties.platform === 'landsat-8'],
      [{ platform: { neq: 'sentinel-2a' }, 'properties.eo:cloud_cover': { lt: 20 } }, (i) => i.properties.platform !== 'sentinel-2a' && cc(i) < 20],
      [{ platform: { startsWith: 'sentinel' } }, (i) => String(i.properties.platform).startsWith('sentinel')],
      [{ platform: { endsWith: '2b' } }, (i) => String(i.properties.platform).endsWith('2b')],
      [{ platform: { contains: 'sat' } }, (i) => String(i.properties.platform).includes('sat')],
      [{ id: { in: ['s2-01', 'l8-3', 'x'] } }, (i) => ['s2-01', 'l8-3'].includes(i.id)],
      [{ id: { startsWith: 's2_' } }, () => false],
    ];
    for (const [query, pred] of cases) {
      const expected = ids(ITEMS.filter(pred));
      assert.deepEqual(ids((await post({ limit: 100, query })).features), expected, JSON.stringify(query));
      assert.deepEqual(ids((await get(`/search?limit=100&query=${encodeURIComponent(JSON.stringify(query))}`)).features), expected, JSON.stringify(query));
    }
  });

  test('limit: default 10, above the maximum clamped, numberMatched with refined geometry', async () => {
    assert.equal((await get('/search')).features.length, 10);
    const big = await get('/search?limit=1000000');
    assert.equal(big.features.length, ITEMS.length);
    const refined = await get('/search?bbox=0,40,20,50&limit=5');
    assert.equal(refined.features.length, 5);
    assert.equal(refined.numberMatched, undefined, 'not counted exactly when JS refines past the first page');
    assert.equal((await get(`/search?datetime=${new Date(T0 + 3 * DAY).toISOString()}/..&limit=5`)).numberMatched, ITEMS.filter((i) => endOf(i) >= T0 + 3 * DAY).length);
  });
});
