/**
 * Instants and intervals of CQL2 (OGC 21-065r2 §7.9) in epoch milliseconds (UTC), shared by the evaluator and
 * the SQL translation so both apply one rule: an instant is the degenerate interval [t, t]; a DATE stands for
 * the closed interval [day 00:00:00.000Z, day 23:59:59.999Z]; '..' is -∞ at a start and +∞ at an end.
 * Resolution is one millisecond (finer fractions are truncated in JS; PostgreSQL keeps microseconds).
 *
 * The fifteen temporal relations below are Allen's interval relations on closed intervals [s1, e1], [s2, e2]
 * as tabulated in OGC 21-065r2 Table 6/7.
 */
import type { TemporalOp } from './ast.ts';

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DAY_MS = 86_400_000;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= dim;
}

/** Epoch ms of an RFC 3339 date-time ('2020-01-01T10:00:00Z', offsets allowed), or null when invalid. */
export function timestampMs(s: string): number | null {
  const m = TS_RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || se > 60) return null;
  const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let off = 0;
  const z = m[8]!;
  if (z !== 'Z' && z !== 'z') {
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    off = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(se, 59)) + frac - off;
  return Number.isFinite(t) ? t : null;
}

/** Epoch ms of 'YYYY-MM-DD' at 00:00Z, or null when invalid. */
export function dateMs(s: string): number | null {
  const m = DATE_RE.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (!validDay(y, mo, d)) return null;
  return Date.UTC(y, mo - 1, d);
}

/** 'YYYY-MM-DDT00:00:00Z' and 'YYYY-MM-DDT23:59:59.999Z' for a valid date. */
export function dateBounds(s: string): [string, string] {
  return [`${s}T00:00:00Z`, `${s}T23:59:59.999Z`];
}

/** Epoch ms of a property value read from an item: an RFC 3339 string or a date; else null. */
export function instantOfValue(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  return timestampMs(v) ?? dateMs(v);
}

/** Allen relation `op` between [s1, e1] and [s2, e2] (numbers, ±Infinity for open ends). */
export function temporalRelation(op: TemporalOp, s1: number, e1: number, s2: number, e2: number): boolean {
  switch (op) {
    case 't_after':
      return s1 > e2;
    case 't_before':
      return e1 < s2;
    case 't_contains':
      return s1 < s2 && e1 > e2;
    case 't_disjoint':
      return e1 < s2 || s1 > e2;
    case 't_during':
      return s1 > s2 && e1 < e2;
    case 't_equals':
      return s1 === s2 && e1 === e2;
    case 't_finishedBy':
      return s1 < s2 && e1 === e2;
    case 't_finishes':
      return s1 > s2 && e1 === e2;
    case 't_intersects':
      return s1 <= e2 && e1 >= s2;
    case 't_meets':
      return e1 === s2;
    case 't_metBy':
      return s1 === e2;
    case 't_overlappedBy':
      return s1 > s2 && s1 < e2 && e1 > e2;
    case 't_overlaps':
      return s1 < s2 && e1 > s2 && e1 < e2;
    case 't_startedBy':
      return s1 === s2 && e1 > e2;
    case 't_starts':
      return s1 === s2 && e1 < e2;
  }
}

/** The same relations as one parenthesised SQL condition over start/end fragments of type timestamptz. */
export function temporalRelationSql(op: TemporalOp, s1: string, e1: string, s2: string, e2: string): string {
  const and = (...c: string[]): string => `(${c.join(' AND ')})`;
  switch (op) {
    case 't_after':
      return `(${s1} > ${e2})`;
    case 't_before':
      return `(${e1} < ${s2})`;
    case 't_contains':
      return and(`${s1} < ${s2}`, `${e1} > ${e2}`);
    case 't_disjoint':
      return `(${e1} < ${s2} OR ${s1} > ${e2})`;
    case 't_during':
      return and(`${s1} > ${s2}`, `${e1} < ${e2}`);
    case 't_equals':
      return and(`${s1} = ${s2}`, `${e1} = ${e2}`);
    case 't_finishedBy':
      return and(`${s1} < ${s2}`, `${e1} = ${e2}`);
    case 't_finishes':
      return and(`${s1} > ${s2}`, `${e1} = ${e2}`);
    case 't_intersects':
      return and(`${s1} <= ${e2}`, `${e1} >= ${s2}`);
    case 't_meets':
      return `(${e1} = ${s2})`;
    case 't_metBy':
      return `(${s1} = ${e2})`;
    case 't_overlappedBy':
      return and(`${s1} > ${s2}`, `${s1} < ${e2}`, `${e1} > ${e2}`);
    case 't_overlaps':
      return and(`${s1} < ${s2}`, `${e1} > ${s2}`, `${e1} < ${e2}`);
    case 't_startedBy':
      return and(`${s1} = ${s2}`, `${e1} > ${e2}`);
    case 't_starts':
      return and(`${s1} = ${s2}`, `${e1} < ${e2}`);
  }
}
