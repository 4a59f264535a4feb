/**
 * The catalogue's storage: STAC collections and items in the tables of migrations/0001_stac.sql. The search API
 * (catalog/) builds on these functions; searchItems and datetimeHistogram live in ./search.ts.
 *
 * Item time: the `datetime` column is the start of the item's period (properties.start_datetime when given,
 * else properties.datetime) and `end_datetime` its end (properties.end_datetime, else the same instant), so
 * a time filter is the closed-interval overlap `datetime <= end AND end_datetime >= start` (STAC API).
 */
import { GepError, invalidInput } from '../core/errors.ts';
import type { StacCollection, StacItem } from '../core/stac.ts';
import type { Db } from './db.ts';
import { geometryBbox } from './geometry.ts';

export { searchItems, datetimeHistogram, SORT_FIELDS } from './search.ts';
export type { ItemQuery, SortField } from './search.ts';

/** Items per INSERT statement (one JSON parameter each). */
export const UPSERT_BATCH = 500;
/**
 * PGlite runs no autovacuum, so nothing refreshes the planner statistics: upsertItems runs ANALYZE itself once
 * this many rows changed since the last one (on PostgreSQL autovacuum does it).
 */
export const PGLITE_ANALYZE_ROWS = 5000;
const changedSinceAnalyze = new WeakMap<Db, number>();
/** Longest collection or item id accepted, in characters. */
export const MAX_ID_LENGTH = 1024;

function checkId(what: string, id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || id.includes('\u0000')) {
    throw invalidInput(`${what}: expected a non-empty string of at most ${MAX_ID_LENGTH} characters without NUL, got ${JSON.stringify(id)}`);
  }
  return id;
}

/** Validates an RFC 3339 timestamp string; returns it unchanged (PostgreSQL keeps its microseconds). */
function checkTime(what: string, v: unknown): string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v) || Number.isNaN(Date.parse(v))) {
    throw invalidInput(`${what}: expected an RFC 3339 date-time with time zone (e.g. 2024-05-01T10:20:30Z), got ${JSON.stringify(v)}`);
  }
  return v;
}

export async function upsertCollection(db: Db, c: StacCollection): Promise<void> {
  if (typeof c !== 'object' || c === null || c.type !== 'Collection') {
    throw invalidInput('collection: expected a STAC Collection object with type "Collection"');
  }
  const id = checkId('collection id', c.id);
  await db.query(
    `INSERT INTO collections (id, content) VALUES ($1, $2::jsonb)
     ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, updated_at = now()`,
    [id, JSON.stringify(c)],
  );
}

export async function getCollection(db: Db, id: string): Promise<StacCollection | null> {
  const { rows } = await db.query<{ content: StacCollection }>('SELECT content FROM collections WHERE id = $1', [id]);
  return rows[0]?.content ?? null;
}

/** All collections, by id. */
export async function listCollections(db: Db): Promise<StacCollection[]> {
  const { rows } = await db.query<{ content: StacCollection }>('SELECT content FROM collections ORDER BY id');
  return rows.map((r) => r.content);
}

/** Deletes a collection and all its items; false when it did not exist. */
export async function deleteCollection(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM collections WHERE id = $1', [id])).rowCount > 0;
}

/** One items row as sent to PostgreSQL (column names of the items table). */
interface ItemRow {
  collection: string;
  id: string;
  datetime: string;
  end_datetime: string;
  minx: number | null;
  miny: number | null;
  maxx: number | null;
  maxy: number | null;
  geometry: unknown;
  properties: unknown;
  content: unknown;
  cloud_cover: number | null;
  platform: string | null;
}

/** Checks an item and derives its indexed columns. */
export function itemRow(item: StacItem): ItemRow {
  if (typeof item !== 'object' || item === null || item.type !== 'Feature') {
    throw invalidInput('item: expected a STAC Item object with type "Feature"');
  }
  const id = checkId('item id', item.id);
  const collection = checkId(`item ${id}: collection`, item.collection);
  const p = item.properties;
  if (typeof p !== 'object' || p === null) throw invalidInput(`item ${id}: properties must be an object`);
  const start = p.start_datetime ?? p.datetime;
  if (start === null || start === undefined) {
    throw invalidInput(`item ${id}: properties.datetime is null, so start_datetime and end_datetime are required`);
  }
  const datetime = checkTime(`item ${id}: properties.${p.start_datetime != null ? 'start_datetime' : 'datetime'}`, start);
  const endRaw = p.end_datetime ?? p.datetime ?? start;
  const end = checkTime(`item ${id}: properties.${p.end_datetime != null ? 'end_datetime' : 'datetime'}`, endRaw);
  if (Date.parse(end) < Date.parse(datetime)) {
    throw invalidInput(`item ${id}: end_datetime ${end} is before start ${datetime}`);
  }
  let box: readonly number[] | null = null;
  if (item.bbox !== undefined && item.bbox !== null) {
    const b = item.bbox as readonly unknown[];
    if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6) || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw invalidInput(`item ${id}: bbox must be 4 or 6 finite numbers`);
    }
    const n = b as number[];
    box = n.length === 4 ? n : [n[0]!, n[1]!, n[3]!, n[4]!];
  } else if (item.geometry) {
    box = geometryBbox(item.geometry);
  }
  if (box && (box[1]! > box[3]! || !box.every((v) => Number.isFinite(v)))) {
    throw invalidInput(`item ${id}: bbox [${box.join(', ')}] has miny > maxy`);
  }
  const cc = p['eo:cloud_cover'];
  const platform = p.platform;
  return {
    collection,
    id,
    datetime,
    end_datetime: end,
    minx: box ? box[0]! : null,
    miny: box ? box[1]! : null,
    maxx: box ? box[2]! : null,
    maxy: box ? box[3]! : null,
    geometry: item.geometry ?? null,
    properties: p,
    content: item,
    cloud_cover: typeof cc === 'number' && Number.isFinite(cc) ? cc : null,
    platform: typeof platform === 'string' ? platform : null,
  };
}

const UPSERT_SQL = `
INSERT INTO items AS t (collection, id, datetime, end_datetime, minx, miny, maxx, maxy, geometry, properties,
                        content, cloud_cover, platform, updated_at)
SELECT r.collection, r.id, r.datetime, r.end_datetime, r.minx, r.miny, r.maxx, r.maxy, r.geometry, r.properties,
       r.content, r.cloud_cover, r.platform, now()
FROM jsonb_to_recordset($1::jsonb) AS r(collection text, id text, datetime timestamptz, end_datetime timestamptz,
       minx float8, miny float8, maxx float8, maxy float8, geometry jsonb, properties jsonb, content jsonb,
       cloud_cover float8, platform text)
ON CONFLICT (collection, id) DO UPDATE SET
  datetime = EXCLUDED.datetime, end_datetime = EXCLUDED.end_datetime, minx = EXCLUDED.minx, miny = EXCLUDED.miny,
  maxx = EXCLUDED.maxx, maxy = EXCLUDED.maxy, geometry = EXCLUDED.geometry, properties = EXCLUDED.properties,
  content = EXCLUDED.content, cloud_cover = EXCLUDED.cloud_cover, platform = EXCLUDED.platform, updated_at = now()
RETURNING (xmax::text = '0') AS inserted`;

/**
 * Inserts or replaces items (key: collection + id), UPSERT_BATCH per statement, all in one transaction: either
 * every item is stored or none. Their collections must exist. A later duplicate in `items` wins.
 */
export async function upsertItems(db: Db, items: StacItem[]): Promise<{ inserted: number; updated: number }> {
  const res = await storeItems(db, items);
  if (db.kind === 'pglite') {
    const changed = (changedSinceAnalyze.get(db) ?? 0) + res.inserted + res.updated;
    changedSinceAnalyze.set(db, changed >= PGLITE_ANALYZE_ROWS ? 0 : changed);
    if (changed >= PGLITE_ANALYZE_ROWS) await db.exec('ANALYZE items');
  }
  return res;
}

async function storeItems(db: Db, items: StacItem[]): Promise<{ inserted: number; updated: number }> {
  const byKey = new Map<string, ItemRow>();
  for (const item of items) {
    const row = itemRow(item);
    byKey.set(JSON.stringify([row.collection, row.id]), row);
  }
  const rows = [...byKey.values()];
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  return db.transaction(async (tx) => {
    const wanted = [...new Set(rows.map((r) => r.collection))];
    const found = await tx.query<{ id: string }>('SELECT id FROM collections WHERE id = ANY($1::text[])', [wanted]);
    const have = new Set(found.rows.map((r) => r.id));
    const missing = wanted.find((c) => !have.has(c));
    if (missing !== undefined) {
      const first = rows.find((r) => r.collection === missing)!;
      throw new GepError('GEP_ERR_INVALID_INPUT', `item ${first.id}: collection ${JSON.stringify(missing)} does not exist; create it first`, {
        collection: missing,
      });
    }
    // Longest item period per collection (seconds, +1 ms for the microseconds Date.parse drops).
    const longest = new Map<string, number>();
    for (const r of rows) {
      const sec = (Date.parse(r.end_datetime) - Date.parse(r.datetime) + 1) / 1000;
      if (sec > (longest.get(r.collection) ?? 0.001)) longest.set(r.collection, sec);
    }
    for (const [c, sec] of longest) {
      await tx.query('UPDATE collections SET max_item_seconds = $2 WHERE id = $1 AND max_item_seconds < $2', [c, sec]);
    }
    let inserted = 0;
    let updated = 0;
    for (let i = 0; i < rows.length; i += UPSERT_BATCH) {
      const batch = rows.slice(i, i + UPSERT_BATCH);
      const r = await tx.query<{ inserted: boolean }>(UPSERT_SQL, [JSON.stringify(batch)]);
      for (const x of r.rows) {
        if (x.inserted) inserted++;
        else updated++;
      }
    }
    return { inserted, updated };
  });
}

export async function getItem(db: Db, collection: string, id: string): Promise<StacItem | null> {
  const { rows } = await db.query<{ content: StacItem }>('SELECT content FROM items WHERE collection = $1 AND id = $2', [
    collection,
    id,
  ]);
  return rows[0]?.content ?? null;
}

/** Deletes one item; false when it did not exist. */
export async function deleteItem(db: Db, collection: string, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM items WHERE collection = $1 AND id = $2', [collection, id])).rowCount > 0;
}
