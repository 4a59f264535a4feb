/**
 * A high-breakdown starting plane for the robust deramping (deramp.ts): least median of squares (Rousseeuw 1984,
 * "Least median of squares regression", J. Am. Stat. Assoc. 79:871-880, doi:10.1080/01621459.1984.10477105)
 * over block medians. The image is cut into 16×16 blocks; each block is summarised by the median value and
 * centroid of its sampled pixels; a triple of blocks defines a plane, and the plane whose median absolute residual
 * over the blocks is smallest wins. Up to 40 blocks every triple is tried; beyond, 4,000 triples drawn with a
 * fixed seed (with 55 % of the blocks on stable ground, the chance that none of them is all-stable is < 1e-300).
 * It finds the plane that most blocks agree with even where a large moving area drags least squares away.
 */
import { medianInPlace, selectInPlace } from './common.ts';
import type { Sample } from './plane-model.ts';

const GRID = 16;
const EXHAUSTIVE_MAX = 40;
const TRIALS = 4000;

/** LMedS plane (A, B, C) in normalised coordinates, or null with fewer than 3 usable blocks. */
export function blockLmedsStart(s: Sample, gridX = GRID, gridY = GRID): [number, number, number] | null {
  const nb = gridX * gridY;
  const m = s.v.length;
  const blockOf = new Int32Array(m);
  const start = new Int32Array(nb + 1);
  for (let k = 0; k < m; k++) {
    const bx = Math.min(gridX - 1, Math.max(0, Math.floor(((s.x[k]! + 1) / 2) * gridX)));
    const by = Math.min(gridY - 1, Math.max(0, Math.floor(((s.y[k]! + 1) / 2) * gridY)));
    const b = by * gridX + bx;
    blockOf[k] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, nb);
  const vals = new Float64Array(m);
  const cx = new Float64Array(nb);
  const cy = new Float64Array(nb);
  for (let k = 0; k < m; k++) {
    const b = blockOf[k]!;
    vals[fill[b]!++] = s.v[k]!;
    cx[b]! += s.x[k]!;
    cy[b]! += s.y[k]!;
  }
  // usable blocks: at least 3 sampled pixels
  const bx: number[] = [];
  const by: number[] = [];
  const bv: number[] = [];
  for (let b = 0; b < nb; b++) {
    const n = start[b + 1]! - start[b]!;
    if (n < 3) continue;
    bx.push(cx[b]! / n);
    by.push(cy[b]! / n);
    bv.push(medianInPlace(vals, start[b]!, n));
  }
  const q = bv.length;
  if (q < 3) return null;
  const res = new Float64Array(q);
  const h = (q - 1) >> 1;
  let best: [number, number, number] | null = null;
  let bestMed = Infinity;
  const tryTriple = (i: number, j: number, k: number): void => {
    const xj = bx[j]! - bx[i]!;
    const yj = by[j]! - by[i]!;
    const xk = bx[k]! - bx[i]!;
    const yk = by[k]! - by[i]!;
    const det = xj * yk - xk * yj;
    if (Math.abs(det) < 1e-6) return;
    const vj = bv[j]! - bv[i]!;
    const vk = bv[k]! - bv[i]!;
    const B = (vj * yk - vk * yj) / det;
    const C = (xj * vk - xk * vj) / det;
    const A = bv[i]! - B * bx[i]! - C * by[i]!;
    for (let t = 0; t < q; t++) res[t] = Math.abs(bv[t]! - A - B * bx[t]! - C * by[t]!);
    const med = selectInPlace(res, h);
    if (med < bestMed) {
      bestMed = med;
      best = [A, B, C];
    }
  };
  if (q <= EXHAUSTIVE_MAX) {
    for (let i = 0; i < q - 2; i++) for (let j = i + 1; j < q - 1; j++) for (let k = j + 1; k < q; k++) tryTriple(i, j, k);
  } else {
    let seed = 0x9e3779b9;
    const next = (): number => {
      // xorshift32, fixed seed: the result is deterministic
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % q;
    };
    for (let t = 0; t < TRIALS; t++) {
      const i = next();
      const j = next();
      const k = next();
      if (i !== j && j !== k && i !== k) tryTriple(i, j, k);
    }
  }
  return best;
}
