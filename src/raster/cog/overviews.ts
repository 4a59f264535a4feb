/**
 * Internal overviews (reduced-resolution levels) of the COG writer.
 *
 * A level of factor f has max(1, floor(width/f)) x max(1, floor(height/f)) pixels, and 'auto' adds factors 2, 4,
 * 8 ... while that size exceeds the tile size: both as GDAL's COG driver does (gdal_translate -of COG gives
 * 1025x1025 one 512x512 overview). Pixel (i, j) covers the source block of columns [i*f, (i+1)*f) and rows
 * [j*f, (j+1)*f); the last column/row of blocks extends to the image edge, so every source pixel contributes.
 * - 'average': mean of the valid samples of the block (NaN and `nodata` are ignored); a block with no valid
 *   sample is nodata (NaN for floats without a nodata value). Integer types are rounded half up.
 * - 'nearest': the sample at the block centre, (i*f + floor(f/2), j*f + floor(f/2)) clipped to the image.
 * Levels are computed in cascade (each from the previous when the factor ratio is an integer, since
 * floor(floor(w/a)/b) = floor(w/(a*b))), which is what makes large pyramids cheap.
 */
import { invalidInput, throwIfAborted } from '../../core/errors.ts';
import type { DataType, TypedArray } from '../types.ts';
import { allocBand, isFloat, VALUE_RANGE } from '../types.ts';
import type { LevelImage } from './tile-encode.ts';

export type Resampling = 'average' | 'nearest';

/** Size of an overview of factor f along an axis of n pixels. */
export const ovrSize = (n: number, f: number): number => Math.max(1, Math.floor(n / f));

/** Factors for `opt`: 'auto' doubles until the level fits in one tile; an explicit list is checked; false: none. */
export function overviewFactors(width: number, height: number, tileSize: number, opt: 'auto' | number[] | false): number[] {
  if (opt === false) return [];
  if (opt === 'auto') {
    const out: number[] = [];
    let f = 1;
    while (ovrSize(width, f) > tileSize || ovrSize(height, f) > tileSize) {
      f *= 2;
      out.push(f);
    }
    return out;
  }
  let prev = 1;
  for (const f of opt) {
    if (!Number.isInteger(f) || f <= prev)
      throw invalidInput(`overviews: expected increasing integer factors >= 2, got [${opt.join(', ')}]`);
    prev = f;
  }
  return [...opt];
}

/** Block mean of one band by an integer factor, skipping NaN and `nodata`. */
export function downsampleAverage(
  src: TypedArray,
  sw: number,
  sh: number,
  f: number,
  dataType: DataType,
  nodata: number | null,
): TypedArray {
  const dw = ovrSize(sw, f);
  const dh = ovrSize(sh, f);
  const out = allocBand(dataType, dw * dh);
  const sum = new Float64Array(dw);
  const cnt = new Uint32Array(dw);
  const float = isFloat(dataType);
  const hasNodata = nodata !== null && !Number.isNaN(nodata);
  const nd = nodata ?? 0;
  const empty = nodata ?? (float ? NaN : 0);
  const colOf = new Uint32Array(sw);
  for (let c = 0; c < sw; c++) colOf[c] = Math.min(dw - 1, Math.floor(c / f));
  for (let j = 0; j < dh; j++) {
    sum.fill(0);
    cnt.fill(0);
    const r1 = j === dh - 1 ? sh : (j + 1) * f;
    for (let r = j * f; r < r1; r++) {
      const base = r * sw;
      for (let c = 0; c < sw; c++) {
        const v = src[base + c]!;
        if (v !== v || (hasNodata && v === nd)) continue;
        const k = colOf[c]!;
        sum[k]! += v;
        cnt[k]!++;
      }
    }
    const o = j * dw;
    if (float) for (let i = 0; i < dw; i++) out[o + i] = cnt[i] ? sum[i]! / cnt[i]! : empty;
    else for (let i = 0; i < dw; i++) out[o + i] = cnt[i] ? Math.floor(sum[i]! / cnt[i]! + 0.5) : empty;
  }
  return out;
}

/** Sample at the block centre (nearest neighbour). */
export function downsampleNearest(src: TypedArray, sw: number, sh: number, f: number, dataType: DataType): TypedArray {
  const dw = ovrSize(sw, f);
  const dh = ovrSize(sh, f);
  const out = allocBand(dataType, dw * dh);
  const half = Math.floor(f / 2);
  for (let j = 0; j < dh; j++) {
    const r = Math.min(sh - 1, j * f + half);
    for (let i = 0; i < dw; i++) out[j * dw + i] = src[r * sw + Math.min(sw - 1, i * f + half)]!;
  }
  return out;
}

/** The overview levels of `full`, largest first, one per factor. */
export function buildOverviews(
  full: LevelImage,
  factors: number[],
  dataType: DataType,
  resampling: Resampling,
  nodata: number | null,
  signal?: AbortSignal,
): LevelImage[] {
  const [lo, hi] = VALUE_RANGE[dataType];
  const nd = nodata !== null && (Number.isNaN(nodata) || (nodata >= lo && nodata <= hi)) ? nodata : null;
  const levels: LevelImage[] = [];
  let prev = full;
  let prevFactor = 1;
  for (const f of factors) {
    throwIfAborted(signal);
    const ratio = f / prevFactor;
    const [src, r] = Number.isInteger(ratio) ? [prev, ratio] : [full, f];
    const bands = src.bands.map((b) =>
      resampling === 'average'
        ? downsampleAverage(b, src.width, src.height, r, dataType, nd)
        : downsampleNearest(b, src.width, src.height, r, dataType),
    );
    const level = { width: ovrSize(full.width, f), height: ovrSize(full.height, f), bands };
    levels.push(level);
    prev = level;
    prevFactor = f;
  }
  return levels;
}
