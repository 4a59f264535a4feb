/**
 * MPIC-OPT step 6 (MISSION §2): multi-temporal fusion of the pairwise displacement fields of one area.
 *
 * Per pixel, pair i is VALID when dx_i and dy_i are finite and, where the pair has a correlation map,
 * correlation_i >= threshold (default 0.2, the correlator's default; NaN correlation = invalid). With
 * v_i = d_i / days_i (m/day; d in metres east/north positive, days signed: a backward pair t2 -> t1 has negative
 * days and opposite displacement, so its velocity has the same sign as the forward pair's) and n valid pairs:
 *   velocityEw/Ns         = (1/n) Σ v_i                 — every valid pair weighs the same (an unweighted mean of
 *                            the pairwise velocities; MPIC's "mean velocity")
 *   displacementMagnitude = (1/n) Σ |d_i|  (metres)      — MISSION's "mean displacement magnitude": the mean over
 *                            valid pairs of the length of each pair's displacement vector
 *   vectorCoherence       = |Σ v_i| / Σ |v_i|  in [0,1]  — on the velocity vectors, so backward pairs agree with
 *                            forward ones (1: all pairs point the same way, ~1/√n: random directions, 0: they
 *                            cancel); 1 when every v_i is the zero vector (they all agree)
 *   quality               = n / number of pairs  in [0,1] — MISSION's "share of pairs above the threshold"
 *   uncertaintyEw/Ns      = s / √n (m/day), s the sample standard deviation (n - 1 denominator) of the v_i:
 *                            the standard error of the mean velocity; NaN when n < 2
 *   count                 = n
 * Pixels with n < minPairs (default 1) get NaN velocity, magnitude, coherence and uncertainty; quality and count
 * are always defined. Vector coherence: Dehecq, Gourmelen & Trouvé 2015, "Deriving large-scale glacier velocities
 * from a complete satellite archive", Remote Sens. Environ. 162:55-66 (there on displacements of one sign
 * convention); multi-pair fusion for landslides: Stumpf, Malet & Delacourt 2017, Remote Sens. Environ. 189:40-55.
 */
import { GepError } from '../../core/errors.ts';
import { checkLength, checkSize } from './common.ts';

export interface PairField {
  /** East displacement, metres, east positive; NaN = no data. */
  dx: Float32Array;
  /** North displacement, metres, north positive; NaN = no data. */
  dy: Float32Array;
  /** Correlation coefficient in [-1, 1]; optional (absent: every finite displacement is valid). */
  correlation?: Float32Array;
  /** Signed span of the pair in days (secondary - reference), non-zero. */
  days: number;
}

export interface FusionResult {
  /** Mean east velocity, m/day (east positive). */
  velocityEw: Float32Array;
  /** Mean north velocity, m/day (north positive). */
  velocityNs: Float32Array;
  /** Mean over valid pairs of |d_i|, metres. */
  displacementMagnitude: Float32Array;
  /** |Σ v_i| / Σ |v_i| in [0, 1]. */
  vectorCoherence: Float32Array;
  /** Share of pairs valid at the pixel, [0, 1]. */
  quality: Float32Array;
  /** Standard error of velocityEw, m/day; NaN when fewer than 2 valid pairs. */
  uncertaintyEw: Float32Array;
  /** Standard error of velocityNs, m/day; NaN when fewer than 2 valid pairs. */
  uncertaintyNs: Float32Array;
  /** Valid pairs per pixel. */
  count: Uint16Array;
}

export interface FusionOptions {
  /** Minimum correlation for a pair to count at a pixel, default 0.2. */
  threshold?: number;
  /** Minimum valid pairs for fused values (else NaN), default 1. */
  minPairs?: number;
}

const BLOCK = 2048;

/** Fuses pairwise displacement fields (see the module comment for every definition). */
export function fusePairs(fields: PairField[], width: number, height: number, opts: FusionOptions = {}): FusionResult {
  checkSize('fusePairs', width, height);
  const np = Array.isArray(fields) ? fields.length : 0;
  if (np === 0) throw new GepError('GEP_ERR_INVALID_INPUT', 'fusePairs: fields must hold at least one pair', { input: 'fields' });
  if (np > 65535) throw new GepError('GEP_ERR_INVALID_INPUT', `fusePairs: at most 65535 pairs, got ${np}`, { input: 'fields' });
  const threshold = opts.threshold ?? 0.2;
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fusePairs: threshold must be a number, got ${threshold}`, { input: 'threshold' });
  }
  const minPairs = opts.minPairs ?? 1;
  if (!Number.isInteger(minPairs) || minPairs < 1) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `fusePairs: minPairs must be an integer >= 1, got ${minPairs}`, { input: 'minPairs' });
  }
  const rate = new Float64Array(np);
  fields.forEach((f, k) => {
    checkLength('fusePairs', `fields[${k}].dx`, f.dx, width, height);
    checkLength('fusePairs', `fields[${k}].dy`, f.dy, width, height);
    if (f.correlation !== undefined) checkLength('fusePairs', `fields[${k}].correlation`, f.correlation, width, height);
    if (typeof f.days !== 'number' || !Number.isFinite(f.days) || f.days === 0) {
      throw new GepError('GEP_ERR_INVALID_INPUT', `fusePairs: fields[${k}].days must be a finite non-zero number of days, got ${f.days}`, {
        input: `fields[${k}].days`,
      });
    }
    rate[k] = 1 / f.days;
  });
  const npx = width * height;
  const out: FusionResult = {
    velocityEw: new Float32Array(npx),
    velocityNs: new Float32Array(npx),
    displacementMagnitude: new Float32Array(npx),
    vectorCoherence: new Float32Array(npx),
    quality: new Float32Array(npx),
    uncertaintyEw: new Float32Array(npx),
    uncertaintyNs: new Float32Array(npx),
    count: new Uint16Array(npx),
  };
  // per-block accumulators (pairs in the outer loop keep every array access sequential)
  const n = new Float64Array(BLOCK);
  const sx = new Float64Array(BLOCK);
  const sy = new Float64Array(BLOCK);
  const sxx = new Float64Array(BLOCK);
  const syy = new Float64Array(BLOCK);
  const sabs = new Float64Array(BLOCK);
  const sdisp = new Float64Array(BLOCK);
  for (let p0 = 0; p0 < npx; p0 += BLOCK) {
    const len = Math.min(BLOCK, npx - p0);
    n.fill(0); sx.fill(0); sy.fill(0); sxx.fill(0); syy.fill(0); sabs.fill(0); sdisp.fill(0);
    for (let k = 0; k < np; k++) {
      const f = fields[k]!;
      const dx = f.dx;
      const dy = f.dy;
      const cor = f.correlation;
      const r = rate[k]!;
      const ar = Math.abs(r);
      for (let j = 0; j < len; j++) {
        const i = p0 + j;
        const ex = dx[i]!;
        const ny = dy[i]!;
        if (ex - ex !== 0 || ny - ny !== 0) continue;
        if (cor !== undefined && !(cor[i]! >= threshold)) continue;
        const vx = ex * r;
        const vy = ny * r;
        n[j]!++;
        sx[j]! += vx;
        sy[j]! += vy;
        sxx[j]! += vx * vx;
        syy[j]! += vy * vy;
        const d = Math.sqrt(ex * ex + ny * ny);
        sdisp[j]! += d;
        sabs[j]! += d * ar; // |v| = |d| / |days|
      }
    }
    for (let j = 0; j < len; j++) {
      const i = p0 + j;
      const c = n[j]!;
      out.count[i] = c;
      out.quality[i] = c / np;
      if (c < minPairs || c === 0) {
        out.velocityEw[i] = NaN;
        out.velocityNs[i] = NaN;
        out.displacementMagnitude[i] = NaN;
        out.vectorCoherence[i] = NaN;
        out.uncertaintyEw[i] = NaN;
        out.uncertaintyNs[i] = NaN;
        continue;
      }
      const mx = sx[j]! / c;
      const my = sy[j]! / c;
      out.velocityEw[i] = mx;
      out.velocityNs[i] = my;
      out.displacementMagnitude[i] = sdisp[j]! / c;
      const sa = sabs[j]!;
      out.vectorCoherence[i] = sa > 0 ? Math.min(1, Math.sqrt(sx[j]! * sx[j]! + sy[j]! * sy[j]!) / sa) : 1;
      if (c < 2) {
        out.uncertaintyEw[i] = NaN;
        out.uncertaintyNs[i] = NaN;
      } else {
        // sample variance from float64 sums; clamped at 0 against rounding
        const vx = Math.max(0, (sxx[j]! - c * mx * mx) / (c - 1));
        const vy = Math.max(0, (syy[j]! - c * my * my) / (c - 1));
        out.uncertaintyEw[i] = Math.sqrt(vx / c);
        out.uncertaintyNs[i] = Math.sqrt(vy / c);
      }
    }
  }
  return out;
}
