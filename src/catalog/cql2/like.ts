/**
 * CQL2 LIKE matching (OGC 21-065r2 §7.3): `%` matches any run of characters, `_` exactly one character (a
 * Unicode code point, as PostgreSQL does in UTF-8), `\` makes the next character literal. Greedy matching
 * that backtracks only to the last `%`: O(n·m) at worst, never exponential (no RegExp, no ReDoS).
 */

const ANY = -1;
const ONE = -2;

/** The pattern as code points, with ANY/ONE for unescaped wildcards. */
function compile(pattern: string): number[] {
  const out: number[] = [];
  let escaped = false;
  for (const ch of pattern) {
    const c = ch.codePointAt(0)!;
    if (escaped) {
      out.push(c);
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === '%') {
      if (out[out.length - 1] !== ANY) out.push(ANY);
    } else if (ch === '_') out.push(ONE);
    else out.push(c);
  }
  return out;
}

/** True when `value` matches the LIKE `pattern` (case-sensitive). */
export function likeMatch(value: string, pattern: string): boolean {
  const p = compile(pattern);
  const v = Array.from(value, (ch) => ch.codePointAt(0)!);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < v.length) {
    if (j < p.length && (p[j] === ONE || p[j] === v[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === ANY) {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (j < p.length && p[j] === ANY) j++;
  return j === p.length;
}
