/**
 * Unit tests of the catalogue's search parameters (src/catalog/params.ts, search.ts, queryables.ts): the
 * parsing of each parameter in its GET and POST forms, the Fields semantics, the Query extension as CQL2.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isGepError } from '../../src/core/errors.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { cql2ToText } from '../../src/catalog/cql2/index.ts';
import { intervalStart, parseAggregateParams } from '../../src/catalog/aggregate.ts';
import { MAX_LIMIT, parseBbox, parseDatetime, parseFields, parseLimit, parseSortby, parseStringList } from '../../src/catalog/params.ts';
import { QUERYABLE_COLUMNS, queryablesSchema } from '../../src/catalog/queryables.ts';
import { applyFields, queryToCql2, searchFromBody, searchFromQuery, toItemQuery } from '../../src/catalog/search.ts';

const throwsParam = (fn: () => unknown, parameter: string): void =>
  assert.throws(fn, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && e.details?.parameter === parameter);

describe('search parameters', () => {
  test('limit: default, clamp, refusals', () => {
    assert.equal(parseLimit(undefined), 10);
    assert.equal(parseLimit('25'), 25);
    assert.equal(parseLimit(25), 25);
    assert.equal(parseLimit('1000000'), MAX_LIMIT);
    assert.equal(parseLimit(1e300), MAX_LIMIT);
    for (const bad of ['0', '-1', '1.5', 'x', 0, 2.5, true, '1e3']) throwsParam(() => parseLimit(bad), 'limit');
  });

  test('bbox: 4 or 6 numbers, ranges, antimeridian', () => {
    assert.deepEqual(parseBbox('-10.5,36,3.75,44.25'), [-10.5, 36, 3.75, 44.25]);
    assert.deepEqual(parseBbox([1, 2, -5, 3, 4, 5]), [1, 2, 3, 4]);
    assert.deepEqual(parseBbox('160.6,-55.95,-170,-25.89'), [160.6, -55.95, -170, -25.89], 'crosses the antimeridian');
    assert.deepEqual(parseBbox('1,1,1,1'), [1, 1, 1, 1]);
    for (const bad of ['1,2,3', '1,2,3,4,5', 'a,1,2,3', '0,0,181,1', '0,-90.1,1,1', '0,5,1,4', [0, 0, '1', 1], { x: 1 }, '1,,2,3']) throwsParam(() => parseBbox(bad), 'bbox');
  });

  test('datetime: instant, intervals, open ends, refusals', () => {
    assert.deepEqual(parseDatetime('2021-05-01T10:00:00Z'), { start: '2021-05-01T10:00:00Z', end: '2021-05-01T10:00:00Z' });
    assert.deepEqual(parseDatetime('2021-05-01t10:00:00.5z'), { start: '2021-05-01T10:00:00.5Z', end: '2021-05-01T10:00:00.5Z' });
    assert.deepEqual(parseDatetime('2021-05-01T10:00:00 02:00'), { start: '2021-05-01T10:00:00+02:00', end: '2021-05-01T10:00:00+02:00' }, "'+' decoded as space");
    assert.deepEqual(parseDatetime('../2021-05-01T00:00:00Z'), { start: null, end: '2021-05-01T00:00:00Z' });
    assert.deepEqual(parseDatetime('2021-05-01T00:00:00Z/'), { start: '2021-05-01T00:00:00Z', end: null });
    for (const bad of ['2021-02-30T00:00:00Z', '2021-05-01', '2021-05-01T10:00:00', '../..', '/', 'a/b', '2022-01-01T00:00:00Z/2021-01-01T00:00:00Z', 5]) {
      throwsParam(() => parseDatetime(bad), 'datetime');
    }
  });

  test('lists, sortby and fields in both forms', () => {
    assert.deepEqual(parseStringList('a,b,a', 'ids'), ['a', 'b']);
    throwsParam(() => parseStringList('a,,b', 'ids'), 'ids');
    assert.deepEqual(parseSortby('-datetime, id,+eo:cloud_cover'), [
      { field: 'datetime', direction: 'desc' },
      { field: 'id', direction: 'asc' },
      { field: 'eo:cloud_cover', direction: 'asc' },
    ]);
    assert.deepEqual(parseSortby([{ field: 'id' }]), [{ field: 'id', direction: 'asc' }]);
    throwsParam(() => parseSortby('--id'), 'sortby');
    assert.deepEqual(parseFields('id,-geometry, properties.gsd'), { include: ['id', 'properties.gsd'], exclude: ['geometry'] });
    assert.deepEqual(parseFields({ include: ['a'], exclude: null }), { include: ['a'], exclude: [] });
    throwsParam(() => parseFields({ include: 'a' }), 'fields');
  });

  test('GET and POST forms give the same request', () => {
    const g = searchFromQuery({ collections: 's2,l8', bbox: '1,2,3,4', datetime: '2021-01-01T00:00:00Z/..', limit: '5', sortby: '-id', filter: "platform = 'x'" });
    const p = searchFromBody({ collections: ['s2', 'l8'], bbox: [1, 2, 3, 4], datetime: '2021-01-01T00:00:00Z/..', limit: 5, sortby: [{ field: 'id', direction: 'desc' }], filter: { op: '=', args: [{ property: 'platform' }, 'x'] } });
    assert.deepEqual(g, p);
    throwsParam(() => searchFromQuery({ bogus: '1' }), 'bogus');
    throwsParam(() => searchFromQuery({ collections: 'a' }, { refuse: ['collections'] }), 'collections');
    assert.deepEqual(searchFromQuery({}, { collection: 'c' }).collections, ['c']);
  });

  test('intersects becomes an exact-refined S_INTERSECTS; SQL stays parameterised', () => {
    const r = searchFromBody({ intersects: { type: 'Point', coordinates: [1, 2] }, query: { platform: { eq: "x'; DROP TABLE items; --" } } });
    const { query, exact } = toItemQuery(r);
    assert.equal(exact, false);
    assert.ok(query.postFilter);
    assert.ok(!query.where!.sql.includes('DROP'), query.where!.sql);
    assert.ok(query.where!.params.includes("x'; DROP TABLE items; --"));
  });

  test('query extension -> CQL2 with LIKE wildcards escaped', () => {
    assert.equal(
      cql2ToText(queryToCql2({ 'eo:cloud_cover': { lt: 10, gte: 1 }, platform: { startsWith: 'a_%b' }, id: { in: ['x', 'y'] } })),
      "eo:cloud_cover < 10 AND eo:cloud_cover >= 1 AND platform LIKE 'a\\_\\%b%' AND id IN ('x', 'y')",
    );
    throwsParam(() => queryToCql2({ platform: { lt: null } }), 'query');
    throwsParam(() => queryToCql2([]), 'query');
  });

  test('fields: defaults, include, exclude on dotted paths; the item is not modified', () => {
    const item: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'c', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z', gsd: 10, 'eo:cloud_cover': 5 }, links: [], assets: { data: { href: 'x' }, thumb: { href: 'y' } },
    };
    const copy = structuredClone(item);
    assert.deepEqual(applyFields(item, undefined), item);
    assert.deepEqual(applyFields(item, { include: ['gsd'], exclude: ['assets.thumb', 'links'] }), {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'c', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z', gsd: 10 }, assets: { data: { href: 'x' } },
    });
    assert.deepEqual(applyFields(item, { include: ['properties'], exclude: ['properties.datetime'] }).properties, { gsd: 10, 'eo:cloud_cover': 5 });
    assert.deepEqual(item, copy);
  });

  test('queryables: whitelist resolver and JSON Schema', () => {
    assert.equal(QUERYABLE_COLUMNS.resolve('properties.eo:cloud_cover')?.sql, 'cloud_cover');
    assert.equal(QUERYABLE_COLUMNS.resolve('nope'), null);
    const s = queryablesSchema('http://x') as { properties: Record<string, unknown>; additionalProperties: boolean };
    assert.equal(s.additionalProperties, false);
    assert.ok(s.properties['eo:cloud_cover']);
  });

  test('aggregation parameters and calendar intervals (UTC, ISO weeks)', () => {
    assert.deepEqual(parseAggregateParams('total_count,total_count', 'year'), { aggregations: ['total_count'], interval: 'year' });
    throwsParam(() => parseAggregateParams(['x'], undefined), 'aggregations');
    const t = Date.UTC(2024, 1, 29, 23, 59); // Thursday 29 Feb 2024
    assert.equal(intervalStart(t, 'day'), '2024-02-29T00:00:00Z');
    assert.equal(intervalStart(t, 'week'), '2024-02-26T00:00:00Z');
    assert.equal(intervalStart(t, 'month'), '2024-02-01T00:00:00Z');
    assert.equal(intervalStart(t, 'year'), '2024-01-01T00:00:00Z');
    assert.equal(intervalStart(Date.UTC(2024, 2, 3), 'week'), '2024-02-26T00:00:00Z', 'Sunday belongs to the week of the Monday before');
  });
});
