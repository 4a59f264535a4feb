/**
 * Detector-stripe offsets from the steps ACROSS the stripe boundaries (MPIC-OPT step 5, the estimator the service
 * uses; destripe.ts keeps the per-stripe statistic).
 *
 * Why: a per-stripe mean or median assumes that stable ground dominates each stripe. On a small scene, or one with
 * a glacier or a landslide filling much of a stripe's cloud-free part, it does not (seed-1 320² scene, pair
 * 2023-07-02/12: stripe 5 holds 4970 valid pixels of which 236 are on stable ground) and the offset takes up the
 * motion (0.15 px wrong). Ground motion is continuous across a detector boundary (the boundary is a line of the
 * focal plane, not of the ground), the stripe offset is not: the difference between the pixels just right and just
 * left of the boundary, taken row by row at matching positions, is the step o_right - o_left plus the ground
 * motion's change over a few pixels, whatever the motion's level. The median over rows rejects the rows where a
 * true discontinuity (glacier margin, fault, cloud rim) meets the boundary.
 *
 * Per row and per boundary (a change of stripe id between columns c-1 and c; ids <= 0 unknown): the mean of the
 * valid pixels of the left stripe in columns [c-gap-band, c-gap) and of the right stripe in [c+gap, c+gap+band);
 * with `gap` >= the correlation template's half-width no template straddles the boundary. The row's step counts
 * when each side has at least half a band of valid pixels; a boundary's step is the median (or mean) of its row
 * steps, when at least MIN_ROWS rows count. Rows are the scan direction: every boundary that is not horizontal
 * crosses each row once (Sentinel-2 tracks run within ~50° of north even at 80° latitude).
 * Offsets: stripes linked by measured boundaries form components; within one, the offsets are chained from its
 * lowest id (each boundary joins two adjacent stripes: a chain). Components that no boundary joins (a boundary
 * under clouds, a stripe without neighbours) are levelled by the median of their pixels after their own offsets,
 * against the largest component (the per-stripe statistic, as destripe, as a fall-back). Offsets are then made
 * relative to the median stripe, as in destripe. Units: those of `values`.
 *
 * Deramp first: a plane's gradient b (per column) adds b·(2·gap + band) to every step. The service alternates:
 * offsets on the raw field, plane on the field minus them, offsets again on the deramped field.
 */
import { GepError } from '../../core/errors.ts';
import { checkLength, checkSize, medianInPlace } from './common.ts';

export interface BoundaryStepOptions {
  /** Stripe (detector) id per pixel; <= 0 = unknown. */
  stripes: Uint8Array | Int32Array;
  /** Stable-ground mask (stable[i] != 0): only these pixels are compared. */
  stable?: Uint8Array;
  /** Columns left out on each side of the boundary, default 4 (correlation template half-width + 1). */
  gapPx?: number;
  /** Columns averaged on each side beyond the gap, default 8. */
  bandPx?: number;
  /** Statistic of the row steps of one boundary, default 'median'. */
  method?: 'mean' | 'median';
}

export interface BoundaryStep {
  /** Stripe ids left and right (left < right). */
  left: number;
  right: number;
  /** o_right - o_left in the unit of `values`. */
  step: number;
  /** Rows that measured it. */
  rows: number;
}

export interface BoundaryOffsets {
  /** Stripe id -> offset relative to the median stripe (subtract it to destripe). */
  offsets: Map<number, number>;
  /** Measured boundaries. */
  steps: BoundaryStep[];
  /** Stripe ids levelled by their median (no measured boundary links them to the largest component). */
  levelled: number[];
}

/** Rows a boundary needs to be measured. */
const MIN_ROWS = 8;
const MAX_ID = 1 << 16;

/** Offsets of every stripe from the steps across its boundaries (see the module comment). */
export function stripeOffsetsFromBoundaries(values: Float32Array, width: number, height: number, opts: BoundaryStepOptions): BoundaryOffsets {
  const fn = 'stripeOffsetsFromBoundaries';
  checkSize(fn, width, height);
  checkLength(fn, 'values', values, width, height);
  const { stripes, stable } = opts;
  checkLength(fn, 'stripes', stripes, width, height);
  if (stable !== undefined) checkLength(fn, 'stable', stable, width, height);
  const gap = opts.gapPx ?? 4;
  const band = opts.bandPx ?? 8;
  if (!Number.isInteger(gap) || gap < 0 || !Number.isInteger(band) || band < 1) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: gapPx must be an integer >= 0 and bandPx >= 1, got ${gap} and ${band}`, { input: 'gapPx' });
  }
  let maxId = 0;
  for (let i = 0; i < stripes.length; i++) if (stripes[i]! > maxId) maxId = stripes[i]!;
  if (maxId > MAX_ID) throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: stripe ids must be <= ${MAX_ID}, got ${maxId}`, { input: 'stripes' });
  const usable = (i: number): boolean => {
    const v = values[i]!;
    return v - v === 0 && (stable === undefined || stable[i] !== 0);
  };
  // row steps per boundary, keyed left * (maxId + 1) + right
  const rowSteps = new Map<number, number[]>();
  const need = Math.ceil(band / 2);
  for (let row = 0; row < height; row++) {
    const o = row * width;
    for (let c = 1; c < width; c++) {
      const a = stripes[o + c - 1]!;
      const b = stripes[o + c]!;
      if (a === b || a <= 0 || b <= 0) continue;
      let nl = 0, sl = 0, nr = 0, sr = 0;
      for (let x = Math.max(0, c - gap - band); x < c - gap; x++) {
        const i = o + x;
        if (stripes[i] === a && usable(i)) {
          nl++;
          sl += values[i]!;
        }
      }
      for (let x = c + gap; x < Math.min(width, c + gap + band); x++) {
        const i = o + x;
        if (stripes[i] === b && usable(i)) {
          nr++;
          sr += values[i]!;
        }
      }
      if (nl < need || nr < need) continue;
      const d = sr / nr - sl / nl;
      const key = a < b ? a * (maxId + 1) + b : b * (maxId + 1) + a;
      let list = rowSteps.get(key);
      if (!list) rowSteps.set(key, (list = []));
      list.push(a < b ? d : -d);
    }
  }
  const steps: BoundaryStep[] = [];
  for (const [key, list] of rowSteps) {
    if (list.length < MIN_ROWS) continue;
    const arr = Float64Array.from(list);
    let s = 0;
    if (opts.method === 'mean') for (const v of arr) s += v / arr.length;
    else s = medianInPlace(arr);
    steps.push({ left: Math.floor(key / (maxId + 1)), right: key % (maxId + 1), step: s, rows: list.length });
  }
  steps.sort((p, q) => p.left - q.left || p.right - q.right);
  // stripes with at least one usable pixel, and their pixel counts
  const count = new Float64Array(maxId + 1);
  for (let i = 0; i < values.length; i++) if (stripes[i]! > 0 && usable(i)) count[stripes[i]!]!++;
  const ids: number[] = [];
  for (let s = 1; s <= maxId; s++) if (count[s]! > 0) ids.push(s);
  // components: breadth-first over the measured boundaries, offsets chained from the first id reached
  const off = new Float64Array(maxId + 1);
  const comp = new Int32Array(maxId + 1).fill(-1);
  const adj = new Map<number, { to: number; d: number }[]>();
  const link = (p: number, q: number, d: number): void => {
    let l = adj.get(p);
    if (!l) adj.set(p, (l = []));
    l.push({ to: q, d });
  };
  for (const s of steps) {
    if (count[s.left]! === 0 || count[s.right]! === 0) continue;
    link(s.left, s.right, s.step);
    link(s.right, s.left, -s.step);
  }
  const comps: { ids: number[]; n: number }[] = [];
  for (const s0 of ids) {
    if (comp[s0]! >= 0) continue;
    const k = comps.length;
    const members = [s0];
    comp[s0] = k;
    off[s0] = 0;
    for (let h = 0; h < members.length; h++) {
      const p = members[h]!;
      for (const e of adj.get(p) ?? []) {
        if (comp[e.to]! >= 0) continue;
        comp[e.to] = k;
        off[e.to] = off[p]! + e.d;
        members.push(e.to);
      }
    }
    comps.push({ ids: members, n: members.reduce((t, s) => t + count[s]!, 0) });
  }
  const levelled: number[] = [];
  if (comps.length > 1) {
    // level every component by the median of its pixels minus their offsets, against the largest component
    const level = new Float64Array(comps.length);
    const bufs = comps.map((c) => new Float64Array(c.n));
    const fill = new Int32Array(comps.length);
    for (let i = 0; i < values.length; i++) {
      const s = stripes[i]!;
      if (s <= 0 || !usable(i)) continue;
      const k = comp[s]!;
      bufs[k]![fill[k]!++] = values[i]! - off[s]!;
    }
    for (let k = 0; k < comps.length; k++) level[k] = medianInPlace(bufs[k]!);
    let main = 0;
    for (let k = 1; k < comps.length; k++) if (comps[k]!.n > comps[main]!.n) main = k;
    for (let k = 0; k < comps.length; k++) {
      if (k === main) continue;
      for (const s of comps[k]!.ids) {
        off[s]! += level[k]! - level[main]!;
        levelled.push(s);
      }
    }
    levelled.sort((p, q) => p - q);
  }
  const offsets = new Map<number, number>();
  if (ids.length === 0) return { offsets, steps, levelled };
  const ref = medianInPlace(Float64Array.from(ids, (s) => off[s]!));
  for (const s of ids) offsets.set(s, off[s]! - ref);
  return { offsets, steps, levelled };
}

/** values[i] -= offsets[stripes[i]] in place (stripes without an offset, and ids <= 0, unchanged). */
export function subtractStripeOffsets(values: Float32Array, stripes: Uint8Array | Int32Array, offsets: Map<number, number>): void {
  let maxId = 0;
  for (const s of offsets.keys()) maxId = Math.max(maxId, s);
  const off = new Float64Array(maxId + 1);
  for (const [s, o] of offsets) off[s] = o;
  for (let i = 0; i < values.length; i++) {
    const s = stripes[i]!;
    if (s > 0 && s <= maxId) values[i] = values[i]! - off[s]!;
  }
}
