/**
 * Resampling kernels for raster reprojection: nearest, bilinear, cubic convolution (Keys 1981, a = -0.5;
 * R. Keys, "Cubic convolution interpolation for digital image processing", IEEE TASSP 29(6), 1981,
 * doi:10.1109/TASSP.1981.1163711).
 *
 * Positions (sx, sy) are in the Raster convention (pixel centres at .5). Validity and nodata rules:
 * - a position outside [0, width) x [0, height) gives no value;
 * - the nearest source pixel (the one containing the position) must be valid, else no value;
 * - bilinear: weights of invalid (nodata / NaN) or outside neighbours are dropped and the rest renormalised;
 * - cubic: needs its full 4x4 support inside the image and valid; otherwise it falls back to the renormalised
 *   bilinear value (as GDAL does at image borders), which avoids the ringing of renormalised negative lobes.
 */
import type { TypedArray } from '../types.ts';

/** Keys cubic kernel weights (a = -0.5) for fractional offset t in [0, 1): taps at -1, 0, 1, 2. */
export function keysWeights(t: number, out: Float64Array): void {
  const a = -0.5;
  const t1 = t + 1;
  const t2 = 1 - t;
  const t3 = 2 - t;
  out[0] = a * t1 * t1 * t1 - 5 * a * t1 * t1 + 8 * a * t1 - 4 * a;
  out[1] = (a + 2) * t * t * t - (a + 3) * t * t + 1;
  out[2] = (a + 2) * t2 * t2 * t2 - (a + 3) * t2 * t2 + 1;
  out[3] = a * t3 * t3 * t3 - 5 * a * t3 * t3 + 8 * a * t3 - 4 * a;
}

export interface SampleSource {
  band: TypedArray;
  width: number;
  height: number;
  /** Value that marks invalid pixels (besides NaN); null when none. */
  nodata: number | null;
}

const isValid = (v: number, nodata: number | null): boolean => v === v && v !== nodata;

/** Nearest neighbour at (sx, sy); NaN when outside or invalid. Floor with a 1e-10 tolerance, like GDAL. */
export function sampleNearest(s: SampleSource, sx: number, sy: number): number {
  const i = Math.floor(sx + 1e-10);
  const j = Math.floor(sy + 1e-10);
  if (!(i >= 0 && j >= 0 && i < s.width && j < s.height)) return NaN;
  const v = s.band[j * s.width + i]!;
  return isValid(v, s.nodata) ? v : NaN;
}

/** Bilinear at (sx, sy) with renormalised weights over valid neighbours; NaN when the nearest pixel is invalid. */
export function sampleBilinear(s: SampleSource, sx: number, sy: number): number {
  if (Number.isNaN(sampleNearest(s, sx, sy))) return NaN;
  const { band, width: w, height: h, nodata } = s;
  const u = sx - 0.5;
  const v = sy - 0.5;
  const i0 = Math.floor(u);
  const j0 = Math.floor(v);
  const fx = u - i0;
  const fy = v - j0;
  let acc = 0;
  let wsum = 0;
  for (let dj = 0; dj < 2; dj++) {
    const j = j0 + dj;
    if (j < 0 || j >= h) continue;
    const wy = dj === 0 ? 1 - fy : fy;
    if (wy === 0) continue;
    for (let di = 0; di < 2; di++) {
      const i = i0 + di;
      if (i < 0 || i >= w) continue;
      const wx = di === 0 ? 1 - fx : fx;
      if (wx === 0) continue;
      const val = band[j * w + i]!;
      if (!isValid(val, nodata)) continue;
      acc += wx * wy * val;
      wsum += wx * wy;
    }
  }
  return wsum > 0 ? acc / wsum : NaN;
}

/** Cubic convolution at (sx, sy); falls back to bilinear when the 4x4 support is incomplete (see header). */
export function sampleCubic(s: SampleSource, sx: number, sy: number, wx: Float64Array, wy: Float64Array): number {
  const { band, width: w, height: h, nodata } = s;
  const u = sx - 0.5;
  const v = sy - 0.5;
  const i0 = Math.floor(u);
  const j0 = Math.floor(v);
  if (i0 < 1 || j0 < 1 || i0 + 2 >= w || j0 + 2 >= h) return sampleBilinear(s, sx, sy);
  keysWeights(u - i0, wx);
  keysWeights(v - j0, wy);
  let acc = 0;
  for (let dj = 0; dj < 4; dj++) {
    const o = (j0 - 1 + dj) * w + i0 - 1;
    let rowAcc = 0;
    for (let di = 0; di < 4; di++) {
      const val = band[o + di]!;
      if (!isValid(val, nodata)) return sampleBilinear(s, sx, sy);
      rowAcc += wx[di]! * val;
    }
    acc += wy[dj]! * rowAcc;
  }
  return acc;
}
