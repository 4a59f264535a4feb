/**
 * Input validation driven by the service description: JSON Schema (the subset in types.ts) per value, OGC
 * minOccurs/maxOccurs per input, defaults applied, unknown inputs refused.
 *
 * Every problem is collected; the GepError (GEP_ERR_INVALID_INPUT) message is the first one, e.g.
 * "input 'windowSize': expected an integer from 1 to 7, got 9", and `details` holds
 * `{ input, problems: [{ input, path, message }] }`. Values are never coerced here (the CLI converts its
 * strings first): JSON clients get exactly the types they declared.
 */
import { GepError } from '../core/errors.ts';
import type { InputDescription, JSONSchema, JSONSchemaType, ServiceDescription } from './types.ts';

export interface InputProblem {
  input: string;
  /** Location inside the value, e.g. "bbox[2]" (empty for the value itself). */
  path: string;
  message: string;
}

const fmt = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

/** A short rendering of a received value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** The JSON type of a value ('integer' for whole numbers). */
function jsonType(v: unknown): JSONSchemaType | 'undefined' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') return typeof v as JSONSchemaType;
  return 'undefined';
}

/**
 * The types a schema admits. A schema without `type` takes it from `enum`/`const` values or from a string
 * `format` (date-time, date, uri): stricter than plain JSON Schema, where such a schema admits anything.
 */
export function schemaTypes(s: JSONSchema): JSONSchemaType[] | null {
  if (s.type !== undefined) return Array.isArray(s.type) ? s.type : [s.type];
  const vals = s.enum ?? (s.const !== undefined ? [s.const] : null);
  if (vals) return [...new Set(vals.map((v) => jsonType(v)).filter((t): t is JSONSchemaType => t !== 'undefined'))];
  if (s.format && STRING_FORMATS[s.format]) return ['string'];
  return null;
}

const NOUNS: Record<string, [string, string]> = {
  string: ['a string', 'strings'],
  number: ['a number', 'numbers'],
  integer: ['an integer', 'integers'],
  boolean: ['true or false', 'booleans'],
  array: ['an array', 'arrays'],
  object: ['an object', 'objects'],
  null: ['null', 'nulls'],
};

function countPhrase(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return min === max ? `${min}` : `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return '';
}

function rangePhrase(s: JSONSchema): string {
  const lo = s.exclusiveMinimum !== undefined ? `greater than ${s.exclusiveMinimum}` : s.minimum !== undefined ? `at least ${s.minimum}` : '';
  const hi = s.exclusiveMaximum !== undefined ? `less than ${s.exclusiveMaximum}` : s.maximum !== undefined ? `at most ${s.maximum}` : '';
  if (s.minimum !== undefined && s.maximum !== undefined && !lo.startsWith('greater') && !hi.startsWith('less'))
    return `from ${s.minimum} to ${s.maximum}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

/** What a schema expects, in words: "an integer from 1 to 7", "one of 'a', 'b'", "an array of 4 or 6 numbers". */
export function describeSchema(s: JSONSchema, plural = false): string {
  if (s.enum) return `one of ${s.enum.map(fmt).join(', ')}`;
  if (s.const !== undefined) return fmt(s.const);
  const alts = s.oneOf ?? s.anyOf;
  const types = schemaTypes(s);
  if (!types && alts) return alts.map((a) => describeSchema(a, plural)).join(' or ');
  if (!types) {
    const n = countPhrase(s.minItems, s.maxItems);
    return n ? `${n} items` : 'any value';
  }
  if (types.length > 1) return types.map((t) => describeSchema({ ...s, type: t }, plural)).join(' or ');
  const t = types[0]!;
  const noun = NOUNS[t]![plural ? 1 : 0];
  if (t === 'integer' || t === 'number') {
    const r = rangePhrase(s);
    return r ? `${noun} ${r}` : noun;
  }
  if (t === 'string') {
    const f = s.format ? STRING_FORMATS[s.format] : undefined;
    if (f) return plural ? f.plural : f.noun;
    const parts = [noun];
    const n = countPhrase(s.minLength, s.maxLength);
    if (n) parts.push(`of ${n} characters`);
    if (s.pattern) parts.push(`matching /${s.pattern}/`);
    return parts.join(' ');
  }
  if (t === 'array') {
    const itemNoun = s.items ? describeSchema(s.items, true) : 'items';
    let n = countPhrase(s.minItems, s.maxItems);
    if (!n && alts?.every((a) => !a.type && (a.minItems !== undefined || a.maxItems !== undefined)))
      n = alts.map((a) => countPhrase(a.minItems, a.maxItems)).join(' or ');
    return `${plural ? 'arrays' : 'an array'} of ${n ? `${n} ` : ''}${itemNoun}`;
  }
  if (t === 'object') {
    if (s.format === 'ogc-bbox' || (s.properties?.bbox && s.required?.includes('bbox')))
      return plural ? 'bounding boxes' : 'a bounding box {"bbox": [minx, miny, maxx, maxy], "crs"?: URI}';
    if (s.format === 'geojson-geometry') return plural ? 'GeoJSON geometries' : 'a GeoJSON geometry';
  }
  return noun;
}

/** RFC 3339 date-time (section 5.6) with a real calendar date. */
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(y: string, m: string, d: string): boolean {
  const mo = Number(m);
  const day = Number(d);
  if (mo < 1 || mo > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(Number(y), mo, 0)).getUTCDate();
}

const STRING_FORMATS: Record<string, { noun: string; plural: string; test: (s: string) => boolean }> = {
  'date-time': {
    noun: 'a date-time (RFC 3339, e.g. 2024-05-01T10:00:00Z)',
    plural: 'date-times (RFC 3339)',
    test: (s) => {
      const m = DATE_TIME_RE.exec(s);
      return !!m && validDate(m[1]!, m[2]!, m[3]!) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
    },
  },
  date: {
    noun: 'a date (YYYY-MM-DD)',
    plural: 'dates (YYYY-MM-DD)',
    test: (s) => {
      const m = DATE_RE.exec(s);
      return !!m && validDate(m[1]!, m[2]!, m[3]!);
    },
  },
  uri: { noun: 'a URI (scheme:...)', plural: 'URIs', test: (s) => /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(s) && URL.canParse(s) },
  'uri-reference': { noun: 'a URI reference', plural: 'URI references', test: (s) => !/\s/.test(s) && URL.canParse(s, 'http://x/') },
};

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Checks `value` against `schema`, pushing one message per problem (without the input name) with its path.
 * Fills missing object properties that have a default. Returns the (possibly completed) value.
 */
export function checkValue(schema: JSONSchema, value: unknown, path: string, out: { path: string; message: string }[]): unknown {
  const bad = (message: string): void => void out.push({ path, message });
  const expected = (): string => `expected ${describeSchema(schema)}, got ${describeValue(value)}`;
  const types = schemaTypes(schema);
  const vt = jsonType(value);
  if (types && !types.some((t) => t === vt || (t === 'number' && vt === 'integer'))) {
    bad(expected());
    return value;
  }
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value))) return bad(expected()), value;
  if (schema.const !== undefined && !deepEqual(schema.const, value)) return bad(expected()), value;
  if (typeof value === 'number') {
    const s = schema;
    if (!Number.isFinite(value) || (s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum) ||
      (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) || (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum))
      bad(expected());
    else if (s.multipleOf !== undefined && Math.abs(value / s.multipleOf - Math.round(value / s.multipleOf)) > 1e-9)
      bad(`expected a multiple of ${s.multipleOf}, got ${value}`);
  } else if (typeof value === 'string') {
    const f = schema.format ? STRING_FORMATS[schema.format] : undefined;
    if ((schema.minLength !== undefined && value.length < schema.minLength) || (schema.maxLength !== undefined && value.length > schema.maxLength) ||
      (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) || (f && !f.test(value)))
      bad(expected());
  } else if (Array.isArray(value)) {
    const arr: unknown[] = value;
    if ((schema.minItems !== undefined && arr.length < schema.minItems) || (schema.maxItems !== undefined && arr.length > schema.maxItems))
      bad(expected());
    if (schema.uniqueItems && arr.some((v, i) => arr.findIndex((w) => deepEqual(v, w)) !== i))
      bad('expected distinct items, got a repeated one');
    if (schema.items) value = arr.map((v, i) => checkValue(schema.items!, v, `${path}[${i}]`, out));
  } else if (vt === 'object') {
    const obj = { ...(value as Record<string, unknown>) };
    const props = schema.properties ?? {};
    for (const key of schema.required ?? [])
      if (obj[key] === undefined) bad(`property '${key}' is missing (expected ${props[key] ? describeSchema(props[key]) : 'a value'})`);
    for (const [key, v] of Object.entries(obj)) {
      const p = `${path ? `${path}.` : ''}${key}`;
      if (props[key]) obj[key] = checkValue(props[key], v, p, out);
      else if (schema.additionalProperties === false)
        out.push({ path: p, message: `unexpected property '${key}' (expected one of: ${Object.keys(props).join(', ')})` });
      else if (typeof schema.additionalProperties === 'object') obj[key] = checkValue(schema.additionalProperties, v, p, out);
    }
    for (const [key, p] of Object.entries(props)) if (obj[key] === undefined && p.default !== undefined) obj[key] = structuredClone(p.default);
    if (schema.format === 'geojson-geometry') {
      const g = obj as { type?: unknown; coordinates?: unknown; geometries?: unknown };
      if (typeof g.type !== 'string' || !GEOMETRY_TYPES.has(g.type) || (g.type === 'GeometryCollection' ? !Array.isArray(g.geometries) : !Array.isArray(g.coordinates)))
        bad(`expected a GeoJSON geometry (type ${[...GEOMETRY_TYPES].join('|')} with coordinates), got ${describeValue(value)}`);
    }
    value = obj;
  }
  for (const sub of schema.allOf ?? []) value = checkValue(sub, value, path, out);
  const alts = schema.oneOf ?? schema.anyOf;
  if (alts) {
    const matching = alts.filter((a) => {
      const probe: { path: string; message: string }[] = [];
      checkValue(a, value, path, probe);
      return probe.length === 0;
    });
    if (matching.length === 0 || (schema.oneOf && matching.length > 1)) bad(expected());
  }
  return value;
}

/** minOccurs of an input: explicit, else 0 when the schema has a default, else 1. */
export const minOccursOf = (d: InputDescription): number => d.minOccurs ?? (d.schema.default !== undefined ? 0 : 1);
/** maxOccurs of an input as a number (Infinity for 'unbounded'). */
export const maxOccursOf = (d: InputDescription): number => (d.maxOccurs === 'unbounded' ? Infinity : d.maxOccurs ?? 1);

/** Validates one input value (undefined = absent); returns the value to use (default applied) or undefined. */
function checkInput(id: string, d: InputDescription, raw: unknown, problems: InputProblem[]): unknown {
  const min = minOccursOf(d);
  const max = maxOccursOf(d);
  const push = (list: { path: string; message: string }[]): void => {
    for (const p of list) problems.push({ input: id, path: p.path, message: `input '${id}': ${p.path ? `${p.path}: ` : ''}${p.message}` });
  };
  if (raw === undefined) {
    if (d.schema.default !== undefined) return structuredClone(d.schema.default);
    if (min > 0) problems.push({ input: id, path: '', message: `input '${id}' is required: expected ${max > 1 ? `${countPhrase(min, max === Infinity ? undefined : max)} values, each ` : ''}${describeSchema(d.schema)}` });
    return undefined;
  }
  if (max <= 1) {
    const list: { path: string; message: string }[] = [];
    const v = checkValue(d.schema, raw, '', list);
    push(list);
    return v;
  }
  // maxOccurs > 1: a list of values; a lone value counts as a list of one unless the schema itself is an array.
  const isListOfValues = Array.isArray(raw) && !(schemaTypes(d.schema)?.includes('array') && !Array.isArray(raw[0]));
  const values = isListOfValues ? (raw as unknown[]) : [raw];
  if (values.length < min || values.length > max) {
    const n = countPhrase(min, max === Infinity ? undefined : max);
    problems.push({ input: id, path: '', message: `input '${id}': expected ${n} values, got ${values.length}` });
  }
  const list: { path: string; message: string }[] = [];
  const out = values.map((v, i) => checkValue(d.schema, v, `[${i}]`, list));
  push(list);
  return out;
}

/**
 * Validates a plain inputs object against a service description and applies defaults.
 * @throws GepError GEP_ERR_INVALID_INPUT naming the first bad input; all problems in `details.problems`.
 */
export function validateInputs(desc: ServiceDescription, inputs: Record<string, unknown>): Record<string, unknown> {
  const problems: InputProblem[] = [];
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs))
    throw new GepError('GEP_ERR_INVALID_INPUT', `inputs of process '${desc.id}' must be an object of input id -> value`, { input: null });
  const known = Object.keys(desc.inputs);
  for (const id of Object.keys(inputs))
    if (!Object.hasOwn(desc.inputs, id))
      problems.push({ input: id, path: '', message: `input '${id}' is not an input of process '${desc.id}' (known: ${known.join(', ')})` });
  const out: Record<string, unknown> = {};
  for (const [id, d] of Object.entries(desc.inputs)) {
    const v = checkInput(id, d, inputs[id], problems);
    if (v !== undefined) out[id] = v;
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new GepError('GEP_ERR_INVALID_INPUT', `${first.message}${more}`, { input: first.input, problems });
  }
  return out;
}
