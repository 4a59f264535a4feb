/**
 * The Aggregation extension (stac-api-extensions/aggregation v0.3.0): counts over the items a search would
 * match, without the items. Aggregations offered:
 *   total_count            integer      number of matching items
 *   datetime_min / _max    datetime     earliest / latest item start time
 *   datetime_frequency     histogram of acquisitions per calendar interval (UTC; `interval` day, week (ISO,
 *                          Monday), month or year; default month), buckets keyed by the interval start
 *   cloud_cover_frequency  histogram of eo:cloud_cover in 10 % buckets [0,10) ... [90,100]; items without a
 *                          cloud cover are counted in `overflow`
 *   collection_frequency   items per collection
 *
 * Requests that SQL decides exactly are aggregated in SQL (src/store: countItems, datetimeHistogram). Requests
 * refined in JS (bbox, intersects, spatial filters) are aggregated exactly over the refined items when at most
 * EXACT_AGGREGATE_MAX candidates match; beyond that the SQL (bounding-box level) counts are returned and the
 * collection carries `"exact": false`.
 */
import type { StacItem } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { countItems, datetimeHistogram, searchItems, type ItemQuery } from '../store/search.ts';
import { bad } from './params.ts';
import { checkCollections, toItemQuery, type SearchRequest } from './search.ts';

export const AGGREGATIONS = {
  total_count: 'integer',
  datetime_min: 'datetime',
  datetime_max: 'datetime',
  datetime_frequency: 'frequency_distribution',
  cloud_cover_frequency: 'frequency_distribution',
  collection_frequency: 'frequency_distribution',
} as const;
export type AggregationName = keyof typeof AGGREGATIONS;
export const AGGREGATION_NAMES = Object.keys(AGGREGATIONS) as AggregationName[];

export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

/** Candidates up to which a JS-refined request is aggregated exactly. */
export const EXACT_AGGREGATE_MAX = 20_000;

export interface Bucket {
  key: string;
  data_type: string;
  frequency: number;
  from?: number | string;
  to?: number | string;
}

export interface Aggregation {
  name: AggregationName;
  data_type: string;
  value?: number | string | null;
  buckets?: Bucket[];
  overflow?: number;
}

export interface AggregateRequest {
  search: SearchRequest;
  aggregations: AggregationName[];
  interval: Interval;
}

/** `aggregations` (list, default all) and `datetime_frequency_interval` (default month). */
export function parseAggregateParams(aggregations: unknown, interval: unknown): { aggregations: AggregationName[]; interval: Interval } {
  let names: AggregationName[] = AGGREGATION_NAMES;
  if (aggregations !== undefined && aggregations !== null && aggregations !== '') {
    const list = typeof aggregations === 'string' ? aggregations.split(',') : aggregations;
    if (!Array.isArray(list) || list.length === 0) throw bad('aggregations', 'expected a comma-separated list (GET) or an array (POST)');
    names = [];
    for (const n of list) {
      if (typeof n !== 'string' || !Object.hasOwn(AGGREGATIONS, n)) {
        throw bad('aggregations', `unknown aggregation ${JSON.stringify(n)?.slice(0, 80)} (available: ${AGGREGATION_NAMES.join(', ')})`);
      }
      if (!names.includes(n as AggregationName)) names.push(n as AggregationName);
    }
  }
  let iv: Interval = 'month';
  if (interval !== undefined && interval !== null && interval !== '') {
    if (typeof interval !== 'string' || !(INTERVALS as readonly string[]).includes(interval)) {
      throw bad('datetime_frequency_interval', `expected one of ${INTERVALS.join(', ')}, got ${JSON.stringify(interval)?.slice(0, 80)}`);
    }
    iv = interval as Interval;
  }
  return { aggregations: names, interval: iv };
}

/** Start of the UTC calendar interval holding `ms`, as RFC 3339 (weeks start on Monday). */
export function intervalStart(ms: number, interval: Interval): string {
  const d = new Date(ms);
  let t: number;
  if (interval === 'year') t = Date.UTC(d.getUTCFullYear(), 0, 1);
  else if (interval === 'month') t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  else {
    t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    if (interval === 'week') t -= ((d.getUTCDay() + 6) % 7) * 86_400_000;
  }
  return new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

const CLOUD_EDGES = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

function cloudBuckets(counts: number[]): Bucket[] {
  return counts.map((n, i) => ({ key: `${CLOUD_EDGES[i]}-${CLOUD_EDGES[i + 1]}`, data_type: 'numeric', frequency: n, from: CLOUD_EDGES[i]!, to: CLOUD_EDGES[i + 1]! }));
}

/** Cloud-cover bucket of a percentage (100 falls in the last), or -1 outside [0, 100]. */
function cloudIndex(cc: number): number {
  if (!(cc >= 0 && cc <= 100)) return -1;
  return Math.min(9, Math.floor(cc / 10));
}

/** Start time of an item (start_datetime of a period item), epoch ms. */
function startMs(item: StacItem): number {
  const p = item.properties;
  return Date.parse(String(p.start_datetime ?? p.datetime));
}

function aggregateItems(items: StacItem[], req: AggregateRequest): Aggregation[] {
  const out: Aggregation[] = [];
  const times = items.map(startMs);
  for (const name of req.aggregations) {
    switch (name) {
      case 'total_count':
        out.push({ name, data_type: 'integer', value: items.length });
        break;
      case 'datetime_min':
      case 'datetime_max': {
        const v = times.length === 0 ? null : name === 'datetime_min' ? Math.min(...times) : Math.max(...times);
        out.push({ name, data_type: 'datetime', value: v === null ? null : new Date(v).toISOString() });
        break;
      }
      case 'datetime_frequency': {
        const m = new Map<string, number>();
        for (const t of times) {
          const k = intervalStart(t, req.interval);
          m.set(k, (m.get(k) ?? 0) + 1);
        }
        const buckets = [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, frequency]) => ({ key, data_type: `interval_${req.interval}`, frequency }));
        out.push({ name, data_type: 'frequency_distribution', buckets });
        break;
      }
      case 'cloud_cover_frequency': {
        const counts = new Array<number>(10).fill(0);
        let overflow = 0;
        for (const it of items) {
          const cc = it.properties['eo:cloud_cover'];
          const i = typeof cc === 'number' ? cloudIndex(cc) : -1;
          if (i < 0) overflow++;
          else counts[i]!++;
        }
        out.push({ name, data_type: 'frequency_distribution', buckets: cloudBuckets(counts), overflow });
        break;
      }
      case 'collection_frequency': {
        const m = new Map<string, number>();
        for (const it of items) m.set(it.collection ?? '', (m.get(it.collection ?? '') ?? 0) + 1);
        const buckets = [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, frequency]) => ({ key, data_type: 'string', frequency }));
        out.push({ name, data_type: 'frequency_distribution', buckets });
        break;
      }
    }
  }
  return out;
}

/** `q` with an extra SQL condition ANDed to its where (placeholders `$k` numbered after the existing ones). */
function withCondition(q: ItemQuery, sql: (p: (v: unknown) => string) => string): ItemQuery {
  const params = [...(q.where?.params ?? [])];
  const add = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const cond = sql(add);
  return { ...q, where: { sql: q.where ? `(${q.where.sql}) AND ${cond}` : cond, params } };
}

async function aggregateSql(db: Db, q: ItemQuery, req: AggregateRequest, total: number): Promise<Aggregation[]> {
  const out: Aggregation[] = [];
  for (const name of req.aggregations) {
    switch (name) {
      case 'total_count':
        out.push({ name, data_type: 'integer', value: total });
        break;
      case 'datetime_min':
      case 'datetime_max': {
        const page = await searchItems(db, { ...q, postFilter: undefined, limit: 1, sortby: [{ field: 'datetime', direction: name === 'datetime_min' ? 'asc' : 'desc' }] });
        const it = page.items[0];
        out.push({ name, data_type: 'datetime', value: it ? new Date(startMs(it)).toISOString() : null });
        break;
      }
      case 'datetime_frequency': {
        const h = await datetimeHistogram(db, q, req.interval);
        out.push({ name, data_type: 'frequency_distribution', buckets: h.map((b) => ({ key: b.key, data_type: `interval_${req.interval}`, frequency: b.count })) });
        break;
      }
      case 'cloud_cover_frequency': {
        const counts: number[] = [];
        for (let i = 0; i < 10; i++) {
          const lo = CLOUD_EDGES[i]!;
          const hi = CLOUD_EDGES[i + 1]!;
          counts.push(await countItems(db, withCondition(q, (p) => `cloud_cover >= ${p(lo)}::float8 AND cloud_cover ${i === 9 ? '<=' : '<'} ${p(hi)}::float8`)));
        }
        out.push({ name, data_type: 'frequency_distribution', buckets: cloudBuckets(counts), overflow: total - counts.reduce((a, b) => a + b, 0) });
        break;
      }
      case 'collection_frequency': {
        const { rows } = await db.query<{ id: string }>('SELECT id FROM collections ORDER BY id');
        const wanted = q.collections ? rows.filter((r) => q.collections!.includes(r.id)) : rows;
        const buckets: Bucket[] = [];
        for (const r of wanted) {
          const n = await countItems(db, { ...q, collections: [r.id] });
          if (n > 0) buckets.push({ key: r.id, data_type: 'string', frequency: n });
        }
        out.push({ name, data_type: 'frequency_distribution', buckets });
        break;
      }
    }
  }
  return out;
}

export interface AggregationCollection {
  type: 'AggregationCollection';
  aggregations: Aggregation[];
  /** false when a JS-refined request had too many candidates and bounding-box-level counts were returned. */
  exact?: boolean;
}

/** Computes the requested aggregations over the items the search part of `req` matches. */
export async function aggregate(db: Db, req: AggregateRequest): Promise<AggregationCollection> {
  await checkCollections(db, req.search.collections);
  const { query, exact } = toItemQuery({ ...req.search, token: undefined, sortby: undefined });
  const candidates = await countItems(db, query);
  if (exact) return { type: 'AggregationCollection', aggregations: await aggregateSql(db, query, req, candidates) };
  if (candidates > EXACT_AGGREGATE_MAX) {
    return { type: 'AggregationCollection', aggregations: await aggregateSql(db, { ...query, postFilter: undefined }, req, candidates), exact: false };
  }
  const items: StacItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await searchItems(db, { ...query, limit: 10000, cursor });
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return { type: 'AggregationCollection', aggregations: aggregateItems(items, req) };
}
