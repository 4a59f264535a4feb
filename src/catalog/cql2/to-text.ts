/**
 * Canonical CQL2 text and JSON of an AST (for links, logs and round trips). Text: upper-case keywords, every
 * nested AND/OR in parentheses, negated LIKE/BETWEEN/IN/IS NULL in their infix forms, `NOT (...)` otherwise,
 * property names double-quoted when they are not plain identifiers or are keywords. JSON: the encoding of
 * OGC 21-065r2 §8.3 (op/args objects, {"property"}, {"timestamp"}, {"date"}, {"interval"}, {"bbox"}, GeoJSON).
 * parse(print(ast)) equals ast for both encodings.
 */
import type { ArrayElement, Cql2Expr, IntervalBound, Operand } from './ast.ts';
import { isPlainIdentifier } from './lexer.ts';
import { geometryToWkt } from './wkt.ts';

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'LIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE']);

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function propertyText(name: string): string {
  return isPlainIdentifier(name) && !KEYWORDS.has(name.toUpperCase()) ? name : `"${name.replace(/"/g, '""')}"`;
}

function boundText(b: IntervalBound): string {
  switch (b.kind) {
    case 'open':
      return "'..'";
    case 'property':
      return propertyText(b.name);
    default:
      return quote(b.value);
  }
}

function operandText(o: Operand | ArrayElement): string {
  switch (o.kind) {
    case 'property':
      return propertyText(o.name);
    case 'string':
      return quote(o.value);
    case 'number':
      return String(o.value);
    case 'boolean':
      return o.value ? 'TRUE' : 'FALSE';
    case 'timestamp':
      return `TIMESTAMP(${quote(o.value)})`;
    case 'date':
      return `DATE(${quote(o.value)})`;
    case 'interval':
      return `INTERVAL(${boundText(o.start)}, ${boundText(o.end)})`;
    case 'geometry':
      return geometryToWkt(o.geometry);
    case 'bbox':
      return `BBOX(${o.bbox.map(String).join(', ')})`;
    case 'array':
      return `(${o.items.map(operandText).join(', ')})`;
    case 'casei':
      return `CASEI(${operandText(o.arg)})`;
    case 'accenti':
      return `ACCENTI(${operandText(o.arg)})`;
  }
}

/** Canonical CQL2 text. */
export function cql2ToText(e: Cql2Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.args.map((a) => (a.kind === 'and' || a.kind === 'or' ? `(${cql2ToText(a)})` : cql2ToText(a))).join(e.kind === 'and' ? ' AND ' : ' OR ');
    case 'not': {
      const a = e.arg;
      if (a.kind === 'like') return `${operandText(a.value)} NOT LIKE ${operandText(a.pattern)}`;
      if (a.kind === 'between') return `${operandText(a.value)} NOT BETWEEN ${operandText(a.low)} AND ${operandText(a.high)}`;
      if (a.kind === 'in') return `${operandText(a.value)} NOT IN (${a.list.map(operandText).join(', ')})`;
      if (a.kind === 'isNull') return `${operandText(a.value)} IS NOT NULL`;
      return `NOT (${cql2ToText(a)})`;
    }
    case 'boolean':
      return e.value ? 'TRUE' : 'FALSE';
    case 'comparison':
      return `${operandText(e.left)} ${e.op} ${operandText(e.right)}`;
    case 'like':
      return `${operandText(e.value)} LIKE ${operandText(e.pattern)}`;
    case 'between':
      return `${operandText(e.value)} BETWEEN ${operandText(e.low)} AND ${operandText(e.high)}`;
    case 'in':
      return `${operandText(e.value)} IN (${e.list.map(operandText).join(', ')})`;
    case 'isNull':
      return `${operandText(e.value)} IS NULL`;
    case 'spatial':
    case 'temporal':
    case 'arrayPredicate':
      return `${e.op.toUpperCase()}(${operandText(e.left)}, ${operandText(e.right)})`;
  }
}

function boundJson(b: IntervalBound): unknown {
  switch (b.kind) {
    case 'open':
      return '..';
    case 'property':
      return { property: b.name };
    default:
      return b.value;
  }
}

function operandJson(o: Operand | ArrayElement): unknown {
  switch (o.kind) {
    case 'property':
      return { property: o.name };
    case 'string':
    case 'number':
    case 'boolean':
      return o.value;
    case 'timestamp':
      return { timestamp: o.value };
    case 'date':
      return { date: o.value };
    case 'interval':
      return { interval: [boundJson(o.start), boundJson(o.end)] };
    case 'geometry':
      return o.geometry;
    case 'bbox':
      return { bbox: o.bbox };
    case 'array':
      return o.items.map(operandJson);
    case 'casei':
    case 'accenti':
      return { op: o.kind, args: [operandJson(o.arg)] };
  }
}

/** Canonical CQL2 JSON. */
export function cql2ToJson(e: Cql2Expr): unknown {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { op: e.kind, args: e.args.map(cql2ToJson) };
    case 'not':
      return { op: 'not', args: [cql2ToJson(e.arg)] };
    case 'boolean':
      return e.value;
    case 'comparison':
    case 'spatial':
    case 'temporal':
    case 'arrayPredicate':
      return { op: e.op, args: [operandJson(e.left), operandJson(e.right)] };
    case 'like':
      return { op: 'like', args: [operandJson(e.value), operandJson(e.pattern)] };
    case 'between':
      return { op: 'between', args: [operandJson(e.value), operandJson(e.low), operandJson(e.high)] };
    case 'in':
      return { op: 'in', args: [operandJson(e.value), e.list.map(operandJson)] };
    case 'isNull':
      return { op: 'isNull', args: [operandJson(e.value)] };
  }
}
