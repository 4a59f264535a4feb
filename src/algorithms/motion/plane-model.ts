/**
 * The linear model behind deramping (deramp.ts): v = A + B·x' + C·y' [+ o_s], with x', y' the pixel coordinates
 * centred and scaled to [-1, 1] and, when stripe ids are given, one constant offset o_s per stripe s (Sentinel-2
 * detector), so that the stripe steps neither pull the plane nor pass for outliers. Offsets have a free gauge
 * (A + o_s is what is identified): each solve fixes the offset of the stripe with the largest weight at 0.
 * Weighted normal equations are accumulated in float64 over the image or over a sample, and solved by Gaussian
 * elimination with partial pivoting. Pure functions on flat arrays.
 */
import { GepError } from '../../core/errors.ts';

/** Normalised coordinates x' = (col - cx)*sx, y' = (row - cy)*sy. */
export interface Frame {
  w: number;
  h: number;
  cx: number;
  cy: number;
  sx: number;
  sy: number;
}

export function frameOf(width: number, height: number): Frame {
  return { w: width, h: height, cx: (width - 1) / 2, cy: (height - 1) / 2, sx: 2 / Math.max(1, width - 1), sy: 2 / Math.max(1, height - 1) };
}

/** Stripe id -> compact index 0..k-1 (-1: unknown or absent); ids[q] is the id of compact index q. */
export interface StripeMap {
  k: number;
  map: Int32Array;
  ids: number[];
}

/** Sampled pixels: normalised coordinates, values and compact stripe index (-1 = none). */
export interface Sample {
  x: Float64Array;
  y: Float64Array;
  v: Float64Array;
  s: Int32Array | null;
}

/** Weighted sums: g = [S, Sx, Sy, Sxx, Sxy, Syy, Sv, Sxv, Syv, count(w>0), Σw r²]; p = per stripe [S, Sx, Sy, Sv]. */
export interface Sums {
  g: Float64Array;
  p: Float64Array;
}

/** Pass mode: 0 all weights 1; 1 weight 1 when |r| <= t (trimmed); 2 Tukey biweight (1 - (r/t)²)² for |r| < t. */
export type Mode = 0 | 1 | 2;

const MAX_ID = 1 << 20;
const MAX_STRIPES = 256;

/** Compact map of the stripe ids that hold at least one valid pixel. */
export function makeStripeMap(
  stripes: Uint8Array | Int32Array,
  values: Float32Array,
  stable: Uint8Array | undefined,
  name: string,
): StripeMap {
  let maxId = 0;
  for (let i = 0; i < stripes.length; i++) if (stripes[i]! > maxId) maxId = stripes[i]!;
  if (maxId > MAX_ID) throw new GepError('GEP_ERR_INVALID_INPUT', `fitPlane: stripe ids of ${name} must be <= ${MAX_ID}, got ${maxId}`, { input: 'stripes' });
  const seen = new Uint8Array(maxId + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const s = stripes[i]!;
    if (s > 0 && v - v === 0 && (stable === undefined || stable[i] !== 0)) seen[s] = 1;
  }
  const map = new Int32Array(maxId + 1).fill(-1);
  const ids: number[] = [];
  for (let s = 1; s <= maxId; s++) if (seen[s] === 1) map[s] = ids.push(s) - 1;
  if (ids.length > MAX_STRIPES) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fitPlane: ${name} spans ${ids.length} stripes; at most ${MAX_STRIPES} are supported`, { input: 'stripes' });
  }
  return { k: ids.length, map, ids };
}

export function newSums(k: number): Sums {
  return { g: new Float64Array(11), p: new Float64Array(4 * k) };
}

/**
 * One pass over the image: weighted sums for the parameters th = [A, B, C, o_0 .. o_k-1] (see Sums). Sums that
 * involve y are formed per row (y is constant along a row), which keeps the inner loop to seven accumulators.
 */
export function accumulate(
  values: Float32Array,
  stable: Uint8Array | undefined,
  stripes: Uint8Array | Int32Array | undefined,
  sm: StripeMap | null,
  f: Frame,
  th: Float64Array,
  mode: Mode,
  t: number,
  out: Sums,
): void {
  let s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, sv = 0, sxv = 0, syv = 0, cnt = 0, srr = 0;
  const inv = t > 0 ? 1 / t : 0;
  const A = th[0]!;
  const B = th[1]!;
  const C = th[2]!;
  const p = out.p;
  p.fill(0);
  const map = sm !== null && stripes !== undefined ? sm.map : null;
  const x0 = -f.cx * f.sx;
  const dx = f.sx;
  for (let row = 0; row < f.h; row++) {
    const y = (row - f.cy) * f.sy;
    const base = A + C * y;
    let rw = 0, rx = 0, rxx = 0, rv = 0, rxv = 0, rc = 0, rr = 0;
    let i = row * f.w;
    let x = x0 - dx;
    for (let col = 0; col < f.w; col++, i++) {
      x += dx;
      const v = values[i]!;
      if (v - v !== 0) continue;
      if (stable !== undefined && stable[i] === 0) continue;
      let q = -1;
      let r = v - base - B * x;
      if (map !== null) {
        const id = stripes![i]!;
        q = id > 0 ? map[id]! : -1;
        if (q >= 0) r -= th[3 + q]!;
      }
      let wt = 1;
      if (mode === 1) {
        if (r > t || r < -t) continue;
      } else if (mode === 2) {
        const u = r * inv;
        const u2 = u * u;
        if (u2 >= 1) continue;
        wt = (1 - u2) * (1 - u2);
      }
      const wx = wt * x;
      rw += wt;
      rx += wx;
      rxx += wx * x;
      rv += wt * v;
      rxv += wx * v;
      rc++;
      rr += wt * r * r;
      if (q >= 0) {
        const o = 4 * q;
        p[o]! += wt;
        p[o + 1]! += wx;
        p[o + 2]! += wt * y;
        p[o + 3]! += wt * v;
      }
    }
    s += rw;
    sx += rx;
    sy += rw * y;
    sxx += rxx;
    sxy += rx * y;
    syy += rw * y * y;
    sv += rv;
    sxv += rxv;
    syv += rv * y;
    cnt += rc;
    srr += rr;
  }
  out.g.set([s, sx, sy, sxx, sxy, syy, sv, sxv, syv, cnt, srr]);
}

/** accumulate() over a sample. */
export function accumulateSample(sm: Sample, th: Float64Array, mode: Mode, t: number, out: Sums): void {
  let s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, sv = 0, sxv = 0, syv = 0, cnt = 0, srr = 0;
  const inv = t > 0 ? 1 / t : 0;
  const A = th[0]!;
  const B = th[1]!;
  const C = th[2]!;
  const p = out.p;
  p.fill(0);
  const xs = sm.x;
  const ys = sm.y;
  const vs = sm.v;
  const ss = sm.s;
  for (let k = 0; k < vs.length; k++) {
    const x = xs[k]!;
    const y = ys[k]!;
    const v = vs[k]!;
    const q = ss === null ? -1 : ss[k]!;
    const r = v - A - B * x - C * y - (q >= 0 ? th[3 + q]! : 0);
    let wt = 1;
    if (mode === 1) {
      if (r > t || r < -t) continue;
    } else if (mode === 2) {
      const u2 = r * inv * r * inv;
      if (u2 >= 1) continue;
      wt = (1 - u2) * (1 - u2);
    }
    const wx = wt * x;
    const wy = wt * y;
    s += wt;
    sx += wx;
    sy += wy;
    sxx += wx * x;
    sxy += wx * y;
    syy += wy * y;
    sv += wt * v;
    sxv += wx * v;
    syv += wy * v;
    cnt++;
    srr += wt * r * r;
    if (q >= 0) {
      const o = 4 * q;
      p[o]! += wt;
      p[o + 1]! += wx;
      p[o + 2]! += wy;
      p[o + 3]! += wt * v;
    }
  }
  out.g.set([s, sx, sy, sxx, sxy, syy, sv, sxv, syv, cnt, srr]);
}

/** |residual| of every sample point under th, into res. */
export function sampleResiduals(sm: Sample, th: Float64Array, res: Float64Array): void {
  const A = th[0]!;
  const B = th[1]!;
  const C = th[2]!;
  for (let k = 0; k < res.length; k++) {
    const q = sm.s === null ? -1 : sm.s[k]!;
    res[k] = Math.abs(sm.v[k]! - A - B * sm.x[k]! - C * sm.y[k]! - (q >= 0 ? th[3 + q]! : 0));
  }
}

/**
 * Solves the weighted normal equations. Stripes without weight keep their previous absolute level
 * (A + o_s of `prev`); the stripe with the largest weight is the gauge (o = 0). Null when singular.
 */
export function solve(sums: Sums, k: number, prev: Float64Array | null): Float64Array | null {
  const g = sums.g;
  const p = sums.p;
  // unknowns: A, B, C, then the offsets of the weighted stripes except the gauge
  let ref = -1;
  for (let q = 0; q < k; q++) if (p[4 * q]! > 0 && (ref < 0 || p[4 * q]! > p[4 * ref]!)) ref = q;
  const col = new Int32Array(k).fill(-1);
  let n = 3;
  for (let q = 0; q < k; q++) if (q !== ref && p[4 * q]! > 0) col[q] = n++;
  const M = new Float64Array(n * (n + 1)); // augmented, row-major with n+1 columns
  const w = n + 1;
  const put = (i: number, j: number, v: number): void => {
    M[i * w + j] = v;
    M[j * w + i] = v;
  };
  put(0, 0, g[0]!);
  put(0, 1, g[1]!);
  put(0, 2, g[2]!);
  put(1, 1, g[3]!);
  put(1, 2, g[4]!);
  put(2, 2, g[5]!);
  M[n] = g[6]!;
  M[w + n] = g[7]!;
  M[2 * w + n] = g[8]!;
  for (let q = 0; q < k; q++) {
    const j = col[q]!;
    if (j < 0) continue;
    put(0, j, p[4 * q]!);
    put(1, j, p[4 * q + 1]!);
    put(2, j, p[4 * q + 2]!);
    M[j * w + j] = p[4 * q]!;
    M[j * w + n] = p[4 * q + 3]!;
  }
  if (!(g[0]! > 0)) return null;
  // scale for the singularity test: the largest diagonal entry
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(M[i * w + i]!));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * w + c]!) > Math.abs(M[piv * w + c]!)) piv = r;
    if (!(Math.abs(M[piv * w + c]!) > 1e-11 * scale)) return null;
    if (piv !== c) {
      for (let j = c; j <= n; j++) {
        const t = M[c * w + j]!;
        M[c * w + j] = M[piv * w + j]!;
        M[piv * w + j] = t;
      }
    }
    const d = M[c * w + c]!;
    for (let r = c + 1; r < n; r++) {
      const fct = M[r * w + c]! / d;
      if (fct === 0) continue;
      for (let j = c; j <= n; j++) M[r * w + j]! -= fct * M[c * w + j]!;
    }
  }
  const sol = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let acc = M[r * w + n]!;
    for (let j = r + 1; j < n; j++) acc -= M[r * w + j]! * sol[j]!;
    sol[r] = acc / M[r * w + r]!;
  }
  const th = new Float64Array(3 + k);
  th[0] = sol[0]!;
  th[1] = sol[1]!;
  th[2] = sol[2]!;
  for (let q = 0; q < k; q++) {
    const j = col[q]!;
    if (q === ref) th[3 + q] = 0;
    else if (j >= 0) th[3 + q] = sol[j]!;
    else th[3 + q] = prev === null ? 0 : prev[0]! + prev[3 + q]! - th[0]!;
  }
  return th;
}

/** Gauge-free size of a parameter change: |ΔB| + |ΔC| + max over stripes of |Δ(A + o_s)| (|ΔA| without stripes). */
export function change(a: Float64Array, b: Float64Array): number {
  let m = a.length > 3 ? 0 : Math.abs(a[0]! - b[0]!);
  for (let q = 3; q < a.length; q++) m = Math.max(m, Math.abs(a[0]! + a[q]! - b[0]! - b[q]!));
  return Math.abs(a[1]! - b[1]!) + Math.abs(a[2]! - b[2]!) + m;
}
