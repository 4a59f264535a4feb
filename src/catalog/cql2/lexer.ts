/**
 * Tokens of the CQL2 text encoding (OGC 21-065r2 Annex B, BNF): identifiers (letters, digits, ':', '_', '.'
 * per the `identifier` rule), double-quoted identifiers, single-quoted character literals ('' escapes a
 * quote), signed numbers with exponent, comparison operators and punctuation. Keywords are identifiers;
 * the parser matches them case-insensitively. Tokens are produced on demand (one pass, no backtracking).
 */
import { GepError } from '../../core/errors.ts';

export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'op' | '(' | ')' | ',' | '[' | ']' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, literal value (unescaped) or operator. */
  text: string;
  /** Numeric value for 'number'. */
  num: number;
  /** 0-based offset of the first character. */
  pos: number;
}

/** A GEP_ERR_INVALID_INPUT that says where: "filter: <what> at character <pos + 1>". */
export function syntaxError(what: string, pos: number): GepError {
  return new GepError('GEP_ERR_INVALID_INPUT', `filter: ${what} at character ${pos + 1}`, { offset: pos });
}

function isIdentStart(c: number): boolean {
  return (
    c === 0x3a ||
    c === 0x5f ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1ffe) ||
    (c >= 0x200c && c <= 0x200d) ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0xeffff)
  );
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || c === 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0xa0;

/** True when `s` can be written as a bare (unquoted) identifier. */
export function isPlainIdentifier(s: string): boolean {
  let first = true;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (first ? !isIdentStart(c) : !isIdentPart(c)) return false;
    first = false;
  }
  return !first;
}

const NUMBER_RE = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;

export class Lexer {
  private readonly src: string;
  private i = 0;
  private readonly buf: Token[] = [];

  constructor(src: string) {
    this.src = src;
  }

  /** The token `k` places ahead (0 = next) without consuming it. */
  peek(k = 0): Token {
    while (this.buf.length <= k) this.buf.push(this.scan());
    return this.buf[k]!;
  }

  next(): Token {
    const t = this.peek();
    this.buf.shift();
    return t;
  }

  private scan(): Token {
    const s = this.src;
    let i = this.i;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    const pos = i;
    const tok = (kind: TokenKind, text: string, end: number, num = NaN): Token => {
      this.i = end;
      return { kind, text, num, pos };
    };
    if (i >= s.length) return tok('eof', '', i);
    const c = s.charCodeAt(i);
    const c1 = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
    const c2 = i + 2 < s.length ? s.charCodeAt(i + 2) : -1;
    if (isDigit(c) || (c === 0x2e && isDigit(c1)) || ((c === 0x2b || c === 0x2d) && (isDigit(c1) || (c1 === 0x2e && isDigit(c2))))) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(s)!;
      const end = i + m[0].length;
      if (end < s.length && isIdentPart(s.codePointAt(end)!) && s.charCodeAt(end) !== 0x2e) {
        throw syntaxError(`unexpected character '${String.fromCodePoint(s.codePointAt(end)!)}' after number '${m[0]}'`, end);
      }
      const num = Number(m[0]);
      if (!Number.isFinite(num)) throw syntaxError(`number '${m[0]}' is out of range`, pos);
      return tok('number', m[0], end, num === 0 ? 0 : num);
    }
    if (c === 0x27) return this.quoted(pos, 0x27, 'string', 'character literal');
    if (c === 0x22) return this.quoted(pos, 0x22, 'qident', 'quoted property name');
    switch (c) {
      case 0x28:
        return tok('(', '(', i + 1);
      case 0x29:
        return tok(')', ')', i + 1);
      case 0x2c:
        return tok(',', ',', i + 1);
      case 0x5b:
        return tok('[', '[', i + 1);
      case 0x5d:
        return tok(']', ']', i + 1);
      case 0x3d:
        return tok('op', '=', i + 1);
      case 0x3c:
        if (c1 === 0x3e) return tok('op', '<>', i + 2);
        if (c1 === 0x3d) return tok('op', '<=', i + 2);
        return tok('op', '<', i + 1);
      case 0x3e:
        if (c1 === 0x3d) return tok('op', '>=', i + 2);
        return tok('op', '>', i + 1);
      case 0x21:
        if (c1 === 0x3d) return tok('op', '<>', i + 2);
        break;
    }
    const cp = s.codePointAt(i)!;
    if (isIdentStart(cp)) {
      let j = i;
      while (j < s.length) {
        const d = s.codePointAt(j)!;
        if (!isIdentPart(d)) break;
        j += d > 0xffff ? 2 : 1;
      }
      return tok('ident', s.slice(i, j), j);
    }
    const shown = cp < 0x20 || cp === 0x7f ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${String.fromCodePoint(cp)}'`;
    throw syntaxError(`unexpected character ${shown}`, pos);
  }

  /** A '...' literal or "..." name; the delimiter doubled stands for itself. */
  private quoted(pos: number, q: number, kind: 'string' | 'qident', what: string): Token {
    const s = this.src;
    let i = pos + 1;
    let out = '';
    let from = i;
    for (;;) {
      const j = s.indexOf(String.fromCharCode(q), i);
      if (j < 0) throw syntaxError(`unterminated ${what} (started at character ${pos + 1})`, s.length);
      if (s.charCodeAt(j + 1) === q) {
        out += s.slice(from, j + 1);
        i = j + 2;
        from = i;
        continue;
      }
      out += s.slice(from, j);
      this.i = j + 1;
      return { kind, text: out, num: NaN, pos };
    }
  }
}
