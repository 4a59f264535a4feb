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
}

const T_MIN = 8;
const ROBUST_K = 6;
const SAMPLE_MAX = 1 << 20;

/**
 * Finds stripe boundaries in a displacement component and fits a regular pattern to them. Steps:
 * 1. across-track profile: mean of the finite values in 1-pixel bins of u, after dropping values farther than
 *    5 robust σ from the median (large motion);
 * 2. change points: at every bin edge, the difference of the means of the k bins on each side (k = minWidth/3,
 *    2..64); an edge is a boundary when that step is a local maximum within ±minWidth/2, its t statistic
 *    (pooled within-bin scatter) exceeds 8 and it stands more than 6 robust σ out of all steps (so a smooth
 *    across-track gradient is not taken for stripes); its position is refined on the triangular step peak;
 * 3. regular fit (fitRegular below): the lattice phase + k·width that explains most boundaries, so that missed
 *    and spurious ones (edges of a moving area) do not matter, refined by least squares.
 * With one boundary the width cannot be measured: it is set to the profile length + 1 (that boundary is the only
 * one inside the image). With none, the geometry describes a single stripe. `boundaries` lists the detected
 * positions on the u axis. Deramp first: a tilt, where moving pixels are dropped, turns their edges into steps.
 * Suggested order for a Sentinel-2 pair without detector masks: deramp (robust), estimateStripeGeometry on the
 * result, stripesFromAzimuth, deramp the original again with `stripes` (plane and offsets fitted together), then
 * destripe.
 */
export function estimateStripeGeometry(
  values: Float32Array,
  width: number,
  height: number,
  opts: EstimateStripeOptions,
): StripeGeometry & { boundaries: number[] } {
  const fn = 'estimateStripeGeometry';
  checkSize(fn, width, height);
  checkLength(fn, 'values', values, width, height);
  checkFinite(fn, 'azimuthDeg', opts.azimuthDeg);
  const minW = opts.minWidthPx ?? 16;
  checkFinite(fn, 'minWidthPx', minW, true);
  const th = (opts.azimuthDeg * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const [umin, umax] = uRange(width, height, cos, sin);
  const L = Math.floor(umax - umin + 0.5) + 1;
  const maxW = opts.maxWidthPx ?? L;
  checkFinite(fn, 'maxWidthPx', maxW, true);
  if (maxW < minW) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: maxWidthPx ${maxW} < minWidthPx ${minW}`, { input: 'maxWidthPx' });

  // robust centre and scale of the values
  let nValid = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! === 0) nValid++;
  if (nValid === 0) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: values has no finite pixel`, { input: 'values' });
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
  const lo = sigma > 0 ? med - 5 * sigma : -Infinity;
  const hi = sigma > 0 ? med + 5 * sigma : Infinity;

  // 1. profile: per-bin count, sum, sum of squares; bin j = floor(u - umin + 0.5)
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
  const sdWithin = dof > 0 ? Math.sqrt(Math.max(within, 0) / dof) : 0;

  // 2. step statistic at each bin edge j (between bins j-1 and j); cumulative sums for the windows
  const k = Math.max(2, Math.min(64, Math.floor(minW / 3)));
  const cc = new Float64Array(L + 1);
  const cs = new Float64Array(L + 1);
  for (let j = 0; j < L; j++) {
    cc[j + 1] = cc[j]! + cnt[j]!;
    cs[j + 1] = cs[j]! + sum[j]!;
  }
  const step = new Float64Array(L).fill(NaN);
  const tstat = new Float64Array(L);
  for (let j = 1; j < L; j++) {
    const a = Math.max(0, j - k);
    const b = Math.min(L, j + k);
    const nl = cc[j]! - cc[a]!;
    const nr = cc[b]! - cc[j]!;
    if (nl < 1 || nr < 1) continue;
    const d = (cs[b]! - cs[j]!) / nr - (cs[j]! - cs[a]!) / nl;
    step[j] = d;
    const se = sdWithin * Math.sqrt(1 / nl + 1 / nr);
    tstat[j] = se > 0 ? Math.abs(d) / se : Math.abs(d) > 0 ? Infinity : 0;
  }
  const finite = Float64Array.from(step.filter((d) => d === d));
  const boundaries: number[] = [];
  if (finite.length > 0) {
    const sMed = medianInPlace(finite.slice());
    for (let q = 0; q < finite.length; q++) finite[q] = Math.abs(finite[q]! - sMed);
    const sSig = 1.4826 * medianInPlace(finite);
    const r = Math.max(k, Math.floor(minW / 2));
    for (let j = 1; j < L; j++) {
      const d = step[j]!;
      if (d !== d || tstat[j]! < T_MIN || Math.abs(d - sMed) <= ROBUST_K * sSig) continue;
      const mag = Math.abs(d);
      let peak = true;
      // local maximum of |step| within ±r; on a plateau the first edge wins
      for (let q = Math.max(1, j - r); q <= Math.min(L - 1, j + r) && peak; q++) {
        const e = Math.abs(step[q]!);
        if ((q < j && e >= mag) || (q > j && e > mag)) peak = false;
      }
      if (!peak) continue;
      // triangular peak y(j) = Y - s|j - p|: p - j = (y+ - y-) / (2 (y0 - min(y-, y+)))
      const ym = Math.abs(step[j - 1]!);
      const yp = j + 1 < L ? Math.abs(step[j + 1]!) : NaN;
      let off = 0;
      if (ym === ym && yp === yp && mag > Math.min(ym, yp)) {
        off = Math.max(-0.5, Math.min(0.5, (yp - ym) / (2 * (mag - Math.min(ym, yp)))));
      }
      boundaries.push(umin + j + off - 0.5);
    }
  }
  return { ...fitRegular(boundaries, umin, L, minW, maxW), boundaries };
}

/**
 * Regular pattern b = phase + k·width through the detected boundaries, tolerant of spurious and missed ones.
 * Candidate widths are the gaps between detected boundaries divided by 1..4 (within [minW, maxW]); a candidate
 * lattice, anchored at each boundary in turn, scores (boundaries within max(2, 2 %·width) of a lattice line) minus
 * half the number of lattice lines inside the profile that no boundary explains. The best lattice is refined by
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
          const score = hit.size - 0.5 * Math.max(0, lines - hit.size);
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
