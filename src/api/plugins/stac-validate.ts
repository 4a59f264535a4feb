/**
 * Checks of the item and collection JSON that the Transaction extension writes (STAC 1.1 item-spec and
 * collection-spec, the required fields and their types), so that nothing the catalogue stores breaks a
 * reader. Missing optional members are filled (stac_version, stac_extensions, links, assets, the item bbox
 * computed from its geometry). Each problem is a 400 naming the JSON path and what was expected.
 */
import { invalidInput, type GepError } from '../../core/errors.ts';
import { STAC_VERSION, type StacCollection, type StacItem } from '../../core/stac.ts';
import { GeometryProblem, readGeometry } from '../../catalog/cql2/geojson.ts';
import { timestampMs } from '../../catalog/cql2/temporal.ts';
import { geometryBbox } from '../../store/geometry.ts';

const fail = (path: string, msg: string): GepError => invalidInput(`${path}: ${msg}`, { parameter: 'body' });
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkId(v: unknown, path: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024 || /[/\\\u0000-\u001f]/.test(v)) {
    throw fail(path, `expected a non-empty string of at most 1024 characters without '/', '\\' or control characters, got ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return v;
}

function checkTime(v: unknown, path: string): void {
  if (typeof v !== 'string' || timestampMs(v) === null) throw fail(path, `expected an RFC 3339 date-time with time zone, got ${JSON.stringify(v)?.slice(0, 80)}`);
}

function checkCommon(o: Obj, path: string): void {
  if (o.stac_version === undefined) o.stac_version = STAC_VERSION;
  else if (typeof o.stac_version !== 'string') throw fail(`${path}.stac_version`, 'expected a string');
  if (o.stac_extensions === undefined) o.stac_extensions = [];
  else if (!Array.isArray(o.stac_extensions) || !o.stac_extensions.every((s) => typeof s === 'string')) throw fail(`${path}.stac_extensions`, 'expected an array of URLs');
  if (o.links === undefined) o.links = [];
  if (!Array.isArray(o.links)) throw fail(`${path}.links`, 'expected an array of links');
  o.links.forEach((l: unknown, i) => {
    if (!isObj(l) || typeof l.rel !== 'string' || l.rel === '' || typeof l.href !== 'string' || l.href === '') {
      throw fail(`${path}.links[${i}]`, 'expected a link object with non-empty "rel" and "href" strings');
    }
  });
  if (o.assets !== undefined) {
    if (!isObj(o.assets)) throw fail(`${path}.assets`, 'expected an object of assets');
    for (const [k, a] of Object.entries(o.assets)) {
      if (!isObj(a) || typeof a.href !== 'string' || a.href === '') throw fail(`${path}.assets.${k}`, 'expected an asset object with a non-empty "href"');
    }
  }
}

function checkBbox(v: unknown, path: string): void {
  if (!Array.isArray(v) || (v.length !== 4 && v.length !== 6) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw fail(path, 'expected 4 or 6 finite numbers');
  }
}

/** A validated copy of an item for `collection` (its `collection` member is set, or must match). */
export function validateItem(body: unknown, collection: string, path = 'item'): StacItem {
  if (!isObj(body)) throw fail(path, 'expected a STAC Item (a GeoJSON Feature object)');
  const o: Obj = structuredClone(body);
  if (o.type !== 'Feature') throw fail(`${path}.type`, `expected "Feature", got ${JSON.stringify(o.type)?.slice(0, 40)}`);
  checkId(o.id, `${path}.id`);
  if (o.collection === undefined) o.collection = collection;
  else if (o.collection !== collection) throw fail(`${path}.collection`, `is ${JSON.stringify(o.collection)?.slice(0, 80)} but the item is written to collection ${JSON.stringify(collection)}`);
  checkCommon(o, path);
  if (o.assets === undefined) o.assets = {};
  if (!('geometry' in o)) throw fail(`${path}.geometry`, 'required (a GeoJSON geometry or null)');
  if (o.geometry !== null) {
    try {
      readGeometry(o.geometry, `${path}.geometry`, { left: 1_000_000 }, 0, 32);
    } catch (e) {
      if (e instanceof GeometryProblem) throw fail(e.path, e.message);
      throw e;
    }
    if (o.bbox === undefined) {
      const b = geometryBbox(o.geometry as Parameters<typeof geometryBbox>[0]);
      if (b) o.bbox = [...b];
    } else checkBbox(o.bbox, `${path}.bbox`);
  } else if (o.bbox !== undefined) throw fail(`${path}.bbox`, 'must be absent when geometry is null');
  const p = o.properties;
  if (!isObj(p)) throw fail(`${path}.properties`, 'expected an object');
  if (!('datetime' in p)) throw fail(`${path}.properties.datetime`, 'required (an RFC 3339 date-time, or null with start_datetime and end_datetime)');
  if (p.datetime !== null) checkTime(p.datetime, `${path}.properties.datetime`);
  const hasStart = p.start_datetime !== undefined;
  const hasEnd = p.end_datetime !== undefined;
  if (p.datetime === null && !(hasStart && hasEnd)) throw fail(`${path}.properties`, 'datetime is null, so start_datetime and end_datetime are required');
  if (hasStart !== hasEnd) throw fail(`${path}.properties`, 'start_datetime and end_datetime go together');
  if (hasStart) {
    checkTime(p.start_datetime, `${path}.properties.start_datetime`);
    checkTime(p.end_datetime, `${path}.properties.end_datetime`);
    if (timestampMs(p.start_datetime as string)! > timestampMs(p.end_datetime as string)!) throw fail(`${path}.properties`, 'start_datetime is after end_datetime');
  }
  return o as unknown as StacItem;
}

/** A validated copy of a collection. */
export function validateCollection(body: unknown, path = 'collection'): StacCollection {
  if (!isObj(body)) throw fail(path, 'expected a STAC Collection object');
  const o: Obj = structuredClone(body);
  if (o.type !== 'Collection') throw fail(`${path}.type`, `expected "Collection", got ${JSON.stringify(o.type)?.slice(0, 40)}`);
  checkId(o.id, `${path}.id`);
  checkCommon(o, path);
  if (typeof o.description !== 'string' || o.description === '') throw fail(`${path}.description`, 'required (a non-empty string)');
  if (typeof o.license !== 'string' || o.license === '') throw fail(`${path}.license`, 'required (an SPDX identifier, "other" or "proprietary")');
  const e = o.extent;
  if (!isObj(e) || !isObj(e.spatial) || !isObj(e.temporal)) throw fail(`${path}.extent`, 'required: {"spatial": {"bbox": [[...]]}, "temporal": {"interval": [[start, end]]}}');
  const boxes = e.spatial.bbox;
  if (!Array.isArray(boxes) || boxes.length === 0) throw fail(`${path}.extent.spatial.bbox`, 'expected a non-empty array of bounding boxes');
  boxes.forEach((b, i) => checkBbox(b, `${path}.extent.spatial.bbox[${i}]`));
  const iv = e.temporal.interval;
  if (!Array.isArray(iv) || iv.length === 0) throw fail(`${path}.extent.temporal.interval`, 'expected a non-empty array of [start, end] intervals');
  iv.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw fail(`${path}.extent.temporal.interval[${i}]`, 'expected [start, end] (null for an open end)');
    pair.forEach((t, j) => {
      if (t !== null) checkTime(t, `${path}.extent.temporal.interval[${i}][${j}]`);
    });
  });
  return o as unknown as StacCollection;
}

/** JSON Merge Patch (RFC 7396): members of `patch` replace those of `target`; null removes them. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
