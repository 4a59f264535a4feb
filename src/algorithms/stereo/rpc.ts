/**
 * Rational polynomial camera model (RPC00B): projection (ground -> image), localisation (image -> ground at a
 * given height) and least-squares fitting. Pure math, no I/O.
 *
 * Model (NIMA STDI-0002 RPC00B; GeoTIFF RPCCoefficientTag 50844):
 *   L = (lon - longOffset) / longScale,  P = (lat - latOffset) / latScale,  H = (h - heightOffset) / heightScale
 *   samp = sampNum(L,P,H) / sampDen(L,P,H) * sampScale + sampOffset     (line likewise)
 * with the 20 terms, in this order:
 *   1, L, P, H, LP, LH, PH, L², P², H², PLH, L³, LP², LH², L²P, P³, PH², L²H, P²H, H³.
 * lon/lat are WGS84 degrees, h is the ellipsoidal height in metres.
 *
 * PIXEL CONVENTION (the one place it is defined): the RpcModel's offsets follow the GeoTIFF RPC tag / GDAL "RPC"
 * metadata, where the polynomial gives (0, 0) at the CENTRE of the top-left pixel. The image coordinates taken and
 * returned by every function here follow the Raster convention of src/raster/types.ts and the output of GDAL's RPC
 * transformer (`gdaltransform -rpc`): the top-left pixel covers [0,1)x[0,1), its centre is (0.5, 0.5). Hence
 *   col = samp + RPC_PIXEL_SHIFT,  row = line + RPC_PIXEL_SHIFT.
 * DIMAP RPC files count from 1 (centre of the first pixel = (1, 1)); their parser subtracts 1 from the offsets.
 *
 * Reference for the fit: C. V. Tao, Y. Hu, "A comprehensive study of the rational function model for
 * photogrammetric processing", PE&RS 67(12), 2001 (linearised least squares with iterative reweighting).
 */
import { GepError } from '../../core/errors.ts';
import type { RpcModel } from '../../raster/types.ts';

/** Added to the RPC polynomial's output to get Raster pixel coordinates (pixel centre at .5). */
export const RPC_PIXEL_SHIFT = 0.5;

export const RPC_TERMS = 20;

/** Writes the 20 RPC00B terms of (L, P, H) into out[o .. o+19]. */
export function rpcTerms(L: number, P: number, H: number, out: Float64Array, o = 0): void {
  out[o] = 1;
  out[o + 1] = L;
  out[o + 2] = P;
  out[o + 3] = H;
  out[o + 4] = L * P;
  out[o + 5] = L * H;
  out[o + 6] = P * H;
  out[o + 7] = L * L;
  out[o + 8] = P * P;
  out[o + 9] = H * H;
  out[o + 10] = P * L * H;
  out[o + 11] = L * L * L;
  out[o + 12] = L * P * P;
  out[o + 13] = L * H * H;
  out[o + 14] = L * L * P;
  out[o + 15] = P * P * P;
  out[o + 16] = P * H * H;
  out[o + 17] = L * L * H;
  out[o + 18] = P * P * H;
  out[o + 19] = H * H * H;
}

/** Polynomial value sum(c[i] * term_i(L, P, H)), written out for speed. */
function poly(c: ArrayLike<number>, L: number, P: number, H: number): number {
  return (
    c[0]! +
    c[1]! * L +
    c[2]! * P +
    c[3]! * H +
    c[4]! * L * P +
    c[5]! * L * H +
    c[6]! * P * H +
    c[7]! * L * L +
    c[8]! * P * P +
    c[9]! * H * H +
    c[10]! * P * L * H +
    c[11]! * L * L * L +
    c[12]! * L * P * P +
    c[13]! * L * H * H +
    c[14]! * L * L * P +
    c[15]! * P * P * P +
    c[16]! * P * H * H +
    c[17]! * L * L * H +
    c[18]! * P * P * H +
    c[19]! * H * H * H
  );
}

/** d poly / dL. */
function polyDL(c: ArrayLike<number>, L: number, P: number, H: number): number {
  return (
    c[1]! +
    c[4]! * P +
    c[5]! * H +
    2 * c[7]! * L +
    c[10]! * P * H +
    3 * c[11]! * L * L +
    c[12]! * P * P +
    c[13]! * H * H +
    2 * c[14]! * L * P +
    2 * c[17]! * L * H
  );
}

/** d poly / dP. */
function polyDP(c: ArrayLike<number>, L: number, P: number, H: number): number {
  return (
    c[2]! +
    c[4]! * L +
    c[6]! * H +
    2 * c[8]! * P +
    c[10]! * L * H +
    2 * c[12]! * L * P +
    c[14]! * L * L +
    3 * c[15]! * P * P +
    c[16]! * H * H +
    2 * c[18]! * P * H
  );
}

const SCALAR_FIELDS = [
  'lineOffset',
  'sampOffset',
  'latOffset',
  'longOffset',
  'heightOffset',
  'lineScale',
  'sampScale',
  'latScale',
  'longScale',
  'heightScale',
] as const;
const COEFF_FIELDS = ['lineNumCoeff', 'lineDenCoeff', 'sampNumCoeff', 'sampDenCoeff'] as const;

/**
 * Checks an RPC model: finite offsets, finite non-zero scales, 4x20 finite coefficients, denominators not
 * identically zero. Throws GEP_ERR_INVALID_INPUT naming the field (and `name`, e.g. the file) otherwise.
 */
export function validateRpc(rpc: RpcModel, name = 'RPC model'): void {
  for (const k of SCALAR_FIELDS) {
    const v = rpc[k];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: ${k} must be a finite number, got ${String(v)}`, {
        field: k,
      });
    if (k.endsWith('Scale') && v === 0)
      throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: ${k} must be non-zero`, { field: k });
  }
  for (const k of COEFF_FIELDS) {
    const c = rpc[k];
    if (!Array.isArray(c) || c.length !== RPC_TERMS)
      throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: ${k} must hold ${RPC_TERMS} coefficients`, { field: k });
    for (let i = 0; i < RPC_TERMS; i++)
      if (!Number.isFinite(c[i]))
        throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: ${k}[${i + 1}] is not a finite number`, { field: k });
    if (k.includes('Den') && c.every((x) => x === 0))
      throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: ${k} is all zeros`, { field: k });
  }
}

/**
 * Projects a ground point to the image. lon/lat in WGS84 degrees, h ellipsoidal height (m).
 * Returns [col, row] in Raster pixel coordinates (top-left pixel centre at 0.5, 0.5; see file header).
 */
export function rpcProject(rpc: RpcModel, lon: number, lat: number, h: number): [number, number] {
  const L = (lon - rpc.longOffset) / rpc.longScale;
  const P = (lat - rpc.latOffset) / rpc.latScale;
  const H = (h - rpc.heightOffset) / rpc.heightScale;
  const s = poly(rpc.sampNumCoeff, L, P, H) / poly(rpc.sampDenCoeff, L, P, H);
  const l = poly(rpc.lineNumCoeff, L, P, H) / poly(rpc.lineDenCoeff, L, P, H);
  return [s * rpc.sampScale + rpc.sampOffset + RPC_PIXEL_SHIFT, l * rpc.lineScale + rpc.lineOffset + RPC_PIXEL_SHIFT];
}

/** Vectorised rpcProject: writes outCol[i], outRow[i] for every i (all arrays the same length). */
export function rpcProjectMany(
  rpc: RpcModel,
  lon: Float64Array,
  lat: Float64Array,
  h: Float64Array,
  outCol: Float64Array,
  outRow: Float64Array,
): void {
  const n = lon.length;
  if (lat.length !== n || h.length !== n || outCol.length !== n || outRow.length !== n)
    throw new GepError('GEP_ERR_INVALID_INPUT', `rpcProjectMany: arrays must all have length ${n}`);
  const { sampNumCoeff: sn, sampDenCoeff: sd, lineNumCoeff: ln, lineDenCoeff: ld } = rpc;
  const so = rpc.sampOffset + RPC_PIXEL_SHIFT;
  const lo = rpc.lineOffset + RPC_PIXEL_SHIFT;
  for (let i = 0; i < n; i++) {
    const L = (lon[i]! - rpc.longOffset) / rpc.longScale;
    const P = (lat[i]! - rpc.latOffset) / rpc.latScale;
    const H = (h[i]! - rpc.heightOffset) / rpc.heightScale;
    outCol[i] = (poly(sn, L, P, H) / poly(sd, L, P, H)) * rpc.sampScale + so;
    outRow[i] = (poly(ln, L, P, H) / poly(ld, L, P, H)) * rpc.lineScale + lo;
  }
}

/**
 * Localises an image point at height h: the [lon, lat] (degrees) whose projection is (col, row), found by
 * Newton iterations on rpcProject with analytic derivatives, starting at the model's centre. Converges to
 * 1e-9 px for well-behaved models; throws GEP_ERR_INVALID_INPUT when it does not converge (point far outside
 * the model's validity domain).
 */
export function rpcLocalize(rpc: RpcModel, col: number, row: number, h: number): [number, number] {
  const H = (h - rpc.heightOffset) / rpc.heightScale;
  const ts = (col - RPC_PIXEL_SHIFT - rpc.sampOffset) / rpc.sampScale; // target normalised sample
  const tl = (row - RPC_PIXEL_SHIFT - rpc.lineOffset) / rpc.lineScale;
  const { sampNumCoeff: sn, sampDenCoeff: sd, lineNumCoeff: ln, lineDenCoeff: ld } = rpc;
  let L = 0;
  let P = 0;
  const tolS = 1e-10 / Math.abs(rpc.sampScale);
  const tolL = 1e-10 / Math.abs(rpc.lineScale);
  for (let it = 0; it < 60; it++) {
    const nS = poly(sn, L, P, H);
    const dS = poly(sd, L, P, H);
    const nL = poly(ln, L, P, H);
    const dL = poly(ld, L, P, H);
    const fs = nS / dS - ts;
    const fl = nL / dL - tl;
    if (Math.abs(fs) < tolS && Math.abs(fl) < tolL) return [L * rpc.longScale + rpc.longOffset, P * rpc.latScale + rpc.latOffset];
    // Quotient rule: d(n/d) = (n' d - n d') / d².
    const a = (polyDL(sn, L, P, H) * dS - nS * polyDL(sd, L, P, H)) / (dS * dS);
    const b = (polyDP(sn, L, P, H) * dS - nS * polyDP(sd, L, P, H)) / (dS * dS);
    const c = (polyDL(ln, L, P, H) * dL - nL * polyDL(ld, L, P, H)) / (dL * dL);
    const d = (polyDP(ln, L, P, H) * dL - nL * polyDP(ld, L, P, H)) / (dL * dL);
    const det = a * d - b * c;
    if (!Number.isFinite(det) || det === 0) break;
    let stepL = (d * fs - b * fl) / det;
    let stepP = (a * fl - c * fs) / det;
    // Damp wild steps: the normalised domain is about [-1, 1].
    const m = Math.max(Math.abs(stepL), Math.abs(stepP));
    if (m > 0.5) {
      stepL *= 0.5 / m;
      stepP *= 0.5 / m;
    }
    L -= stepL;
    P -= stepP;
    if (!Number.isFinite(L) || !Number.isFinite(P)) break;
  }
  throw new GepError(
    'GEP_ERR_INVALID_INPUT',
    `rpcLocalize: no convergence for image point (${col}, ${row}) at h=${h} m; is it inside the RPC validity domain?`,
  );
}

export interface RpcSamples {
  lon: Float64Array;
  lat: Float64Array;
  h: Float64Array;
  /** Raster pixel coordinates (top-left pixel centre at 0.5). */
  col: Float64Array;
  row: Float64Array;
}

export interface FitRpcOptions {
  /**
   * Tikhonov damping of the 39 unknowns per image axis, relative to the mean diagonal of the normal matrix
   * (default 1e-10). Raise it (1e-6 .. 1e-3) when the samples do not span the height range well.
   */
  regularization?: number;
  /** Reweighting iterations (default 4). */
  iterations?: number;
}

/** Centre and half-range of an array; the half-range is at least `minScale`. */
function offScale(a: Float64Array, minScale: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [(lo + hi) / 2, Math.max((hi - lo) / 2, minScale)];
}

/** Solves the symmetric positive (semi-)definite system A x = b in place by Gaussian elimination with pivoting. */
function solveDense(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]!) > Math.abs(A[p * n + k]!)) p = i;
    if (A[p * n + k] === 0) throw new GepError('GEP_ERR_INVALID_INPUT', 'fitRpc: singular system (too few or degenerate samples)');
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j]!;
        A[k * n + j] = A[p * n + j]!;
        A[p * n + j] = t;
      }
      const t = b[k]!;
      b[k] = b[p]!;
      b[p] = t;
    }
    const piv = A[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k]! / piv;
      if (f === 0) continue;
      for (let j = k; j < n; j++) A[i * n + j]! -= f * A[k * n + j]!;
      b[i]! -= f * b[k]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= A[i * n + j]! * x[j]!;
    x[i] = s / A[i * n + i]!;
  }
  return x;
}

/**
 * Fits the 39 free coefficients of y = N(t)/D(t) (D's constant term fixed to 1) by minimising
 * sum w (N(t) - y D(t))², with w = 1/D(t)² from the previous iteration (Tao & Hu 2001).
 */
function fitAxis(T: Float64Array, y: Float64Array, lambdaRel: number, iterations: number): [number[], number[]] {
  const n = y.length;
  const U = 2 * RPC_TERMS - 1;
  const A = new Float64Array(U * U);
  const b = new Float64Array(U);
  const row = new Float64Array(U);
  const w = new Float64Array(n).fill(1);
  let num = new Array<number>(RPC_TERMS).fill(0);
  let den = new Array<number>(RPC_TERMS).fill(0);
  den[0] = 1;
  for (let it = 0; it < iterations; it++) {
    A.fill(0);
    b.fill(0);
    for (let s = 0; s < n; s++) {
      const o = s * RPC_TERMS;
      const ys = y[s]!;
      for (let j = 0; j < RPC_TERMS; j++) row[j] = T[o + j]!;
      for (let j = 1; j < RPC_TERMS; j++) row[RPC_TERMS + j - 1] = -ys * T[o + j]!;
      const ws = w[s]!;
      for (let i = 0; i < U; i++) {
        const ri = row[i]! * ws;
        if (ri === 0) continue;
        b[i]! += ri * ys;
        for (let j = i; j < U; j++) A[i * U + j]! += ri * row[j]!;
      }
    }
    let tr = 0;
    for (let i = 0; i < U; i++) {
      for (let j = 0; j < i; j++) A[i * U + j] = A[j * U + i]!;
      tr += A[i * U + i]!;
    }
    const lambda = (lambdaRel * tr) / U;
    for (let i = 0; i < U; i++) A[i * U + i]! += lambda;
    const x = solveDense(A, b, U);
    num = Array.from(x.subarray(0, RPC_TERMS));
    den = [1, ...Array.from(x.subarray(RPC_TERMS))];
    for (let s = 0; s < n; s++) {
      const D = poly(den, T[s * RPC_TERMS + 1]!, T[s * RPC_TERMS + 2]!, T[s * RPC_TERMS + 3]!);
      w[s] = D !== 0 && Number.isFinite(D) ? 1 / (D * D) : 0;
    }
  }
  return [num, den];
}

/**
 * Fits an RPC model to ground/image correspondences: offsets and scales from the samples' centres and
 * half-ranges, then the rational functions by linearised least squares with iterative reweighting.
 * Returns the model (GeoTIFF-tag pixel convention, see file header) and the 2-D RMS residual
 * sqrt(mean(dcol² + drow²)) in pixels over the samples. Needs at least 39 well-spread samples; spread them over
 * several heights (or raise `regularization`).
 */
export function fitRpc(samples: RpcSamples, opts: FitRpcOptions = {}): { rpc: RpcModel; rmsPx: number } {
  const { lon, lat, h, col, row } = samples;
  const n = lon.length;
  if (lat.length !== n || h.length !== n || col.length !== n || row.length !== n)
    throw new GepError('GEP_ERR_INVALID_INPUT', 'fitRpc: lon, lat, h, col, row must have the same length');
  if (n < 2 * RPC_TERMS - 1)
    throw new GepError('GEP_ERR_INVALID_INPUT', `fitRpc: need at least ${2 * RPC_TERMS - 1} samples, got ${n}`);
  for (const [k, a] of Object.entries(samples) as [string, Float64Array][])
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(a[i]!))
        throw new GepError('GEP_ERR_INVALID_INPUT', `fitRpc: samples.${k}[${i}] is not finite`, { field: k });
  const regularization = opts.regularization ?? 1e-10;
  const iterations = opts.iterations ?? 4;
  if (!(regularization >= 0)) throw new GepError('GEP_ERR_INVALID_INPUT', 'fitRpc: regularization must be >= 0');

  const [longOffset, longScale] = offScale(lon, 1e-9);
  const [latOffset, latScale] = offScale(lat, 1e-9);
  const [heightOffset, heightScale] = offScale(h, 1);
  const [sampC, sampScale] = offScale(col, 1);
  const [lineC, lineScale] = offScale(row, 1);
  const sampOffset = sampC - RPC_PIXEL_SHIFT;
  const lineOffset = lineC - RPC_PIXEL_SHIFT;

  const T = new Float64Array(n * RPC_TERMS);
  const ys = new Float64Array(n);
  const yl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rpcTerms((lon[i]! - longOffset) / longScale, (lat[i]! - latOffset) / latScale, (h[i]! - heightOffset) / heightScale, T, i * RPC_TERMS);
    ys[i] = (col[i]! - RPC_PIXEL_SHIFT - sampOffset) / sampScale;
    yl[i] = (row[i]! - RPC_PIXEL_SHIFT - lineOffset) / lineScale;
  }
  const [sampNumCoeff, sampDenCoeff] = fitAxis(T, ys, regularization, iterations);
  const [lineNumCoeff, lineDenCoeff] = fitAxis(T, yl, regularization, iterations);
  const rpc: RpcModel = {
    lineOffset,
    sampOffset,
    latOffset,
    longOffset,
    heightOffset,
    lineScale,
    sampScale,
    latScale,
    longScale,
    heightScale,
    lineNumCoeff,
    lineDenCoeff,
    sampNumCoeff,
    sampDenCoeff,
  };
  const pc = new Float64Array(n);
  const pr = new Float64Array(n);
  rpcProjectMany(rpc, lon, lat, h, pc, pr);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (pc[i]! - col[i]!) ** 2 + (pr[i]! - row[i]!) ** 2;
  return { rpc, rmsPx: Math.sqrt(ss / n) };
}
