/**
 * MPIC-OPT step 4 (MISSION §2): deramping. A plane v = a + b·x + c·y is fitted to one displacement component
 * (any unit: pixels or metres; the plane has the unit of `values`) and subtracted. It absorbs what a residual
 * orbit/attitude or co-registration error leaves: a constant shift plus a tilt across the image.
 *
 * Coordinates: x = column index, y = row index of the pixel (0-based; the top-left pixel is (0, 0)), so `a` is the
 * plane's value at the top-left pixel, b its change per column (eastward), c its change per row (southward).
 * The fit uses coordinates centred and scaled to [-1, 1] (well conditioned on 10980² tiles) and float64 sums
 * (plane-model.ts).
 *
 * Which pixels: finite values (NaN/±Inf = no data), and where `stable` is given only pixels with stable[i] != 0
 * (known stable ground). With `stripes` (detector index per pixel, as for destripe) the model gets one offset per
 * stripe, v = a + b·x + c·y + o_s: on Sentinel-2 the stripe steps would otherwise pull the plane or, worse, make
 * the robust fit lock onto a subset of stripes and report a spurious tilt. Only the plane is subtracted (the
 * offsets are destripe's job, step 5); `a` is then the level of the median stripe (offsets have median 0, as in
 * destripe) and `stripeOffsets` reports them.
 *
 * Without a stable mask the robust fit (default) treats the moving area as outliers:
 *   1. ordinary least squares on all valid pixels;
 *   2. least trimmed squares concentration steps keeping the 50 % of pixels with the smallest |residual|
 *      (Rousseeuw & Van Driessen 2006, "Computing LTS regression for large data sets", Data Min. Knowl. Discov.
 *      12:29-45, doi:10.1007/s10618-005-0024-4), started from step 1 and from a least-median-of-squares plane
 *      through 16×16 block medians (plane-start.ts), keeping the better: breakdown point 50 %, so a moving area
 *      of less than half of the valid pixels does not capture the plane;
 *   3. iteratively reweighted least squares with Tukey's biweight (Holland & Welsch 1977,
 *      doi:10.1080/03610927708827533), window c = 3.5·σ with σ fixed from the LTS solution (an MM-type estimate);
 *      σ starts from 1.4826·median|r| and is refined as the rms of the residuals within ±3σ (normal-truncation
 *      corrected), so that gross outliers, which inflate the median, do not widen the window.
 * Steps 2-3 iterate on up to 2^18 valid pixels taken at a regular stride (all of them on smaller images), then
 * one Tukey step runs over every valid pixel: a 10980² field costs four passes over the data, not forty.
 * Limitation: a wide, gentle moving area (displacements within a few σ of stable ground over much of the image)
 * still biases the plane, as no pixel-wise test can tell it from noise: give a stable-ground mask then.
 */
import { GepError } from '../../core/errors.ts';
import { checkLength, checkSize, medianInPlace } from './common.ts';
import { blockLmedsStart } from './plane-start.ts';
import { accumulate, accumulateSample, change, frameOf, makeStripeMap, newSums, sampleResiduals, solve } from './plane-model.ts';
import type { Frame, Sample, StripeMap, Sums } from './plane-model.ts';

/** v = a + b*x + c*y with x = column, y = row (pixel indices). */
export interface PlaneFit {
  a: number;
  b: number;
  c: number;
  /** Valid pixels (finite and, with a mask, stable) the fit considered. */
  n: number;
  /** Root-mean-square residual of the inliers, in the unit of `values`. */
  rms: number;
  /** Pixels with a non-zero weight in the final fit (= n for the plain least squares). */
  inliers: number;
  /** With `stripes`: the fitted offset of each stripe id, relative to the median stripe. */
  stripeOffsets?: Map<number, number>;
}

export interface FitPlaneOptions {
  /** Stable-ground mask, 1 byte per pixel: only pixels with stable[i] != 0 enter the fit. */
  stable?: Uint8Array;
  /** Default true: LTS + Tukey IRLS (see module comment); false: ordinary least squares. */
  robust?: boolean;
  /** Maximum Tukey IRLS iterations, default 30 (the LTS stage adds at most 2×10 passes over the sample). */
  maxIter?: number;
  /** Stripe (detector) id per pixel, <= 0 = unknown: fit one offset per stripe together with the plane. */
  stripes?: Uint8Array | Int32Array;
  /** Name of the input in error messages, default "values" (e.g. "dx of pair 3"). */
  name?: string;
}

const SAMPLE_MAX = 1 << 18;
const LTS_STEPS = 10;
/** Tukey window in units of σ, tighter than the usual 4.685 (95 % efficiency): with 1e4-1e8 pixels the bias a
 * moving area causes matters more than efficiency. */
const TUKEY_C = 3.5;
const MAD_TO_SIGMA = 1.4826;
/** Standard deviation of a unit normal truncated at ±3. */
const TRUNC3_SD = 0.98658;

function takeSample(
  values: Float32Array,
  stable: Uint8Array | undefined,
  stripes: Uint8Array | Int32Array | undefined,
  sm: StripeMap | null,
  f: Frame,
  n: number,
): Sample {
  const stride = Math.ceil(n / SAMPLE_MAX);
  const m = Math.ceil(n / stride);
  const s: Sample = { x: new Float64Array(m), y: new Float64Array(m), v: new Float64Array(m), s: sm !== null ? new Int32Array(m) : null };
  let k = 0;
  let skip = 0;
  for (let i = 0; i < values.length && k < m; i++) {
    const v = values[i]!;
    if (v - v !== 0 || (stable !== undefined && stable[i] === 0)) continue;
    if (skip === 0) {
      const row = Math.floor(i / f.w);
      s.x[k] = (i - row * f.w - f.cx) * f.sx;
      s.y[k] = (row - f.cy) * f.sy;
      if (s.s !== null) {
        const id = stripes![i]!;
        s.s[k] = id > 0 ? sm!.map[id]! : -1;
      }
      s.v[k++] = v;
      skip = stride;
    }
    skip--;
  }
  return s;
}

/**
 * Robust scale σ of the inlier residuals: 1.4826·median|r| (inflated by outliers), then refined as the rms of the
 * residuals within ±3σ divided by TRUNC3_SD, iterated. `res` holds |r|; its order is scrambled.
 */
function robustScale(res: Float64Array): number {
  let s = MAD_TO_SIGMA * medianInPlace(res);
  for (let it = 0; it < 10 && s > 0; it++) {
    const cut = 3 * s;
    let ss = 0;
    let c = 0;
    for (let k = 0; k < res.length; k++) {
      const r = res[k]!;
      if (r <= cut) {
        ss += r * r;
        c++;
      }
    }
    const next = Math.sqrt(ss / c) / TRUNC3_SD;
    const done = Math.abs(next - s) <= 1e-4 * s;
    s = next;
    if (done) break;
  }
  return s;
}

/** LTS concentration steps (h = 50 %) on the sample from `start`; returns the plane and its median |residual|. */
function concentrate(sample: Sample, start: Float64Array, k: number, res: Float64Array, sums: Sums, floor: number): [Float64Array, number] {
  let th = start;
  sampleResiduals(sample, th, res);
  let med = medianInPlace(res);
  for (let it = 0; it < LTS_STEPS && med > floor; it++) {
    accumulateSample(sample, th, 1, med, sums);
    const next = sums.g[9]! >= 3 ? solve(sums, k, th) : null;
    if (next === null) break;
    sampleResiduals(sample, next, res);
    const medNext = medianInPlace(res);
    if (!(medNext < med)) break;
    const dth = change(th, next);
    th = next;
    med = medNext;
    if (dth <= 1e-9 * med) break;
  }
  return [th, med];
}

/** Fits v = a + b·x + c·y (x = column, y = row) to the valid pixels of `values`; see the module comment. */
export function fitPlane(values: Float32Array, width: number, height: number, opts: FitPlaneOptions = {}): PlaneFit {
  const name = opts.name ?? 'values';
  checkSize('fitPlane', width, height);
  checkLength('fitPlane', name, values, width, height);
  const { stable, stripes } = opts;
  if (stable !== undefined) checkLength('fitPlane', `stable mask of ${name}`, stable, width, height);
  if (stripes !== undefined) checkLength('fitPlane', `stripes of ${name}`, stripes, width, height);
  const maxIter = opts.maxIter ?? 30;
  if (!Number.isInteger(maxIter) || maxIter < 0) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fitPlane: maxIter must be an integer >= 0, got ${maxIter}`, { input: 'maxIter' });
  }
  const f = frameOf(width, height);
  const sm = stripes !== undefined ? makeStripeMap(stripes, values, stable, name) : null;
  const k = sm?.k ?? 0;
  const sums = newSums(k);
  const zero = new Float64Array(3 + k);
  accumulate(values, stable, stripes, sm, f, zero, 0, 0, sums);
  const n = sums.g[9]!;
  const where = stable !== undefined ? ' that is finite and flagged stable' : ' (finite value)';
  if (n === 0) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fitPlane: ${name} has no valid pixel${where}; cannot fit a plane`, { input: name });
  }
  if (n < 3) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fitPlane: ${name} has ${n} valid pixel(s)${where}; a plane needs at least 3`, {
      input: name,
      count: n,
    });
  }
  const first = solve(sums, k, null);
  if (first === null) {
    throw new GepError(
      'GEP_ERR_INVALID_INPUT',
      `fitPlane: the ${n} valid pixels of ${name} lie on one line${k > 1 ? ' or the stripes leave the plane undetermined' : ''}; a plane needs them spread in 2-D`,
      { input: name, count: n },
    );
  }
  let th = first;
  let inliers = n;
  let srr = 0;
  if (opts.robust === false) {
    accumulate(values, stable, stripes, sm, f, th, 0, 0, sums);
    srr = sums.g[10]!;
  } else {
    // the iterations run on a regular-stride sample (every valid pixel when n <= SAMPLE_MAX)
    const sample = takeSample(values, stable, stripes, sm, f, n);
    const res = new Float64Array(sample.v.length);
    // 2. LTS from the least-squares plane and from the block-LMedS plane; the smaller median |residual| wins
    const floor = 1e-7 * (Math.abs(th[0]!) + Math.abs(th[1]!) + Math.abs(th[2]!)) + 1e-30;
    const starts: Float64Array[] = [th];
    const lmeds = blockLmedsStart(sample);
    if (lmeds !== null) {
      const s = new Float64Array(3 + k);
      s.set(lmeds);
      starts.push(s);
    }
    let bestMed = Infinity;
    for (const start of starts) {
      const [cand, med] = concentrate(sample, start, k, res, sums, floor);
      if (med < bestMed) {
        bestMed = med;
        th = cand;
      }
    }
    // 3. Tukey IRLS with the inlier scale of the LTS solution, kept fixed
    sampleResiduals(sample, th, res);
    const cut = Math.max(TUKEY_C * robustScale(res), floor);
    for (let it = 0; it < maxIter; it++) {
      accumulateSample(sample, th, 2, cut, sums);
      const next = sums.g[9]! >= 3 ? solve(sums, k, th) : null;
      if (next === null) break;
      const dth = change(th, next);
      th = next;
      if (dth <= 1e-7 * cut) break;
    }
    // on a subsample, one more Tukey step over every valid pixel (a one-step M-estimate from a consistent start)
    if (sample.v.length < n) {
      accumulate(values, stable, stripes, sm, f, th, 2, cut, sums);
      const next = sums.g[9]! >= 3 ? solve(sums, k, th) : null;
      if (next !== null) th = next;
    }
    accumulate(values, stable, stripes, sm, f, th, 1, cut, sums);
    inliers = sums.g[9]!;
    srr = sums.g[10]!;
  }
  let A = th[0]!;
  let stripeOffsets: Map<number, number> | undefined;
  if (sm !== null && k > 0) {
    // gauge: offsets relative to the median stripe, as in destripe
    const ref = medianInPlace(th.slice(3));
    A += ref;
    stripeOffsets = new Map(sm.ids.map((id, q) => [id, th[3 + q]! - ref] as [number, number]));
  }
  const b = th[1]! * f.sx;
  const c = th[2]! * f.sy;
  const fit: PlaneFit = { a: A - b * f.cx - c * f.cy, b, c, n, rms: inliers > 0 ? Math.sqrt(srr / inliers) : NaN, inliers };
  if (stripeOffsets !== undefined) fit.stripeOffsets = stripeOffsets;
  return fit;
}

/**
 * Fits a plane (fitPlane, same options) and subtracts it from every pixel: corrected[i] = values[i] - plane(x, y).
 * NaN stays NaN; pixels outside the stable mask are corrected too (the mask only selects the fit's pixels); stripe
 * offsets, when fitted, are not subtracted.
 */
export function deramp(
  values: Float32Array,
  width: number,
  height: number,
  opts: FitPlaneOptions = {},
): { corrected: Float32Array; plane: PlaneFit } {
  const plane = fitPlane(values, width, height, opts);
  const corrected = new Float32Array(values.length);
  const { a, b, c } = plane;
  for (let row = 0; row < height; row++) {
    const base = a + c * row;
    let i = row * width;
    for (let col = 0; col < width; col++, i++) corrected[i] = values[i]! - (base + b * col);
  }
  return { corrected, plane };
}
