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

/** Largest distance (px, per axis) the iteration may move from its start before the match is declared lost. */
export const TRUST_RADIUS = 1.5;

/** Scratch buffers for one worker (reuse across pixels: no per-pixel allocation). */
export interface RefineScratch {
  fz: Float64Array;
  gxz: Float64Array;
  gyz: Float64Array;
  /** Horizontally interpolated rows, (w2 + 3) × w2. */
  h: Float64Array;
  /** Output: [dcol, drow, zncc, isotropy]; isotropy (see refine) is written even when refine returns false. */
  out: Float64Array;
}

export function refineScratch(r: number): RefineScratch {
  const n = (2 * r + 1) * (2 * r + 1);
  return {
    fz: new Float64Array(n),
    gxz: new Float64Array(n),
    gyz: new Float64Array(n),
    h: new Float64Array((2 * r + 4) * (2 * r + 1)),
    out: new Float64Array(4),
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
 * λmin/λmax of the 2×2 structure tensor [[hxx, hxy], [hxy, hyy]] (the template's zero-mean gradients, i.e. the
 * Gauss–Newton Hessian, to which the curvature of 1 - ZNCC around its minimum is proportional): 1 for isotropic
 * texture, 0 for a straight edge or flat window (aperture problem). 0 when the tensor is zero or not finite.
 */
export function isotropy(hxx: number, hxy: number, hyy: number): number {
  const half = 0.5 * (hxx + hyy);
  const d = Math.sqrt(0.25 * (hxx - hyy) * (hxx - hyy) + hxy * hxy);
  const lmax = half + d;
  const v = (half - d) / lmax;
  return v > 0 ? v : 0;
}

/**
 * Refines the displacement (p0c, p0r) (columns, rows) of the template centred on image pixel (x, y).
 * Returns false (and leaves out[0..2] untouched) when the template is degenerate, the iteration leaves
 * ±TRUST_RADIUS of the start, or the resampled window leaves the secondary's rectangle; out[3] (isotropy of the
 * template's structure tensor) is always written.
 */
export function refine(ri: RefineInputs, x: number, y: number, p0c: number, p0r: number, s: RefineScratch): boolean {
  const { I, gx, gy, coef, J, r, tol, maxIter } = ri;
  const w2 = 2 * r + 1;
  const n = w2 * w2;
  const { fz, gxz, gyz, h, out } = s;
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
  // constant parts of the sums of each iteration: Σf, Σ∇f, Σ∇f·f (zero up to rounding, kept for exactness)
  let sf = 0;
  let sgx = 0;
  let sgy = 0;
  let bxf = 0;
  let byf = 0;
  for (let k = 0; k < n; k++) {
    const f = (fz[k] as number) - fm;
    fz[k] = f;
    ff += f * f;
    sf += f;
    const a = (gxz[k] as number) - gxm;
    const b = (gyz[k] as number) - gym;
    gxz[k] = a;
    gyz[k] = b;
    sgx += a;
    sgy += b;
    bxf += a * f;
    byf += b * f;
    hxx += a * a;
    hxy += a * b;
    hyy += b * b;
  }
  const det = hxx * hyy - hxy * hxy;
  out[3] = isotropy(hxx, hxy, hyy);
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
    // horizontal pass over w2+3 coefficient rows (each coefficient loaded once, slid through c0..c3)
    for (let rr = 0, hk = 0; rr < w2 + 3; rr++) {
      const o = (cy0 + rr) * jw + cx0;
      let c0 = coef[o] as number;
      let c1 = coef[o + 1] as number;
      let c2 = coef[o + 2] as number;
      for (let u = 0; u < w2; u++, hk++) {
        const c3 = coef[o + u + 3] as number;
        h[hk] = wx0 * c0 + wx1 * c1 + wx2 * c2 + wx3 * c3;
        c0 = c1;
        c1 = c2;
        c2 = c3;
      }
    }
    // vertical pass fused with the sums: Σg, Σg², Σf·g, Σ∇f·g (g = resampled secondary, not zero-mean)
    let sg = 0;
    let sgg = 0;
    let sfg = 0;
    let sxg = 0;
    let syg = 0;
    for (let k = 0; k < n; k++) {
      const val =
        wy0 * (h[k] as number) + wy1 * (h[k + w2] as number) + wy2 * (h[k + 2 * w2] as number) + wy3 * (h[k + 3 * w2] as number);
      sg += val;
      sgg += val * val;
      sfg += (fz[k] as number) * val;
      sxg += (gxz[k] as number) * val;
      syg += (gyz[k] as number) * val;
    }
    const gm = sg / n;
    const gg = sgg - sg * gm; // Σ(g - ḡ)²
    if (!(gg > 0)) return false;
    const fg = sfg - gm * sf; // Σ f·(g - ḡ)
    const dg = Math.sqrt(gg);
    zncc = fg / (df * dg);
    const kfg = df / dg;
    // Σ ∇f·e with e = f - kfg·(g - ḡ)
    const bx = bxf - kfg * (sxg - gm * sgx);
    const by = byf - kfg * (syg - gm * sgy);
    const uc = i11 * bx + i12 * by;
    const ur = i12 * bx + i22 * by;
    pc += uc;
    pr += ur;
    if (Math.abs(pc - p0c) > TRUST_RADIUS || Math.abs(pr - p0r) > TRUST_RADIUS) return false;
    if (Math.abs(uc) < tol && Math.abs(ur) < tol) break;
  }
  out[0] = pc;
  out[1] = pr;
  out[2] = zncc;
  return true;
}
