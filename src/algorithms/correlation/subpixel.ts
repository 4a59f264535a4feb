/**
 * Sub-pixel refinement of one match by inverse-compositional Gauss–Newton on the zero-mean normalised SSD
 * (ZNSSD = 2·(1 - ZNCC), so minimising it maximises ZNCC): Pan, Li & Tong 2013, "Fast, robust and accurate
 * digital image correlation calculation without redundant computations", Experimental Mechanics 53:1277–1289,
 * doi:10.1007/s11340-013-9717-6 (translation-only warp); Baker & Matthews 2004, "Lucas-Kanade 20 years on",
 * IJCV 56:221–255, doi:10.1023/B:VISI.0000011205.11775.fd.
 *
 * The reference template f is taken at integer pixels (no interpolation, exact); the secondary g is resampled
 * at the current fractional displacement by cubic B-spline interpolation (local.ts), whose small phase error
 * keeps the "pixel-locking" bias of peak fitting away. The Hessian uses the zero-mean reference gradients and is
 * computed once per pixel. Update (translation p, image col/row units):
 *   e_i = (f_i - f̄) - (Δf/Δg)·(g_i(p) - ḡ),   p ← p + H⁻¹ Σ_i ∇f_i e_i,   H = Σ_i ∇f_i ∇f_iᵀ.
 */
import type { LocalImage } from './local.ts';

/** Scratch buffers for one worker (reuse across pixels: no per-pixel allocation). */
export interface RefineScratch {
  fz: Float64Array;
  gxz: Float64Array;
  gyz: Float64Array;
  h: Float64Array;
  g: Float64Array;
  /** Output: [dcol, drow, zncc]. */
  out: Float64Array;
}

export function refineScratch(r: number): RefineScratch {
  const n = (2 * r + 1) * (2 * r + 1);
  return {
    fz: new Float64Array(n),
    gxz: new Float64Array(n),
    gyz: new Float64Array(n),
    h: new Float64Array((2 * r + 4) * (2 * r + 1)),
    g: new Float64Array(n),
    out: new Float64Array(3),
  };
}

export interface RefineInputs {
  I: LocalImage;
  gx: Float64Array;
  gy: Float64Array;
  /** Spline coefficients of the secondary, on the rectangle of `J`. */
  coef: Float64Array;
  J: LocalImage;
  r: number;
  /** Convergence threshold on the update, pixels. */
  tol: number;
  maxIter: number;
}

/**
 * Refines the displacement (p0c, p0r) (columns, rows) of the template centred on image pixel (x, y).
 * Returns false (and leaves `out` untouched) when the template is degenerate, the iteration leaves ±1.5 px of
 * the start, or the resampled window leaves the secondary's rectangle.
 */
export function refine(ri: RefineInputs, x: number, y: number, p0c: number, p0r: number, s: RefineScratch): boolean {
  const { I, gx, gy, coef, J, r, tol, maxIter } = ri;
  const w2 = 2 * r + 1;
  const n = w2 * w2;
  const { fz, gxz, gyz, h, g, out } = s;
  // template, zero-mean values and gradients
  let fm = 0;
  let gxm = 0;
  let gym = 0;
  for (let v = 0; v < w2; v++) {
    const o = (y - r + v - I.y0) * I.w + (x - r - I.x0);
    for (let u = 0; u < w2; u++) {
      const k = v * w2 + u;
      fz[k] = I.data[o + u] as number;
      gxz[k] = gx[o + u] as number;
      gyz[k] = gy[o + u] as number;
      fm += fz[k] as number;
      gxm += gxz[k] as number;
      gym += gyz[k] as number;
    }
  }
  fm /= n;
  gxm /= n;
  gym /= n;
  let ff = 0;
  let hxx = 0;
  let hxy = 0;
  let hyy = 0;
  for (let k = 0; k < n; k++) {
    const f = (fz[k] as number) - fm;
    fz[k] = f;
    ff += f * f;
    const a = (gxz[k] as number) - gxm;
    const b = (gyz[k] as number) - gym;
    gxz[k] = a;
    gyz[k] = b;
    hxx += a * a;
    hxy += a * b;
    hyy += b * b;
  }
  const det = hxx * hyy - hxy * hxy;
  if (!(ff > 0) || !(det > 1e-12 * (hxx + hyy) * (hxx + hyy))) return false;
  const i11 = hyy / det;
  const i12 = -hxy / det;
  const i22 = hxx / det;
  const df = Math.sqrt(ff);
  let pc = p0c;
  let pr = p0r;
  let zncc = NaN;
  const jw = J.w;
  for (let it = 0; it < maxIter; it++) {
    const tx = x + pc;
    const ty = y + pr;
    const ix = Math.floor(tx);
    const iy = Math.floor(ty);
    const fx = tx - ix;
    const fy = ty - iy;
    // coefficient block [ix-r-1, ix+r+2] × [iy-r-1, iy+r+2] must lie in J's rectangle
    const cx0 = ix - r - 1 - J.x0;
    const cy0 = iy - r - 1 - J.y0;
    if (cx0 < 0 || cy0 < 0 || cx0 + w2 + 3 > J.w || cy0 + w2 + 3 > J.h) return false;
    // cubic B-spline weights
    const ax = 1 - fx;
    const wx0 = (ax * ax * ax) / 6;
    const wx1 = (3 * fx * fx * fx - 6 * fx * fx + 4) / 6;
    const wx3 = (fx * fx * fx) / 6;
    const wx2 = 1 - wx0 - wx1 - wx3;
    const ay = 1 - fy;
    const wy0 = (ay * ay * ay) / 6;
    const wy1 = (3 * fy * fy * fy - 6 * fy * fy + 4) / 6;
    const wy3 = (fy * fy * fy) / 6;
    const wy2 = 1 - wy0 - wy1 - wy3;
    // horizontal pass over w2+3 coefficient rows, then vertical pass
    for (let rr = 0; rr < w2 + 3; rr++) {
      const o = (cy0 + rr) * jw + cx0;
      for (let u = 0; u < w2; u++) {
        const q = o + u;
        h[rr * w2 + u] =
          wx0 * (coef[q] as number) + wx1 * (coef[q + 1] as number) + wx2 * (coef[q + 2] as number) + wx3 * (coef[q + 3] as number);
      }
    }
    let gm = 0;
    for (let v = 0; v < w2; v++) {
      for (let u = 0; u < w2; u++) {
        const q = v * w2 + u;
        const val =
          wy0 * (h[q] as number) + wy1 * (h[q + w2] as number) + wy2 * (h[q + 2 * w2] as number) + wy3 * (h[q + 3 * w2] as number);
        g[q] = val;
        gm += val;
      }
    }
    gm /= n;
    let gg = 0;
    let fg = 0;
    for (let k = 0; k < n; k++) {
      const d = (g[k] as number) - gm;
      g[k] = d;
      gg += d * d;
      fg += (fz[k] as number) * d;
    }
    if (!(gg > 0)) return false;
    const dg = Math.sqrt(gg);
    zncc = fg / (df * dg);
    const kfg = df / dg;
    let bx = 0;
    let by = 0;
    for (let k = 0; k < n; k++) {
      const e = (fz[k] as number) - kfg * (g[k] as number);
      bx += (gxz[k] as number) * e;
      by += (gyz[k] as number) * e;
    }
    const uc = i11 * bx + i12 * by;
    const ur = i12 * bx + i22 * by;
    pc += uc;
    pr += ur;
    if (Math.abs(pc - p0c) > 1.5 || Math.abs(pr - p0r) > 1.5) return false;
    if (Math.abs(uc) < tol && Math.abs(ur) < tol) break;
  }
  out[0] = pc;
  out[1] = pr;
  out[2] = zncc;
  return true;
}
