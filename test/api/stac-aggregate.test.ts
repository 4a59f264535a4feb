/**
 * Aggregation extension (stac-api-extensions/aggregation): total_count, datetime_frequency (day/week/month/year
 * histograms of acquisitions), cloud_cover_frequency (10 % buckets), collection_frequency, datetime_min/max on
 * the known catalogue of ./stac-fixture.ts, with filters, and the 400s of bad aggregation requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StacItem } from '../../src/core/stac.ts';
import { intervalStart } from '../../src/catalog/aggregate.ts';
import { body, ITEMS, openFixture, S2, startOf, type Fixture } from './stac-fixture.ts';

describe('STAC API aggregation', () => {
  let fx: Fixture;
  before(async () => {
    fx = await openFixture();
  });
  after(async () => fx?.close());
  type Agg = { name: string; value?: number | string; buckets?: { key: string; frequency: number }[]; overflow?: number };
  const aggs = async (url: string, payload?: unknown): Promise<Record<string, Agg>> => {
    const r = await fx.inject(payload ? { method: 'POST', url, payload: payload as Record<string, unknown> } : { method: 'GET', url });
    assert.equal(r.statusCode, 200, r.body);
    const b = body<{ type: string; aggregations: Agg[] }>(r);
    assert.equal(b.type, 'AggregationCollection');
    return Object.fromEntries(b.aggregations.map((a) => [a.name, a]));
  };
  const monthly = (items: StacItem[], interval: 'day' | 'week' | 'month' | 'year'): { key: string; frequency: number }[] => {
    const m = new Map<string, number>();
    for (const it of items) m.set(intervalStart(startOf(it), interval), (m.get(intervalStart(startOf(it), interval)) ?? 0) + 1);
    return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, frequency]) => ({ key, frequency }));
  };
  const strip = (b: { key: string; frequency: number }[] | undefined): { key: string; frequency: number }[] => (b ?? []).map((x) => ({ key: x.key, frequency: x.frequency }));

  test('total_count, datetime and cloud-cover histograms, collections, min/max on the whole catalogue', async () => {
    const a = await aggs('/aggregate');
    assert.equal(a.total_count!.value, ITEMS.length);
    assert.deepEqual(strip(a.datetime_frequency!.buckets), monthly(ITEMS, 'month'));
    const cc = new Array<number>(10).fill(0);
    let none = 0;
    for (const it of ITEMS) {
      const c = it.properties['eo:cloud_cover'];
      if (typeof c === 'number') cc[Math.min(9, Math.floor(c / 10))]!++;
      else none++;
    }
    assert.deepEqual(a.cloud_cover_frequency!.buckets!.map((b) => b.frequency), cc);
    assert.equal(a.cloud_cover_frequency!.buckets![0]!.key, '0-10');
    assert.equal(a.cloud_cover_frequency!.overflow, none);
    assert.deepEqual(strip(a.collection_frequency!.buckets), [{ key: 'l8', frequency: 4 }, { key: 's2', frequency: 38 }]);
    assert.equal(a.datetime_min!.value, new Date(Math.min(...ITEMS.map(startOf))).toISOString());
    assert.equal(a.datetime_max!.value, new Date(Math.max(...ITEMS.map(startOf))).toISOString());
  });

  test('filters apply: per collection, datetime interval, query, and bbox refined exactly', async () => {
    const a = await aggs('/collections/s2/aggregate?aggregations=total_count,datetime_frequency&datetime_frequency_interval=week&datetime=2021-01-01T00:00:00Z/2021-03-31T00:00:00Z');
    const sel = S2.filter((i) => startOf(i) <= Date.parse('2021-03-31T00:00:00Z'));
    assert.equal(a.total_count!.value, sel.length);
    assert.equal(Object.keys(a).length, 2);
    assert.deepEqual(strip(a.datetime_frequency!.buckets), monthly(sel, 'week'));
    assert.equal(a.datetime_frequency!.buckets![0]!.key, '2021-01-04T00:00:00Z', 'ISO weeks start on Monday');
    const q = await aggs('/aggregate', { aggregations: ['total_count', 'cloud_cover_frequency'], query: { 'eo:cloud_cover': { lt: 30 } }, collections: ['s2'] });
    const qs = ITEMS.filter((i) => i.collection === 's2' && (i.properties['eo:cloud_cover'] as number) < 30);
    assert.equal(q.total_count!.value, qs.length);
    assert.deepEqual(q.cloud_cover_frequency!.buckets!.map((b) => b.frequency), [4, 4, 3, 0, 0, 0, 0, 0, 0, 0]);
    // bbox whose box meets the triangle but not its shape: counted exactly.
    const b = await aggs('/aggregate?bbox=0.6,44.6,1,45&aggregations=total_count');
    assert.equal(b.total_count!.value, 0);
    const y = await aggs('/aggregate?aggregations=datetime_frequency&datetime_frequency_interval=year');
    assert.deepEqual(strip(y.datetime_frequency!.buckets), monthly(ITEMS, 'year'));
  });

  test('/aggregations lists the names; bad aggregation requests are 400', async () => {
    const r = body<{ aggregations: { name: string }[] }>(await fx.inject({ method: 'GET', url: '/aggregations' }));
    assert.deepEqual(r.aggregations.map((a) => a.name).sort(), ['cloud_cover_frequency', 'collection_frequency', 'datetime_frequency', 'datetime_max', 'datetime_min', 'total_count']);
    assert.equal((await fx.inject({ method: 'GET', url: '/collections/s2/aggregations' })).statusCode, 200);
    for (const [url, param] of [
      ['/aggregate?aggregations=nope', 'aggregations'],
      ['/aggregate?datetime_frequency_interval=hour', 'datetime_frequency_interval'],
      ['/aggregate?limit=5', 'limit'],
      ['/collections/s2/aggregate?collections=l8', 'collections'],
    ] as const) {
      const res = await fx.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url);
      assert.equal(body<{ parameter: string }>(res).parameter, param, url);
    }
    assert.equal((await fx.inject({ method: 'GET', url: '/collections/nope/aggregate' })).statusCode, 404);
  });
});
