/**
 * Masks from the producers' own classification layers, and the per-pair usability mask for image correlation.
 *
 * - Sentinel-2 L2A scene classification (SCL, Sen2Cor): ESA "Sentinel-2 Level-2A Product Format Specification"
 *   / Sen2Cor Software Release Note (classes 0..11).
 * - Landsat Collection 2 QA_PIXEL: USGS "Landsat 8-9 Collection 2 Level-2 Science Product Guide" (LSDS-1619),
 *   table "Pixel Quality Assessment (QA_PIXEL) Bit Index".
 */
import { GepError } from '../../core/errors.ts';
import { MASK } from './types.ts';

/** Sen2Cor scene classification codes. */
export const SCL = {
  NO_DATA: 0,
  SATURATED_OR_DEFECTIVE: 1,
  /** "Dark area pixels"; "topographic casted shadows" since processing baseline 04.00. */
  DARK_AREA: 2,
  CLOUD_SHADOWS: 3,
  VEGETATION: 4,
  NOT_VEGETATED: 5,
  WATER: 6,
  /** Sen2Cor's "unclassified" also holds low-probability clouds. */
  UNCLASSIFIED: 7,
  CLOUD_MEDIUM_PROBABILITY: 8,
  CLOUD_HIGH_PROBABILITY: 9,
  THIN_CIRRUS: 10,
  SNOW: 11,
} as const;

/**
 * SCL code -> MASK code. Choices: dark areas / topographic shadows (2) and unclassified (7) are CLEAR (static
 * scene features, usable for correlation); saturated/defective (1) and codes above 11 are NODATA.
 */
export const SCL_TO_MASK: Readonly<Record<number, number>> = {
  [SCL.NO_DATA]: MASK.NODATA,
  [SCL.SATURATED_OR_DEFECTIVE]: MASK.NODATA,
  [SCL.DARK_AREA]: MASK.CLEAR,
  [SCL.CLOUD_SHADOWS]: MASK.SHADOW,
  [SCL.VEGETATION]: MASK.CLEAR,
  [SCL.NOT_VEGETATED]: MASK.CLEAR,
  [SCL.WATER]: MASK.WATER,
  [SCL.UNCLASSIFIED]: MASK.CLEAR,
  [SCL.CLOUD_MEDIUM_PROBABILITY]: MASK.CLOUD,
  [SCL.CLOUD_HIGH_PROBABILITY]: MASK.CLOUD,
  [SCL.THIN_CIRRUS]: MASK.CLOUD,
  [SCL.SNOW]: MASK.SNOW,
};

const SCL_LUT = (() => {
  const lut = new Uint8Array(256).fill(MASK.NODATA);
  for (const [k, v] of Object.entries(SCL_TO_MASK)) lut[Number(k)] = v;
  return lut;
})();

/** Sentinel-2 L2A SCL codes -> MASK codes (table SCL_TO_MASK). */
export function maskFromScl(scl: Uint8Array): Uint8Array {
  if (!(scl instanceof Uint8Array)) throw new GepError('GEP_ERR_INVALID_INPUT', 'maskFromScl: scl must be a Uint8Array');
  const out = new Uint8Array(scl.length);
  for (let i = 0; i < scl.length; i++) out[i] = SCL_LUT[scl[i]!]!;
  return out;
}

/** Landsat Collection 2 QA_PIXEL bit positions. */
export const QA_BIT = {
  FILL: 0,
  DILATED_CLOUD: 1,
  /** High-confidence cirrus (Landsat 8/9 only). */
  CIRRUS: 2,
  CLOUD: 3,
  CLOUD_SHADOW: 4,
  SNOW: 5,
  /** Set when neither cloud nor dilated cloud is set. */
  CLEAR: 6,
  WATER: 7,
  // Bits 8-9 cloud, 10-11 shadow, 12-13 snow/ice, 14-15 cirrus confidence (two-bit levels 0..3).
} as const;

/**
 * Landsat C2 QA_PIXEL -> MASK codes, first match wins: fill -> NODATA; cloud, dilated cloud or cirrus -> CLOUD;
 * cloud shadow -> SHADOW; snow -> SNOW; water -> WATER; otherwise CLEAR. The clear bit (6) is implied and the
 * confidence pairs (bits 8-15) are not used: the single-bit flags are already USGS's decisions.
 */
export function maskFromLandsatQa(qa: Uint16Array): Uint8Array {
  if (!(qa instanceof Uint16Array)) {
    throw new GepError('GEP_ERR_INVALID_INPUT', 'maskFromLandsatQa: qa must be a Uint16Array (QA_PIXEL band)');
  }
  const cloudBits = (1 << QA_BIT.CLOUD) | (1 << QA_BIT.DILATED_CLOUD) | (1 << QA_BIT.CIRRUS);
  const out = new Uint8Array(qa.length);
  for (let i = 0; i < qa.length; i++) {
    const q = qa[i]!;
    if (q & (1 << QA_BIT.FILL)) out[i] = MASK.NODATA;
    else if (q & cloudBits) out[i] = MASK.CLOUD;
    else if (q & (1 << QA_BIT.CLOUD_SHADOW)) out[i] = MASK.SHADOW;
    else if (q & (1 << QA_BIT.SNOW)) out[i] = MASK.SNOW;
    else if (q & (1 << QA_BIT.WATER)) out[i] = MASK.WATER;
    else out[i] = MASK.CLEAR;
  }
  return out;
}

/**
 * MASK classes usable for image correlation: CLEAR and SNOW. Snow/ice is kept because glacier flow is one of
 * MPIC-OPT's targets (textureless fresh snow is rejected later by the correlation coefficient); WATER is not
 * (moving surface, sun glint: no ground-motion signal), nor CLOUD, SHADOW (moves between dates) or NODATA.
 */
export const USABLE_FOR_CORRELATION: readonly number[] = [MASK.CLEAR, MASK.SNOW];

const USABLE_LUT = (() => {
  const lut = new Uint8Array(256);
  for (const c of USABLE_FOR_CORRELATION) lut[c] = 1;
  return lut;
})();

/** 1 where the pixel is usable (USABLE_FOR_CORRELATION) in both masks, 0 otherwise. */
export function combinePairMask(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) {
    throw new GepError('GEP_ERR_INVALID_INPUT', 'combinePairMask: both masks must be Uint8Array');
  }
  if (a.length !== b.length) {
    throw new GepError(
      'GEP_ERR_INVALID_INPUT',
      `combinePairMask: mask 'a' has ${a.length} pixels and mask 'b' has ${b.length}; expected the same grid`,
      { a: a.length, b: b.length },
    );
  }
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = USABLE_LUT[a[i]!]! & USABLE_LUT[b[i]!]!;
  return out;
}
