/**
 * Parser of the CQL2 JSON encoding (OGC 21-065r2 §8.3, schema cql2.json) into the typed AST of ast.ts.
 *
 * Accepts a parsed JSON value (or any JS value: cycles are caught by the depth limit). Operator names are
 * matched case-insensitively; the older `{"casei": x}` form of CASEI/ACCENTI is accepted too. `maxDepth` bounds
 * nesting before recursing and `maxNodes` bounds the values visited (array lengths are checked before
 * iterating), so very deep or very large input ends in GEP_ERR_INVALID_INPUT. Errors give the JSON path of the
 * offending value, e.g. "filter: expected 2 arguments for '=', got 3 at $.args[1]".
 */
import { GepError } from '../../core/errors.ts';
import {
  ARRAY_OPS, COMPARISON_OPS, DEFAULT_LIMITS, SPATIAL_OPS, TEMPORAL_OPS, UNSUPPORTED_SPATIAL_OPS,
  type ArrayElement, type ArrayExpr, type CharExpr, type ComparisonOp, type Cql2Expr, type GeomExpr,
  type IntervalBound, type Operand, type ScalarExpr, type TemporalExpr, operandLabel,
} from './ast.ts';
import { type Budget, GeometryProblem, readGeometry } from './geojson.ts';
import { dateMs, timestampMs } from './temporal.ts';

const byLower = <T extends string>(ops: readonly T[]): Map<string, T> => new Map(ops.map((o) => [o.toLowerCase(), o]));
const SPATIAL = byLower(SPATIAL_OPS);
const TEMPORAL = byLower(TEMPORAL_OPS);
const ARRAY = byLower(ARRAY_OPS);
const COMPARISON = new Set<string>(COMPARISON_OPS);

function fail(what: string, path: string): GepError {
  return new GepError('GEP_ERR_INVALID_INPUT', `filter: ${what} at ${path}`, { path });
}

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with keys ${Object.keys(v as object).slice(0, 5).join(', ') || '(none)'}`;
  if (typeof v === 'string') return `'${v.length > 30 ? `${v.slice(0, 27)}...` : v}'`;
  return String(v);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class JsonParser {
  private readonly budget: Budget;
  constructor(
    private readonly maxDepth: number,
    maxNodes: number,
  ) {
    this.budget = { left: maxNodes };
  }

  private tick(path: string, depth: number, n = 1): void {
    this.budget.left -= n;
    if (this.budget.left < 0) throw fail('filter has too many values (size limit reached)', path);
    if (depth > this.maxDepth) throw fail(`nested deeper than ${this.maxDepth} levels`, path);
  }

  /** `args` of an op object, with the expected count (min, max). */
  private args(o: Record<string, unknown>, path: string, op: string, min: number, max: number): unknown[] {
    const a = o.args;
    if (!Array.isArray(a)) throw fail(`expected 'args' (an array) for '${op}'`, path);
    this.tick(path, 0, a.length);
    if (a.length < min || a.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw fail(`expected ${want} argument${max === 1 ? '' : 's'} for '${op}', got ${a.length}`, `${path}.args`);
    }
    return a;
  }

  expr(v: unknown, path: string, depth: number): Cql2Expr {
    this.tick(path, depth);
    if (typeof v === 'boolean') return { kind: 'boolean', value: v };
    if (!isObj(v) || typeof v.op !== 'string') {
      throw fail(`expected a CQL2 expression (an object with 'op' and 'args', or true/false), found ${shown(v)}`, path);
    }
    const raw = v.op;
    const op = raw.toLowerCase();
    const at = (i: number): string => `${path}.args[${i}]`;
    if (op === 'and' || op === 'or') {
      const a = this.args(v, path, op, 1, Infinity);
      if (a.length === 1) return this.expr(a[0], at(0), depth + 1);
      return { kind: op, args: a.map((x, i) => this.expr(x, at(i), depth + 1)) };
    }
    if (op === 'not') return { kind: 'not', arg: this.expr(this.args(v, path, op, 1, 1)[0], at(0), depth + 1) };
    if (COMPARISON.has(op)) {
      const [l, r] = this.args(v, path, op, 2, 2);
      return { kind: 'comparison', op: op as ComparisonOp, left: this.scalar(l, at(0), depth + 1, op), right: this.scalar(r, at(1), depth + 1, op) };
    }
    if (op === 'like') {
      const [l, p] = this.args(v, path, op, 2, 2);
      return { kind: 'like', value: this.char(l, at(0), depth + 1), pattern: this.pattern(p, at(1), depth + 1) };
    }
    if (op === 'between') {
      const [x, lo, hi] = this.args(v, path, op, 3, 3);
      return { kind: 'between', value: this.scalar(x, at(0), depth + 1, op), low: this.scalar(lo, at(1), depth + 1, op), high: this.scalar(hi, at(2), depth + 1, op) };
    }
    if (op === 'in') {
      const [x, list] = this.args(v, path, op, 2, 2);
      if (!Array.isArray(list) || list.length === 0) throw fail(`expected a non-empty array of values for 'in', found ${shown(list)}`, at(1));
      this.tick(at(1), depth + 1, list.length);
      return { kind: 'in', value: this.scalar(x, at(0), depth + 1, op), list: list.map((y, i) => this.scalar(y, `${at(1)}[${i}]`, depth + 2, op)) };
    }
    if (op === 'isnull') {
      const a = Array.isArray(v.args) ? this.args(v, path, 'isNull', 1, 1)[0] : v.args;
      return { kind: 'isNull', value: this.operand(a, Array.isArray(v.args) ? at(0) : `${path}.args`, depth + 1) };
    }
    const sp = SPATIAL.get(op);
    if (sp) {
      const [l, r] = this.args(v, path, raw, 2, 2);
      return { kind: 'spatial', op: sp, left: this.geom(l, at(0), depth + 1), right: this.geom(r, at(1), depth + 1) };
    }
    const tp = TEMPORAL.get(op);
    if (tp) {
      const [l, r] = this.args(v, path, raw, 2, 2);
      return { kind: 'temporal', op: tp, left: this.temporal(l, at(0), depth + 1), right: this.temporal(r, at(1), depth + 1) };
    }
    const ap = ARRAY.get(op);
    if (ap) {
      const [l, r] = this.args(v, path, raw, 2, 2);
      return { kind: 'arrayPredicate', op: ap, left: this.array(l, at(0), depth + 1), right: this.array(r, at(1), depth + 1) };
    }
    if ((UNSUPPORTED_SPATIAL_OPS as readonly string[]).includes(op)) {
      throw fail(`spatial operator '${raw}' is not supported (supported: ${SPATIAL_OPS.join(', ')})`, `${path}.op`);
    }
    if (op === 'casei' || op === 'accenti') throw fail(`'${raw}' is a value, not a predicate`, `${path}.op`);
    throw fail(`unknown operator '${raw.slice(0, 40)}'`, `${path}.op`);
  }

  private scalar(v: unknown, path: string, depth: number, op: string): ScalarExpr {
    const o = this.operand(v, path, depth);
    if (o.kind === 'interval' || o.kind === 'geometry' || o.kind === 'bbox' || o.kind === 'array') {
      throw fail(`${operandLabel(o)} cannot be used with '${op}'`, path);
    }
    return o;
  }

  private char(v: unknown, path: string, depth: number): CharExpr {
    const o = this.operand(v, path, depth);
    if (o.kind === 'property' || o.kind === 'string' || o.kind === 'casei' || o.kind === 'accenti') return o;
    throw fail(`expected a character expression, found ${operandLabel(o)}`, path);
  }

  private pattern(v: unknown, path: string, depth: number): CharExpr {
    const o = this.char(v, path, depth);
    let inner: CharExpr = o;
    while (inner.kind === 'casei' || inner.kind === 'accenti') inner = inner.arg;
    if (inner.kind !== 'string') throw fail(`expected a string as LIKE pattern, found ${operandLabel(inner)}`, path);
    if (/(?:^|[^\\])(?:\\\\)*\\$/.test(inner.value)) throw fail('a LIKE pattern cannot end with the escape character \\', path);
    return o;
  }

  private geom(v: unknown, path: string, depth: number): GeomExpr {
    const o = this.operand(v, path, depth);
    if (o.kind === 'property' || o.kind === 'geometry' || o.kind === 'bbox') return o;
    throw fail(`expected a GeoJSON geometry, {"bbox": [...]} or {"property": ...}, found ${operandLabel(o)}`, path);
  }

  private temporal(v: unknown, path: string, depth: number): TemporalExpr {
    const o = this.operand(v, path, depth);
    if (o.kind === 'property' || o.kind === 'timestamp' || o.kind === 'date' || o.kind === 'interval') return o;
    throw fail(`expected {"timestamp": ...}, {"date": ...}, {"interval": [...]} or {"property": ...}, found ${operandLabel(o)}`, path);
  }

  private array(v: unknown, path: string, depth: number): ArrayExpr {
    const o = this.operand(v, path, depth);
    if (o.kind === 'property' || o.kind === 'array') return o;
    throw fail(`expected an array or {"property": ...}, found ${operandLabel(o)}`, path);
  }

  private instant(s: unknown, path: string, kind: 'date' | 'timestamp'): { kind: 'date' | 'timestamp'; value: string } {
    if (typeof s !== 'string' || (kind === 'date' ? dateMs(s) : timestampMs(s)) === null) {
      const like = kind === 'date' ? "'YYYY-MM-DD'" : "an RFC 3339 date-time like '2020-01-31T10:00:00Z'";
      throw fail(`invalid ${kind} ${shown(s)}, expected ${like}`, path);
    }
    return { kind, value: s };
  }

  private bound(v: unknown, path: string, depth: number): IntervalBound {
    if (v === '..') return { kind: 'open' };
    if (typeof v === 'string') return dateMs(v) !== null ? { kind: 'date', value: v } : this.instant(v, path, 'timestamp');
    const o = this.operand(v, path, depth);
    if (o.kind === 'property' || o.kind === 'timestamp' || o.kind === 'date') return o;
    throw fail(`expected a date, date-time, '..' or {"property": ...} as interval end, found ${operandLabel(o)}`, path);
  }

  operand(v: unknown, path: string, depth: number): Operand {
    this.tick(path, depth);
    if (typeof v === 'string') return { kind: 'string', value: v };
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw fail('expected a finite number', path);
      return { kind: 'number', value: v === 0 ? 0 : v };
    }
    if (typeof v === 'boolean') return { kind: 'boolean', value: v };
    if (Array.isArray(v)) {
      this.tick(path, depth, v.length);
      const items = v.map((x, i): ArrayElement => {
        const o = this.operand(x, `${path}[${i}]`, depth + 1);
        if (o.kind === 'interval' || o.kind === 'geometry' || o.kind === 'bbox' || o.kind === 'casei' || o.kind === 'accenti') {
          throw fail(`${operandLabel(o)} cannot be an array element`, `${path}[${i}]`);
        }
        return o;
      });
      return { kind: 'array', items };
    }
    if (!isObj(v)) throw fail(`expected a value, found ${shown(v)}`, path);
    if ('property' in v) {
      if (typeof v.property !== 'string' || v.property === '') throw fail('expected a non-empty string as property name', `${path}.property`);
      return { kind: 'property', name: v.property };
    }
    if ('timestamp' in v) return this.instant(v.timestamp, `${path}.timestamp`, 'timestamp');
    if ('date' in v) return this.instant(v.date, `${path}.date`, 'date');
    if ('interval' in v) {
      const iv = v.interval;
      if (!Array.isArray(iv) || iv.length !== 2) throw fail(`expected "interval": [start, end], found ${shown(iv)}`, `${path}.interval`);
      const start = this.bound(iv[0], `${path}.interval[0]`, depth + 1);
      const end = this.bound(iv[1], `${path}.interval[1]`, depth + 1);
      const ms = (b: IntervalBound): number | null => (b.kind === 'date' ? dateMs(b.value) : b.kind === 'timestamp' ? timestampMs(b.value) : null);
      const a = ms(start);
      const b = ms(end);
      if (a !== null && b !== null && a > b) throw fail('interval starts after it ends', `${path}.interval`);
      return { kind: 'interval', start, end };
    }
    if ('bbox' in v) {
      const b = v.bbox;
      if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6) || !b.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        throw fail('expected "bbox": an array of 4 or 6 finite numbers', `${path}.bbox`);
      }
      const n = b as number[];
      const [x0, y0, x1, y1] = n.length === 4 ? n : [n[0]!, n[1]!, n[3]!, n[4]!];
      if (x0! > x1! || y0! > y1!) throw fail('bbox needs minx <= maxx and miny <= maxy (boxes across the antimeridian are not supported)', `${path}.bbox`);
      return { kind: 'bbox', bbox: n.map((x) => (x === 0 ? 0 : x)) };
    }
    if ('type' in v) {
      try {
        return { kind: 'geometry', geometry: readGeometry(v, path, this.budget, depth, this.maxDepth) };
      } catch (e) {
        if (e instanceof GeometryProblem) throw fail(e.message, e.path);
        throw e;
      }
    }
    const wrapped = typeof v.op === 'string' ? v.op.toLowerCase() : 'casei' in v ? 'casei' : 'accenti' in v ? 'accenti' : '';
    if (wrapped === 'casei' || wrapped === 'accenti') {
      const arg = typeof v.op === 'string' ? this.args(v, path, wrapped, 1, 1)[0] : v[wrapped];
      const argPath = typeof v.op === 'string' ? `${path}.args[0]` : `${path}.${wrapped}`;
      return { kind: wrapped, arg: this.char(arg, argPath, depth + 1) };
    }
    if (typeof v.op === 'string') {
      if (['+', '-', '*', '/', '^', '%', 'div'].includes(v.op)) throw fail(`arithmetic ('${v.op}') is not supported`, `${path}.op`);
      throw fail(`'${v.op.slice(0, 40)}' is not a value (functions other than casei and accenti are not supported)`, `${path}.op`);
    }
    if ('function' in v) throw fail('functions are not supported', path);
    throw fail(`expected a value, found ${shown(v)}`, path);
  }
}

/** Parses a CQL2 JSON filter; throws GEP_ERR_INVALID_INPUT naming the JSON path and what was expected. */
export function parseCql2Json(json: unknown, opts?: { maxDepth?: number; maxNodes?: number }): Cql2Expr {
  const p = new JsonParser(opts?.maxDepth ?? DEFAULT_LIMITS.maxDepth, opts?.maxNodes ?? DEFAULT_LIMITS.maxNodes);
  return p.expr(json, '$', 0);
}
