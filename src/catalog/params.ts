/**
 * Parsing and validation of the STAC API search parameters, one function per parameter, shared by the GET
 * (query string) and POST (JSON body) forms (STAC API - Item Search 1.0, "Query Parameter Table"; OGC API -
 * Features Part 1 §7.15). Every function throws GEP_ERR_INVALID_INPUT with `details.parameter` naming the
 * parameter and a message saying what was expected, so the HTTP layer answers 400 problem+json.
 *
 * Decisions (documented in the OpenAPI description too):
 * - limit: integer >= 1, default 10; above MAX_LIMIT it is clamped (the Item Search spec: "the server must act
 *   as if the request were for the maximum and not return an error"). 0, negatives, fractions, text -> 400.
 * - bbox: 4 or 6 numbers (the z values are ignored), lon in [-180, 180], lat in [-90, 90], miny <= maxy;
 *   minx > maxx is a box crossing the antimeridian (OGC API - Features, bbox parameter) and is searched as two.
 * - datetime: an RFC 3339 date-time with time zone, or an interval `a/b` with `..` or an empty string for an open
 *   end; `../..` (no bound at all) and start > end are 400.
 */
import { invalidInput, type GepError } from '../core/errors.ts';
import { GeometryProblem, readGeometry } from './cql2/geojson.ts';
import type { Geometry } from './cql2/geometry.ts';
import { timestampMs } from './cql2/temporal.ts';

/** Default page size (Item Search openapi.yaml). */
export const DEFAULT_LIMIT = 10;
/** Largest page size; larger requests are clamped to it. Equal to the store's MAX_LIMIT. */
export const MAX_LIMIT = 10000;
/** Most ids or collections in one request. */
export const MAX_LIST = 10000;
/** Largest GeoJSON geometry accepted in `intersects` (values visited: numbers and arrays). */
export const MAX_GEOMETRY_NODES = 500_000;

export const bad = (parameter: string, message: string): GepError => invalidInput(`${parameter}: ${message}`, { parameter });

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}...` : s;
};

/** Page size: integer >= 1 (number, or decimal digits in a query string); clamped to MAX_LIMIT. */
export function parseLimit(v: unknown): number {
  if (v === undefined || v === null || v === '') return DEFAULT_LIMIT;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\+?\d+\s*$/.test(v)) n = Number(v);
  else throw bad('limit', `expected an integer from 1 to ${MAX_LIMIT}, got ${show(v)}`);
  if (!Number.isInteger(n) && !(n > MAX_LIMIT)) throw bad('limit', `expected an integer from 1 to ${MAX_LIMIT}, got ${show(v)}`);
  if (n < 1) throw bad('limit', `expected an integer from 1 to ${MAX_LIMIT}, got ${show(v)}`);
  return Math.min(n, MAX_LIMIT);
}

/** A bounding box [minx, miny, maxx, maxy] in degrees from "a,b,c,d" or a JSON array (4 or 6 numbers). */
export function parseBbox(v: unknown): [number, number, number, number] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let nums: unknown[];
  if (typeof v === 'string') nums = v.split(',').map((s) => (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : NaN));
  else if (Array.isArray(v)) nums = v;
  else throw bad('bbox', `expected 4 or 6 numbers (minx,miny,maxx,maxy), got ${show(v)}`);
  if ((nums.length !== 4 && nums.length !== 6) || !nums.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw bad('bbox', `expected 4 or 6 finite numbers (minx,miny,maxx,maxy or minx,miny,minz,maxx,maxy,maxz), got ${show(v)}`);
  }
  const n = nums as number[];
  const b: [number, number, number, number] = n.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!];
  if (b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180) throw bad('bbox', `longitudes must be within [-180, 180], got ${show(v)}`);
  if (b[1] < -90 || b[1] > 90 || b[3] < -90 || b[3] > 90) throw bad('bbox', `latitudes must be within [-90, 90], got ${show(v)}`);
  if (b[1] > b[3]) throw bad('bbox', `miny must not exceed maxy, got ${show(v)} (minx > maxx is allowed: a box crossing the antimeridian)`);
  if (n.length === 6 && n[2]! > n[5]!) throw bad('bbox', `minz must not exceed maxz, got ${show(v)}`);
  return b;
}

/** One RFC 3339 date-time with a time zone, returned upper-cased (T, Z); throws naming `parameter`. */
export function parseInstant(s: string, parameter: string): string {
  // An unencoded '+' of a UTC offset arrives as a space in a query string: read it back as '+'.
  const t = s.trim().replace(/(\d) (\d{2}:\d{2})$/, '$1+$2');
  if (timestampMs(t) === null) {
    throw bad(parameter, `expected an RFC 3339 date-time with time zone such as 2024-05-01T10:20:30Z, got ${show(s)}`);
  }
  return t.toUpperCase();
}

export interface TimeRange {
  /** Inclusive bounds; null = open. An instant has start === end. */
  start: string | null;
  end: string | null;
}

/** `datetime`: an instant, or `start/end` with `..` or '' for an open end. */
export function parseDatetime(v: unknown): TimeRange | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad('datetime', `expected a string (an RFC 3339 date-time or an interval a/b), got ${show(v)}`);
  const parts = v.split('/');
  if (parts.length === 1) {
    const t = parseInstant(parts[0]!, 'datetime');
    return { start: t, end: t };
  }
  if (parts.length !== 2) throw bad('datetime', `expected an instant or one interval start/end, got ${show(v)}`);
  const open = (s: string): boolean => s.trim() === '..' || s.trim() === '';
  const start = open(parts[0]!) ? null : parseInstant(parts[0]!, 'datetime');
  const end = open(parts[1]!) ? null : parseInstant(parts[1]!, 'datetime');
  if (start === null && end === null) throw bad('datetime', `an interval needs at least one bound, got ${show(v)}`);
  if (start !== null && end !== null && timestampMs(start)! > timestampMs(end)!) {
    throw bad('datetime', `the interval start ${start} is after its end ${end}`);
  }
  return { start, end };
}

/** A list of non-empty strings: "a,b,c" (GET) or a JSON array of strings (POST). */
export function parseStringList(v: unknown, parameter: string): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let list: unknown[];
  if (typeof v === 'string') list = v.split(',');
  else if (Array.isArray(v)) list = v;
  else throw bad(parameter, `expected a comma-separated list (GET) or an array of strings (POST), got ${show(v)}`);
  if (list.length > MAX_LIST) throw bad(parameter, `at most ${MAX_LIST} values, got ${list.length}`);
  for (const s of list) {
    if (typeof s !== 'string' || s.length === 0 || s.length > 1024) throw bad(parameter, `expected non-empty strings of at most 1024 characters, got ${show(s)}`);
  }
  return [...new Set(list as string[])];
}

/** `intersects`: a GeoJSON geometry object (POST) or its JSON text (GET). */
export function parseIntersects(v: unknown): Geometry | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let g: unknown = v;
  if (typeof v === 'string') {
    try {
      g = JSON.parse(v);
    } catch {
      throw bad('intersects', 'expected a GeoJSON geometry as JSON text');
    }
  }
  try {
    return readGeometry(g, 'intersects', { left: MAX_GEOMETRY_NODES }, 0, 64);
  } catch (e) {
    if (e instanceof GeometryProblem) throw bad('intersects', `${e.path}: ${e.message}`);
    throw e;
  }
}

export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

/** `sortby`: "-datetime,+id" (GET; '+' may arrive decoded as a space) or [{field, direction}] (POST). */
export function parseSortby(v: unknown): SortKey[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const out: SortKey[] = [];
  if (typeof v === 'string') {
    for (const raw of v.split(',')) {
      const m = /^\s*([+-]?)\s*([A-Za-z_][\w:.-]*)\s*$/.exec(raw.startsWith(' ') ? `+${raw.trimStart()}` : raw);
      if (!m) throw bad('sortby', `expected fields like -datetime,+id, got ${show(raw)}`);
      out.push({ field: m[2]!, direction: m[1] === '-' ? 'desc' : 'asc' });
    }
  } else if (Array.isArray(v)) {
    for (const s of v) {
      const o = s as { field?: unknown; direction?: unknown } | null;
      if (typeof o !== 'object' || o === null || typeof o.field !== 'string' || o.field === '') {
        throw bad('sortby', `expected objects {"field": ..., "direction": "asc"|"desc"}, got ${show(s)}`);
      }
      const d = o.direction ?? 'asc';
      if (d !== 'asc' && d !== 'desc') throw bad('sortby', `direction must be "asc" or "desc", got ${show(d)}`);
      out.push({ field: o.field, direction: d });
    }
  } else throw bad('sortby', `expected a string (GET) or an array (POST), got ${show(v)}`);
  if (out.length > 8) throw bad('sortby', 'at most 8 sort keys');
  return out;
}

export interface FieldsSpec {
  include: string[];
  exclude: string[];
}

const FIELD_RE = /^[A-Za-z_][\w:.-]*$/;

/** `fields`: "id,-geometry,properties.datetime" (GET) or {include: [...], exclude: [...]} (POST). */
export function parseFields(v: unknown): FieldsSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const spec: FieldsSpec = { include: [], exclude: [] };
  const add = (name: string, exclude: boolean): void => {
    if (!FIELD_RE.test(name) || name.length > 256) throw bad('fields', `expected field names like id or properties.eo:cloud_cover, got ${show(name)}`);
    (exclude ? spec.exclude : spec.include).push(name);
  };
  if (typeof v === 'string') {
    for (const raw of v.split(',')) {
      if (raw.trim() === '') continue;
      const t = raw.startsWith(' ') ? `+${raw.trimStart()}` : raw.trim();
      if (t.startsWith('-')) add(t.slice(1), true);
      else add(t.startsWith('+') ? t.slice(1) : t, false);
    }
  } else if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { include?: unknown; exclude?: unknown };
    for (const [key, excl] of [['include', false], ['exclude', true]] as const) {
      const list = o[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw bad('fields', `${key} must be an array of strings`);
      for (const s of list as string[]) add(s, excl);
    }
  } else throw bad('fields', `expected a string (GET) or an object {include, exclude} (POST), got ${show(v)}`);
  return spec;
}

/** Filter languages of the Filter extension. */
export type FilterLang = 'cql2-text' | 'cql2-json';
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

export function parseFilterLang(v: unknown, dflt: FilterLang): FilterLang {
  if (v === undefined || v === null || v === '') return dflt;
  if (v === 'cql2-text' || v === 'cql2-json') return v;
  throw bad('filter-lang', `expected cql2-text or cql2-json, got ${show(v)}`);
}

/** `filter-crs`: only CRS84 (longitude, latitude in degrees) is supported. */
export function parseFilterCrs(v: unknown): void {
  if (v === undefined || v === null || v === '' || v === CRS84) return;
  throw bad('filter-crs', `only ${CRS84} is supported, got ${show(v)}`);
}

/** A single-valued query-string parameter: repeated parameters are refused. */
export function single(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw bad(name, 'given more than once');
  if (typeof v !== 'string') throw bad(name, 'expected a string');
  return v;
}
