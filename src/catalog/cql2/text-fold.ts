/**
 * Accent folding for ACCENTI (OGC 21-065r2 §7.6): one character to one character, so the same table serves
 * JavaScript and PostgreSQL's `translate(text, from, to)` (no `unaccent` extension needed) and both give the
 * same answer. Built from the Unicode canonical decompositions of Latin-1 Supplement, Latin Extended-A/B and
 * Latin Extended Additional (a base letter followed by combining marks), plus a few letters with strokes.
 */
const pairs: [string, string][] = [];
const ranges: [number, number][] = [
  [0xc0, 0x24f],
  [0x1e00, 0x1eff],
];
for (const [a, b] of ranges) {
  for (let c = a; c <= b; c++) {
    const ch = String.fromCharCode(c);
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    if (base.length === 1 && base !== ch && /[A-Za-z]/.test(base)) pairs.push([ch, base]);
  }
}
for (const [ch, base] of [['ø', 'o'], ['Ø', 'O'], ['đ', 'd'], ['Đ', 'D'], ['ł', 'l'], ['Ł', 'L'], ['ħ', 'h'], ['Ħ', 'H']] as const) {
  pairs.push([ch, base]);
}

/** Characters folded by ACCENTI, and what each becomes (same length, position by position). */
export const ACCENT_FROM = pairs.map((p) => p[0]).join('');
export const ACCENT_TO = pairs.map((p) => p[1]).join('');
const MAP = new Map(pairs);

/** Folds accents as PostgreSQL `translate(s, ACCENT_FROM, ACCENT_TO)` does. */
export function foldAccents(s: string): string {
  let out = '';
  for (const ch of s) out += MAP.get(ch) ?? ch;
  return out;
}
