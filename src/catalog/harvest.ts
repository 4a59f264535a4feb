/**
 * Harvesting a remote STAC API into the catalogue (STAC API - Item Search, https://api.stacspec.org/v1.0.0/
 * item-search): the collections are fetched from `/collections/{id}` and stored first, then `/search` is paged
 * through its `next` links: POST with a JSON body (a POST `next` link carries its own body, merged into the
 * previous one when `merge` is true), or GET with query parameters when the server does not take POST searches.
 *
 * Each page's valid items are stored together with the link of the page after it (table harvest_state) in one
 * transaction, so a harvest stopped at any point (crash, Ctrl-C, network down) resumes with the first page not
 * stored. Items that are malformed or over 1 MB are skipped and counted; a page that is not a FeatureCollection
 * stops the harvest with an error naming the URL.
 */
import { createHash } from 'node:crypto';
import { GepError, invalidInput, isGepError, throwIfAborted } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import { noProgress } from '../core/progress.ts';
import type { StacCollection, StacItem, StacLink } from '../core/stac.ts';
import { STAC_VERSION } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { upsertCollection, upsertItems } from '../store/items.ts';
import { checkCollectionId } from './collections.ts';
import { apiUrl, httpRequest, parseJsonBody } from './stac-http.ts';
import type { HttpOptions } from './stac-http.ts';
import { checkExternalItem } from './validate-item.ts';

export interface HarvestOptions {
  /** STAC API root URL (http or https). */
  from: string;
  collections: string[];
  /** [west, south, east, north] in degrees. */
  bbox?: number[];
  /** STAC datetime: an instant or an interval 'start/end' ('..' open). */
  datetime?: string;
  /** Most items stored by this run (default: all). */
  limit?: number;
  /** Items asked per page (default 100, at most 1000). */
  pageSize?: number;
  /** Continue an interrupted harvest of the same source and query (default true). */
  resume?: boolean;
  fetch?: typeof fetch;
  /** Retries per request on network errors and 5xx (default 3). */
  retries?: number;
  /** First retry delay in ms, doubled per retry (default 250). */
  retryDelayMs?: number;
  signal?: AbortSignal;
  progress?: ProgressFn;
  /** Called with each page's items once committed (e.g. systematic-processing triggers); its errors stop the harvest. */
  onItems?: (items: StacItem[]) => Promise<void>;
}

export interface HarvestResult {
  /** Items stored by this run. */
  items: number;
  /** Pages fetched by this run. */
  pages: number;
  /** Items skipped (malformed, too large, of another collection). */
  skipped: number;
  /** First skip reasons (at most 20), for the user. */
  skippedReasons: string[];
  /** The link this run continued from, when it resumed an interrupted harvest. */
  resumedFrom?: string;
}

/** A page request: the STAC link of a page. */
interface PageLink {
  href: string;
  method: 'GET' | 'POST';
  body?: Record<string, unknown>;
}

const MAX_PAGES = 1_000_000;

function checkOptions(o: HarvestOptions): void {
  if (typeof o.from !== 'string' || !/^https?:\/\/[^\s]+$/i.test(o.from)) throw invalidInput(`--from must be an http(s) URL of a STAC API, got ${JSON.stringify(o.from)}`, { input: 'from' });
  if (!Array.isArray(o.collections) || o.collections.length === 0) throw invalidInput('--collections: give at least one collection id', { input: 'collections' });
  for (const c of o.collections) checkCollectionId(c, 'collection');
  if (o.bbox !== undefined) {
    const b = o.bbox;
    if (b.length !== 4 || !b.every(Number.isFinite) || b[1]! > b[3]! || Math.abs(b[1]!) > 90 || Math.abs(b[3]!) > 90)
      throw invalidInput(`--bbox must be west,south,east,north in degrees, got ${b.join(',')}`, { input: 'bbox' });
  }
  if (o.datetime !== undefined && !/^[0-9TtZz:.+\-/ ]+$|^\.\.\//.test(o.datetime)) throw invalidInput(`--datetime must be an RFC 3339 instant or interval, got ${JSON.stringify(o.datetime)}`, { input: 'datetime' });
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) throw invalidInput(`--limit must be a positive integer, got ${o.limit}`, { input: 'limit' });
  if (o.pageSize !== undefined && !(Number.isInteger(o.pageSize) && o.pageSize > 0 && o.pageSize <= 1000))
    throw invalidInput(`--page-size must be an integer from 1 to 1000, got ${o.pageSize}`, { input: 'pageSize' });
}

/** Key of a harvest in harvest_state: the source and the query, not the limit or page size. */
export function harvestKey(o: Pick<HarvestOptions, 'from' | 'collections' | 'bbox' | 'datetime'>): string {
  const norm = [o.from.replace(/\/+$/, ''), [...o.collections].sort(), o.bbox ?? null, o.datetime ?? null];
  return createHash('sha256').update(JSON.stringify(norm)).digest('hex');
}

/** A remote collection made storable: our id, required fields present, the source's navigation links dropped. */
function normaliseCollection(raw: unknown, id: string, url: string): StacCollection {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GepError('GEP_ERR_REMOTE', `${url}: expected a STAC collection object`, { url });
  const c = raw as Record<string, unknown>;
  if (c.id !== id) throw new GepError('GEP_ERR_REMOTE', `${url}: collection id is ${JSON.stringify(c.id)}, expected ${JSON.stringify(id)}`, { url });
  const ext = c.extent as StacCollection['extent'] | undefined;
  const extentOk = ext && Array.isArray(ext.spatial?.bbox) && Array.isArray(ext.temporal?.interval);
  const links = (Array.isArray(c.links) ? (c.links as StacLink[]) : []).filter(
    (l) => l && typeof l.href === 'string' && typeof l.rel === 'string' && !['self', 'root', 'parent', 'items', 'child', 'item'].includes(l.rel),
  );
  links.push({ rel: 'via', href: url, type: 'application/json', title: 'Source collection' });
  return {
    ...(c as unknown as StacCollection),
    type: 'Collection',
    id,
    stac_version: typeof c.stac_version === 'string' ? c.stac_version : STAC_VERSION,
    stac_extensions: Array.isArray(c.stac_extensions) ? (c.stac_extensions as string[]) : [],
    description: typeof c.description === 'string' ? c.description : `Harvested from ${url}`,
    license: typeof c.license === 'string' ? c.license : 'other',
    extent: extentOk ? ext : { spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: { interval: [[null, null]] } },
    links,
  };
}

/** The first page: POST /search, or GET /search?... when `get` is set. */
function firstPage(o: HarvestOptions, get: boolean): PageLink {
  const body: Record<string, unknown> = { collections: o.collections, limit: Math.min(o.pageSize ?? 100, o.limit ?? Infinity) };
  if (o.bbox) body.bbox = o.bbox;
  if (o.datetime) body.datetime = o.datetime;
  const url = apiUrl(o.from, '/search');
  if (!get) return { href: url, method: 'POST', body };
  const q = new URLSearchParams({ collections: o.collections.join(','), limit: String(body.limit) });
  if (o.bbox) q.set('bbox', o.bbox.join(','));
  if (o.datetime) q.set('datetime', o.datetime);
  return { href: `${url}?${q}`, method: 'GET' };
}

/** The page after `page`, from its `next` link (relative hrefs resolved against the page URL). */
function nextLink(links: unknown, page: PageLink, pageUrl: string): PageLink | null {
  if (!Array.isArray(links)) return null;
  const l = links.find((x): x is StacLink & { merge?: boolean } => typeof x === 'object' && x !== null && (x as StacLink).rel === 'next');
  if (!l || typeof l.href !== 'string') return null;
  let href: string;
  try {
    href = new URL(l.href, pageUrl).toString();
  } catch {
    throw new GepError('GEP_ERR_REMOTE', `${pageUrl}: next link ${JSON.stringify(l.href)} is not a URL`, { url: pageUrl });
  }
  if (!/^https?:/i.test(href)) throw new GepError('GEP_ERR_REMOTE', `${pageUrl}: next link ${href} is not http(s)`, { url: pageUrl });
  if ((l.method ?? 'GET').toUpperCase() !== 'POST') return { href, method: 'GET' };
  const own = typeof l.body === 'object' && l.body !== null ? (l.body as Record<string, unknown>) : {};
  return { href, method: 'POST', body: l.merge ? { ...(page.body ?? {}), ...own } : own };
}

interface StateRow {
  next: PageLink | null;
  complete: boolean;
}

async function loadState(db: Db, key: string): Promise<StateRow | null> {
  const { rows } = await db.query<StateRow>('SELECT next, complete FROM harvest_state WHERE key = $1', [key]);
  return rows[0] ?? null;
}

async function saveState(db: Db, key: string, o: HarvestOptions, next: PageLink | null, add: { pages: number; items: number; skipped: number }): Promise<void> {
  await db.query(
    `INSERT INTO harvest_state AS h (key, source, collections, bbox, datetime, next, complete, pages, items, skipped)
     VALUES ($1, $2, $3::text[], $4::jsonb, $5, $6::jsonb, $7, $8, $9, $10)
     ON CONFLICT (key) DO UPDATE SET next = EXCLUDED.next, complete = EXCLUDED.complete, pages = h.pages + EXCLUDED.pages,
       items = h.items + EXCLUDED.items, skipped = h.skipped + EXCLUDED.skipped, updated_at = now()`,
    [key, o.from, o.collections, o.bbox ? JSON.stringify(o.bbox) : null, o.datetime ?? null, next ? JSON.stringify(next) : null, next === null, add.pages, add.items, add.skipped],
  );
}

/** Harvests items of `collections` from the STAC API at `from`; see the file header. */
export async function harvest(db: Db, o: HarvestOptions): Promise<HarvestResult> {
  checkOptions(o);
  const progress = o.progress ?? noProgress;
  const http: HttpOptions = { retries: o.retries ?? 3, ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}), ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.signal ? { signal: o.signal } : {}) };
  const wanted = new Set(o.collections);

  for (const id of o.collections) {
    const url = apiUrl(o.from, `/collections/${encodeURIComponent(id)}`);
    const res = await httpRequest({ url }, http);
    if (res.status === 404) throw new GepError('GEP_ERR_NOT_FOUND', `${url}: the STAC API has no collection ${JSON.stringify(id)}`, { url });
    if (res.status !== 200) throw new GepError('GEP_ERR_REMOTE', `${url}: HTTP ${res.status}`, { url });
    await upsertCollection(db, normaliseCollection(parseJsonBody(res, 'the collection'), id, url));
  }

  const key = harvestKey(o);
  const state = o.resume === false ? null : await loadState(db, key);
  let page: PageLink;
  let resumedFrom: string | undefined;
  let postFallback = true;
  if (state && !state.complete && state.next) {
    page = state.next;
    resumedFrom = page.href;
    postFallback = false;
  } else page = firstPage(o, false);

  const out: HarvestResult = { items: 0, pages: 0, skipped: 0, skippedReasons: [] };
  const seen = new Set<string>();
  for (let n = 0; n < MAX_PAGES; n++) {
    throwIfAborted(o.signal);
    const pageKey = JSON.stringify(page);
    if (seen.has(pageKey)) break; // a server whose next link points back to a page already read
    seen.add(pageKey);
    let res = await httpRequest({ url: page.href, method: page.method, ...(page.body ? { body: page.body } : {}) }, http);
    if (postFallback && page.method === 'POST' && [404, 405, 501].includes(res.status)) {
      page = firstPage(o, true);
      res = await httpRequest({ url: page.href }, http);
    }
    postFallback = false;
    if (res.status !== 200) throw new GepError('GEP_ERR_REMOTE', `${page.method} ${page.href}: HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`, { url: page.href });
    const body = parseJsonBody(res, `search page ${out.pages + 1}`) as { type?: unknown; features?: unknown; links?: unknown; numberMatched?: unknown; context?: { matched?: unknown } };
    if (typeof body !== 'object' || body === null || !Array.isArray(body.features))
      throw new GepError('GEP_ERR_REMOTE', `${res.url}: search page ${out.pages + 1} is not a FeatureCollection (no features array)`, { url: res.url });
    const items: StacItem[] = [];
    let skipped = 0;
    for (const [i, f] of body.features.entries()) {
      try {
        const item = checkExternalItem(f, { where: `${res.url} feature ${i}`, base: res.url });
        if (item.collection === undefined && o.collections.length === 1) item.collection = o.collections[0]!;
        if (!item.collection || !wanted.has(item.collection)) throw invalidInput(`${res.url} feature ${i}: item ${item.id} is in collection ${JSON.stringify(item.collection ?? null)}, not one harvested`);
        items.push(item);
      } catch (e) {
        if (!isGepError(e)) throw e;
        skipped++;
        if (out.skippedReasons.length < 20) out.skippedReasons.push(e.message);
      }
    }
    const room = o.limit === undefined ? Infinity : o.limit - out.items;
    const truncated = items.length > room;
    const keep = truncated ? items.slice(0, room) : items;
    const next = truncated ? page : nextLink(body.links, page, res.url);
    await db.transaction(async (tx) => {
      if (keep.length) await upsertItems(tx, keep);
      await saveState(tx, key, o, next, { pages: truncated ? 0 : 1, items: keep.length, skipped });
    });
    if (keep.length) await o.onItems?.(keep);
    out.items += keep.length;
    out.skipped += skipped;
    out.pages++;
    const matched = Number(body.numberMatched ?? body.context?.matched);
    const total = Math.min(o.limit ?? Infinity, Number.isFinite(matched) && matched > 0 ? matched : Infinity);
    progress(Number.isFinite(total) ? Math.min(1, out.items / total) : 0, `${out.items} items, page ${out.pages}`);
    if (!next || truncated || out.items >= (o.limit ?? Infinity)) break;
    page = next;
  }
  progress(1, `${out.items} items`);
  return resumedFrom ? { ...out, resumedFrom } : out;
}
