/**
 * Systematic processing: a subscription (collection + area + service + fixed parameters) runs its service on
 * every newly ingested item of the collection that intersects its area (and contains its `filter`
 * properties). The catalogue's ingestion calls `Engine.onItemsIngested(items)`; each (subscription, item)
 * pair starts one job, once, however often the item is ingested again (subscription_runs).
 */
import { randomUUID } from 'node:crypto';
import { GepError, invalidInput } from '../core/errors.ts';
import type { GeoJsonGeometry, StacItem } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { geometryBbox, geometryIntersectsBox, type Box2 } from '../store/geometry.ts';
import { getService } from '../services/registry.ts';
import { maxOccursOf, validateInputs } from '../services/validate.ts';

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

/** Checks a subscription (process, item input, parameters, area) and stores it. */
export async function createSubscription(db: Db, s: NewSubscription): Promise<Subscription> {
  if (typeof s.collection !== 'string' || s.collection === '') throw invalidInput('subscription collection: expected a collection id');
  const svc = await getService(s.process);
  const d = svc.description;
  const itemInput = s.itemInput ?? Object.entries(d.inputs).find(([, i]) => i.kind === 'raster' || i.kind === 'product')?.[0];
  if (!itemInput || !d.inputs[itemInput])
    throw invalidInput(`subscription itemInput: process '${d.id}' has no input '${s.itemInput ?? '(raster or product input)'}' to receive the item`, { input: 'itemInput' });
  const inputs = s.inputs ?? {};
  validateInputs(d, { ...inputs, [itemInput]: itemValue(maxOccursOf(d.inputs[itemInput]), s.collection, 'example') });
  let box: Box2 | null = null;
  if (s.bbox) {
    const b = s.bbox;
    if (b.length !== 4 || !b.every((v) => Number.isFinite(v)) || b[1]! > b[3]!) throw invalidInput('subscription bbox: expected [minx, miny, maxx, maxy] in degrees', { input: 'bbox' });
    box = [b[0]!, b[1]!, b[2]!, b[3]!];
  } else if (s.geometry) {
    box = geometryBbox(s.geometry);
    if (!box) throw invalidInput('subscription geometry: expected a GeoJSON geometry with coordinates', { input: 'geometry' });
  }
  const { rows } = await db.query<Row>(
    `INSERT INTO subscriptions (id, collection, minx, miny, maxx, maxy, geometry, process_id, item_input, inputs, filter, owner, title, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14) RETURNING *`,
    [randomUUID(), s.collection, box?.[0] ?? null, box?.[1] ?? null, box?.[2] ?? null, box?.[3] ?? null, s.geometry ? JSON.stringify(s.geometry) : null,
      d.id, itemInput, JSON.stringify(inputs), s.filter ? JSON.stringify(s.filter) : null, s.owner ?? null, s.title ?? null, s.enabled ?? true],
  );
  return subOf(rows[0]!);
}

export async function getSubscription(db: Db, id: string): Promise<Subscription | null> {
  const { rows } = await db.query<Row>('SELECT * FROM subscriptions WHERE id = $1', [id]);
  return rows[0] ? subOf(rows[0]) : null;
}

export async function listSubscriptions(db: Db, f: { owner?: string; collection?: string } = {}): Promise<Subscription[]> {
  const { rows } = await db.query<Row>(
    'SELECT * FROM subscriptions WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR collection = $2) ORDER BY created',
    [f.owner ?? null, f.collection ?? null],
  );
  return rows.map(subOf);
}

export async function setSubscriptionEnabled(db: Db, id: string, enabled: boolean): Promise<Subscription> {
  const { rows } = await db.query<Row>('UPDATE subscriptions SET enabled = $2, updated = clock_timestamp() WHERE id = $1 RETURNING *', [id, enabled]);
  if (!rows[0]) throw new GepError('GEP_ERR_NOT_FOUND', `subscription '${id}' not found`, { subscription: id });
  return subOf(rows[0]);
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
