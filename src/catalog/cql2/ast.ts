/**
 * The typed syntax tree of an OGC CQL2 filter (OGC 21-065r2), shared by the text and JSON encodings.
 *
 * Conformance classes covered: Basic CQL2, Advanced Comparison Operators (LIKE, BETWEEN, IN), Case- and
 * Accent-insensitive Comparison (CASEI, ACCENTI), Basic Spatial Functions + Spatial Functions (S_INTERSECTS,
 * S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS; not S_TOUCHES / S_OVERLAPS / S_CROSSES), Temporal Functions
 * (all fifteen T_*), Array Functions (A_EQUALS, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS), Property-Property
 * comparisons. Not covered: arithmetic, custom functions.
 *
 * Negated forms of the text encoding (`NOT LIKE`, `NOT BETWEEN`, `NOT IN`, `IS NOT NULL`) are a `not` node
 * around the positive predicate, exactly as the JSON encoding writes them.
 */
import type { Geometry } from './geometry.ts';

export type { Geometry, Position } from './geometry.ts';

export interface PropertyRef {
  kind: 'property';
  name: string;
}
export interface StringLit {
  kind: 'string';
  value: string;
}
export interface NumberLit {
  kind: 'number';
  value: number;
}
export interface BooleanLit {
  kind: 'boolean';
  value: boolean;
}
/** An RFC 3339 date-time exactly as written (validated), e.g. '2020-01-01T10:00:00Z'. */
export interface TimestampLit {
  kind: 'timestamp';
  value: string;
}
/** A calendar date 'YYYY-MM-DD' (validated). In temporal predicates it stands for the whole UTC day. */
export interface DateLit {
  kind: 'date';
  value: string;
}
/** The open end '..' of an interval. */
export interface OpenBound {
  kind: 'open';
}
export type IntervalBound = TimestampLit | DateLit | PropertyRef | OpenBound;
export interface IntervalLit {
  kind: 'interval';
  start: IntervalBound;
  end: IntervalBound;
}
export interface GeometryLit {
  kind: 'geometry';
  geometry: Geometry;
}
/** BBOX(minx, miny, maxx, maxy) or the 6-number form with minz after miny and maxz last. */
export interface BboxLit {
  kind: 'bbox';
  bbox: number[];
}
export interface CaseI {
  kind: 'casei';
  arg: CharExpr;
}
export interface AccentI {
  kind: 'accenti';
  arg: CharExpr;
}
export type ArrayElement = StringLit | NumberLit | BooleanLit | TimestampLit | DateLit | PropertyRef | ArrayLit;
export interface ArrayLit {
  kind: 'array';
  items: ArrayElement[];
}

export type CharExpr = StringLit | PropertyRef | CaseI | AccentI;
export type ScalarExpr = PropertyRef | StringLit | NumberLit | BooleanLit | TimestampLit | DateLit | CaseI | AccentI;
export type TemporalExpr = PropertyRef | TimestampLit | DateLit | IntervalLit;
export type GeomExpr = PropertyRef | GeometryLit | BboxLit;
export type ArrayExpr = PropertyRef | ArrayLit;
/** Anything that can stand as an operand. */
export type Operand = ScalarExpr | TemporalExpr | GeomExpr | ArrayExpr;

export const COMPARISON_OPS = ['=', '<>', '<', '<=', '>', '>='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export const SPATIAL_OPS = ['s_intersects', 's_within', 's_contains', 's_disjoint', 's_equals'] as const;
export type SpatialOp = (typeof SPATIAL_OPS)[number];
/** JSON-encoding spelling (camel case); the text encoding writes them upper case. */
export const TEMPORAL_OPS = [
  't_after', 't_before', 't_contains', 't_disjoint', 't_during', 't_equals', 't_finishedBy', 't_finishes',
  't_intersects', 't_meets', 't_metBy', 't_overlappedBy', 't_overlaps', 't_startedBy', 't_starts',
] as const;
export type TemporalOp = (typeof TEMPORAL_OPS)[number];
export const ARRAY_OPS = ['a_equals', 'a_contains', 'a_containedBy', 'a_overlaps'] as const;
export type ArrayOp = (typeof ARRAY_OPS)[number];
/** Valid CQL2 spatial operators that this implementation refuses with a clear message. */
export const UNSUPPORTED_SPATIAL_OPS = ['s_touches', 's_overlaps', 's_crosses'] as const;

export interface AndExpr {
  kind: 'and';
  /** Two or more. */
  args: Cql2Expr[];
}
export interface OrExpr {
  kind: 'or';
  args: Cql2Expr[];
}
export interface NotExpr {
  kind: 'not';
  arg: Cql2Expr;
}
export interface ComparisonPred {
  kind: 'comparison';
  op: ComparisonOp;
  left: ScalarExpr;
  right: ScalarExpr;
}
/** `value LIKE pattern`: % any run, _ one character, \ escapes; the pattern is a literal, maybe in CASEI/ACCENTI. */
export interface LikePred {
  kind: 'like';
  value: CharExpr;
  pattern: CharExpr;
}
/** Inclusive at both ends. */
export interface BetweenPred {
  kind: 'between';
  value: ScalarExpr;
  low: ScalarExpr;
  high: ScalarExpr;
}
export interface InPred {
  kind: 'in';
  value: ScalarExpr;
  list: ScalarExpr[];
}
export interface IsNullPred {
  kind: 'isNull';
  value: Operand;
}
export interface SpatialPred {
  kind: 'spatial';
  op: SpatialOp;
  left: GeomExpr;
  right: GeomExpr;
}
export interface TemporalPred {
  kind: 'temporal';
  op: TemporalOp;
  left: TemporalExpr;
  right: TemporalExpr;
}
/** Arrays compared as sets (OGC 21-065r2 /req/array-functions/array-predicates B). */
export interface ArrayPred {
  kind: 'arrayPredicate';
  op: ArrayOp;
  left: ArrayExpr;
  right: ArrayExpr;
}

export type Cql2Expr =
  | AndExpr
  | OrExpr
  | NotExpr
  | BooleanLit
  | ComparisonPred
  | LikePred
  | BetweenPred
  | InPred
  | IsNullPred
  | SpatialPred
  | TemporalPred
  | ArrayPred;

/** How an operand reads in a message: "property 'eo:cloud_cover'", "a number" ... */
export function operandLabel(o: Operand | ArrayElement): string {
  switch (o.kind) {
    case 'property':
      return `property '${o.name}'`;
    case 'string':
      return 'a character literal';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'timestamp':
      return 'a TIMESTAMP';
    case 'date':
      return 'a DATE';
    case 'interval':
      return 'an INTERVAL';
    case 'geometry':
      return 'a geometry';
    case 'bbox':
      return 'a BBOX';
    case 'array':
      return 'an array';
    case 'casei':
      return 'CASEI(...)';
    case 'accenti':
      return 'ACCENTI(...)';
  }
}

/** Default limits of both parsers. */
export const DEFAULT_LIMITS = {
  /** Characters of a text filter. */
  maxLength: 1_000_000,
  /** Nesting of parentheses, NOT, functions, arrays and geometry collections. */
  maxDepth: 200,
  /** JSON values visited (every number of a coordinate counts). */
  maxNodes: 500_000,
} as const;

/** Property names used by a filter (each once, in order of first use). */
export function propertiesOf(e: Cql2Expr): string[] {
  const seen = new Set<string>();
  const op = (o: Operand | IntervalBound | ArrayElement): void => {
    switch (o.kind) {
      case 'property':
        seen.add(o.name);
        break;
      case 'casei':
      case 'accenti':
        op(o.arg);
        break;
      case 'interval':
        op(o.start);
        op(o.end);
        break;
      case 'array':
        o.items.forEach(op);
        break;
      default:
        break;
    }
  };
  const walk = (x: Cql2Expr): void => {
    switch (x.kind) {
      case 'and':
      case 'or':
        x.args.forEach(walk);
        break;
      case 'not':
        walk(x.arg);
        break;
      case 'boolean':
        break;
      case 'comparison':
      case 'spatial':
      case 'temporal':
      case 'arrayPredicate':
        op(x.left);
        op(x.right);
        break;
      case 'like':
        op(x.value);
        op(x.pattern);
        break;
      case 'between':
        op(x.value);
        op(x.low);
        op(x.high);
        break;
      case 'in':
        op(x.value);
        x.list.forEach(op);
        break;
      case 'isNull':
        op(x.value);
        break;
    }
  };
  walk(e);
  return [...seen];
}
