/**
 * In-memory evaluation of a CQL2 filter on one STAC item, with SQL's three-valued logic so that it selects
 * exactly what cql2ToSql selects: a predicate on a missing/null value, or on values of incompatible types, is
 * unknown (null); NOT unknown is unknown; AND/OR follow Kleene's tables; the item matches only when the whole
 * filter is true.
 *
 * Property names: `id`, `collection`, `geometry`, `bbox` are item members; anything else is read from
 * `properties` (a leading `properties.` is accepted). In temporal predicates `datetime` is the STAC instant,
 * or the interval [start_datetime, end_datetime] when `datetime` is null (STAC item spec, "Date and Time").
 * Text that parses as an RFC 3339 date-time or date on both sides of a comparison is compared as time.
 */
import type {
  ArrayElement, ArrayExpr, ComparisonOp, Cql2Expr, GeomExpr, IntervalBound, Operand, ScalarExpr, TemporalExpr,
} from './ast.ts';
import { itemGeometry } from './geojson.ts';
import { type Geometry, bboxPolygon, contains, disjoint, equals, intersects, within } from './geometry.ts';
import { likeMatch } from './like.ts';
import { DAY_MS, dateMs, instantOfValue, temporalRelation, timestampMs } from './temporal.ts';
import { foldAccents } from './text-fold.ts';

/** The item shape the evaluator reads (a STAC item or anything shaped like one). */
export interface Cql2Item {
  id: string;
  collection?: string;
  geometry: unknown;
  bbox?: number[];
  properties: Record<string, unknown>;
}

type Tri = boolean | null;
type Scalar = { t: 'text'; v: string } | { t: 'number'; v: number } | { t: 'boolean'; v: boolean } | { t: 'time'; v: number } | null;

/** Raw value of a property on an item; undefined when absent. */
export function itemValue(item: Cql2Item, name: string): unknown {
  switch (name) {
    case 'id':
      return item.id;
    case 'collection':
      return item.collection;
    case 'geometry':
      return item.geometry;
    case 'bbox':
      return item.bbox;
    default: {
      const key = name.startsWith('properties.') ? name.slice(11) : name;
      return Object.hasOwn(item.properties, key) ? item.properties[key] : undefined;
    }
  }
}

function scalar(o: ScalarExpr, item: Cql2Item): Scalar {
  switch (o.kind) {
    case 'property': {
      const v = itemValue(item, o.name);
      if (typeof v === 'string') return { t: 'text', v };
      if (typeof v === 'number' && Number.isFinite(v)) return { t: 'number', v };
      if (typeof v === 'boolean') return { t: 'boolean', v };
      return null;
    }
    case 'string':
      return { t: 'text', v: o.value };
    case 'number':
      return { t: 'number', v: o.value };
    case 'boolean':
      return { t: 'boolean', v: o.value };
    case 'timestamp':
      return { t: 'time', v: timestampMs(o.value)! };
    case 'date':
      return { t: 'time', v: dateMs(o.value)! };
    case 'casei':
    case 'accenti': {
      const a = scalar(o.arg, item);
      if (a === null || a.t !== 'text') return null;
      return { t: 'text', v: o.kind === 'casei' ? a.v.toLowerCase() : foldAccents(a.v) };
    }
  }
}

/** Orders two scalars: negative, zero, positive, or null when not comparable. */
function compare(a: Scalar, b: Scalar): number | null {
  if (a === null || b === null) return null;
  if (a.t === 'time' || b.t === 'time' || (a.t === 'text' && b.t === 'text' && instantOfValue(a.v) !== null && instantOfValue(b.v) !== null)) {
    const x = a.t === 'time' ? a.v : a.t === 'text' ? instantOfValue(a.v) : null;
    const y = b.t === 'time' ? b.v : b.t === 'text' ? instantOfValue(b.v) : null;
    return x === null || y === null ? null : x - y;
  }
  if (a.t !== b.t) return null;
  if (a.t === 'boolean') return Number(a.v) - Number(b.v as boolean);
  if (a.t === 'number') return a.v - (b.v as number);
  const s = b.v as string;
  return a.v < s ? -1 : a.v > s ? 1 : 0;
}

function applyOp(op: ComparisonOp, c: number | null): Tri {
  if (c === null || Number.isNaN(c)) return null;
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function geometry(o: GeomExpr, item: Cql2Item): Geometry | null {
  if (o.kind === 'geometry') return o.geometry;
  if (o.kind === 'bbox') return bboxPolygon(o.bbox);
  return itemGeometry(itemValue(item, o.name));
}

/** [start, end] in epoch ms of a property used as a temporal value. */
function propertyInterval(item: Cql2Item, name: string): [number, number] | null {
  const v = itemValue(item, name);
  if (v !== null && v !== undefined) {
    const t = instantOfValue(v);
    return t === null ? null : [t, t];
  }
  if (name === 'datetime' || name === 'properties.datetime') {
    const s = instantOfValue(item.properties.start_datetime);
    const e = instantOfValue(item.properties.end_datetime);
    return s === null || e === null ? null : [s, e];
  }
  return null;
}

function boundMs(b: IntervalBound, item: Cql2Item, end: boolean): number | null {
  switch (b.kind) {
    case 'open':
      return end ? Infinity : -Infinity;
    case 'timestamp':
      return timestampMs(b.value);
    case 'date':
      return dateMs(b.value)! + (end ? DAY_MS - 1 : 0);
    case 'property': {
      const iv = propertyInterval(item, b.name);
      return iv === null ? null : iv[end ? 1 : 0];
    }
  }
}

function interval(o: TemporalExpr, item: Cql2Item): [number, number] | null {
  switch (o.kind) {
    case 'property':
      return propertyInterval(item, o.name);
    case 'timestamp': {
      const t = timestampMs(o.value)!;
      return [t, t];
    }
    case 'date': {
      const d = dateMs(o.value)!;
      return [d, d + DAY_MS - 1];
    }
    case 'interval': {
      const s = boundMs(o.start, item, false);
      const e = boundMs(o.end, item, true);
      return s === null || e === null ? null : [s, e];
    }
  }
}

/** Element keys of an array operand (JSON of each primitive), or null. */
function arrayKeys(o: ArrayExpr, item: Cql2Item): Set<string> | null {
  const elem = (x: unknown): string => JSON.stringify(x) ?? 'null';
  if (o.kind === 'property') {
    const v = itemValue(item, o.name);
    return Array.isArray(v) ? new Set(v.map(elem)) : null;
  }
  const lit = (e: ArrayElement): unknown => {
    switch (e.kind) {
      case 'property':
        return itemValue(item, e.name) ?? null;
      case 'array':
        return e.items.map(lit);
      default:
        return e.value;
    }
  };
  return new Set(o.items.map((e) => elem(lit(e))));
}

const subset = (a: Set<string>, b: Set<string>): boolean => [...a].every((x) => b.has(x));

function isNull(o: Operand, item: Cql2Item): boolean {
  switch (o.kind) {
    case 'property': {
      const v = itemValue(item, o.name);
      return v === null || v === undefined;
    }
    case 'casei':
    case 'accenti':
      return isNull(o.arg, item);
    default:
      return false;
  }
}

/** Three-valued result: true, false, or null (unknown). */
export function evaluateCql2Tri(e: Cql2Expr, item: Cql2Item): Tri {
  switch (e.kind) {
    case 'and': {
      let r: Tri = true;
      for (const a of e.args) {
        const v = evaluateCql2Tri(a, item);
        if (v === false) return false;
        if (v === null) r = null;
      }
      return r;
    }
    case 'or': {
      let r: Tri = false;
      for (const a of e.args) {
        const v = evaluateCql2Tri(a, item);
        if (v === true) return true;
        if (v === null) r = null;
      }
      return r;
    }
    case 'not': {
      const v = evaluateCql2Tri(e.arg, item);
      return v === null ? null : !v;
    }
    case 'boolean':
      return e.value;
    case 'comparison':
      return applyOp(e.op, compare(scalar(e.left, item), scalar(e.right, item)));
    case 'like': {
      const v = scalar(e.value, item);
      const p = scalar(e.pattern, item);
      if (v === null || p === null || v.t !== 'text' || p.t !== 'text') return null;
      return likeMatch(v.v, p.v);
    }
    case 'between': {
      const v = scalar(e.value, item);
      const lo = applyOp('>=', compare(v, scalar(e.low, item)));
      const hi = applyOp('<=', compare(v, scalar(e.high, item)));
      if (lo === false || hi === false) return false;
      return lo === null || hi === null ? null : true;
    }
    case 'in': {
      const v = scalar(e.value, item);
      if (v === null) return null;
      let r: Tri = false;
      for (const x of e.list) {
        const c = applyOp('=', compare(v, scalar(x, item)));
        if (c === true) return true;
        if (c === null) r = null;
      }
      return r;
    }
    case 'isNull':
      return isNull(e.value, item);
    case 'spatial': {
      const a = geometry(e.left, item);
      const b = geometry(e.right, item);
      if (a === null || b === null) return null;
      const fn = { s_intersects: intersects, s_within: within, s_contains: contains, s_disjoint: disjoint, s_equals: equals }[e.op];
      return fn(a, b);
    }
    case 'temporal': {
      const a = interval(e.left, item);
      const b = interval(e.right, item);
      if (a === null || b === null) return null;
      return temporalRelation(e.op, a[0], a[1], b[0], b[1]);
    }
    case 'arrayPredicate': {
      const a = arrayKeys(e.left, item);
      const b = arrayKeys(e.right, item);
      if (a === null || b === null) return null;
      switch (e.op) {
        case 'a_equals':
          return subset(a, b) && subset(b, a);
        case 'a_contains':
          return subset(b, a);
        case 'a_containedBy':
          return subset(a, b);
        case 'a_overlaps':
          return [...a].some((x) => b.has(x));
      }
    }
  }
}

/** True when the item matches the filter (unknown counts as no match, as in a SQL WHERE clause). */
export function evaluateCql2(e: Cql2Expr, item: Cql2Item): boolean {
  return evaluateCql2Tri(e, item) === true;
}
