/**
 * Systematic processing: a subscription (collection + area + service + fixed parameters) runs its service on
 * every newly ingested item of the collection that intersects its area (and contains its `filter`
 * properties). The catalogue's ingestion calls `Engine.onItemsIngested(items)`; each (subscription, item)
 * pair starts one job, once, however often the item is ingested again (subscription_runs).
 *
 * Triggers: STAC transactions (POST / PUT / PATCH of items, src/api/plugins/stac-collections.ts) after their
 * commit, and `gep ingest` / `gep harvest` on a database (subscriptionTrigger below). An item replaced or patched
 * later does not start a second job for a subscription that already ran on it (the run is keyed on
 * subscription + collection + item id, not on the item's content): re-ingestion is the common case (thumbnails,
 * metadata fixes) and a rerun is one `resubmit` away. A subscription created after the item was first stored
 * has not run on it, so such an update does start its job.
 */
import { randomUUID } from 'node:crypto';
import { GepError, invalidInput } from '../core/errors.ts';
import type { GeoJsonGeometry, StacItem } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { geometryBbox, geometryIntersectsBox, type Box2 } from '../store/geometry.ts';
import { getService } from '../services/registry.ts';
import type { ServiceDescription } from '../services/types.ts';
import type { Engine, EngineOptions } from './engine.ts';
import type { Job } from './types.ts';
import { checkValue, maxOccursOf, validateInputs } from '../services/validate.ts';

export interface Subscription {
  id: string;
  collection: string;
  /** Area of interest in degrees [minx, miny, maxx, maxy]; null = the whole collection. */
  bbox: [number, number, number, number] | null;
  geometry: GeoJsonGeometry | null;
  processId: string;
  /** The process input that receives `collection/itemId`. */
  itemInput: string;
  inputs: Record<string, unknown>;
  /** Properties an item must contain (deep containment, like jsonb @>). */
  filter: Record<string, unknown> | null;
  owner: string | null;
  title: string | null;
  enabled: boolean;
  created: Date;
  updated: Date;
}

export interface NewSubscription {
  collection: string;
  bbox?: number[] | null;
  geometry?: GeoJsonGeometry | null;
  process: string;
  itemInput?: string;
  inputs?: Record<string, unknown>;
  filter?: Record<string, unknown> | null;
  owner?: string | null;
  title?: string | null;
  enabled?: boolean;
}

interface Row {
  id: string;
  collection: string;
  minx: number | null;
  miny: number | null;
  maxx: number | null;
  maxy: number | null;
  geometry: GeoJsonGeometry | null;
  process_id: string;
  item_input: string;
  inputs: Record<string, unknown>;
  filter: Record<string, unknown> | null;
  owner: string | null;
  title: string | null;
  enabled: boolean;
  created: Date;
  updated: Date;
}

function subOf(r: Row): Subscription {
  return {
    id: r.id,
    collection: r.collection,
    bbox: r.minx === null ? null : [Number(r.minx), Number(r.miny), Number(r.maxx), Number(r.maxy)],
    geometry: r.geometry,
    processId: r.process_id,
    itemInput: r.item_input,
    inputs: r.inputs,
    filter: r.filter,
    owner: r.owner,
    title: r.title,
    enabled: r.enabled,
    created: new Date(r.created),
    updated: new Date(r.updated),
  };
}

/** The value given to the item input: `collection/itemId`, in a list when the input takes several. */
export function itemValue(maxOccurs: number, collection: string, itemId: string): unknown {
  const ref = `${collection}/${itemId}`;
  return maxOccurs > 1 ? [ref] : ref;
}

const COLLECTION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The input of `d` that receives the item: `wanted` when given (it must exist), else the only input of kind
 * `raster` or `product`; none or several of those -> GEP_ERR_INVALID_INPUT naming `itemInput`.
 */
export function chooseItemInput(d: ServiceDescription, wanted?: string): string {
  if (wanted !== undefined) {
    if (typeof wanted !== 'string' || !Object.hasOwn(d.inputs, wanted))
      throw invalidInput(`subscription itemInput: process '${d.id}' has no input ${JSON.stringify(wanted)} to receive the item (inputs: ${Object.keys(d.inputs).join(', ')})`, { input: 'itemInput' });
    return wanted;
  }
  const candidates = Object.entries(d.inputs).filter(([, i]) => i.kind === 'raster' || i.kind === 'product').map(([k]) => k);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0)
    throw invalidInput(`subscription itemInput: process '${d.id}' has no input of kind raster or product to receive the item; name one with itemInput (gep subscriptions: --item-input)`, { input: 'itemInput' });
  throw invalidInput(`subscription itemInput: process '${d.id}' has several inputs that take items (${candidates.join(', ')}); name one with itemInput (gep subscriptions: --item-input)`, { input: 'itemInput' });
}

/** A GeoJSON geometry's bounding box, or GEP_ERR_INVALID_INPUT naming `geometry`. */
function checkGeometry(g: unknown): Box2 {
  const bad = (): GepError => invalidInput('subscription geometry: expected a GeoJSON geometry (RFC 7946) with lon/lat coordinates', { input: 'geometry' });
  if (!isObject(g) || typeof g.type !== 'string' || !GEOMETRY_TYPES.has(g.type)) throw bad();
  let box: Box2 | null;
  try {
    box = geometryBbox(g as unknown as GeoJsonGeometry);
  } catch {
    throw bad();
  }
  if (!box || box[1] < -90 || box[3] > 90 || box[0] < -180 || box[2] > 180) throw bad();
  return box;
}

/** A bbox [minx, miny, maxx, maxy] in degrees (a 6-value 3-D box loses its heights), or an error naming `bbox`. */
function checkBbox(b: unknown): Box2 {
  const ok = Array.isArray(b) && (b.length === 4 || b.length === 6) && b.every((v) => typeof v === 'number' && Number.isFinite(v));
  const v = ok ? (b.length === 6 ? [b[0], b[1], b[3], b[4]] : b) as number[] : [];
  if (!ok || v[1]! > v[3]! || v[0]! > v[2]! || v[1]! < -90 || v[3]! > 90 || v[0]! < -180 || v[2]! > 180)
    throw invalidInput(`subscription bbox: expected [minx, miny, maxx, maxy] in degrees (minx <= maxx, miny <= maxy), got ${JSON.stringify(b)?.slice(0, 80)}`, { input: 'bbox' });
  return [v[0]!, v[1]!, v[2]!, v[3]!];
}

/** A subscription checked by checkSubscription: its process id, item input and area. */
export interface CheckedSubscription {
  processId: string;
  itemInput: string;
  inputs: Record<string, unknown>;
  box: Box2 | null;
}

/**
 * Checks a new subscription without storing it (callers may check before opening a database). Refused with
 * GEP_ERR_INVALID_INPUT naming the member or the input: a bad collection id, an unknown process, no input to
 * receive the item, fixed `inputs` that the process description refuses (the same validation as an execution,
 * with a placeholder item), a bad area, filter, title or enabled flag.
 */
export async function checkSubscription(s: NewSubscription): Promise<CheckedSubscription> {
  if (typeof s.collection !== 'string' || !COLLECTION_ID_RE.test(s.collection))
    throw invalidInput(`subscription collection: expected a collection id (1..128 letters, digits, '.', '_' or '-'), got ${JSON.stringify(s.collection)?.slice(0, 80)}`, { input: 'collection' });
  if (typeof s.process !== 'string' || s.process === '') throw invalidInput('subscription process: expected a process id', { input: 'process' });
  const d = (await getService(s.process)).description;
  const itemInput = chooseItemInput(d, s.itemInput);
  const inputs = s.inputs ?? {};
  if (!isObject(inputs)) throw invalidInput('subscription inputs: expected an object of input id -> value', { input: 'inputs' });
  if (Object.hasOwn(inputs, itemInput))
    throw invalidInput(`input '${itemInput}': it receives each new item; leave it out of the subscription's inputs`, { input: itemInput });
  const refProblems: { path: string; message: string }[] = [];
  checkValue(d.inputs[itemInput]!.schema, `${s.collection}/example`, '', refProblems);
  if (refProblems.length)
    throw invalidInput(`subscription itemInput: input '${itemInput}' of process '${d.id}' cannot take an item reference 'collection/itemId' (${refProblems[0]!.message})`, { input: 'itemInput' });
  validateInputs(d, { ...inputs, [itemInput]: itemValue(maxOccursOf(d.inputs[itemInput]!), s.collection, 'example') });
  let box: Box2 | null = null;
  if (s.bbox !== undefined && s.bbox !== null) box = checkBbox(s.bbox);
  if (s.geometry !== undefined && s.geometry !== null) {
    if (box) throw invalidInput('subscription: give bbox or geometry (intersects), not both', { input: 'geometry' });
    box = checkGeometry(s.geometry);
  }
  if (s.filter !== undefined && s.filter !== null && !isObject(s.filter))
    throw invalidInput('subscription filter: expected an object of item properties the item must contain', { input: 'filter' });
  if (s.title !== undefined && s.title !== null && (typeof s.title !== 'string' || s.title.length > 500))
    throw invalidInput('subscription title: expected a string of at most 500 characters', { input: 'title' });
  if (s.enabled !== undefined && typeof s.enabled !== 'boolean') throw invalidInput(`subscription enabled: expected true or false, got ${JSON.stringify(s.enabled)}`, { input: 'enabled' });
  return { processId: d.id, itemInput, inputs, box };
}

/** Checks a subscription (checkSubscription) and stores it. */
export async function createSubscription(db: Db, s: NewSubscription): Promise<Subscription> {
  const { processId, itemInput, inputs, box } = await checkSubscription(s);
  const { rows } = await db.query<Row>(
    `INSERT INTO subscriptions (id, collection, minx, miny, maxx, maxy, geometry, process_id, item_input, inputs, filter, owner, title, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14) RETURNING *`,
    [randomUUID(), s.collection, box?.[0] ?? null, box?.[1] ?? null, box?.[2] ?? null, box?.[3] ?? null, s.geometry ? JSON.stringify(s.geometry) : null,
      processId, itemInput, JSON.stringify(inputs), s.filter ? JSON.stringify(s.filter) : null, s.owner ?? null, s.title ?? null, s.enabled ?? true],
  );
  return subOf(rows[0]!);
}

export async function getSubscription(db: Db, id: string): Promise<Subscription | null> {
  const { rows } = await db.query<Row>('SELECT * FROM subscriptions WHERE id = $1', [id]);
  return rows[0] ? subOf(rows[0]) : null;
}

export async function listSubscriptions(db: Db, f: { owner?: string; collection?: string } = {}): Promise<Subscription[]> {
  return (await pageSubscriptions(db, { ...f, limit: 1000 })).subscriptions;
}

export interface SubscriptionFilter {
  owner?: string;
  collection?: string;
  process?: string;
  enabled?: boolean;
  /** Page size (1..1000, default 100) and offset; oldest first. */
  limit?: number;
  offset?: number;
}

/** Subscriptions matching `f`, oldest first, with the total count (for paging). */
export async function pageSubscriptions(db: Db, f: SubscriptionFilter = {}): Promise<{ subscriptions: Subscription[]; total: number }> {
  const limit = f.limit ?? 100;
  const offset = f.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidInput(`limit: expected an integer from 1 to 1000, got ${limit}`, { input: 'limit' });
  if (!Number.isInteger(offset) || offset < 0) throw invalidInput(`offset: expected a non-negative integer, got ${offset}`, { input: 'offset' });
  const where = `($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR collection = $2) AND ($3::text IS NULL OR process_id = $3)
    AND ($4::boolean IS NULL OR enabled = $4)`;
  const params = [f.owner ?? null, f.collection ?? null, f.process ?? null, f.enabled ?? null];
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscriptions WHERE ${where}`, params);
  const { rows } = await db.query<Row>(`SELECT * FROM subscriptions WHERE ${where} ORDER BY created, id LIMIT ${limit} OFFSET ${offset}`, params);
  return { subscriptions: rows.map(subOf), total: Number(total.rows[0]?.n ?? 0) };
}

export async function setSubscriptionEnabled(db: Db, id: string, enabled: boolean): Promise<Subscription> {
  return updateSubscription(db, id, { enabled });
}

/** Changes `enabled` and/or `title` (null clears it); GEP_ERR_NOT_FOUND for an unknown id. */
export async function updateSubscription(db: Db, id: string, u: { enabled?: boolean; title?: string | null }): Promise<Subscription> {
  if (u.enabled !== undefined && typeof u.enabled !== 'boolean') throw invalidInput(`enabled: expected true or false, got ${JSON.stringify(u.enabled)}`, { input: 'enabled' });
  if (u.title !== undefined && u.title !== null && (typeof u.title !== 'string' || u.title.length > 500))
    throw invalidInput('title: expected a string of at most 500 characters, or null', { input: 'title' });
  const { rows } = await db.query<Row>(
    `UPDATE subscriptions SET enabled = COALESCE($2, enabled), title = CASE WHEN $3 THEN $4 ELSE title END, updated = clock_timestamp()
     WHERE id = $1 RETURNING *`,
    [id, u.enabled ?? null, u.title !== undefined, u.title ?? null],
  );
  if (!rows[0]) throw new GepError('GEP_ERR_NOT_FOUND', `subscription '${id}' not found`, { subscription: id });
  return subOf(rows[0]);
}

/** Number of items that started a job of this subscription so far. */
export async function countRuns(db: Db, id: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscription_runs WHERE subscription_id = $1', [id]);
  return Number(rows[0]?.n ?? 0);
}

export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM subscriptions WHERE id = $1', [id])).rowCount > 0;
}

/** Deep containment: every key of `want` is in `have` with a containing value (arrays: each wanted element found). */
export function contains(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') return have === want;
  if (Array.isArray(want)) return Array.isArray(have) && want.every((w) => have.some((h) => contains(h, w)));
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  return Object.entries(want).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
}

/** Whether an ingested item triggers the subscription. */
export function matches(s: Subscription, item: StacItem): boolean {
  if (!s.enabled || item.collection !== s.collection) return false;
  if (s.filter && !contains(item.properties, s.filter)) return false;
  if (!s.bbox) return true;
  const [x0, y0, x1, y1] = s.bbox;
  const ib = (item.bbox as number[] | undefined) ?? (item.geometry ? geometryBbox(item.geometry) : null);
  if (!ib) return false;
  const [a0, b0, a1, b1] = ib.length === 6 ? [ib[0]!, ib[1]!, ib[3]!, ib[4]!] : [ib[0]!, ib[1]!, ib[2]!, ib[3]!];
  if (a0 > x1 || a1 < x0 || b0 > y1 || b1 < y0) return false;
  const itemHitsBox = item.geometry ? geometryIntersectsBox(item.geometry, s.bbox) : true;
  if (!itemHitsBox) return false;
  return s.geometry ? geometryIntersectsBox(s.geometry, [a0, b0, a1, b1]) : true;
}

/** Enabled subscriptions on any of these collections. */
export async function subscriptionsFor(db: Db, collections: string[]): Promise<Subscription[]> {
  const { rows } = await db.query<Row>('SELECT * FROM subscriptions WHERE enabled AND collection = ANY($1::text[])', [collections]);
  return rows.map(subOf);
}

/** Records that `item` triggered `sub` with job `jobId`; false when it already had. */
export async function claimRun(db: Db, sub: string, collection: string, itemId: string, jobId: string): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO subscription_runs (subscription_id, collection, item_id, job_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [sub, collection, itemId, jobId],
  );
  return r.rowCount > 0;
}

/** Queues the jobs that stored items start, for processes that run no jobs themselves; see subscriptionTrigger. */
export interface SubscriptionTrigger {
  /** Queues the jobs of every enabled subscription matching these (just stored) items; returns them. */
  onItems(items: StacItem[]): Promise<Job[]>;
  /** Jobs queued so far. */
  readonly queued: number;
  close(): Promise<void>;
}

/**
 * Systematic processing for `gep ingest` / `gep harvest` on a data folder or database: `onItems` checks the
 * subscriptions of the items' collections and, on the first match, opens a queue-only Engine (jobs 0, tile
 * threads 0: no worker in this process) whose `onItemsIngested` queues the jobs (status `accepted`, with their
 * pg-boss entries) in the database; `gep serve` or `gep worker` runs them. `opts` are the engine's (e.g. the data
 * folder as `workRoot`); no job runs here. Without a matching subscription nothing is opened.
 */
export function subscriptionTrigger(db: Db, opts: Omit<EngineOptions, 'db' | 'jobs' | 'tileThreads'>): SubscriptionTrigger {
  let engine: Engine | null = null;
  let queued = 0;
  return {
    async onItems(items) {
      const cols = [...new Set(items.map((i) => i.collection).filter((c): c is string => typeof c === 'string'))];
      if (cols.length === 0) return [];
      const subs = await subscriptionsFor(db, cols);
      if (!subs.some((s) => items.some((i) => matches(s, i)))) return [];
      engine ??= await (await import('./engine.ts')).Engine.open({ ...opts, db, jobs: 0, tileThreads: 0 });
      const jobs = await engine.onItemsIngested(items);
      queued += jobs.length;
      return jobs;
    },
    get queued() {
      return queued;
    },
    async close() {
      const e = engine;
      engine = null;
      await e?.close();
    },
  };
}
