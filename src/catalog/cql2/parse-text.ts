/**
 * Parser of the CQL2 text encoding (OGC 21-065r2 §8.2, Annex B BNF) into the typed AST of ast.ts.
 *
 * Precedence, loosest first: OR, AND, NOT, then predicates and parenthesised expressions. Keywords are case-
 * insensitive. Recursive descent with a depth counter that refuses nesting past `maxDepth` before recursing,
 * so hostile input (100 000 parentheses) ends in a GEP_ERR_INVALID_INPUT, never in a stack overflow; `maxLength`
 * bounds the work. Every error names the character (1-based) and what was expected there.
 */
import { GepError } from '../../core/errors.ts';
import {
  ARRAY_OPS, DEFAULT_LIMITS, SPATIAL_OPS, TEMPORAL_OPS, UNSUPPORTED_SPATIAL_OPS,
  type ArrayElement, type ArrayExpr, type CharExpr, type ComparisonOp, type Cql2Expr, type GeomExpr, type IntervalBound,
  type Operand, type ScalarExpr, type TemporalExpr, operandLabel,
} from './ast.ts';
import { Lexer, type Token, syntaxError } from './lexer.ts';
import { dateMs, timestampMs } from './temporal.ts';
import { WKT_TYPES, WktReader, describeToken } from './wkt.ts';

const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'BETWEEN', 'IN', 'IS', 'NULL']);
const kw = (t: Token, word: string): boolean => t.kind === 'ident' && t.text.toUpperCase() === word;
const byUpper = <T extends string>(ops: readonly T[]): Map<string, T> => new Map(ops.map((o) => [o.toUpperCase(), o]));
const SPATIAL = byUpper(SPATIAL_OPS);
const TEMPORAL = byUpper(TEMPORAL_OPS);
const ARRAY = byUpper(ARRAY_OPS);

const isScalar = (o: Operand): o is ScalarExpr =>
  o.kind !== 'interval' && o.kind !== 'geometry' && o.kind !== 'bbox' && o.kind !== 'array';

class TextParser {
  private readonly lx: Lexer;
  private depth = 0;
  private readonly wkt: WktReader;

  constructor(
    text: string,
    private readonly maxDepth: number,
  ) {
    this.lx = new Lexer(text);
    this.wkt = new WktReader(this.lx, (p) => this.enter(p), () => this.leave());
  }

  private enter(pos: number): void {
    if (++this.depth > this.maxDepth) throw syntaxError(`nested deeper than ${this.maxDepth} levels`, pos);
  }

  private leave(): void {
    this.depth--;
  }

  private expect(kind: Token['kind'], what: string): Token {
    const t = this.lx.next();
    if (t.kind !== kind) throw syntaxError(`expected ${what}, found ${describeToken(t)}`, t.pos);
    return t;
  }

  parse(): Cql2Expr {
    const e = this.or();
    const t = this.lx.peek();
    if (t.kind !== 'eof') throw syntaxError(`expected AND, OR or the end of the filter, found ${describeToken(t)}`, t.pos);
    return e;
  }

  private or(): Cql2Expr {
    const args = [this.and()];
    while (kw(this.lx.peek(), 'OR')) {
      this.lx.next();
      args.push(this.and());
    }
    return args.length === 1 ? args[0]! : { kind: 'or', args };
  }

  private and(): Cql2Expr {
    const args = [this.factor()];
    while (kw(this.lx.peek(), 'AND')) {
      this.lx.next();
      args.push(this.factor());
    }
    return args.length === 1 ? args[0]! : { kind: 'and', args };
  }

  private factor(): Cql2Expr {
    const t = this.lx.peek();
    if (kw(t, 'NOT')) {
      this.lx.next();
      this.enter(t.pos);
      const arg = this.factor();
      this.leave();
      return { kind: 'not', arg };
    }
    return this.primary();
  }

  private primary(): Cql2Expr {
    const t = this.lx.peek();
    if (t.kind === '(') {
      this.lx.next();
      this.enter(t.pos);
      const e = this.or();
      this.expect(')', `')' to close the '(' at character ${t.pos + 1}`);
      this.leave();
      return e;
    }
    if (t.kind === 'ident' && this.lx.peek(1).kind === '(') {
      const name = t.text.toUpperCase();
      const sp = SPATIAL.get(name);
      if (sp) return { kind: 'spatial', op: sp, ...this.pair(t, (o, a) => this.geom(o, a)) };
      const tp = TEMPORAL.get(name);
      if (tp) return { kind: 'temporal', op: tp, ...this.pair(t, (o, a) => this.temporal(o, a)) };
      const ap = ARRAY.get(name);
      if (ap) return { kind: 'arrayPredicate', op: ap, ...this.pair(t, (o, a) => this.array(o, a), true) };
      if ((UNSUPPORTED_SPATIAL_OPS as readonly string[]).includes(name.toLowerCase())) {
        throw syntaxError(`spatial function ${name} is not supported (supported: ${SPATIAL_OPS.join(', ').toUpperCase()})`, t.pos);
      }
    }
    if (t.kind === 'eof') throw syntaxError('expected a predicate, found the end of the filter', t.pos);
    const left = this.operand();
    return this.predicateAfter(left, t);
  }

  /** `NAME ( a , b )` for spatial, temporal and array functions. */
  private pair<T>(name: Token, check: (o: Operand, at: Token) => T, arrays = false): { left: T; right: T } {
    this.lx.next();
    this.lx.next();
    this.enter(name.pos);
    const fn = name.text.toUpperCase();
    const a = this.lx.peek();
    const left = check(arrays ? this.arrayOperand() : this.operand(), a);
    this.expect(',', `',' between the two arguments of ${fn}`);
    const b = this.lx.peek();
    const right = check(arrays ? this.arrayOperand() : this.operand(), b);
    this.expect(')', `')' after the second argument of ${fn}`);
    this.leave();
    return { left, right };
  }

  private geom(o: Operand, at: Token): GeomExpr {
    if (o.kind === 'property' || o.kind === 'geometry' || o.kind === 'bbox') return o;
    throw syntaxError(`expected a geometry, BBOX or property, found ${operandLabel(o)}`, at.pos);
  }

  private temporal(o: Operand, at: Token): TemporalExpr {
    if (o.kind === 'property' || o.kind === 'timestamp' || o.kind === 'date' || o.kind === 'interval') return o;
    throw syntaxError(`expected a TIMESTAMP, DATE, INTERVAL or property, found ${operandLabel(o)}`, at.pos);
  }

  private array(o: Operand, at: Token): ArrayExpr {
    if (o.kind === 'property' || o.kind === 'array') return o;
    throw syntaxError(`expected an array like ('a', 'b') or a property, found ${operandLabel(o)}`, at.pos);
  }

  private arrayOperand(): Operand {
    const t = this.lx.peek();
    return t.kind === '(' || t.kind === '[' ? this.arrayLiteral() : this.operand();
  }

  private arrayLiteral(): ArrayExpr {
    const open = this.lx.next();
    const close = open.kind === '(' ? ')' : ']';
    this.enter(open.pos);
    const items: ArrayElement[] = [];
    if (this.lx.peek().kind !== close) {
      for (;;) {
        const t = this.lx.peek();
        const o = t.kind === '(' || t.kind === '[' ? this.arrayLiteral() : this.operand();
        if (!isScalar(o) && o.kind !== 'array') throw syntaxError(`${operandLabel(o)} cannot be an array element`, t.pos);
        if (o.kind === 'casei' || o.kind === 'accenti') throw syntaxError(`${operandLabel(o)} cannot be an array element`, t.pos);
        items.push(o);
        if (this.lx.peek().kind !== ',') break;
        this.lx.next();
      }
    }
    this.expect(close, `',' or '${close}' in the array started at character ${open.pos + 1}`);
    this.leave();
    return { kind: 'array', items };
  }

  /** After a first operand: a comparison, [NOT] LIKE / BETWEEN / IN, IS [NOT] NULL, or a lone boolean. */
  private predicateAfter(left: Operand, at: Token): Cql2Expr {
    const t = this.lx.peek();
    if (t.kind === 'op') {
      this.lx.next();
      const r = this.lx.peek();
      const right = this.operand();
      return { kind: 'comparison', op: t.text as ComparisonOp, left: this.scalar(left, at, t.text), right: this.scalar(right, r, t.text) };
    }
    if (kw(t, 'IS')) {
      this.lx.next();
      const neg = kw(this.lx.peek(), 'NOT');
      if (neg) this.lx.next();
      const n = this.lx.next();
      if (!kw(n, 'NULL')) throw syntaxError(`expected NULL after IS${neg ? ' NOT' : ''}, found ${describeToken(n)}`, n.pos);
      return this.negate(neg, { kind: 'isNull', value: left });
    }
    let neg = false;
    if (kw(t, 'NOT') && ['LIKE', 'BETWEEN', 'IN'].some((w) => kw(this.lx.peek(1), w))) {
      this.lx.next();
      neg = true;
    }
    const w = this.lx.peek();
    if (kw(w, 'LIKE')) {
      this.lx.next();
      const p = this.lx.peek();
      const pattern = this.operand();
      return this.negate(neg, { kind: 'like', value: this.char(left, at, 'LIKE'), pattern: this.pattern(pattern, p) });
    }
    if (kw(w, 'BETWEEN')) {
      this.lx.next();
      const lo = this.lx.peek();
      const low = this.scalar(this.operand(), lo, 'BETWEEN');
      if (!kw(this.lx.peek(), 'AND')) throw syntaxError(`expected AND in BETWEEN, found ${describeToken(this.lx.peek())}`, this.lx.peek().pos);
      this.lx.next();
      const hi = this.lx.peek();
      const high = this.scalar(this.operand(), hi, 'BETWEEN');
      return this.negate(neg, { kind: 'between', value: this.scalar(left, at, 'BETWEEN'), low, high });
    }
    if (kw(w, 'IN')) {
      this.lx.next();
      const open = this.expect('(', `'(' to start the IN list`);
      this.enter(open.pos);
      const list: ScalarExpr[] = [];
      for (;;) {
        const e = this.lx.peek();
        list.push(this.scalar(this.operand(), e, 'IN'));
        if (this.lx.peek().kind !== ',') break;
        this.lx.next();
      }
      this.expect(')', `',' or ')' in the IN list started at character ${open.pos + 1}`);
      this.leave();
      return this.negate(neg, { kind: 'in', value: this.scalar(left, at, 'IN'), list });
    }
    if (left.kind === 'boolean') return left;
    const what = left.kind === 'property' ? `after property '${left.name}'` : `after ${operandLabel(left)}`;
    throw syntaxError(
      `expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) ${what}, found ${describeToken(t)}`,
      t.pos,
    );
  }

  private negate(neg: boolean, e: Cql2Expr): Cql2Expr {
    return neg ? { kind: 'not', arg: e } : e;
  }

  private scalar(o: Operand, at: Token, op: string): ScalarExpr {
    if (isScalar(o)) return o;
    throw syntaxError(`${operandLabel(o)} cannot be used with ${op}`, at.pos);
  }

  private char(o: Operand, at: Token, op: string): CharExpr {
    if (o.kind === 'property' || o.kind === 'string' || o.kind === 'casei' || o.kind === 'accenti') return o;
    throw syntaxError(`expected a character expression before ${op}, found ${operandLabel(o)}`, at.pos);
  }

  /** A LIKE pattern: a character literal, possibly wrapped in CASEI/ACCENTI; no dangling escape. */
  private pattern(o: Operand, at: Token): CharExpr {
    let inner: Operand = o;
    while (inner.kind === 'casei' || inner.kind === 'accenti') inner = inner.arg;
    if (inner.kind !== 'string') throw syntaxError(`expected a character literal as LIKE pattern, found ${operandLabel(inner)}`, at.pos);
    if (/(?:^|[^\\])(?:\\\\)*\\$/.test(inner.value)) throw syntaxError('a LIKE pattern cannot end with the escape character \\', at.pos);
    return o as CharExpr;
  }

  /** A property, literal, CASEI/ACCENTI, TIMESTAMP/DATE/INTERVAL or spatial literal. */
  private operand(): Operand {
    const t = this.lx.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.num };
      case 'string':
        return { kind: 'string', value: t.text };
      case 'qident':
        return this.property(t);
      case 'ident':
        break;
      default:
        throw syntaxError(`expected a property name or a literal, found ${describeToken(t)}`, t.pos);
    }
    const up = t.text.toUpperCase();
    if (up === 'TRUE' || up === 'FALSE') return { kind: 'boolean', value: up === 'TRUE' };
    if (RESERVED.has(up)) throw syntaxError(`expected a property name or a literal, found the keyword ${up}`, t.pos);
    const n = this.lx.peek();
    const isWkt = (WKT_TYPES as readonly string[]).includes(up) || up === 'BBOX' || up === 'ENVELOPE';
    if (isWkt && (n.kind === '(' || (kw(n, 'Z') && this.lx.peek(1).kind === '(') || kw(n, 'EMPTY'))) {
      return this.wkt.read(t);
    }
    if (n.kind !== '(') return this.property(t);
    this.lx.next();
    this.enter(t.pos);
    let out: Operand;
    if (up === 'CASEI' || up === 'ACCENTI') {
      const a = this.lx.peek();
      const arg = this.operand();
      out = { kind: up === 'CASEI' ? 'casei' : 'accenti', arg: this.char(arg, a, up) };
    } else if (up === 'TIMESTAMP' || up === 'DATE') {
      const s = this.expect('string', `a quoted ${up === 'DATE' ? "date like '2020-01-31'" : "date-time like '2020-01-31T10:00:00Z'"}`);
      out = this.instant(s, up === 'DATE' ? 'date' : 'timestamp');
    } else if (up === 'INTERVAL') {
      const start = this.bound();
      this.expect(',', `',' between the two ends of INTERVAL`);
      const end = this.bound();
      const a = 'value' in start ? (start.kind === 'date' ? dateMs(start.value) : timestampMs(start.value)) : null;
      const b = 'value' in end ? (end.kind === 'date' ? dateMs(end.value) : timestampMs(end.value)) : null;
      if (a !== null && b !== null && a > b) throw syntaxError('INTERVAL starts after it ends', t.pos);
      out = { kind: 'interval', start, end };
    } else if (SPATIAL.has(up) || TEMPORAL.has(up) || ARRAY.has(up)) {
      throw syntaxError(`${up}(...) is a predicate and cannot be used as a value`, t.pos);
    } else {
      throw syntaxError(`unknown function '${t.text}' (supported: CASEI, ACCENTI, TIMESTAMP, DATE, INTERVAL, BBOX and WKT geometries)`, t.pos);
    }
    this.expect(')', `')' to close ${up}(`);
    this.leave();
    return out;
  }

  private property(t: Token): Operand {
    if (t.text.length === 0) throw syntaxError('empty property name', t.pos);
    return { kind: 'property', name: t.text };
  }

  private instant(s: Token, kind: 'date' | 'timestamp'): Operand & { kind: 'date' | 'timestamp' } {
    if (kind === 'date' ? dateMs(s.text) === null : timestampMs(s.text) === null) {
      const like = kind === 'date' ? "'YYYY-MM-DD'" : "an RFC 3339 date-time like '2020-01-31T10:00:00Z'";
      throw syntaxError(`invalid ${kind === 'date' ? 'DATE' : 'TIMESTAMP'} '${s.text.slice(0, 40)}', expected ${like}`, s.pos);
    }
    return { kind, value: s.text };
  }

  private bound(): IntervalBound {
    const t = this.lx.peek();
    if (t.kind === 'string') {
      this.lx.next();
      if (t.text === '..') return { kind: 'open' };
      if (dateMs(t.text) !== null) return { kind: 'date', value: t.text };
      return this.instant(t, 'timestamp') as IntervalBound;
    }
    const o = this.operand();
    if (o.kind === 'property' || o.kind === 'timestamp' || o.kind === 'date') return o;
    throw syntaxError(`expected a date, date-time, '..' or property as INTERVAL end, found ${operandLabel(o)}`, t.pos);
  }
}

/** Parses a CQL2 text filter; throws GEP_ERR_INVALID_INPUT saying where and what was expected. */
export function parseCql2Text(text: string, opts?: { maxLength?: number; maxDepth?: number }): Cql2Expr {
  if (typeof text !== 'string') throw new GepError('GEP_ERR_INVALID_INPUT', 'filter: expected CQL2 text (a string)');
  const maxLength = opts?.maxLength ?? DEFAULT_LIMITS.maxLength;
  if (text.length > maxLength) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `filter: ${text.length} characters exceed the limit of ${maxLength}`, { length: text.length });
  }
  if (text.trim() === '') throw syntaxError('empty filter', 0);
  return new TextParser(text, opts?.maxDepth ?? DEFAULT_LIMITS.maxDepth).parse();
}
