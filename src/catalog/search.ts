/**
 * The catalogue's search facade: STAC API search parameters (GET query string or POST body) -> one validated
 * SearchRequest -> a store query (src/store/search.ts), plus the Fields, Sort, Query and Filter extensions.
 * The HTTP layer (src/api/plugins/stac*.ts) only adds links and serialises.
 *
 * Filters compose by AND: collections, ids, bbox and datetime go to the store's indexed columns; `filter`
 * (CQL2 text or JSON), the legacy `query` object and `intersects` become one CQL2 expression translated to SQL
 * over the queryables (./queryables.ts). Spatial predicates are bounding-box tests in SQL and are refined
 * exactly in JS (evaluateCql2) as the store pages, so paging and limits stay exact.
 *
 * References: STAC API - Item Search 1.0; Filter extension (CQL2, OGC 21-065r2); Sort, Fields and Query
 * extensions (stac-api-extensions); OGC API - Features Part 1 for the items endpoint.
 */
import { GepError } from '../core/errors.ts';
import type { StacItem } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { countItems, searchItems, SORT_FIELDS, type ItemQuery } from '../store/search.ts';
import { cql2ToSql, evaluateCql2, parseCql2Json, parseCql2Text, type Cql2Expr, type ScalarExpr } from './cql2/index.ts';
import type { Geometry } from './cql2/geometry.ts';
import {
  bad, parseBbox, parseDatetime, parseFields, parseFilterCrs, parseFilterLang, parseIntersects, parseLimit, parseSortby,
  parseStringList, single, type FieldsSpec, type SortKey, type TimeRange,
} from './params.ts';
import { QUERYABLE_COLUMNS, queryableName, queryableNames } from './queryables.ts';

export interface SearchRequest {
  collections?: string[];
  ids?: string[];
  bbox?: [number, number, number, number];
  intersects?: Geometry;
  datetime?: TimeRange;
  /** Page size, already clamped to MAX_LIMIT. */
  limit: number;
  /** Paging token of the previous page's `next` link. */
  token?: string;
  sortby?: SortKey[];
  fields?: FieldsSpec;
  /** `filter`, `query` and `intersects` combined. */
  filter?: Cql2Expr;
}

/** Query-string parameters of GET /search (and /aggregate adds its own). */
export const SEARCH_PARAMS = [
  'bbox', 'intersects', 'datetime', 'limit', 'ids', 'collections', 'token', 'sortby', 'fields', 'filter', 'filter-lang',
  'filter-crs', 'query', 'f',
] as const;

export interface ParseOptions {
  /** The collection of a /collections/{id}/... route: `collections` is then fixed to it. */
  collection?: string;
  /** Other accepted query-string parameters (GET only). */
  extraParams?: readonly string[];
  /** Parameters refused on this route (e.g. `collections` on the items endpoint). */
  refuse?: readonly string[];
}

/** Parses GET query parameters; unknown parameters are a 400 (OGC API - Features /req/core/query-param-unknown). */
export function searchFromQuery(q: Record<string, unknown>, opts: ParseOptions = {}): SearchRequest {
  const known = new Set<string>([...SEARCH_PARAMS, ...(opts.extraParams ?? [])]);
  for (const r of opts.refuse ?? []) known.delete(r);
  for (const k of Object.keys(q)) {
    if (!known.has(k)) throw bad(k.slice(0, 100), `unknown query parameter (accepted: ${[...known].join(', ')})`);
  }
  const v: Record<string, string | undefined> = {};
  for (const k of known) v[k] = single(q, k);
  const f = v.f;
  if (f !== undefined && !['json', 'geojson', 'application/json', 'application/geo+json'].includes(f)) {
    throw bad('f', `only JSON is served (f=json or f=geojson), got ${JSON.stringify(f.slice(0, 50))}`);
  }
  const lang = parseFilterLang(v['filter-lang'], 'cql2-text');
  let filterJson: unknown;
  if (v.filter !== undefined && lang === 'cql2-json') {
    try {
      filterJson = JSON.parse(v.filter);
    } catch {
      throw bad('filter', 'filter-lang is cql2-json but the filter is not valid JSON');
    }
  }
  let query: unknown;
  if (v.query !== undefined) {
    try {
      query = JSON.parse(v.query);
    } catch {
      throw bad('query', 'expected a JSON object such as {"eo:cloud_cover":{"lt":10}}');
    }
  }
  return build({
    collections: v.collections,
    ids: v.ids,
    bbox: v.bbox,
    intersects: v.intersects,
    datetime: v.datetime,
    limit: v.limit,
    token: v.token,
    sortby: v.sortby,
    fields: v.fields,
    filter: lang === 'cql2-json' ? filterJson : v.filter,
    lang,
    crs: v['filter-crs'],
    query,
  }, opts);
}

/** Parses a POST body (a JSON object; unknown members are ignored, as extensions add their own). */
export function searchFromBody(body: unknown, opts: ParseOptions = {}): SearchRequest {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'expected a JSON object of search parameters');
  const b = body as Record<string, unknown>;
  for (const r of opts.refuse ?? []) if (b[r] !== undefined) throw bad(r, 'not accepted on this endpoint');
  for (const k of ['collections', 'ids'] as const) {
    if (b[k] !== undefined && b[k] !== null && !Array.isArray(b[k])) throw bad(k, 'expected an array of strings in a POST body');
  }
  const lang = parseFilterLang(b['filter-lang'], 'cql2-json');
  const token = b.token ?? b.next;
  if (token !== undefined && typeof token !== 'string') throw bad('token', 'expected the string of a next link');
  if (b.datetime !== undefined && b.datetime !== null && typeof b.datetime !== 'string') throw bad('datetime', 'expected a string');
  return build({ ...b, token, lang, crs: b['filter-crs'] }, opts);
}

interface Raw {
  collections?: unknown;
  ids?: unknown;
  bbox?: unknown;
  intersects?: unknown;
  datetime?: unknown;
  limit?: unknown;
  token?: unknown;
  sortby?: unknown;
  fields?: unknown;
  filter?: unknown;
  lang: 'cql2-text' | 'cql2-json';
  crs?: unknown;
  query?: unknown;
}

function build(r: Raw, opts: ParseOptions): SearchRequest {
  const req: SearchRequest = { limit: parseLimit(r.limit) };
  const collections = parseStringList(r.collections, 'collections');
  if (opts.collection !== undefined) req.collections = [opts.collection];
  else if (collections) req.collections = collections;
  const ids = parseStringList(r.ids, 'ids');
  if (ids) req.ids = ids;
  const bbox = parseBbox(r.bbox);
  const intersects = parseIntersects(r.intersects);
  if (bbox && intersects) throw bad('intersects', 'bbox and intersects cannot both be given');
  if (bbox) req.bbox = bbox;
  if (intersects) req.intersects = intersects;
  const dt = parseDatetime(r.datetime);
  if (dt) req.datetime = dt;
  if (typeof r.token === 'string' && r.token !== '') {
    if (r.token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(r.token)) throw bad('token', 'not a paging token of this API (use the next link)');
    req.token = r.token;
  }
  const sortby = parseSortby(r.sortby);
  if (sortby) {
    for (const s of sortby) {
      const name = s.field.replace(/^properties\./, '');
      if (!Object.hasOwn(SORT_FIELDS, name)) throw bad('sortby', `cannot sort on ${JSON.stringify(s.field)}; sortable fields: ${Object.keys(SORT_FIELDS).join(', ')}`);
    }
    req.sortby = sortby;
  }
  const fields = parseFields(r.fields);
  if (fields) req.fields = fields;
  parseFilterCrs(r.crs);
  const parts: Cql2Expr[] = [];
  if (r.filter !== undefined && r.filter !== null && r.filter !== '') {
    try {
      parts.push(r.lang === 'cql2-text' ? parseFilterText(r.filter) : parseCql2Json(r.filter));
    } catch (e) {
      if (e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT') {
        throw new GepError('GEP_ERR_INVALID_INPUT', /^filter\b/.test(e.message) ? e.message : `filter: ${e.message}`, { parameter: 'filter' });
      }
      throw e;
    }
  }
  if (r.query !== undefined && r.query !== null) parts.push(queryToCql2(r.query));
  if (intersects) parts.push({ kind: 'spatial', op: 's_intersects', left: { kind: 'property', name: 'geometry' }, right: { kind: 'geometry', geometry: intersects } });
  if (parts.length === 1) req.filter = parts[0]!;
  else if (parts.length > 1) req.filter = { kind: 'and', args: parts };
  if (req.filter) checkFilter(req.filter);
  return req;
}

function parseFilterText(v: unknown): Cql2Expr {
  if (typeof v !== 'string') throw bad('filter', 'filter-lang is cql2-text: expected a string');
  return parseCql2Text(v);
}

/** Translates once so that unknown properties and type errors surface as 400s while parsing. */
function checkFilter(e: Cql2Expr): void {
  try {
    cql2ToSql(e, QUERYABLE_COLUMNS);
  } catch (err) {
    if (err instanceof GepError && err.code === 'GEP_ERR_INVALID_INPUT') throw new GepError(err.code, err.message, { parameter: 'filter' });
    throw err;
  }
}

const QUERY_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'startsWith', 'endsWith', 'contains', 'in'] as const;
const CMP = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function literal(v: unknown, where: string): ScalarExpr {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'number', value: v };
  if (typeof v === 'boolean') return { kind: 'boolean', value: v };
  throw bad('query', `${where}: expected a string, number or boolean, got ${JSON.stringify(v)?.slice(0, 80)}`);
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The legacy Query extension object `{"eo:cloud_cover": {"lt": 10}, "platform": {"in": ["sentinel-2a"]}}`
 * as CQL2: each operator is a comparison, LIKE (startsWith/endsWith/contains, wildcards in the value escaped)
 * or IN; everything is ANDed.
 */
export function queryToCql2(q: unknown): Cql2Expr {
  if (typeof q !== 'object' || q === null || Array.isArray(q)) throw bad('query', 'expected an object {property: {operator: value}}');
  const args: Cql2Expr[] = [];
  for (const [name, ops] of Object.entries(q as Record<string, unknown>)) {
    const canonical = queryableName(name);
    if (canonical === null) throw bad('query', `unknown property '${name.slice(0, 100)}' (queryables: ${queryableNames().join(', ')})`);
    if (typeof ops !== 'object' || ops === null || Array.isArray(ops)) throw bad('query', `${name}: expected an object of operators such as {"lt": 10}`);
    const prop = { kind: 'property' as const, name: canonical };
    for (const [op, value] of Object.entries(ops as Record<string, unknown>)) {
      const where = `${name}.${op}`;
      if (!(QUERY_OPS as readonly string[]).includes(op)) throw bad('query', `${where}: unknown operator (expected one of ${QUERY_OPS.join(', ')})`);
      if (op === 'in') {
        if (!Array.isArray(value) || value.length === 0) throw bad('query', `${where}: expected a non-empty array`);
        args.push({ kind: 'in', value: prop, list: value.map((x, i) => literal(x, `${where}[${i}]`)) });
      } else if (op === 'startsWith' || op === 'endsWith' || op === 'contains') {
        if (typeof value !== 'string') throw bad('query', `${where}: expected a string`);
        const e = escapeLike(value);
        const pattern = op === 'startsWith' ? `${e}%` : op === 'endsWith' ? `%${e}` : `%${e}%`;
        args.push({ kind: 'like', value: prop, pattern: { kind: 'string', value: pattern } });
      } else {
        args.push({ kind: 'comparison', op: CMP[op as keyof typeof CMP], left: prop, right: literal(value, where) });
      }
    }
  }
  if (args.length === 0) return { kind: 'boolean', value: true };
  return args.length === 1 ? args[0]! : { kind: 'and', args };
}

/** The store query of a request, and whether SQL alone decides it (no geometry refinement in JS). */
export function toItemQuery(req: SearchRequest): { query: ItemQuery; exact: boolean } {
  const q: ItemQuery = { limit: req.limit };
  if (req.collections) q.collections = req.collections;
  if (req.ids) q.ids = req.ids;
  if (req.bbox) q.bbox = req.bbox;
  if (req.datetime) q.datetime = req.datetime;
  if (req.sortby) q.sortby = req.sortby;
  if (req.token) q.cursor = req.token;
  let exact = !req.bbox;
  if (req.filter) {
    const e = req.filter;
    const sql = cql2ToSql(e, QUERYABLE_COLUMNS);
    q.where = { sql: sql.sql, params: sql.params };
    if (!sql.exact) {
      exact = false;
      q.postFilter = (item: StacItem) => evaluateCql2(e, item as unknown as Parameters<typeof evaluateCql2>[1]);
    }
  }
  return { query: q, exact };
}

/** Refuses collections that do not exist (400 naming them). */
export async function checkCollections(db: Db, ids: readonly string[] | undefined): Promise<void> {
  if (!ids || ids.length === 0) return;
  const { rows } = await db.query<{ id: string }>('SELECT id FROM collections WHERE id = ANY($1::text[])', [ids]);
  const have = new Set(rows.map((r) => r.id));
  const missing = ids.filter((c) => !have.has(c));
  if (missing.length > 0) {
    throw bad('collections', `unknown collection${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).map((m) => JSON.stringify(m)).join(', ')}`);
  }
}

export interface SearchResult {
  items: StacItem[];
  /** Token of the next page, or null on the last page. */
  next: string | null;
  /**
   * Items matching the whole request. Counted in SQL when SQL decides the request exactly; for requests refined
   * in JS (bbox, intersects, spatial filters) it is known only when everything fits on this first page.
   */
  matched?: number;
}

/** Runs a search: one page of items in sort order, the next token and (when exact) the number matched. */
export async function runSearch(db: Db, req: SearchRequest): Promise<SearchResult> {
  await checkCollections(db, req.collections);
  const { query, exact } = toItemQuery(req);
  try {
    const page = await searchItems(db, query);
    const out: SearchResult = { items: page.items, next: page.next };
    if (exact) out.matched = page.next === null && !req.token ? page.items.length : await countItems(db, query);
    else if (page.next === null && !req.token) out.matched = page.items.length;
    return out;
  } catch (e) {
    if (e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && /^cursor\b/.test(e.message)) {
      throw new GepError(e.code, e.message.replace(/^cursor/, 'token'), { parameter: 'token' });
    }
    throw e;
  }
}

/** Members kept when `fields` is given (Fields extension, "Include/Exclude Semantics" 1; plus what keeps the item valid). */
export const DEFAULT_FIELDS = [
  'type', 'stac_version', 'stac_extensions', 'id', 'collection', 'geometry', 'bbox', 'links', 'assets',
  'properties.datetime', 'properties.start_datetime', 'properties.end_datetime',
];

type Json = Record<string, unknown>;

function pick(src: Json, dst: Json, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(src, head)) return;
  const v = src[head];
  if (rest.length === 0) {
    dst[head] = v;
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
  const sub = (typeof dst[head] === 'object' && dst[head] !== null ? dst[head] : (dst[head] = {})) as Json;
  pick(v as Json, sub, rest);
}

function drop(obj: Json, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(obj, head)) return;
  if (rest.length === 0) {
    delete obj[head];
    return;
  }
  const v = obj[head];
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const copy = { ...(v as Json) };
    obj[head] = copy;
    drop(copy, rest);
  }
}

/**
 * An item restricted by the Fields extension: (DEFAULT_FIELDS ∪ include) minus exclude, on dotted paths
 * (`properties.eo:cloud_cover`, `assets.data`). `properties.x` may be written `x`. The input is not modified.
 */
export function applyFields(item: StacItem, spec: FieldsSpec | undefined): Record<string, unknown> {
  if (!spec) return item as unknown as Json;
  const path = (f: string): string[] => {
    const top = f.split('.')[0]!;
    return (['type', 'stac_version', 'stac_extensions', 'id', 'collection', 'geometry', 'bbox', 'links', 'assets', 'properties'].includes(top)
      ? f
      : `properties.${f}`
    ).split('.');
  };
  const out: Json = {};
  for (const f of [...DEFAULT_FIELDS, ...spec.include]) pick(item as unknown as Json, out, path(f));
  for (const f of spec.exclude) drop(out, path(f));
  return out;
}
