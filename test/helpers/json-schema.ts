/**
 * A small JSON Schema (draft-07) validator for the subset the STAC 1.1 schemas in ../shared/schemas/stac-spec
 * use: $ref (within a file, to sibling files, with fragments), type, required, enum, const, properties,
 * additionalProperties, items, minItems, maxItems, minLength, minimum, maximum, exclusiveMinimum, oneOf, anyOf,
 * allOf, not, if/then/else, dependencies, contains, uniqueItems, minProperties, pattern, format (date-time,
 * iri, iri-reference). No validator package is installed, hence this one.
 *
 * External references: https://geojson.org/schema/{Feature,Geometry}.json are replaced by built-in schemas
 * written from RFC 7946 §3; the draft-07 meta-schema accepts anything. The STAC 1.1 schemas pin stac_version
 * to "1.1.0-beta.1"; `stacVersion` (default "1.1.0", what we write) is accepted in its place.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SHARED_DATA } from './env.ts';

export const STAC_SCHEMAS = process.env.GEP_SHARED_SCHEMAS ?? resolve(SHARED_DATA, '..', 'schemas', 'stac-spec');

type Schema = boolean | Record<string, unknown>;

const POSITION = { type: 'array', minItems: 2, items: { type: 'number' } };
const geom = (type: string, coordinates: unknown): Record<string, unknown> => ({
  type: 'object',
  required: ['type', 'coordinates'],
  properties: { type: { enum: [type] }, coordinates, bbox: { type: 'array', minItems: 4, items: { type: 'number' } } },
});
const RING = { type: 'array', minItems: 4, items: POSITION };
const GEOMETRY: Record<string, unknown> = {
  oneOf: [
    geom('Point', POSITION),
    geom('MultiPoint', { type: 'array', items: POSITION }),
    geom('LineString', { type: 'array', minItems: 2, items: POSITION }),
    geom('MultiLineString', { type: 'array', items: { type: 'array', minItems: 2, items: POSITION } }),
    geom('Polygon', { type: 'array', items: RING }),
    geom('MultiPolygon', { type: 'array', items: { type: 'array', items: RING } }),
    { type: 'object', required: ['type', 'geometries'], properties: { type: { enum: ['GeometryCollection'] }, geometries: { type: 'array' } } },
  ],
};
const FEATURE: Record<string, unknown> = {
  type: 'object',
  required: ['type', 'properties', 'geometry'],
  properties: {
    type: { enum: ['Feature'] },
    id: { oneOf: [{ type: 'number' }, { type: 'string' }] },
    properties: { oneOf: [{ type: 'null' }, { type: 'object' }] },
    geometry: { oneOf: [{ type: 'null' }, GEOMETRY] },
    bbox: { type: 'array', minItems: 4, items: { type: 'number' } },
  },
};
const BUILTIN: Record<string, Schema> = {
  'https://geojson.org/schema/Feature.json': FEATURE,
  'https://geojson.org/schema/Geometry.json': GEOMETRY,
  'http://json-schema.org/draft-07/schema': true,
  'http://json-schema.org/draft-07/schema#': true,
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class SchemaValidator {
  private files = new Map<string, Record<string, unknown>>();
  constructor(private readonly stacVersion = '1.1.0') {}

  private load(file: string): Record<string, unknown> {
    let s = this.files.get(file);
    if (!s) {
      s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      this.files.set(file, s);
    }
    return s;
  }

  private resolveRef(ref: string, file: string): { schema: Schema; file: string } {
    if (Object.hasOwn(BUILTIN, ref)) return { schema: BUILTIN[ref]!, file };
    const [path, frag] = ref.split('#') as [string, string | undefined];
    if (/^https?:/.test(path)) throw new Error(`unsupported external $ref ${ref}`);
    const target = path === '' ? file : join(dirname(file), path);
    let node: unknown = this.load(target);
    for (const part of (frag ?? '').split('/').filter((p) => p !== '')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`$ref ${ref} from ${file} points at nothing`);
    return { schema: node as Schema, file: target };
  }

  /** Errors of `value` against the schema file (relative to STAC_SCHEMAS, e.g. item-spec/json-schema/item.json). */
  validate(value: unknown, schemaFile: string): string[] {
    const file = join(STAC_SCHEMAS, schemaFile);
    const errors: string[] = [];
    this.check(value, this.load(file), file, '$', errors);
    return errors;
  }

  private typeOk(v: unknown, t: string): boolean {
    switch (t) {
      case 'null':
        return v === null;
      case 'boolean':
        return typeof v === 'boolean';
      case 'number':
        return typeof v === 'number' && Number.isFinite(v);
      case 'integer':
        return Number.isInteger(v);
      case 'string':
        return typeof v === 'string';
      case 'array':
        return Array.isArray(v);
      case 'object':
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      default:
        return false;
    }
  }

  private ok(v: unknown, s: Schema, file: string): boolean {
    const e: string[] = [];
    this.check(v, s, file, '$', e);
    return e.length === 0;
  }

  private check(v: unknown, s: Schema, file: string, at: string, errors: string[]): void {
    if (s === true) return;
    if (s === false) {
      errors.push(`${at}: not allowed`);
      return;
    }
    const err = (m: string): void => void errors.push(`${at}: ${m}`);
    if (typeof s.$ref === 'string') {
      const r = this.resolveRef(s.$ref, file);
      this.check(v, r.schema, r.file, at, errors);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => this.typeOk(v, t))) err(`expected type ${types.join('|')}, got ${JSON.stringify(v)?.slice(0, 60)}`);
    }
    if (Array.isArray(s.enum) && !s.enum.some((x) => JSON.stringify(x) === JSON.stringify(v))) err(`expected one of ${JSON.stringify(s.enum)}`);
    if (s.const !== undefined) {
      const okConst = JSON.stringify(s.const) === JSON.stringify(v) || (s.const === '1.1.0-beta.1' && v === this.stacVersion);
      if (!okConst) err(`expected ${JSON.stringify(s.const)}, got ${JSON.stringify(v)?.slice(0, 60)}`);
    }
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && [...v].length < s.minLength) err(`shorter than ${s.minLength}`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) err(`does not match ${s.pattern}`);
      if (s.format === 'date-time' && (!RFC3339.test(v) || Number.isNaN(Date.parse(v)))) err(`not an RFC 3339 date-time: ${v}`);
      if (s.format === 'iri' && !/^[a-z][a-z0-9+.-]*:\S+$/i.test(v)) err(`not an absolute IRI: ${v.slice(0, 80)}`);
      if (s.format === 'iri-reference' && /\s/.test(v)) err(`not an IRI reference: ${v.slice(0, 80)}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) err(`below ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) err(`above ${s.maximum}`);
      if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) err(`not above ${s.exclusiveMinimum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) err(`fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) err(`more than ${s.maxItems} items`);
      if (s.items !== undefined && !Array.isArray(s.items)) v.forEach((x, i) => this.check(x, s.items as Schema, file, `${at}[${i}]`, errors));
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) err('items are not unique');
      if (s.contains !== undefined && !v.some((x) => this.ok(x, s.contains as Schema, file))) err('no item matches "contains"');
    }
    if (this.typeOk(v, 'object')) {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!Object.hasOwn(o, r)) err(`missing required "${r}"`);
      if (typeof s.minProperties === 'number' && Object.keys(o).length < s.minProperties) err(`fewer than ${s.minProperties} members`);
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, ps] of Object.entries(props)) if (Object.hasOwn(o, k)) this.check(o[k], ps, file, `${at}.${k}`, errors);
      if (s.additionalProperties !== undefined) {
        for (const k of Object.keys(o)) if (!Object.hasOwn(props, k)) this.check(o[k], s.additionalProperties as Schema, file, `${at}.${k}`, errors);
      }
      for (const [k, dep] of Object.entries((s.dependencies ?? {}) as Record<string, Schema | string[]>)) {
        if (!Object.hasOwn(o, k)) continue;
        if (Array.isArray(dep)) {
          for (const d of dep) if (!Object.hasOwn(o, d)) err(`"${k}" requires "${d}"`);
        } else this.check(v, dep, file, at, errors);
      }
    }
    for (const sub of (s.allOf as Schema[] | undefined) ?? []) this.check(v, sub, file, at, errors);
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => this.ok(v, sub, file))) err('matches none of anyOf');
    if (Array.isArray(s.oneOf)) {
      const n = (s.oneOf as Schema[]).filter((sub) => this.ok(v, sub, file)).length;
      if (n !== 1) err(`matches ${n} of oneOf (expected exactly 1)`);
    }
    if (s.not !== undefined && this.ok(v, s.not as Schema, file)) err('matches "not"');
    if (s.if !== undefined) {
      const branch = this.ok(v, s.if as Schema, file) ? s.then : s.else;
      if (branch !== undefined) this.check(v, branch as Schema, file, at, errors);
    }
  }
}

/** Validates a STAC item (item-spec/json-schema/item.json); returns the errors. */
export function stacItemErrors(v: unknown, validator = new SchemaValidator()): string[] {
  return validator.validate(v, 'item-spec/json-schema/item.json');
}

/** Validates a STAC collection (collection-spec/json-schema/collection.json); returns the errors. */
export function stacCollectionErrors(v: unknown, validator = new SchemaValidator()): string[] {
  return validator.validate(v, 'collection-spec/json-schema/collection.json');
}
