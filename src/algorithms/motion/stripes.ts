/**
 * Stripe (detector) geometry when a product has no detector-footprint mask (MPIC-OPT step 5).
 *
 * Geometry: the along-track direction has azimuth θ (degrees clockwise from north = image up); stripes are
 * parallel to it. The across-track coordinate of pixel (col, row), in pixels, measured at the pixel centre from
 * the image's top-left corner, is
 *     u = (col + 0.5)·cos θ + (row + 0.5)·sin θ
 * (it increases to the right of the direction of travel: eastward for θ = 0). Stripe boundaries lie at
 * u = phasePx + k·stripeWidthPx (k integer); a pixel whose centre lies exactly on a boundary belongs to the stripe
 * after it. Ids are 1, 2, 3 ... in increasing u, 1 being the stripe of the pixel with the smallest u.
 * θ and θ + 180° give the same stripes numbered in reverse.
 */
import { GepError } from '../../core/errors.ts';
import { checkLength, checkSize, medianInPlace } from './common.ts';

export interface StripeGeometry {
  /** Stripe width across track, in pixels. */
  stripeWidthPx: number;
  /** Position of one boundary on the across-track axis u, reduced to [0, stripeWidthPx), in pixels. */
  phasePx: number;
}

function checkFinite(fn: string, name: string, v: number, positive = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: ${name} must be a ${positive ? 'positive ' : ''}finite number, got ${v}`, {
      input: name,
      value: v,
    });
  }
}

/** Range of u over the image's pixel centres. */
function uRange(width: number, height: number, cos: number, sin: number): [number, number] {
  const xs = [0.5 * cos, (width - 0.5) * cos];
  const ys = [0.5 * sin, (height - 0.5) * sin];
  return [Math.min(...xs) + Math.min(...ys), Math.max(...xs) + Math.max(...ys)];
}

/** Stripe id (1-based) of every pixel for a stripe pattern parallel to the track (see module comment). */
export function stripesFromAzimuth(
  width: number,
  height: number,
  opts: { azimuthDeg: number; stripeWidthPx: number; phasePx?: number },
): Int32Array {
  checkSize('stripesFromAzimuth', width, height);
  checkFinite('stripesFromAzimuth', 'azimuthDeg', opts.azimuthDeg);
  checkFinite('stripesFromAzimuth', 'stripeWidthPx', opts.stripeWidthPx, true);
  const phase = opts.phasePx ?? 0;
  checkFinite('stripesFromAzimuth', 'phasePx', phase);
  const th = (opts.azimuthDeg * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const inv = 1 / opts.stripeWidthPx;
  const [umin] = uRange(width, height, cos, sin);
  const k0 = Math.floor((umin - phase) * inv) - 1;
  const out = new Int32Array(width * height);
  for (let row = 0; row < height; row++) {
    const u0 = 0.5 * cos + (row + 0.5) * sin - phase;
    let i = row * width;
    for (let col = 0; col < width; col++, i++) out[i] = Math.floor((u0 + col * cos) * inv) - k0;
  }
  // the lowest id present must be 1 (k0 was taken one stripe early to be safe against rounding)
  let lo = Infinity;
  for (let i = 0; i < out.length; i++) if (out[i]! < lo) lo = out[i]!;
  if (lo !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! - lo + 1;
  return out;
}

export interface EstimateStripeOptions {
  azimuthDeg: number;
  /** Smallest stripe width to consider, pixels (default 16): sets the step detector's window and peak spacing. */
  minWidthPx?: number;
  /** Largest stripe width, pixels (default: the across-track extent of the image). */
  maxWidthPx?: number;
  /**
   * The other displacement component on the same grid (dy when `values` is dx). Boundaries are then searched on
   * the joint step of both components, and each one must show the same two-component step along its whole length.
   */
  second?: Float32Array;
  /** Along-track segments in which every boundary's step is checked (default 4, 2..16). */
  segments?: number;
  /**
   * Correlation length of the field's noise, pixels (default 7, a 7×7 correlation template): standard errors count
   * n / length² independent values, as neighbouring matches share most of their template.
   */
  noiseCorrelationPx?: number;
}

export interface StripeEstimate extends StripeGeometry {
  /** Accepted boundary positions on the u axis (pixels). */
  boundaries: number[];
  /** Candidate steps that failed the along-boundary checks (edges of moving areas, fields, clouds, noise). */
  rejected: number;
  /** True when at least one boundary passed every check: only then should the geometry be used to destripe. */
  confident: boolean;
  /** One line saying what was found or why nothing was accepted (for the log). */
  reason: string;
}

/** Joint step z (robust σ units) threshold, and the effective t threshold (noise correlation accounted for). */
const ROBUST_K = 6;
const T_EFF_MIN = 5;
/** Per-segment checks: t of the projected step, and its smallest share of the whole boundary's step. */
const SEG_T_MIN = 1;
const SEG_SHARE_MIN = 0.5;
const SAMPLE_MAX = 1 << 20;
/** Score lost per lattice line that no accepted boundary explains (boundaries under clouds or with small steps are
 * missed more often than spurious ones are accepted, now that each one is checked along its length). */
const LATTICE_MISS_PENALTY = 0.25;

/** Median and 5-robust-σ clipping range of the finite values (a sample of at most SAMPLE_MAX). */
function clipRange(fn: string, name: string, values: Float32Array): [number, number] {
  let nValid = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! === 0) nValid++;
  if (nValid === 0) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: ${name} has no finite pixel`, { input: name });
  const stride = Math.ceil(nValid / SAMPLE_MAX);
  const sample = new Float64Array(Math.ceil(nValid / stride));
  let m = 0;
  for (let i = 0, seen = 0; i < values.length && m < sample.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) continue;
    if (seen++ % stride === 0) sample[m++] = v;
  }
  const med = medianInPlace(sample, 0, m);
  for (let k = 0; k < m; k++) sample[k] = Math.abs(sample[k]! - med);
  const sigma = 1.4826 * medianInPlace(sample, 0, m);
  return sigma > 0 ? [med - 5 * sigma, med + 5 * sigma] : [-Infinity, Infinity];
}

/** Across-track profile of one component: per-bin count, sum, sum of squares; bin j = floor(u - umin + 0.5). */
interface Profile {
  cnt: Float64Array;
  sum: Float64Array;
  ssq: Float64Array;
  /** Pooled within-bin standard deviation. */
  sd: number;
}

function profileOf(values: Float32Array, width: number, height: number, cos: number, sin: number, umin: number, L: number, lo: number, hi: number): Profile {
  const cnt = new Float64Array(L);
  const sum = new Float64Array(L);
  const ssq = new Float64Array(L);
  for (let row = 0; row < height; row++) {
    const u0 = 0.5 * cos + (row + 0.5) * sin - umin + 0.5;
    let i = row * width;
    for (let col = 0; col < width; col++, i++) {
      const v = values[i]!;
      if (!(v >= lo && v <= hi)) continue;
      const j = Math.min(L - 1, Math.max(0, Math.floor(u0 + col * cos)));
      cnt[j]!++;
      sum[j]! += v;
      ssq[j]! += v * v;
    }
  }
  let within = 0;
  let dof = 0;
  for (let j = 0; j < L; j++) {
    if (cnt[j]! > 1) {
      within += ssq[j]! - (sum[j]! * sum[j]!) / cnt[j]!;
      dof += cnt[j]! - 1;
    }
  }
  return { cnt, sum, ssq, sd: dof > 0 ? Math.sqrt(Math.max(within, 0) / dof) : 0 };
}

/** Step (right mean - left mean) over k bins on each side of every bin edge j, and its pixel-count t statistic. */
function stepsOf(p: Profile, L: number, k: number): { step: Float64Array; t: Float64Array } {
  const cc = new Float64Array(L + 1);
  const cs = new Float64Array(L + 1);
  for (let j = 0; j < L; j++) {
    cc[j + 1] = cc[j]! + p.cnt[j]!;
    cs[j + 1] = cs[j]! + p.sum[j]!;
  }
  const step = new Float64Array(L).fill(NaN);
  const t = new Float64Array(L);
  for (let j = 1; j < L; j++) {
    const a = Math.max(0, j - k);
    const b = Math.min(L, j + k);
    const nl = cc[j]! - cc[a]!;
    const nr = cc[b]! - cc[j]!;
    if (nl < 1 || nr < 1) continue;
    const d = (cs[b]! - cs[j]!) / nr - (cs[j]! - cs[a]!) / nl;
    step[j] = d;
    const se = p.sd * Math.sqrt(1 / nl + 1 / nr);
    t[j] = se > 0 ? Math.abs(d) / se : Math.abs(d) > 0 ? Infinity : 0;
  }
  return { step, t };
}

/**
 * Finds stripe boundaries in a displacement component (and optionally the other one) and fits a regular pattern
 * to them. A boundary must be real evidence, not the edge of a moving area, a field or a cloud:
 * 1. across-track profile of each component: mean of the finite values in 1-pixel bins of u, after dropping
 *    values farther than 5 robust σ from the median (large motion);
 * 2. candidates: at every bin edge, the step between the means of the k bins on each side (k = minWidth/3,
 *    2..64), in robust-σ units of all steps, combined over the components (z = √Σ z_c²); a candidate is a local
 *    maximum of z within ±minWidth/2 with z > 6 and an effective t (pooled within-bin scatter, n / ℓ² independent
 *    values for a noise correlation length ℓ) above 5;
 * 3. checks along the boundary: the pixels within k bins are split into `segments` along-track segments; in every
 *    segment that the boundary crosses (at least 3, or all when fewer are asked) the step vector, projected on the
 *    whole boundary's step, must reach half of it with t >= 1 against that segment's own scatter. A step that
 *    holds only over part of the line (a moving area, a cloud edge) or drifts across it (an edge at another
 *    azimuth than the track) fails;
 * 4. regular fit (fitRegular below) of the accepted boundaries: the lattice phase + k·width that explains most.
 * With one boundary the width cannot be measured: it is set to the profile length + 1. With none the geometry is a
 * single stripe and `confident` is false. Deramp first (a tilt with dropped moving pixels turns their edges into
 * steps). For a Sentinel-2 pair without detector masks: deramp (robust), estimate on dx with `second` = dy, and
 * only when `confident`: stripesFromAzimuth, deramp the original again with `stripes`, then destripe.
 */
export function estimateStripeGeometry(values: Float32Array, width: number, height: number, opts: EstimateStripeOptions): StripeEstimate {
  const fn = 'estimateStripeGeometry';
  checkSize(fn, width, height);
  checkLength(fn, 'values', values, width, height);
  if (opts.second !== undefined) checkLength(fn, 'second', opts.second, width, height);
  checkFinite(fn, 'azimuthDeg', opts.azimuthDeg);
  const minW = opts.minWidthPx ?? 16;
  checkFinite(fn, 'minWidthPx', minW, true);
  const nSeg = opts.segments ?? 4;
  if (!Number.isInteger(nSeg) || nSeg < 2 || nSeg > 16) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: segments must be an integer 2..16, got ${nSeg}`, { input: 'segments' });
  const ell = opts.noiseCorrelationPx ?? 7;
  checkFinite(fn, 'noiseCorrelationPx', ell, true);
  const th = (opts.azimuthDeg * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const [umin, umax] = uRange(width, height, cos, sin);
  const L = Math.floor(umax - umin + 0.5) + 1;
  const maxW = opts.maxWidthPx ?? L;
  checkFinite(fn, 'maxWidthPx', maxW, true);
  if (maxW < minW) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: maxWidthPx ${maxW} < minWidthPx ${minW}`, { input: 'maxWidthPx' });

  const comps = opts.second ? [values, opts.second] : [values];
  const ranges = comps.map((c, q) => clipRange(fn, q === 0 ? 'values' : 'second', c));
  const k = Math.max(2, Math.min(64, Math.floor(minW / 3)));
  const profiles = comps.map((c, q) => profileOf(c, width, height, cos, sin, umin, L, ranges[q]![0], ranges[q]![1]));
  const steps = profiles.map((p) => stepsOf(p, L, k));
  // joint z of every edge: each component's step in robust-σ units of all its steps
  const z = new Float64Array(L).fill(NaN);
  const tEff = new Float64Array(L);
  for (const { step, t } of steps) {
    const finite = Float64Array.from(step.filter((d) => d === d));
    if (finite.length === 0) continue;
    const sMed = medianInPlace(finite.slice());
    for (let q = 0; q < finite.length; q++) finite[q] = Math.abs(finite[q]! - sMed);
    let maxAbs = 0;
    for (let q = 0; q < finite.length; q++) maxAbs = Math.max(maxAbs, finite[q]!);
    // floor: on noise-free piecewise-constant data most steps are 0, and z must still peak at the true edge
    const sSig = Math.max(1.4826 * medianInPlace(finite), 1e-6 * maxAbs) || 1;
    for (let j = 1; j < L; j++) {
      const d = step[j]!;
      if (d !== d) continue;
      const zc = (d - sMed) / sSig;
      z[j] = (z[j]! === z[j]! ? z[j]! : 0) + zc * zc;
      tEff[j]! += (t[j]! / ell) ** 2;
    }
  }
  const boundaries: number[] = [];
  let rejected = 0;
  const r = Math.max(k, Math.floor(minW / 2));
  for (let j = 1; j < L; j++) {
    const zj = z[j]!;
    if (zj !== zj || Math.sqrt(zj) <= ROBUST_K || Math.sqrt(tEff[j]!) < T_EFF_MIN) continue;
    let peak = true;
    // local maximum of z within ±r; on a plateau the first edge wins
    for (let q = Math.max(1, j - r); q <= Math.min(L - 1, j + r) && peak; q++) {
      const e = z[q]!;
      if ((q < j && e >= zj) || (q > j && e > zj)) peak = false;
    }
    if (!peak) continue;
    if (!holdsAlong(comps, ranges, width, height, cos, sin, umin + j - 0.5, k, nSeg, ell)) {
      rejected++;
      continue;
    }
    // triangular peak y(j) = Y - s|j - p| on √z: p - j = (y+ - y-) / (2 (y0 - min(y-, y+)))
    const y0 = Math.sqrt(zj);
    const ym = Math.sqrt(z[j - 1]! || 0);
    const yp = j + 1 < L ? Math.sqrt(z[j + 1]! || 0) : NaN;
    let off = 0;
    if (yp === yp && y0 > Math.min(ym, yp)) off = Math.max(-0.5, Math.min(0.5, (yp - ym) / (2 * (y0 - Math.min(ym, yp)))));
    boundaries.push(umin + j + off - 0.5);
  }
  const geometry = fitRegular(boundaries, umin, L, minW, maxW);
  const confident = boundaries.length > 0;
  const reason = confident
    ? `${boundaries.length} boundar${boundaries.length === 1 ? 'y' : 'ies'} held along the whole track in ${comps.length} component(s)` + (rejected ? `, ${rejected} candidate(s) rejected` : '')
    : rejected
      ? `${rejected} candidate step(s) did not hold along the whole boundary (edges of moving areas, clouds or noise): not destriping`
      : 'no significant step across the track: not destriping';
  return { ...geometry, boundaries, rejected, confident, reason };
}

/**
 * Whether the step at u = ub holds along the whole boundary (see estimateStripeGeometry step 3): per along-track
 * segment and component, the means of the pixels within k on each side.
 */
function holdsAlong(comps: Float32Array[], ranges: [number, number][], width: number, height: number, cos: number, sin: number, ub: number, k: number, nSeg: number, ell: number): boolean {
  // along-track coordinate v = -(col+.5)·sin + (row+.5)·cos, its range over the pixels within the window
  const nc = comps.length;
  let vmin = Infinity;
  let vmax = -Infinity;
  for (let row = 0; row < height; row++) {
    const ur = (row + 0.5) * sin;
    const vr = (row + 0.5) * cos;
    for (let col = 0; col < width; col++) {
      const u = (col + 0.5) * cos + ur;
      if (u < ub - k || u >= ub + k) continue;
      const v = vr - (col + 0.5) * sin;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
  }
  if (!(vmax > vmin)) return false;
  // acc[((seg·nc + c)·2 + side)·3 + {0 n, 1 sum, 2 ssq}]
  const acc = new Float64Array(nSeg * nc * 6);
  const span = (vmax - vmin) * (1 + 1e-9);
  for (let row = 0; row < height; row++) {
    const ur = (row + 0.5) * sin;
    const vr = (row + 0.5) * cos;
    for (let col = 0; col < width; col++) {
      const u = (col + 0.5) * cos + ur;
      if (u < ub - k || u >= ub + k) continue;
      const seg = Math.floor(((vr - (col + 0.5) * sin - vmin) / span) * nSeg);
      const side = u < ub ? 0 : 1;
      const i = row * width + col;
      for (let c = 0; c < nc; c++) {
        const x = comps[c]![i]!;
        if (!(x >= ranges[c]![0] && x <= ranges[c]![1])) continue;
        const o = ((seg * nc + c) * 2 + side) * 3;
        acc[o]!++;
        acc[o + 1]! += x;
        acc[o + 2]! += x * x;
      }
    }
  }
  const minPx = Math.max(20, 2 * ell * ell);
  const segStep = new Float64Array(nSeg * nc).fill(NaN);
  const segVar = new Float64Array(nSeg * nc);
  const whole = new Float64Array(nc);
  const wsum = new Float64Array(nc);
  for (let s = 0; s < nSeg; s++) {
    for (let c = 0; c < nc; c++) {
      const o = (s * nc + c) * 6;
      const nl = acc[o]!;
      const nr = acc[o + 3]!;
      if (nl < minPx || nr < minPx) continue;
      const ml = acc[o + 1]! / nl;
      const mr = acc[o + 4]! / nr;
      const vl = Math.max(0, acc[o + 2]! / nl - ml * ml);
      const vrr = Math.max(0, acc[o + 5]! / nr - mr * mr);
      segStep[s * nc + c] = mr - ml;
      segVar[s * nc + c] = ell * ell * (vl / nl + vrr / nr);
      whole[c]! += (mr - ml) * (nl + nr);
      wsum[c]! += nl + nr;
    }
  }
  let norm = 0;
  for (let c = 0; c < nc; c++) {
    whole[c] = wsum[c]! > 0 ? whole[c]! / wsum[c]! : 0;
    norm += whole[c]! * whole[c]!;
  }
  norm = Math.sqrt(norm);
  if (!(norm > 0)) return false;
  let used = 0;
  for (let s = 0; s < nSeg; s++) {
    let proj = 0;
    let v = 0;
    let ok = true;
    for (let c = 0; c < nc && ok; c++) {
      const d = segStep[s * nc + c]!;
      if (d !== d) ok = false;
      else {
        const w = whole[c]! / norm;
        proj += d * w;
        v += segVar[s * nc + c]! * w * w;
      }
    }
    if (!ok) continue;
    used++;
    if (proj < SEG_SHARE_MIN * norm || proj < SEG_T_MIN * Math.sqrt(v)) return false;
  }
  return used >= Math.min(3, nSeg);
}

/**
 * Regular pattern b = phase + k·width through the detected boundaries, tolerant of spurious and missed ones.
 * Candidate widths are the gaps between detected boundaries divided by 1..4 (within [minW, maxW]); a candidate
 * lattice, anchored at each boundary in turn, scores (boundaries within max(2, 2 %·width) of a lattice line) minus
 * a quarter of the number of lattice lines inside the profile that no boundary explains. The best lattice is refined by
 * least squares on its boundaries.
 */
function fitRegular(b: number[], umin: number, L: number, minW: number, maxW: number): StripeGeometry {
  const norm = (phase: number, w: number): StripeGeometry => {
    const p = ((phase % w) + w) % w;
    return { stripeWidthPx: w, phasePx: p < w ? p : 0 };
  };
  if (b.length === 0) return norm(umin - 0.5, L + 2);
  if (b.length === 1) return norm(b[0]!, L + 1);
  const umax = umin + L - 1;
  let best = { score: -Infinity, w: 0, anchor: 0 };
  for (let i = 0; i < b.length; i++) {
    for (let j = i + 1; j < b.length; j++) {
      for (let m = 1; m <= 4; m++) {
        const w = (b[j]! - b[i]!) / m;
        if (w < minW || w > maxW) continue;
        const tol = Math.max(2, 0.02 * w);
        for (let a = 0; a < b.length; a++) {
          const anchor = b[a]!;
          const hit = new Set<number>();
          for (const x of b) {
            const kk = Math.round((x - anchor) / w);
            if (Math.abs(x - anchor - kk * w) <= tol) hit.add(kk);
          }
          const lines = Math.floor((umax - anchor) / w) - Math.ceil((umin - anchor) / w) + 1;
          const score = hit.size - LATTICE_MISS_PENALTY * Math.max(0, lines - hit.size);
          if (score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && w > best.w)) best = { score, w, anchor };
        }
      }
    }
  }
  if (best.w === 0) return norm(b[0]!, L + 1); // no gap within [minW, maxW]
  // least squares b_i = phase + k_i·w on the boundaries of the best lattice
  const tol = Math.max(2, 0.02 * best.w);
  let n = 0, sk = 0, sb = 0, skk = 0, skb = 0;
  for (const x of b) {
    const kk = Math.round((x - best.anchor) / best.w);
    if (Math.abs(x - best.anchor - kk * best.w) > tol) continue;
    n++;
    sk += kk;
    sb += x;
    skk += kk * kk;
    skb += kk * x;
  }
  const den = n * skk - sk * sk;
  const w = den > 0 ? (n * skb - sk * sb) / den : best.w;
  return norm((sb - w * sk) / n, w);
}
