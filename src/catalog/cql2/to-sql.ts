/**
 * CQL2 → a PostgreSQL WHERE condition (PostgreSQL and PGlite: one dialect). Every value is a parameter
 * ($n with an explicit cast); nothing from the filter is ever spliced into the SQL text. Property names go
 * through the caller's resolver, which is the queryables whitelist: an unknown name is a 400, never a column.
 *
 * Spatial predicates. With `postgis: true` the geometry column is a PostGIS geometry and the predicates are
 * exact (ST_Intersects ...). Without PostGIS (PGlite's default) the resolver's `sql` for a geometry property
 * is a PostgreSQL `box` expression (the item bbox, GiST-indexable) and each spatial predicate becomes a
 * bounding-box test that can only over-select: `s_intersects` → `&&`, `s_within` → `<@`, `s_contains` → `@>`,
 * `s_equals` → `~=`. Under NOT the test must under-select instead, so the translation carries a polarity:
 * the approximation of a predicate in a negated position is its necessary-condition counterpart (FALSE for
 * intersects/within/contains/equals, `NOT &&` for disjoint). The result then holds, for every row, under SQL's
 * three-valued logic: filter TRUE ⇒ condition TRUE. `exact` is false and `exactGeometry` lists the predicates
 * so approximated; the caller must then keep only the candidate rows for which `evaluateCql2(filter, item)`
 * is true (evaluate.ts computes the exact geometry relations in JS).
 *
 * Types. Both sides of a comparison, BETWEEN or IN must have one type (text, number, timestamp, boolean); a
 * character literal that is an RFC 3339 date-time or date is accepted where a timestamp is expected. Text
 * ordering uses COLLATE "C" (code-point order, as the evaluator). DATE in a temporal predicate is the whole UTC
 * day; a timestamp property may carry an `interval` (STAC start/end datetime) used by temporal predicates.
 * Arrays are PostgreSQL arrays (text[] by default, double precision[] with element 'number'), compared as sets.
 */
import { GepError } from '../../core/errors.ts';
import type {
  ArrayExpr, Cql2Expr, GeomExpr, IntervalBound, Operand, ScalarExpr, SpatialPred, TemporalExpr,
} from './ast.ts';
import { operandLabel } from './ast.ts';
import { bboxOf } from './geometry.ts';
import { dateBounds, dateMs, temporalRelationSql, timestampMs } from './temporal.ts';
import { ACCENT_FROM, ACCENT_TO } from './text-fold.ts';

export type SqlType = 'text' | 'number' | 'timestamp' | 'boolean' | 'geometry' | 'array';

/** How a queryable maps to SQL. */
export interface SqlColumn {
  /** SQL expression of the property (box for 'geometry' without PostGIS). */
  sql: string;
  type: SqlType;
  /** 'timestamp' only: start and end expressions used by temporal predicates (e.g. STAC start/end_datetime). */
  interval?: { start: string; end: string };
  /** 'array' only: element type of the PostgreSQL array (default 'text'). */
  element?: 'text' | 'number';
}

export interface SqlColumns {
  resolve(property: string): SqlColumn | null;
  /** Names offered in the "unknown property" message (the queryables). */
  names?(): string[];
}

export interface SqlOptions {
  /** The geometry columns are PostGIS geometries: exact ST_* predicates. Default false (bbox `box` columns). */
  postgis?: boolean;
}

export interface Cql2Sql {
  /** A boolean SQL condition for a WHERE clause. */
  sql: string;
  /** Values for $firstParam, $firstParam+1 ... */
  params: unknown[];
  /** False when spatial predicates were approximated by bounding boxes: refine rows with evaluateCql2. */
  exact: boolean;
  /** The spatial predicates that were approximated. */
  exactGeometry: SpatialPred[];
}

type ScalarType = 'text' | 'number' | 'timestamp' | 'boolean';
const CAST: Record<ScalarType, string> = { text: 'text', number: 'double precision', timestamp: 'timestamptz', boolean: 'boolean' };

const invalid = (msg: string): GepError => new GepError('GEP_ERR_INVALID_INPUT', `filter: ${msg}`);
const isInstantText = (s: string): boolean => timestampMs(s) !== null || dateMs(s) !== null;
const dayStart = (d: string): string => dateBounds(d)[0];

class SqlBuilder {
  readonly params: unknown[] = [];
  readonly approximated: SpatialPred[] = [];
  constructor(
    private readonly cols: SqlColumns,
    private readonly first: number,
    private readonly postgis: boolean,
  ) {}

  param(v: unknown, cast: string): string {
    this.params.push(v);
    return `$${this.first + this.params.length - 1}::${cast}`;
  }

  column(name: string): SqlColumn {
    const c = this.cols.resolve(name);
    if (c) return c;
    const names = this.cols.names?.();
    const list = names && names.length > 0 ? names.slice(0, 50).join(', ') + (names.length > 50 ? ', ...' : '') : 'see /queryables';
    throw invalid(`unknown property '${name}' (queryables: ${list})`);
  }

  /** Type of a scalar operand; 'text' literals may still become timestamps in unify(). */
  typeOf(o: ScalarExpr): ScalarType {
    switch (o.kind) {
      case 'property': {
        const c = this.column(o.name);
        if (c.type === 'geometry' || c.type === 'array') throw invalid(`property '${o.name}' is ${c.type === 'array' ? 'an array' : 'a geometry'} and cannot be compared as a value`);
        return c.type;
      }
      case 'string':
        return 'text';
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'timestamp':
      case 'date':
        return 'timestamp';
      case 'casei':
      case 'accenti': {
        const t = this.typeOf(o.arg);
        if (t !== 'text') throw invalid(`${o.kind.toUpperCase()} needs text, found ${operandLabel(o.arg)} (${t})`);
        return 'text';
      }
    }
  }

  /** The one type of all operands of a comparison / BETWEEN / IN. */
  unify(ops: ScalarExpr[], what: string): ScalarType {
    const types = ops.map((o) => this.typeOf(o));
    const fixed = types.filter((t, i) => !(t === 'text' && ops[i]!.kind === 'string'));
    const target = fixed[0] ?? 'text';
    ops.forEach((o, i) => {
      const t = types[i]!;
      if (t === target) return;
      if (target === 'timestamp' && o.kind === 'string' && isInstantText(o.value)) return;
      const a = ops.find((_, k) => types[k] === target)!;
      const typed = (x: ScalarExpr, ty: ScalarType): string => (x.kind === 'property' || x.kind === 'casei' || x.kind === 'accenti' ? `${operandLabel(x)} (${ty})` : operandLabel(x));
      throw invalid(`cannot compare ${typed(a, target)} with ${typed(o, t)} in ${what}`);
    });
    return target;
  }

  scalar(o: ScalarExpr, type: ScalarType): string {
    switch (o.kind) {
      case 'property':
        return this.column(o.name).sql;
      case 'string':
        if (type === 'timestamp') return this.param(dateMs(o.value) !== null ? dayStart(o.value) : o.value, 'timestamptz');
        return this.param(o.value, 'text');
      case 'number':
        return this.param(o.value, CAST.number);
      case 'boolean':
        return this.param(o.value, 'boolean');
      case 'timestamp':
        return this.param(o.value, 'timestamptz');
      case 'date':
        return this.param(dayStart(o.value), 'timestamptz');
      case 'casei':
        return `lower(${this.scalar(o.arg, 'text')})`;
      case 'accenti':
        return `translate(${this.scalar(o.arg, 'text')}, ${this.param(ACCENT_FROM, 'text')}, ${this.param(ACCENT_TO, 'text')})`;
    }
  }

  private geomColumn(name: string): SqlColumn {
    const c = this.column(name);
    if (c.type !== 'geometry') throw invalid(`property '${name}' is ${c.type}, not a geometry`);
    return c;
  }

  geom(o: GeomExpr): string {
    if (o.kind === 'property') return this.geomColumn(o.name).sql;
    if (this.postgis) {
      if (o.kind === 'bbox') {
        const b = o.bbox.length === 6 ? [o.bbox[0], o.bbox[1], o.bbox[3], o.bbox[4]] : o.bbox;
        return `ST_MakeEnvelope(${b.map((n) => this.param(n, CAST.number)).join(', ')}, 4326)`;
      }
      return `ST_GeomFromGeoJSON(${this.param(JSON.stringify(o.geometry), 'text')})`;
    }
    const b = o.kind === 'bbox' ? (o.bbox.length === 6 ? [o.bbox[0]!, o.bbox[1]!, o.bbox[3]!, o.bbox[4]!] : o.bbox) : bboxOf(o.geometry)!;
    return this.param(`(${b[0]},${b[1]}),(${b[2]},${b[3]})`, 'box');
  }

  /**
   * [start, end] of a temporal operand as lazy SQL fragments: a relation uses only some ends, and PostgreSQL
   * refuses parameters that the statement never references, so a parameter is added when its end is used.
   */
  temporal(o: TemporalExpr): [() => string, () => string] {
    const once = (f: () => string): (() => string) => {
      let v: string | undefined;
      return () => (v ??= f());
    };
    switch (o.kind) {
      case 'property': {
        const [s, e] = this.propertyInterval(o.name);
        return [() => s, () => e];
      }
      case 'timestamp': {
        const p = once(() => this.param(o.value, 'timestamptz'));
        return [p, p];
      }
      case 'date': {
        const [s, e] = dateBounds(o.value);
        return [once(() => this.param(s, 'timestamptz')), once(() => this.param(e, 'timestamptz'))];
      }
      case 'interval': {
        for (const b of [o.start, o.end]) if (b.kind === 'property') this.propertyInterval(b.name);
        return [once(() => this.bound(o.start, false)), once(() => this.bound(o.end, true))];
      }
    }
  }

  private propertyInterval(name: string): [string, string] {
    const c = this.column(name);
    if (c.type !== 'timestamp') throw invalid(`property '${name}' is ${c.type}, not a timestamp`);
    return c.interval ? [c.interval.start, c.interval.end] : [c.sql, c.sql];
  }

  private bound(b: IntervalBound, end: boolean): string {
    switch (b.kind) {
      case 'open':
        return end ? `'infinity'::timestamptz` : `'-infinity'::timestamptz`;
      case 'timestamp':
        return this.param(b.value, 'timestamptz');
      case 'date':
        return this.param(dateBounds(b.value)[end ? 1 : 0], 'timestamptz');
      case 'property':
        return this.propertyInterval(b.name)[end ? 1 : 0];
    }
  }

  array(o: ArrayExpr, element: 'text' | 'number'): string {
    if (o.kind === 'property') return this.column(o.name).sql;
    const cast = element === 'text' ? 'text' : CAST.number;
    const items = o.items.map((e) => {
      if ((element === 'text' && e.kind === 'string') || (element === 'number' && e.kind === 'number')) return this.param(e.value, cast);
      throw invalid(`array element ${operandLabel(e)} does not match an array of ${element === 'text' ? 'text' : 'numbers'}`);
    });
    return `ARRAY[${items.join(', ')}]::${cast}[]`;
  }

  arrayElement(l: ArrayExpr, r: ArrayExpr): 'text' | 'number' {
    for (const o of [l, r]) {
      if (o.kind === 'property') {
        const c = this.column(o.name);
        if (c.type !== 'array') throw invalid(`property '${o.name}' is ${c.type}, not an array`);
        return c.element ?? 'text';
      }
    }
    const all = [...(l.kind === 'array' ? l.items : []), ...(r.kind === 'array' ? r.items : [])];
    return all.length > 0 && all.every((e) => e.kind === 'number') ? 'number' : 'text';
  }

  /** `upper`: filter TRUE ⇒ SQL TRUE; `lower`: filter FALSE ⇒ SQL FALSE (used under NOT). */
  bool(e: Cql2Expr, upper: boolean): string {
    switch (e.kind) {
      case 'and':
      case 'or':
        return `(${e.args.map((a) => this.bool(a, upper)).join(e.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.bool(e.arg, !upper)})`;
      case 'boolean':
        return e.value ? 'TRUE' : 'FALSE';
      case 'comparison': {
        const t = this.unify([e.left, e.right], `'${e.op}'`);
        const c = t === 'text' && e.op !== '=' && e.op !== '<>' ? ' COLLATE "C"' : '';
        return `(${this.scalar(e.left, t)}${c} ${e.op} ${this.scalar(e.right, t)})`;
      }
      case 'like':
        this.unify([e.value, e.pattern], 'LIKE');
        return `(${this.scalar(e.value, 'text')} LIKE ${this.scalar(e.pattern, 'text')})`;
      case 'between': {
        const t = this.unify([e.value, e.low, e.high], 'BETWEEN');
        const c = t === 'text' ? ' COLLATE "C"' : '';
        return `(${this.scalar(e.value, t)}${c} BETWEEN ${this.scalar(e.low, t)} AND ${this.scalar(e.high, t)})`;
      }
      case 'in': {
        const t = this.unify([e.value, ...e.list], 'IN');
        return `(${this.scalar(e.value, t)} IN (${e.list.map((x) => this.scalar(x, t)).join(', ')}))`;
      }
      case 'isNull':
        return this.isNull(e.value);
      case 'spatial':
        return this.spatial(e, upper);
      case 'temporal': {
        const ends = [...this.temporal(e.left), ...this.temporal(e.right)];
        // Markers #1#..#4# stand for s1, e1, s2, e2 in the relation template; only those it uses are emitted
        // (the replacement runs once over the template, so emitted SQL is never rescanned).
        return temporalRelationSql(e.op, '#1#', '#2#', '#3#', '#4#').replace(/#([1-4])#/g, (_, k: string) => ends[Number(k) - 1]!());
      }
      case 'arrayPredicate': {
        const el = this.arrayElement(e.left, e.right);
        const a = this.array(e.left, el);
        const b = this.array(e.right, el);
        switch (e.op) {
          case 'a_equals':
            return `(${a} @> ${b} AND ${a} <@ ${b})`;
          case 'a_contains':
            return `(${a} @> ${b})`;
          case 'a_containedBy':
            return `(${a} <@ ${b})`;
          case 'a_overlaps':
            return `(${a} && ${b})`;
        }
      }
    }
  }

  private isNull(o: Operand): string {
    if (o.kind === 'property') return `(${this.column(o.name).sql} IS NULL)`;
    if (o.kind === 'casei' || o.kind === 'accenti') return this.isNull(o.arg);
    return 'FALSE';
  }

  private spatial(e: SpatialPred, upper: boolean): string {
    // Resolve (and type-check) properties first; operands are emitted only when the SQL uses them, since
    // PostgreSQL refuses parameters that the statement never references.
    for (const o of [e.left, e.right]) if (o.kind === 'property') this.geomColumn(o.name);
    const approximateAway = !this.postgis && (e.op === 's_disjoint' ? upper : !upper);
    if (approximateAway) {
      this.approximated.push(e);
      return e.op === 's_disjoint' ? 'TRUE' : 'FALSE';
    }
    const a = this.geom(e.left);
    const b = this.geom(e.right);
    if (this.postgis) {
      const fn = { s_intersects: 'ST_Intersects', s_within: 'ST_Within', s_contains: 'ST_Contains', s_disjoint: 'ST_Disjoint', s_equals: 'ST_Equals' }[e.op];
      return `${fn}(${a}, ${b})`;
    }
    this.approximated.push(e);
    if (e.op === 's_disjoint') return `(NOT (${a} && ${b}))`;
    const op = { s_intersects: '&&', s_within: '<@', s_contains: '@>', s_equals: '~=' }[e.op];
    return `(${a} ${op} ${b})`;
  }
}

/**
 * Translates a filter into a parameterised SQL condition. `firstParam` numbers the first placeholder (to append
 * to other conditions' parameters). Throws GEP_ERR_INVALID_INPUT for unknown properties and type mismatches.
 */
export function cql2ToSql(e: Cql2Expr, cols: SqlColumns, firstParam = 1, opts?: SqlOptions): Cql2Sql {
  const b = new SqlBuilder(cols, firstParam, opts?.postgis ?? false);
  const sql = b.bool(e, true);
  return { sql, params: b.params, exact: b.approximated.length === 0, exactGeometry: b.approximated };
}
