/**
 * Item search over the items table: filters (collections, ids, bbox, datetime, extra SQL from CQL2), sorting
 * on whitelisted fields, and keyset pagination with an opaque base64url cursor carrying the sort key values of
 * the last item returned (no OFFSET: page N costs as much as page 1). Bbox filters run in SQL on the indexed
 * `box` column and then exactly on the item geometry in JS (./geometry.ts).
 */
import { invalidInput } from '../core/errors.ts';
import type { StacItem } from '../core/stac.ts';
import type { Db } from './db.ts';
import type { Box2 } from './geometry.ts';
import { geometryIntersectsBox } from './geometry.ts';

export interface ItemQuery {
  collections?: string[];
  ids?: string[];
  /** [minx, miny, maxx, maxy] in degrees; minx > maxx crosses the antimeridian (searched as two boxes). */
  bbox?: [number, number, number, number];
  /** Closed interval; null = open end. An instant is start === end. Matches items whose period overlaps it. */
  datetime?: { start: string | null; end: string | null };
  /**
   * Extra SQL condition (from CQL2) on the items columns (collection, id, datetime, end_datetime, minx..maxy,
   * bbox, geometry, properties, cloud_cover, platform, updated_at). Its placeholders are numbered $1..$k for its
   * own `params`; searchItems renumbers them. Values must be parameters, never literals.
   */
  where?: { sql: string; params: unknown[] };
  /** Exact test applied in JS after SQL (e.g. CQL2 s_intersects); paging stays exact. */
  postFilter?: (item: StacItem) => boolean;
  /** Fields of SORT_FIELDS; default datetime desc. Ties are broken by collection then id. */
  sortby?: { field: string; direction: 'asc' | 'desc' }[];
  limit: number;
  /** `next` of the previous page. */
  cursor?: string;
  /** Also count the items matching the SQL filters (bbox level: before the exact geometry test). */
  count?: boolean;
}

export interface SortField {
  /** Column of the items table. */
  sql: string;
  type: 'timestamptz' | 'text' | 'float8';
  nullable: boolean;
}

const DATETIME: SortField = { sql: 'datetime', type: 'timestamptz', nullable: false };
/** Sortable fields (STAC sort extension names; a "properties." prefix is accepted too). */
export const SORT_FIELDS: Readonly<Record<string, SortField>> = {
  datetime: DATETIME,
  start_datetime: DATETIME,
  end_datetime: { sql: 'end_datetime', type: 'timestamptz', nullable: false },
  id: { sql: 'id', type: 'text', nullable: false },
  collection: { sql: 'collection', type: 'text', nullable: false },
  'eo:cloud_cover': { sql: 'cloud_cover', type: 'float8', nullable: true },
  platform: { sql: 'platform', type: 'text', nullable: true },
  updated: { sql: 'updated_at', type: 'timestamptz', nullable: false },
};

export const MAX_LIMIT = 10000;

interface Key {
  f: SortField;
  desc: boolean;
}

class Params {
  readonly values: unknown[] = [];
  add(v: unknown, cast?: string): string {
    this.values.push(v);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

function checkTime(what: string, v: string): void {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
    throw invalidInput(`${what}: expected an RFC 3339 date-time, got ${JSON.stringify(v)}`);
  }
}

/** The bbox as one or two boxes (split at the antimeridian), validated. */
function searchBoxes(b: readonly number[]): Box2[] {
  if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw invalidInput(`bbox: expected 4 finite numbers [minx, miny, maxx, maxy], got ${JSON.stringify(b)}`);
  }
  const [x1, y1, x2, y2] = b as [number, number, number, number];
  if (y1 > y2 || y1 < -90 || y2 > 90 || x1 < -180 || x1 > 180 || x2 < -180 || x2 > 180) {
    throw invalidInput(`bbox: expected -180 <= x <= 180, -90 <= miny <= maxy <= 90, got [${b.join(', ')}]`);
  }
  return x1 <= x2 ? [[x1, y1, x2, y2]] : [[x1, y1, 180, y2], [-180, y1, x2, y2]];
}

interface Filters {
  /** Conditions other than the bbox. */
  base: string[];
  /** The bbox condition on the GiST-indexed `box` column, or null. */
  box: string | null;
  /** With timeAsRange: the time filter as `period && tstzrange(...)` (GiST), or null. */
  period: string | null;
}

/**
 * SQL conditions for the filters of a query (no cursor). The time filter is written on the B-tree columns
 * (`datetime <= end AND end_datetime >= start`) or, with `timeAsRange`, as the equivalent `period && range`
 * that the GiST (bbox, period) index serves.
 */
function filterSql(
  q: Omit<ItemQuery, 'limit' | 'cursor' | 'sortby'>,
  p: Params,
  boxes: Box2[],
  timeAsRange = false,
  maxItemSeconds?: number,
): Filters {
  const conds: string[] = [];
  const cols = q.collections ?? [];
  if (cols.length === 1) conds.push(`collection = ${p.add(cols[0])}`);
  else if (cols.length > 1) conds.push(`collection = ANY(${p.add(cols, 'text[]')})`);
  const ids = q.ids ?? [];
  if (ids.length === 1) conds.push(`id = ${p.add(ids[0])}`);
  else if (ids.length > 1) conds.push(`id = ANY(${p.add(ids, 'text[]')})`);
  let box: string | null = null;
  let period: string | null = null;
  if (boxes.length > 0) {
    const parts = boxes.map(
      (b) => `bbox && box(point(${p.add(b[0], 'float8')}, ${p.add(b[1], 'float8')}), point(${p.add(b[2], 'float8')}, ${p.add(b[3], 'float8')}))`,
    );
    box = parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }
  if (q.datetime) {
    const { start, end } = q.datetime;
    if (start !== null) checkTime('datetime start', start);
    if (end !== null) checkTime('datetime end', end);
    if (start !== null && end !== null && Date.parse(start) > Date.parse(end)) {
      throw invalidInput(`datetime: start ${start} is after end ${end}`);
    }
    if (timeAsRange && (start !== null || end !== null)) {
      period = `period && tstzrange(${p.add(start, 'timestamptz')}, ${p.add(end, 'timestamptz')}, '[]')`;
    } else {
      if (end !== null) conds.push(`datetime <= ${p.add(end, 'timestamptz')}`);
      if (start !== null) {
        const s = p.add(start, 'timestamptz');
        conds.push(`end_datetime >= ${s}`);
        // Redundant lower bound for the B-tree on datetime (see collections.max_item_seconds).
        if (maxItemSeconds !== undefined) conds.push(`datetime >= ${s} - ${p.add(maxItemSeconds, 'float8')} * interval '1 second'`);
      }
    }
  }
  if (q.where) {
    const offset = p.values.length;
    const n = q.where.params.length;
    const sql = q.where.sql.replace(/\$(\d+)\b/g, (_m, d: string) => {
      const i = Number(d);
      if (i < 1 || i > n) throw invalidInput(`where: placeholder $${i} has no parameter (${n} given)`);
      return `$${i + offset}`;
    });
    p.values.push(...q.where.params);
    conds.push(`(${sql})`);
  }
  return { base: conds, box, period };
}

/** Longest item period (s) among the collections searched, for the B-tree lower time bound; undefined if unused. */
async function maxItemSeconds(db: Db, q: Omit<ItemQuery, 'limit' | 'cursor' | 'sortby'>): Promise<number | undefined> {
  if (!q.datetime || q.datetime.start === null) return undefined;
  const cols = q.collections ?? [];
  const { rows } = await db.query<{ s: number }>(
    `SELECT coalesce(max(max_item_seconds), 0)::float8 AS s FROM collections${cols.length > 0 ? ' WHERE id = ANY($1::text[])' : ''}`,
    cols.length > 0 ? [cols] : [],
  );
  return rows[0]?.s ?? 0;
}

const whereSql = (conds: (string | null)[]): string => {
  const c = conds.filter((x): x is string => x !== null);
  return c.length > 0 ? ` WHERE ${c.join(' AND ')}` : '';
};

function sortKeys(sortby: ItemQuery['sortby']): Key[] {
  const keys: Key[] = [];
  for (const s of sortby && sortby.length > 0 ? sortby : [{ field: 'datetime', direction: 'desc' as const }]) {
    const name = s.field.replace(/^[+-]/, '').replace(/^properties\./, '');
    const f = SORT_FIELDS[name];
    if (!f) throw invalidInput(`sortby: cannot sort on ${JSON.stringify(s.field)}; sortable fields: ${Object.keys(SORT_FIELDS).join(', ')}`);
    if (s.direction !== 'asc' && s.direction !== 'desc') throw invalidInput(`sortby ${s.field}: direction must be asc or desc`);
    if (!keys.some((k) => k.f.sql === f.sql)) keys.push({ f, desc: s.direction === 'desc' });
  }
  // Unique tie-breakers (the primary key) in the first key's direction, so one index scan can serve the order.
  const desc = keys[0]!.desc;
  for (const f of [SORT_FIELDS.collection!, SORT_FIELDS.id!]) if (!keys.some((k) => k.f.sql === f.sql)) keys.push({ f, desc });
  return keys;
}

const signature = (keys: Key[]): string => keys.map((k) => `${k.f.sql}:${k.desc ? 'd' : 'a'}`).join(',');

export function encodeCursor(keys: Key[], values: (string | null)[]): string {
  return Buffer.from(JSON.stringify({ s: signature(keys), v: values })).toString('base64url');
}

function decodeCursor(keys: Key[], cursor: string): (string | null)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const o = parsed as { s?: unknown; v?: unknown } | null;
  const v: unknown[] | null = o && typeof o === 'object' && Array.isArray(o.v) ? (o.v as unknown[]) : null;
  if (v !== null && o!.s !== signature(keys)) {
    throw invalidInput('cursor: it was made for a different sortby; restart from the first page');
  }
  const ok =
    v !== null &&
    v.length === keys.length &&
    v.every((x, i) => typeof x === 'string' || (x === null && keys[i]!.f.nullable));
  if (!ok) throw invalidInput('cursor: not a paging token from this API (use the "next" link of the previous page)');
  return v as (string | null)[];
}

/** Rows strictly after `v` in the order of `keys` (NULLS LAST in both directions). */
function afterSql(keys: Key[], v: (string | null)[], p: Params): string {
  const uniform = keys.every((k) => !k.f.nullable && k.desc === keys[0]!.desc);
  if (uniform) {
    const op = keys[0]!.desc ? '<' : '>';
    const vals = keys.map((k, i) => p.add(v[i], k.f.type));
    // The redundant bound on the first key lets a B-tree on it start at the cursor.
    return `(${keys.map((k) => k.f.sql).join(', ')}) ${op} (${vals.join(', ')}) AND ${keys[0]!.f.sql} ${op}= ${vals[0]}`;
  }
  const terms: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      const k = keys[j]!;
      parts.push(v[j] === null ? `${k.f.sql} IS NULL` : `${k.f.sql} = ${p.add(v[j], k.f.type)}`);
    }
    const k = keys[i]!;
    if (v[i] === null) continue; // nothing sorts after NULL (NULLS LAST)
    const cmp = `${k.f.sql} ${k.desc ? '<' : '>'} ${p.add(v[i], k.f.type)}`;
    parts.push(k.f.nullable ? `(${cmp} OR ${k.f.sql} IS NULL)` : cmp);
    terms.push(`(${parts.join(' AND ')})`);
  }
  return terms.length > 0 ? `(${terms.join(' OR ')})` : 'false';
}

function orderSql(keys: Key[]): string {
  return keys.map((k) => `${k.f.sql} ${k.desc ? 'DESC' : 'ASC'}${k.f.nullable ? ' NULLS LAST' : ''}`).join(', ');
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalidInput(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  }
}

interface Row {
  content: StacItem;
  [k: string]: unknown;
}

/**
 * Rows the B-tree-ordered first try of a bbox search examines (fixed + per row wanted) before it hands over to
 * the GiST index. Mutable for tests that force the GiST path.
 */
export const searchTuning = { orderedScanRows: 1000, orderedScanRowsPerRow: 4 };

/**
 * Up to `batch` rows after `after`, in sort order. With a bbox, the planner cannot estimate `box &&` (PostgreSQL
 * assumes a constant 0.5 %), so the plan is chosen here: first walk the sort order (B-tree) through at most
 * ORDERED_SCAN_ROWS rows of the other filters and keep those in the box (fast when the box is large, or the
 * time window short); when that window was too small to fill the batch, ask the GiST (bbox, period) index,
 * which is fast exactly when box matches are rare. `exhausted` tells that no row follows the batch.
 */
async function fetchBatch(
  db: Db,
  q: ItemQuery,
  keys: Key[],
  boxes: Box2[],
  after: (string | null)[] | null,
  batch: number,
  maxSec: number | undefined,
): Promise<{ rows: Row[]; exhausted: boolean }> {
  const keyCols = keys.map((k, i) => `${k.f.sql}::text AS k${i}`).join(', ');
  const order = orderSql(keys);
  if (boxes.length > 0) {
    const cap = Math.max(1, searchTuning.orderedScanRows + searchTuning.orderedScanRowsPerRow * batch);
    const p = new Params();
    const f = filterSql(q, p, boxes, false, maxSec);
    const conds = [...f.base, after ? afterSql(keys, after, p) : null];
    // No ORDER BY outside: a subquery scan keeps the inner order, and a sort there would read all `cap` rows.
    const sql =
      `SELECT content, ${keys.map((_k, i) => `k${i}`).join(', ')}, hit, rn FROM (` +
      `SELECT content, ${keyCols}, ${f.box} AS hit, row_number() OVER (ORDER BY ${order}) AS rn FROM items` +
      `${whereSql(conds)} ORDER BY ${order} LIMIT ${cap}) s WHERE hit OR rn = ${cap} LIMIT ${batch + 1}`;
    const { rows } = await db.query<Row & { hit: boolean | null; rn: number | string }>(sql, p.values);
    rows.sort((a, b) => Number(a.rn) - Number(b.rn));
    const hits = rows.filter((r) => r.hit === true);
    if (hits.length >= batch) return { rows: hits.slice(0, batch), exhausted: false };
    if (!rows.some((r) => Number(r.rn) === cap)) return { rows: hits, exhausted: true };
    // Box matches are rare: take them from the GiST index first. The OFFSET 0 fence keeps the planner from
    // ANDing that bitmap with another index (it believes every box test matches 0.5 % of the table).
    const p2 = new Params();
    const f2 = filterSql(q, p2, boxes, true, maxSec);
    const rest = [...f2.base, after ? afterSql(keys, after, p2) : null];
    const sql2 =
      `SELECT content, ${keyCols} FROM (SELECT * FROM items${whereSql([f2.box, f2.period])} OFFSET 0) m` +
      `${whereSql(rest)} ORDER BY ${order} LIMIT ${batch}`;
    const r2 = await db.query<Row>(sql2, p2.values);
    return { rows: r2.rows, exhausted: r2.rows.length < batch };
  }
  const p = new Params();
  const f = filterSql(q, p, boxes, false, maxSec);
  const conds = [...f.base, after ? afterSql(keys, after, p) : null];
  const sql = `SELECT content, ${keyCols} FROM items${whereSql(conds)} ORDER BY ${order} LIMIT ${batch}`;
  const { rows } = await db.query<Row>(sql, p.values);
  return { rows, exhausted: rows.length < batch };
}

/** One page of items and the cursor of the next page (null on the last page). */
export async function searchItems(
  db: Db,
  q: ItemQuery,
): Promise<{ items: StacItem[]; next: string | null; matched?: number }> {
  checkLimit(q.limit);
  const keys = sortKeys(q.sortby);
  const boxes = q.bbox ? searchBoxes(q.bbox) : [];
  let after = q.cursor !== undefined && q.cursor !== '' ? decodeCursor(keys, q.cursor) : null;
  const exact = (item: StacItem): boolean =>
    (boxes.length === 0 || boxes.some((b) => geometryIntersectsBox(item.geometry, b))) && (!q.postFilter || q.postFilter(item));
  const filtered = boxes.length > 0 || q.postFilter !== undefined;

  const maxSec = await maxItemSeconds(db, q);
  const items: StacItem[] = [];
  let lastKeys: (string | null)[] | null = null;
  let more = false;
  while (true) {
    const want = q.limit + 1 - items.length;
    const batch = filtered ? Math.max(want, 32) : want;
    const { rows, exhausted } = await fetchBatch(db, q, keys, boxes, after, batch, maxSec);
    for (const r of rows) {
      const rowKeys = keys.map((_k, i) => (r[`k${i}`] as string | null | undefined) ?? null);
      after = rowKeys;
      if (filtered && !exact(r.content)) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(r.content);
      lastKeys = rowKeys;
    }
    if (more || exhausted) break;
  }
  const out: { items: StacItem[]; next: string | null; matched?: number } = {
    items,
    next: more && lastKeys ? encodeCursor(keys, lastKeys) : null,
  };
  if (q.count) out.matched = await countItems(db, q);
  return out;
}

/** Number of items matching the SQL filters of `q` (bbox-level, before exact geometry tests). */
export async function countItems(db: Db, q: Omit<ItemQuery, 'limit' | 'cursor' | 'sortby'>): Promise<number> {
  const maxSec = await maxItemSeconds(db, q);
  const p = new Params();
  const f = filterSql(q, p, q.bbox ? searchBoxes(q.bbox) : [], false, maxSec);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items${whereSql([...f.base, f.box])}`, p.values);
  return rows[0]?.n ?? 0;
}

const INTERVALS = ['day', 'week', 'month', 'year'] as const;

/**
 * Item counts per calendar interval (UTC; weeks start on Monday, ISO 8601) of the item start time, for the
 * items matching the SQL filters of `q`. Keys are RFC 3339 bucket starts ("2024-05-01T00:00:00Z"), ascending;
 * empty buckets are left out.
 */
export async function datetimeHistogram(
  db: Db,
  q: Omit<ItemQuery, 'limit' | 'cursor' | 'sortby'>,
  interval: 'day' | 'week' | 'month' | 'year',
): Promise<{ key: string; count: number }[]> {
  if (!INTERVALS.includes(interval)) throw invalidInput(`interval: expected one of ${INTERVALS.join(', ')}, got ${JSON.stringify(interval)}`);
  const p = new Params();
  const unit = p.add(interval, 'text');
  const f = filterSql(q, p, q.bbox ? searchBoxes(q.bbox) : [], false, await maxItemSeconds(db, q));
  const { rows } = await db.query<{ k: string; n: number }>(
    `SELECT to_char(date_trunc(${unit}, datetime, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS k,
            count(*)::int AS n
     FROM items${whereSql([...f.base, f.box])} GROUP BY 1 ORDER BY 1`,
    p.values,
  );
  return rows.map((r) => ({ key: r.k, count: r.n }));
}
