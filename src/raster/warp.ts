/**
 * Raster reprojection (warping) onto a target grid, and the default target grid of a reprojection.
 *
 * For every destination pixel centre, the source position comes from proj4 (destination CRS -> source CRS),
 * evaluated exactly on a grid of nodes every 16 pixels and interpolated bilinearly in between; cells where that
 * interpolation is off by more than 0.125 source pixels are transformed exactly per pixel (the strategy and
 * threshold of GDAL's approximate transformer). Same-CRS warps are affine and exact.
 *
 * Kernels and nodata: see ./warp/kernels.ts (nearest; bilinear with weights renormalised over valid neighbours;
 * Keys cubic a = -0.5, falling back to bilinear where its 4x4 support is incomplete). A destination pixel gets
 * nodata when its centre maps outside the source or onto an invalid source pixel.
 *
 * Output type: nearest keeps the source type and nodata value. Bilinear and cubic keep float sources' type and
 * turn integer sources into float32 with NaN as nodata (no rounding or clamping), so that no value collides with
 * a nodata value and no precision is lost; cast back when needed. Integer outputs without a source nodata value
 * are filled with 0 outside the source and declare no nodata (as gdalwarp does without -dstnodata).
 */
import { GepError, throwIfAborted } from '../core/errors.ts';
import { crsToProj4, sameCrs } from './crs.ts';
import { allocBand, isFloat } from './types.ts';
import type { Crs, DataType, GeoTransform, Raster, TypedArray } from './types.ts';
import { affineMapper, projMapper } from './warp/coords.ts';
import type { CoordMapper } from './warp/coords.ts';
import { sampleBilinear, sampleCubic, sampleNearest } from './warp/kernels.ts';
import type { SampleSource } from './warp/kernels.ts';
import proj4 from 'proj4';

export interface TargetGrid {
  width: number;
  height: number;
  transform: GeoTransform;
  crs: Crs;
}

export type Resampling = 'nearest' | 'bilinear' | 'cubic';

export interface WarpOptions {
  resampling?: Resampling;
  /** Source nodata value: undefined = the raster's own, null = none (NaN is always nodata in float sources). */
  nodata?: number | null;
  signal?: AbortSignal;
  /** Grid spacing (pixels) of the approximate transformer (default 16); maximum error in source pixels (0.125). */
  approxStep?: number;
  maxErrorPx?: number;
}

const MAX_PIXELS = 1 << 28;

function checkGrid(what: string, g: { width: number; height: number; transform: GeoTransform | null }): void {
  if (!Number.isInteger(g.width) || !Number.isInteger(g.height) || g.width <= 0 || g.height <= 0)
    throw new GepError('GEP_ERR_INVALID_INPUT', `${what}: size must be positive integers, got ${g.width}x${g.height}`);
  if (g.width * g.height > MAX_PIXELS)
    throw new GepError('GEP_ERR_TOO_LARGE', `${what}: ${g.width}x${g.height} pixels is more than ${MAX_PIXELS}`);
  const t = g.transform;
  if (!t || t.length !== 6 || t.some((v) => !Number.isFinite(v)) || t[1] * t[5] - t[2] * t[4] === 0)
    throw new GepError('GEP_ERR_INVALID_INPUT', `${what}: needs a finite, non-degenerate geotransform`);
}

/**
 * Resamples `src` onto `target` (size, transform, CRS). Returns a new raster on the target grid with the same
 * band names and metadata. Throws GEP_ERR_INVALID_INPUT for an ungeoreferenced source, GEP_ERR_UNSUPPORTED for a
 * CRS proj4 cannot use, GEP_ERR_ABORTED when the signal fires.
 */
export function warpRaster(src: Raster, target: TargetGrid, opts: WarpOptions = {}): Raster {
  const resampling = opts.resampling ?? 'nearest';
  if (resampling !== 'nearest' && resampling !== 'bilinear' && resampling !== 'cubic')
    throw new GepError('GEP_ERR_INVALID_INPUT', `warp: resampling must be nearest, bilinear or cubic, got '${String(resampling)}'`);
  checkGrid('warp source', src);
  checkGrid('warp target', target);
  if (!src.crs) throw new GepError('GEP_ERR_INVALID_INPUT', 'warp source: has no CRS');
  throwIfAborted(opts.signal);
  const srcT = src.transform!;
  const { width: W, height: H } = target;

  let mapper: CoordMapper;
  if (sameCrs(src.crs, target.crs)) mapper = affineMapper(target.transform, srcT);
  else
    mapper = projMapper(target.transform, crsToProj4(target.crs), srcT, crsToProj4(src.crs), W, H, {
      step: opts.approxStep ?? 16,
      maxErrorPx: opts.maxErrorPx ?? 0.125,
    });

  const srcNodata = opts.nodata === undefined ? src.nodata : opts.nodata;
  const outType: DataType = resampling === 'nearest' || isFloat(src.dataType) ? src.dataType : 'float32';
  const outFloat = isFloat(outType);
  let fill: number;
  let outNodata: number | null;
  if (outFloat) {
    fill = outType === src.dataType && srcNodata !== null && !Number.isNaN(srcNodata) ? srcNodata : NaN;
    outNodata = fill;
  } else {
    fill = srcNodata ?? 0;
    outNodata = srcNodata;
  }

  const sources: SampleSource[] = src.bands.map((band) => ({ band, width: src.width, height: src.height, nodata: srcNodata }));
  const outs: TypedArray[] = src.bands.map(() => allocBand(outType, W * H));
  const sx = new Float64Array(W);
  const sy = new Float64Array(W);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  for (let r = 0; r < H; r++) {
    if ((r & 31) === 0) throwIfAborted(opts.signal);
    mapper.row(r, sx, sy);
    for (let b = 0; b < sources.length; b++) {
      const s = sources[b]!;
      const out = outs[b]!;
      const o = r * W;
      for (let c = 0; c < W; c++) {
        const x = sx[c]!;
        const y = sy[c]!;
        let v: number;
        if (resampling === 'nearest') v = sampleNearest(s, x, y);
        else if (resampling === 'bilinear') v = sampleBilinear(s, x, y);
        else v = sampleCubic(s, x, y, wx, wy);
        out[o + c] = v === v ? v : fill;
      }
    }
  }
  const result: Raster = {
    width: W,
    height: H,
    dataType: outType,
    bands: outs,
    transform: [...target.transform],
    crs: { ...target.crs },
    nodata: outNodata,
    bandNames: [...src.bandNames],
  };
  if (src.metadata) result.metadata = { ...src.metadata };
  return result;
}

/**
 * The target grid gdalwarp would choose by default (GDALSuggestedWarpOutput): the bounding box of the source's
 * outline (21 points per edge) in `dstCrs`, and a square pixel whose size keeps the number of pixels along the
 * source's diagonal; `opts.resolution` (target CRS units) overrides the pixel size. North-up output.
 */
export function gridFor(
  src: { width: number; height: number; transform: GeoTransform; crs: Crs },
  dstCrs: Crs,
  opts: { resolution?: number } = {},
): TargetGrid {
  checkGrid('gridFor source', src);
  const conv = sameCrs(src.crs, dstCrs) ? null : proj4(crsToProj4(src.crs), crsToProj4(dstCrs));
  const t = src.transform;
  const toDst = (c: number, r: number): [number, number] => {
    const x = t[0] + c * t[1] + r * t[2];
    const y = t[3] + c * t[4] + r * t[5];
    if (!conv) return [x, y];
    const p = conv.forward([x, y]);
    return [p[0]!, p[1]!];
  };
  const N = 20;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const add = (c: number, r: number): void => {
    const [x, y] = toDst(c, r);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  };
  for (let k = 0; k <= N; k++) {
    const f = k / N;
    add(f * src.width, 0);
    add(f * src.width, src.height);
    add(0, f * src.height);
    add(src.width, f * src.height);
  }
  if (!(maxX > minX && maxY > minY))
    throw new GepError('GEP_ERR_INVALID_INPUT', 'gridFor: the source outline does not project into the target CRS');
  let res = opts.resolution;
  if (res === undefined) {
    const [x0, y0] = toDst(0, 0);
    const [x1, y1] = toDst(src.width, src.height);
    res = Math.hypot(x1 - x0, y1 - y0) / Math.hypot(src.width, src.height);
  }
  if (!(res > 0 && Number.isFinite(res))) throw new GepError('GEP_ERR_INVALID_INPUT', `gridFor: bad resolution ${res}`);
  const width = Math.max(1, Math.floor((maxX - minX) / res + 0.5));
  const height = Math.max(1, Math.floor((maxY - minY) / res + 0.5));
  return { width, height, transform: [minX, res, 0, maxY, 0, -res], crs: { ...dstCrs } };
}
