/**
 * MPIC-OPT step 5 (MISSION §2): destriping. The Sentinel-2 MSI focal plane has 12 staggered detectors whose
 * footprints are stripes about 25 km wide parallel to the ground track; residual inter-detector misregistration
 * shifts a displacement map by a near-constant offset in each stripe. Each stripe's offset is estimated by the
 * mean or median of its valid pixels and subtracted.
 *
 * Offsets are RELATIVE TO THE MEDIAN STRIPE: offset_s = stat_s - median over stripes of stat_s, where stat_s is
 * the mean or median of the finite (and, with a mask, stable) pixels of stripe s. The median stripe is therefore
 * left unchanged and the field keeps its overall level (removing the overall shift is deramping's job, step 4);
 * one stripe full of moving ground does not move the reference. With an even number of stripes the reference is
 * the mean of the two middle statistics.
 *
 * Stripe ids: stripes[i] > 0 is the stripe (detector) of pixel i; 0 (or negative) = unknown: such pixels are
 * neither used nor corrected. Ids come from the product's detector-footprint masks (MSK_DETFOO) or, without
 * them, from stripesFromAzimuth / estimateStripeGeometry (stripes.ts). A stripe with no valid pixel gets no
 * offset and its pixels are left as they are. NaN stays NaN. Units: those of `values` (pixels or metres).
 *
 * The statistic assumes that, inside one stripe, stable ground dominates (median) or the motion averages out
 * (mean): give a stable-ground mask when a large moving area fills much of a stripe. Deramp with the same
 * `stripes` first (fitPlane's joint plane + offsets model): a plane fitted without them can tilt to follow the
 * stripe steps, and a tilt across a stripe is not a constant this step can remove. Medians use up to 2^22 valid
 * pixels taken at a regular stride (all of them on smaller images).
 */
import { GepError } from '../../core/errors.ts';
import { checkLength, checkSize, medianInPlace } from './common.ts';

export { estimateStripeGeometry, stripesFromAzimuth } from './stripes.ts';

export interface DestripeOptions {
  /** Stripe (detector) index per pixel; <= 0 = unknown. */
  stripes: Uint8Array | Int32Array;
  /** Per-stripe statistic, default 'median' (robust to a moving area inside a stripe). */
  method?: 'mean' | 'median';
  /** Stable-ground mask (stable[i] != 0): only these pixels estimate the offsets; all pixels are corrected. */
  stable?: Uint8Array;
}

const MAX_ID = 1 << 20;
const SAMPLE_MAX = 1 << 22;

/** Removes a constant offset per stripe (see module comment). offsets: stripe id -> subtracted offset. */
export function destripe(
  values: Float32Array,
  width: number,
  height: number,
  opts: DestripeOptions,
): { corrected: Float32Array; offsets: Map<number, number> } {
  checkSize('destripe', width, height);
  checkLength('destripe', 'values', values, width, height);
  const stripes = opts.stripes;
  if (stripes === undefined) {
    throw new GepError('GEP_ERR_INVALID_INPUT', 'destripe: stripes (stripe index per pixel) is required', { input: 'stripes' });
  }
  checkLength('destripe', 'stripes', stripes, width, height);
  const stable = opts.stable;
  if (stable !== undefined) checkLength('destripe', 'stable', stable, width, height);
  const method = opts.method ?? 'median';
  if (method !== 'mean' && method !== 'median') {
    throw new GepError('GEP_ERR_INVALID_INPUT', `destripe: method must be "mean" or "median", got "${String(method)}"`, { input: 'method' });
  }
  const npx = values.length;
  let maxId = 0;
  for (let i = 0; i < npx; i++) if (stripes[i]! > maxId) maxId = stripes[i]!;
  if (maxId > MAX_ID) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `destripe: stripe ids must be <= ${MAX_ID}, got ${maxId}`, { input: 'stripes', maxId });
  }
  // pass 1: valid pixels per stripe, and sums for the mean
  const count = new Float64Array(maxId + 1);
  const sum = new Float64Array(maxId + 1);
  let total = 0;
  for (let i = 0; i < npx; i++) {
    const s = stripes[i]!;
    const v = values[i]!;
    if (s <= 0 || v - v !== 0 || (stable !== undefined && stable[i] === 0)) continue;
    count[s]!++;
    sum[s]! += v;
    total++;
  }
  const stat = new Float64Array(maxId + 1).fill(NaN);
  if (method === 'mean') {
    for (let s = 1; s <= maxId; s++) if (count[s]! > 0) stat[s] = sum[s]! / count[s]!;
  } else {
    // pass 2: regular-stride sample grouped by stripe (counting sort), then one median per group
    const stride = Math.ceil(total / SAMPLE_MAX) || 1;
    const start = new Float64Array(maxId + 2);
    let skip = 0;
    for (let i = 0; i < npx; i++) {
      const s = stripes[i]!;
      const v = values[i]!;
      if (s <= 0 || v - v !== 0 || (stable !== undefined && stable[i] === 0)) continue;
      if (skip === 0) {
        start[s + 1]!++;
        skip = stride;
      }
      skip--;
    }
    for (let s = 1; s <= maxId + 1; s++) start[s]! += start[s - 1]!;
    const m = start[maxId + 1]!;
    const buf = new Float32Array(m);
    const fill = start.slice(0, maxId + 1);
    skip = 0;
    for (let i = 0; i < npx; i++) {
      const s = stripes[i]!;
      const v = values[i]!;
      if (s <= 0 || v - v !== 0 || (stable !== undefined && stable[i] === 0)) continue;
      if (skip === 0) {
        buf[fill[s]!++] = v;
        skip = stride;
      }
      skip--;
    }
    for (let s = 1; s <= maxId; s++) {
      const n = start[s + 1]! - start[s]!;
      if (n > 0) stat[s] = medianInPlace(buf, start[s]!, n);
    }
  }
  const present: number[] = [];
  for (let s = 1; s <= maxId; s++) if (stat[s]! === stat[s]!) present.push(stat[s]!);
  const offsets = new Map<number, number>();
  const corrected = new Float32Array(values);
  if (present.length === 0) return { corrected, offsets };
  const ref = medianInPlace(Float64Array.from(present));
  const off = new Float64Array(maxId + 1);
  for (let s = 1; s <= maxId; s++) {
    if (stat[s]! !== stat[s]!) continue;
    off[s] = stat[s]! - ref;
    offsets.set(s, off[s]!);
  }
  for (let i = 0; i < npx; i++) {
    const s = stripes[i]!;
    if (s > 0) corrected[i] = values[i]! - off[s]!;
  }
  return { corrected, offsets };
}
