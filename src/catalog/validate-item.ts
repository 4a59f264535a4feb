/**
 * Checks STAC items that come from outside (a remote STAC API, an item JSON file) before they reach the
 * database: type Feature, a usable id, a GeoJSON geometry (RFC 7946) or null, a bbox (4 or 6 finite numbers,
 * south <= north, computed from the geometry when absent), properties.datetime (RFC 3339, or null with
 * start_datetime and end_datetime), and assets whose values have a string href. Items over MAX_ITEM_BYTES of JSON
 * are refused. Relative hrefs are made absolute against the item's location (URL or local file), and links back to the source's own
 * catalogue (self, root, parent, collection, items) are replaced by one `via` link to where the item came from.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { GepError, invalidInput } from '../core/errors.ts';
import type { Bbox, GeoJsonGeometry, StacAsset, StacItem, StacLink } from '../core/stac.ts';
import { STAC_VERSION } from '../core/stac.ts';
import { geometryBbox } from '../store/geometry.ts';

/** Largest accepted item, in bytes of JSON (1 MB). */
export const MAX_ITEM_BYTES = 1_000_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);
const SOURCE_LINKS = new Set(['self', 'root', 'parent', 'collection', 'items']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPosition(p: unknown, bad: (why: string) => GepError): void {
  if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw bad('a position must be 2 or 3 finite numbers');
  if (Math.abs(p[1] as number) > 90 || Math.abs(p[0] as number) > 540) throw bad(`position [${p.join(', ')}] is not longitude/latitude in degrees`);
}

/** Depth of nested arrays of positions per geometry type (0 = one position). */
const DEPTH: Record<string, number> = { Point: 0, MultiPoint: 1, LineString: 1, MultiLineString: 2, Polygon: 2, MultiPolygon: 3 };

function checkCoords(c: unknown, depth: number, type: string, bad: (why: string) => GepError): void {
  if (depth === 0) return checkPosition(c, bad);
  if (!Array.isArray(c)) throw bad(`${type} coordinates must be nested arrays`);
  if (c.length > 1_000_000) throw bad('too many coordinates');
  const ring = (type === 'Polygon' && depth === 1) || (type === 'MultiPolygon' && depth === 1);
  if (ring && c.length < 4) throw bad(`a ${type} ring needs at least 4 positions, got ${c.length}`);
  for (const x of c) checkCoords(x, depth - 1, type, bad);
}

function checkGeometry(g: unknown, bad: (why: string) => GepError, nesting = 0): void {
  if (!isObj(g) || typeof g.type !== 'string' || !GEOMETRY_TYPES.has(g.type)) throw bad('geometry must be null or a GeoJSON geometry object');
  if (g.type === 'GeometryCollection') {
    if (nesting > 0 || !Array.isArray(g.geometries)) throw bad('GeometryCollection must hold a geometries array (not nested)');
    for (const x of g.geometries) checkGeometry(x, bad, nesting + 1);
    return;
  }
  checkCoords(g.coordinates, DEPTH[g.type]!, g.type, bad);
}

function checkTime(v: unknown, field: string, bad: (why: string) => GepError): void {
  if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v)))
    throw bad(`properties.${field} must be an RFC 3339 date-time (e.g. 2024-05-01T10:20:30Z), got ${JSON.stringify(v)?.slice(0, 60)}`);
}

/** `href` made absolute: against an http(s) base as a URL, against a local file's folder as a path. */
function absolute(href: string, base: string | undefined): string {
  if (!base || /^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  if (/^https?:\/\//i.test(base)) {
    try {
      return new URL(href, base).toString();
    } catch {
      return href;
    }
  }
  return isAbsolute(href) ? href : resolve(dirname(base), href);
}

/**
 * Validates and normalises one item from outside. `where` names the source in messages; `base` (a URL or file
 * URL) resolves relative hrefs. Throws GEP_ERR_INVALID_INPUT (malformed) or GEP_ERR_TOO_LARGE (> 1 MB).
 */
export function checkExternalItem(raw: unknown, opts: { where: string; base?: string; size?: number }): StacItem {
  const idText = isObj(raw) && typeof raw.id === 'string' ? ` ${JSON.stringify(raw.id.slice(0, 100))}` : '';
  const bad = (why: string): GepError => invalidInput(`${opts.where}: item${idText}: ${why}`);
  const size = opts.size ?? Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (size > MAX_ITEM_BYTES)
    throw new GepError('GEP_ERR_TOO_LARGE', `${opts.where}: item${idText} is ${size} bytes of JSON (at most ${MAX_ITEM_BYTES})`);
  if (!isObj(raw)) throw bad('expected a JSON object');
  if (raw.type !== 'Feature') throw bad(`type must be "Feature", got ${JSON.stringify(raw.type)}`);
  const id = raw.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024 || id.includes('\u0000')) throw bad('id must be a non-empty string of at most 1024 characters');
  if (raw.geometry !== null && raw.geometry !== undefined) checkGeometry(raw.geometry, bad);
  const geometry = (raw.geometry ?? null) as GeoJsonGeometry | null;
  let bbox: Bbox | undefined;
  if (raw.bbox !== undefined && raw.bbox !== null) {
    const b = raw.bbox;
    if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6) || !b.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw bad('bbox must be 4 or 6 finite numbers');
    const s = b[1] as number;
    const n = b[b.length === 4 ? 3 : 4] as number;
    if (s > n || Math.abs(s) > 90 || Math.abs(n) > 90) throw bad(`bbox [${b.join(', ')}] has south > north or a latitude beyond 90`);
    bbox = b as Bbox;
  } else if (geometry) {
    const g = geometryBbox(geometry as Parameters<typeof geometryBbox>[0]);
    if (g) bbox = [g[0], g[1], g[2], g[3]];
  }
  if (!isObj(raw.properties)) throw bad('properties must be an object');
  const p = raw.properties;
  if (p.datetime === null || p.datetime === undefined) {
    if (p.start_datetime === undefined || p.end_datetime === undefined) throw bad('properties.datetime is missing, so start_datetime and end_datetime are required');
  } else checkTime(p.datetime, 'datetime', bad);
  if (p.start_datetime !== undefined && p.start_datetime !== null) checkTime(p.start_datetime, 'start_datetime', bad);
  if (p.end_datetime !== undefined && p.end_datetime !== null) checkTime(p.end_datetime, 'end_datetime', bad);
  if (!isObj(raw.assets)) throw bad('assets must be an object');
  const assets: Record<string, StacAsset> = {};
  for (const [k, a] of Object.entries(raw.assets)) {
    if (!isObj(a) || typeof a.href !== 'string' || a.href === '') throw bad(`asset ${JSON.stringify(k)} must be an object with a string href`);
    assets[k] = { ...a, href: absolute(a.href, opts.base) } as StacAsset;
  }
  if (raw.links !== undefined && !Array.isArray(raw.links)) throw bad('links must be an array');
  const links: StacLink[] = [];
  let self: string | undefined;
  for (const l of (raw.links as unknown[] | undefined) ?? []) {
    if (!isObj(l) || typeof l.rel !== 'string' || typeof l.href !== 'string') throw bad('each link needs string rel and href');
    if (l.rel === 'self') self = absolute(l.href, opts.base);
    if (SOURCE_LINKS.has(l.rel)) continue;
    links.push({ ...(l as unknown as StacLink), href: absolute(l.href, opts.base) });
  }
  const via = self ?? opts.base;
  if (via && /^https?:/i.test(via)) links.push({ rel: 'via', href: via, type: 'application/geo+json', title: 'Source item' });
  const exts = Array.isArray(raw.stac_extensions) ? raw.stac_extensions.filter((e): e is string => typeof e === 'string') : [];
  const item: StacItem = {
    type: 'Feature',
    stac_version: typeof raw.stac_version === 'string' ? raw.stac_version : STAC_VERSION,
    stac_extensions: exts,
    id,
    geometry,
    properties: p as StacItem['properties'],
    links,
    assets,
  };
  if (bbox) item.bbox = bbox;
  if (typeof raw.collection === 'string') item.collection = raw.collection;
  return item;
}
