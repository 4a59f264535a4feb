/**
 * Types, class codes and input checks shared by the cloud / cloud-shadow / snow masking functions.
 *
 * Reflectances are unitless (0..1, bright clouds and snow may exceed 1), top-of-atmosphere (L1C, Landsat L1)
 * or surface (L2A, Landsat L2); the thresholds of Fmask were tuned on TOA reflectance but hold for surface
 * reflectance to within their tolerance. All bands lie on ONE common grid, row-major, index row*width + col;
 * NaN is no data.
 */
import { GepError } from '../../core/errors.ts';

/** Class codes of every mask produced here (uint8). NODATA wins over all; then CLOUD > SHADOW > SNOW > WATER. */
export const MASK = { CLEAR: 0, CLOUD: 1, SHADOW: 2, SNOW: 3, WATER: 4, NODATA: 255 } as const;
export type MaskCode = (typeof MASK)[keyof typeof MASK];

/** Spectral bands for fmaskLike; reflectance 0..1+ (Float32Array, NaN = no data), thermal in kelvin. */
export interface CloudMaskBands {
  /** S2 B02, L8 B2 (0.49 µm). */
  blue: Float32Array;
  /** S2 B03, L8 B3 (0.56 µm). */
  green: Float32Array;
  /** S2 B04, L8 B4 (0.665 µm). */
  red: Float32Array;
  /** S2 B8A (or B08 when B8A is not available), L8 B5 (0.865 µm). */
  nir: Float32Array;
  /** S2 B11, L8 B6 (1.61 µm). */
  swir1: Float32Array;
  /** S2 B12, L8 B7 (2.2 µm). */
  swir2: Float32Array;
  /** Cirrus band: S2 B10, L8 B9 (1.375 µm), TOA reflectance. */
  cirrus?: Float32Array;
  /** Landsat-8 B10 brightness temperature, kelvin. */
  thermal?: Float32Array;
  /**
   * Sentinel-2 B07 (0.783 µm), B08 (0.842 µm) and B8A (0.865 µm) on the common grid, for the Cloud Displacement
   * Index (parallax.ts). Give all three or none; used for sensor 'sentinel-2' only.
   */
  b07?: Float32Array;
  b08?: Float32Array;
  b8a?: Float32Array;
}

export interface CloudMaskOptions {
  sensor: 'sentinel-2' | 'landsat-8';
  /**
   * Cloud probability threshold in percent, added to the 82.5th percentile of the clear-sky probability
   * (the "dynamic threshold" of Zhu & Woodcock 2012). Default 22.5 for Landsat-8 (Fmask 3.x default,
   * Zhu et al. 2015; Fmask 4.0 uses 17.5) and 20 for Sentinel-2 (Fmask 4.0, Qiu et al. 2019). Range 0..100.
   */
  cloudProbability?: number;
  /** Square dilation of the cloud mask, pixels. Default 90 m / pixelSize rounded (3 px at 30 m, Fmask's default). */
  dilateCloud?: number;
  /** Square dilation of the shadow mask, pixels. Default 90 m / pixelSize rounded (3 px at 30 m). */
  dilateShadow?: number;
  /** Sun zenith angle, degrees, 0..90 (exclusive). Shadows are only matched when both sun angles are given. */
  sunZenith?: number;
  /** Sun azimuth, degrees clockwise from north (direction TOWARDS the sun); the grid is assumed north-up. */
  sunAzimuth?: number;
  /** Ground size of one pixel, metres. Default 30 (Landsat-8) or 20 (Sentinel-2, Fmask's working grid). */
  pixelSize?: number;
  /** Cloud heights above ground searched when matching shadows, metres. Default [200, 12000]. */
  cloudHeights?: [number, number];
  /**
   * Sentinel-2 only: require evidence that a cloud is elevated, i.e. parallax between B08 and B8A (Cloud
   * Displacement Index, Frantz et al. 2018) or TOA cirrus reflectance > 0.01. Default true when b07, b08 and b8a are
   * given; ignored (false) otherwise.
   */
  parallaxTest?: boolean;
  signal?: AbortSignal;
}

export interface CloudMaskResult {
  /** One MASK code per pixel. */
  mask: Uint8Array;
  /** Cloud pixels (after dilation) over valid (non-NODATA) pixels, 0..1; 0 when nothing is valid. */
  cloudFraction: number;
  /** Pixel counts per class (after dilation). */
  stats: Record<'clear' | 'cloud' | 'shadow' | 'snow' | 'water', number>;
}

/** Options with defaults filled in and checked. */
export interface ResolvedOptions {
  sensor: 'sentinel-2' | 'landsat-8';
  /** Threshold as a fraction (percent / 100). */
  cloudProbability: number;
  dilateCloud: number;
  dilateShadow: number;
  sunZenith: number | undefined;
  sunAzimuth: number | undefined;
  pixelSize: number;
  cloudHeights: [number, number];
  /** Weight of the cirrus ("thin cloud") probability: 0.3 for Landsat-8, 0.5 for Sentinel-2 (Fmask 4.0). */
  cirrusWeight: number;
  /** Whether the parallax test runs (Sentinel-2 with b07, b08, b8a and parallaxTest not false). */
  parallaxTest: boolean;
  signal: AbortSignal | undefined;
}

const BAND_NAMES = ['blue', 'green', 'red', 'nir', 'swir1', 'swir2', 'cirrus', 'thermal', 'b07', 'b08', 'b8a'] as const;
const PARALLAX_BANDS = ['b07', 'b08', 'b8a'] as const;
const REQUIRED = new Set<string>(['blue', 'green', 'red', 'nir', 'swir1', 'swir2']);

/** Checks the grid size and that every band is a Float32Array of width*height values; returns the pixel count. */
export function checkBands(bands: CloudMaskBands, width: number, height: number): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `cloud mask: width and height must be positive integers, got ${width}x${height}`, {
      width,
      height,
    });
  }
  const n = width * height;
  for (const name of BAND_NAMES) {
    const b = bands[name];
    if (b === undefined) {
      if (REQUIRED.has(name)) {
        throw new GepError('GEP_ERR_INVALID_INPUT', `cloud mask: band '${name}' is missing`, { band: name });
      }
      continue;
    }
    if (!(b instanceof Float32Array)) {
      throw new GepError('GEP_ERR_INVALID_INPUT', `cloud mask: band '${name}' must be a Float32Array`, { band: name });
    }
    if (b.length !== n) {
      throw new GepError(
        'GEP_ERR_INVALID_INPUT',
        `cloud mask: band '${name}' has ${b.length} values, expected width*height = ${width}*${height} = ${n}`,
        { band: name, length: b.length, expected: n },
      );
    }
  }
  const given = PARALLAX_BANDS.filter((k) => bands[k] !== undefined);
  if (given.length > 0 && given.length < PARALLAX_BANDS.length) {
    const missing = PARALLAX_BANDS.filter((k) => bands[k] === undefined);
    throw new GepError(
      'GEP_ERR_INVALID_INPUT',
      `cloud mask: bands ${given.map((k) => `'${k}'`).join(', ')} given without ${missing.map((k) => `'${k}'`).join(', ')}; the Cloud Displacement Index needs b07, b08 and b8a together`,
      { missing },
    );
  }
  return n;
}

function bad(name: string, value: unknown, expected: string): GepError {
  return new GepError('GEP_ERR_INVALID_INPUT', `cloud mask: option '${name}' = ${String(value)}, expected ${expected}`, {
    option: name,
  });
}

/**
 * Fills the defaults documented on CloudMaskOptions and rejects out-of-range values; `bands` decides whether the
 * parallax test can run.
 */
export function resolveOptions(opts: CloudMaskOptions, bands?: CloudMaskBands): ResolvedOptions {
  const sensor = opts.sensor;
  if (sensor !== 'sentinel-2' && sensor !== 'landsat-8') throw bad('sensor', sensor, "'sentinel-2' or 'landsat-8'");
  const s2 = sensor === 'sentinel-2';
  const prob = opts.cloudProbability ?? (s2 ? 20 : 22.5);
  if (!Number.isFinite(prob) || prob < 0 || prob > 100) throw bad('cloudProbability', prob, 'a percentage in 0..100');
  const pixelSize = opts.pixelSize ?? (s2 ? 20 : 30);
  if (!Number.isFinite(pixelSize) || pixelSize <= 0) throw bad('pixelSize', pixelSize, 'a positive number of metres');
  const defDilate = Math.max(0, Math.round(90 / pixelSize));
  const dilateCloud = opts.dilateCloud ?? defDilate;
  const dilateShadow = opts.dilateShadow ?? defDilate;
  for (const [k, v] of [
    ['dilateCloud', dilateCloud],
    ['dilateShadow', dilateShadow],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 1000) throw bad(k, v, 'an integer number of pixels in 0..1000');
  }
  const zen = opts.sunZenith;
  if (zen !== undefined && (!Number.isFinite(zen) || zen < 0 || zen >= 90)) throw bad('sunZenith', zen, 'degrees in [0, 90)');
  const az = opts.sunAzimuth;
  if (az !== undefined && !Number.isFinite(az)) throw bad('sunAzimuth', az, 'degrees clockwise from north');
  if (opts.parallaxTest !== undefined && typeof opts.parallaxTest !== 'boolean') throw bad('parallaxTest', opts.parallaxTest, 'true or false');
  const heights = opts.cloudHeights ?? [200, 12000];
  if (
    !Array.isArray(heights) ||
    heights.length !== 2 ||
    !Number.isFinite(heights[0]) ||
    !Number.isFinite(heights[1]) ||
    heights[0] < 0 ||
    heights[1] < heights[0]
  ) {
    throw bad('cloudHeights', JSON.stringify(heights), '[min, max] metres with 0 <= min <= max');
  }
  return {
    sensor,
    cloudProbability: prob / 100,
    dilateCloud,
    dilateShadow,
    sunZenith: zen,
    sunAzimuth: az,
    pixelSize,
    cloudHeights: [heights[0], heights[1]],
    cirrusWeight: s2 ? 0.5 : 0.3,
    parallaxTest: s2 && opts.parallaxTest !== false && bands?.b07 !== undefined && bands.b08 !== undefined && bands.b8a !== undefined,
    signal: opts.signal,
  };
}
