/**
 * Cloud shadows: the potential shadow layer (dark holes of NIR and SWIR1) and the object-based matching of each
 * cloud with its shadow along the sun direction (Zhu & Woodcock 2012, doi:10.1016/j.rse.2011.10.028, §2.2;
 * the SWIR1 layer and the clear-land background as in Fmask 4.0, Qiu et al. 2019, doi:10.1016/j.rse.2019.05.024).
 *
 * Geometry: the grid is north-up with rows growing southwards; the sun azimuth is the direction towards the sun,
 * degrees clockwise from north. A flat cloud at height h above ground casts its shadow h·tan(zenith) metres away
 * from the sun, i.e. displaced by  dx = -sin(az)·h·tan(zen)/pixel  columns and  dy = +cos(az)·h·tan(zen)/pixel
 * rows. The view is taken as nadir (no parallax of the cloud itself).
 */
import { throwIfAborted } from '../../core/errors.ts';
import { fillHoles, percentileWhere } from './morphology.ts';
import type { ResolvedOptions } from './types.ts';

/** Potential shadow where min(filled - original) of NIR and SWIR1 exceeds this reflectance. */
const SHADOW_DARKENING = 0.02;
/** A cloud object is matched when the best similarity reaches this (Zhu & Woodcock 2012: 0.3). */
const MIN_SIMILARITY = 0.3;
/** The height search stops once the similarity falls below this fraction of the best one seen. */
const STOP_FRACTION = 0.9;
/** Heights whose similarity is within this of the best are preferred when higher (end of a plateau). */
const PLATEAU_TOLERANCE = 0.01;
/** At most this many pixels of an object are projected while searching its height (regular subsample). */
const MAX_SAMPLE = 4000;
/** Objects smaller than this (pixels) are not matched. */
export const MIN_OBJECT_PIXELS = 3;
/** Dry and moist adiabatic lapse rates, K per metre, bounding the cloud base height from its temperature. */
const LAPSE_DRY = 9.8e-3;
const LAPSE_WET = 6.5e-3;

/**
 * Potential shadow pixels: flood-fill (grey-level hole filling) of NIR and of SWIR1, with the 17.5th percentile of
 * clear land as the value outside the image and on no-data pixels; shadow where both bands are darker than their
 * filled surroundings by more than 0.02. Water is excluded (its NIR is dark everywhere). Returns 0/1.
 */
export function potentialShadow(
  nir: Float32Array,
  swir1: Float32Array,
  valid: Uint8Array,
  water: Uint8Array,
  clearLand: Uint8Array,
  width: number,
  height: number,
): Uint8Array {
  const n = width * height;
  const noData = new Uint8Array(n);
  for (let i = 0; i < n; i++) noData[i] = valid[i] ? 0 : 1;
  let bgN = percentileWhere(nir, clearLand, 17.5);
  let bgS = percentileWhere(swir1, clearLand, 17.5);
  if (bgN !== bgN) bgN = percentileWhere(nir, valid, 17.5);
  if (bgS !== bgS) bgS = percentileWhere(swir1, valid, 17.5);
  const fn = fillHoles(nir, width, height, bgN === bgN ? bgN : 0, noData);
  const fs = fillHoles(swir1, width, height, bgS === bgS ? bgS : 0, noData);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid[i] || water[i]) continue;
    if (fn[i]! - nir[i]! > SHADOW_DARKENING && fs[i]! - swir1[i]! > SHADOW_DARKENING) out[i] = 1;
  }
  return out;
}

export interface CloudObjects {
  /** Object label per pixel, 0 = not cloud. */
  labels: Int32Array;
  count: number;
  /** Pixels per label (index 0 unused; 0 for removed objects). */
  sizes: Int32Array;
}

/**
 * Matches every cloud object with its shadow: the object is translated along the anti-solar direction for cloud
 * heights in the search range, one pixel of displacement per step; the similarity is the fraction of projected
 * pixels that fall on potential shadow, counted over the projected pixels that land inside the image, on valid
 * pixels and NOT on any cloud. Departure from Fmask, which counts pixels landing on other clouds as matches (a
 * shadow may hide under a cloud): here they are neutral, so that a cloud next to another cloud is not anchored at a
 * low height by its neighbour; heights where under 10 % of the projected pixels are visible are skipped. The search
 * stops when the similarity drops below 90 % of its best; an object is matched when its best similarity is >= 0.3,
 * and its shadow is the whole object translated to the highest height reached while the similarity stays within
 * 0.01 of the best (end of a plateau). With thermal data the height range of each object is narrowed with its
 * median BT and the dry / moist lapse rates (Zhu & Woodcock 2012). Returns the shadow layer (0/1).
 */
export function matchShadows(
  objects: CloudObjects,
  cloud: Uint8Array,
  potShadow: Uint8Array,
  valid: Uint8Array,
  width: number,
  height: number,
  o: ResolvedOptions,
  thermal: Float32Array | undefined,
  tLow: number,
  tHigh: number,
): Uint8Array {
  const n = width * height;
  const shadow = new Uint8Array(n);
  if (o.sunZenith === undefined || o.sunAzimuth === undefined || objects.count === 0) return shadow;
  const tanZ = Math.tan((o.sunZenith * Math.PI) / 180);
  const az = (o.sunAzimuth * Math.PI) / 180;
  const ux = (-Math.sin(az) * tanZ) / o.pixelSize; // columns per metre of height
  const uy = (Math.cos(az) * tanZ) / o.pixelSize; // rows per metre of height
  const perMetre = Math.max(Math.abs(ux), Math.abs(uy));
  const [hMin0, hMax0] = o.cloudHeights;
  if (perMetre * hMax0 < 0.5) return shadow; // the shadow lies under its cloud
  const dh = 1 / perMetre;

  // Pixels of each object, grouped by label (counting sort).
  const { labels, count, sizes } = objects;
  const start = new Int32Array(count + 2);
  for (let l = 1; l <= count; l++) start[l + 1] = start[l]! + sizes[l]!;
  const fillPos = start.slice();
  const pix = new Int32Array(start[count + 1]!);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l > 0) pix[fillPos[l]!++] = i;
  }
  const btScratch = thermal ? new Float32Array(Math.min(MAX_SAMPLE, pix.length)) : null;

  for (let l = 1; l <= count; l++) {
    const size = sizes[l]!;
    if (size < MIN_OBJECT_PIXELS) continue;
    throwIfAborted(o.signal);
    const s0 = start[l]!;
    const stride = Math.max(1, Math.ceil(size / MAX_SAMPLE));
    const nSample = Math.ceil(size / stride);

    let hMin = hMin0;
    let hMax = hMax0;
    if (thermal && btScratch && tLow === tLow && tHigh === tHigh) {
      for (let k = 0; k < nSample; k++) btScratch[k] = thermal[pix[s0 + k * stride]!]!;
      const sub = btScratch.subarray(0, nSample).sort();
      const tBase = sub[nSample >> 1]!;
      const lo = (tLow - 4 - tBase) / LAPSE_DRY;
      const hi = (tHigh + 4 - tBase) / LAPSE_WET;
      const a = Math.max(hMin0, lo);
      const b = Math.min(hMax0, hi);
      if (a <= b) {
        hMin = a;
        hMax = b;
      }
    }

    let best = -1;
    let bestSx = 0;
    let bestSy = 0;
    let lastSx = NaN;
    let lastSy = NaN;
    const minTotal = Math.max(MIN_OBJECT_PIXELS, 0.1 * nSample);
    for (let h = hMin; h <= hMax + 1e-9; h += dh) {
      const sx = Math.round(ux * h);
      const sy = Math.round(uy * h);
      if (sx === lastSx && sy === lastSy) continue;
      lastSx = sx;
      lastSy = sy;
      let total = 0;
      let match = 0;
      for (let k = 0; k < nSample; k++) {
        const i = pix[s0 + k * stride]!;
        const x = (i % width) + sx;
        const y = Math.floor(i / width) + sy;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const j = y * width + x;
        if (!valid[j] || cloud[j]) continue;
        total++;
        if (potShadow[j]) match++;
      }
      if (total < minTotal) continue;
      const sim = match / total;
      if (sim > best) best = sim;
      if (sim >= best - PLATEAU_TOLERANCE) {
        bestSx = sx;
        bestSy = sy;
      }
      if (best >= MIN_SIMILARITY && sim < STOP_FRACTION * best) break;
    }
    if (best < MIN_SIMILARITY) continue;
    for (let k = s0; k < s0 + size; k++) {
      const i = pix[k]!;
      const x = (i % width) + bestSx;
      const y = Math.floor(i / width) + bestSy;
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      shadow[y * width + x] = 1;
    }
  }
  return shadow;
}
