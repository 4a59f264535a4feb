/**
 * Cloud / cloud-shadow / snow / water masking of optical acquisitions (used by MPIC-OPT and ALADIM):
 * fmaskLike (Fmask after Zhu & Woodcock 2012, Zhu et al. 2015, Qiu et al. 2019), masks from Sentinel-2 SCL and
 * Landsat QA_PIXEL, and the per-pair usability mask. Pure functions on typed arrays.
 */
export { MASK } from './types.ts';
export type { CloudMaskBands, CloudMaskOptions, CloudMaskResult, MaskCode } from './types.ts';
export { fmaskLike } from './fmask.ts';
export {
  maskFromScl,
  maskFromLandsatQa,
  combinePairMask,
  SCL,
  SCL_TO_MASK,
  QA_BIT,
  USABLE_FOR_CORRELATION,
} from './products.ts';
