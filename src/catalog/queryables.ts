/**
 * Queryables of the catalogue (OGC API - Features Part 3 "Queryables"; STAC API Filter extension): the
 * properties a CQL2 filter or the Query extension may name, how each maps to SQL on the items table
 * (src/store/migrations/0001_stac.sql), and their JSON Schema served at /queryables.
 *
 * The SQL of a property read from the `properties` jsonb is guarded by its JSON type, so a value of the wrong
 * type is NULL (unknown) in SQL exactly as it is for evaluateCql2, and a cast can never fail at run time.
 * Names are accepted bare (`eo:cloud_cover`) or prefixed (`properties.eo:cloud_cover`).
 *
 * Time: `datetime` compares on the indexed start column (properties.datetime, or start_datetime for a period
 * item) and temporal predicates use the period [datetime, end_datetime].
 */
import type { StacCollection } from '../core/stac.ts';
import type { SqlColumn, SqlColumns } from './cql2/index.ts';

interface Queryable {
  column: SqlColumn;
  /** JSON Schema of the property (draft 2019-09 subset). */
  schema: Record<string, unknown>;
}

/** Text, number and array properties read from the jsonb `properties`, type-guarded. */
const prop = (name: string, type: 'text' | 'number' | 'array'): SqlColumn => {
  const p = `properties->'${name}'`;
  if (type === 'number') return { sql: `(CASE WHEN jsonb_typeof(${p}) = 'number' THEN (${p})::text::double precision END)`, type: 'number' };
  if (type === 'array') {
    return { sql: `(CASE WHEN jsonb_typeof(${p}) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(${p})) END)`, type: 'array' };
  }
  return { sql: `(CASE WHEN jsonb_typeof(${p}) = 'string' THEN properties->>'${name}' END)`, type: 'text' };
};

const DT = { type: 'string', format: 'date-time' };

/** The global queryables, in the order they are listed. */
const QUERYABLES: Record<string, Queryable> = {
  id: { column: { sql: 'id', type: 'text' }, schema: { title: 'Item ID', type: 'string' } },
  collection: { column: { sql: 'collection', type: 'text' }, schema: { title: 'Collection ID', type: 'string' } },
  geometry: {
    column: { sql: 'bbox', type: 'geometry' },
    schema: { title: 'Footprint', $ref: 'https://geojson.org/schema/Geometry.json' },
  },
  datetime: {
    column: { sql: 'datetime', type: 'timestamp', interval: { start: 'datetime', end: 'end_datetime' } },
    schema: { title: 'Acquisition time (start of the period for period items)', ...DT },
  },
  start_datetime: {
    column: { sql: `(CASE WHEN properties ? 'start_datetime' THEN datetime END)`, type: 'timestamp' },
    schema: { title: 'Start of the period', ...DT },
  },
  end_datetime: {
    column: { sql: `(CASE WHEN properties ? 'end_datetime' THEN end_datetime END)`, type: 'timestamp' },
    schema: { title: 'End of the period', ...DT },
  },
  'eo:cloud_cover': {
    column: { sql: 'cloud_cover', type: 'number' },
    schema: { title: 'Cloud cover (%)', type: 'number', minimum: 0, maximum: 100 },
  },
  platform: { column: { sql: 'platform', type: 'text' }, schema: { title: 'Platform', type: 'string' } },
  constellation: { column: prop('constellation', 'text'), schema: { title: 'Constellation', type: 'string' } },
  instruments: { column: prop('instruments', 'array'), schema: { title: 'Instruments', type: 'array', items: { type: 'string' } } },
  gsd: { column: prop('gsd', 'number'), schema: { title: 'Ground sample distance (m)', type: 'number', exclusiveMinimum: 0 } },
  'view:off_nadir': { column: prop('view:off_nadir', 'number'), schema: { title: 'Off-nadir angle (°)', type: 'number', minimum: 0, maximum: 90 } },
  'view:incidence_angle': { column: prop('view:incidence_angle', 'number'), schema: { title: 'Incidence angle (°)', type: 'number', minimum: 0, maximum: 90 } },
  'view:sun_azimuth': { column: prop('view:sun_azimuth', 'number'), schema: { title: 'Sun azimuth (°)', type: 'number', minimum: 0, maximum: 360 } },
  'view:sun_elevation': { column: prop('view:sun_elevation', 'number'), schema: { title: 'Sun elevation (°)', type: 'number', minimum: -90, maximum: 90 } },
  'sat:orbit_state': { column: prop('sat:orbit_state', 'text'), schema: { title: 'Orbit state', type: 'string', enum: ['ascending', 'descending', 'geostationary'] } },
  'sat:relative_orbit': { column: prop('sat:relative_orbit', 'number'), schema: { title: 'Relative orbit', type: 'integer', minimum: 1 } },
  'proj:code': { column: prop('proj:code', 'text'), schema: { title: 'CRS code (e.g. EPSG:32632)', type: 'string' } },
  'processing:level': { column: prop('processing:level', 'text'), schema: { title: 'Processing level', type: 'string' } },
  'mgrs:tile': { column: prop('mgrs:tile', 'text'), schema: { title: 'MGRS tile', type: 'string' } },
};

/** Canonical queryable name for a property name (drops a `properties.` prefix), or null when unknown. */
export function queryableName(name: string): string | null {
  const n = name.startsWith('properties.') ? name.slice('properties.'.length) : name;
  return Object.hasOwn(QUERYABLES, n) ? n : null;
}

export function queryableNames(): string[] {
  return Object.keys(QUERYABLES);
}

/** The resolver cql2ToSql uses: the queryables whitelist (anything else is a 400 naming the property). */
export const QUERYABLE_COLUMNS: SqlColumns = {
  resolve(property: string): SqlColumn | null {
    const n = queryableName(property);
    return n === null ? null : QUERYABLES[n]!.column;
  },
  names: queryableNames,
};

/**
 * The queryables JSON Schema document, for the whole catalogue or for one collection (whose string-valued
 * summaries become `enum`s).
 */
export function queryablesSchema(baseUrl: string, collection?: StacCollection): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, q] of Object.entries(QUERYABLES)) {
    const schema: Record<string, unknown> = { ...q.schema };
    const summary = collection?.summaries?.[name];
    if (Array.isArray(summary) && summary.length > 0 && summary.every((s) => typeof s === 'string')) {
      if (q.schema.type === 'string') schema.enum = [...new Set(summary as string[])];
      else if (q.schema.type === 'array') schema.items = { type: 'string', enum: [...new Set(summary as string[])] };
    }
    properties[name] = schema;
  }
  if (collection) properties.collection = { ...(properties.collection as object), const: collection.id };
  return {
    $schema: 'https://json-schema.org/draft/2019-09/schema',
    $id: collection ? `${baseUrl}/collections/${encodeURIComponent(collection.id)}/queryables` : `${baseUrl}/queryables`,
    type: 'object',
    title: collection ? `Queryables of ${collection.title ?? collection.id}` : 'Queryables of the catalogue',
    properties,
    additionalProperties: false,
  };
}
