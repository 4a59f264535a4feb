/**
 * fmaskLike: cloud, cloud-shadow, snow and water mask of one optical acquisition (Landsat-8 or Sentinel-2),
 * after Fmask:
 * - Z. Zhu, C. E. Woodcock (2012), Remote Sensing of Environment 118, 83-94, doi:10.1016/j.rse.2011.10.028;
 * - Z. Zhu, S. Wang, C. E. Woodcock (2015), Remote Sensing of Environment 159, 269-277,
 *   doi:10.1016/j.rse.2014.12.014 (cirrus band, Sentinel-2);
 * - S. Qiu, Z. Zhu, B. He (2019), Remote Sensing of Environment 231, 111205, doi:10.1016/j.rse.2019.05.024
 *   (Sentinel-2 without thermal band).
 *
 * - D. Frantz, E. Haß, A. Uhl, J. Stoffels, J. Hill (2018), Remote Sensing of Environment 215, 471-481,
 *   doi:10.1016/j.rse.2018.04.046 (Cloud Displacement Index, Sentinel-2 parallax).
 *
 * Steps: spectral tests and dynamic thresholds (spectral.ts) -> for Sentinel-2 with B07, B08 and B8A, the elevation
 * test: a cloud pixel must lie in a parallax cloud (CDI cores grown into CDI < -0.25, parallax.ts) or show TOA cirrus
 * reflectance > 0.01 (both say that the reflector is above the ground: the cirrus band sees only what is above most
 * of the water vapour, Zhu et al. 2015) -> cloud objects (8-connected; objects under 3 px
 * are dropped as noise; without thermal band, objects without a core that survives a 40 m erosion and without a
 * cirrus-confirmed pixel are dropped, after Fmask 4.0's treatment of potential false positives) -> potential shadow (NIR/SWIR1 hole filling) and object matching along the sun direction
 * (shadow.ts, only when sunZenith and sunAzimuth are given) -> square dilation of cloud and shadow -> classes with
 * the priority NODATA > CLOUD > SHADOW > SNOW > WATER > CLEAR.
 *
 * Not done from Fmask 4.0 (Qiu et al. 2019), and why: DEM-based normalisation of the cirrus band and of the
 * temperature (needs a DEM input; without it, high dry terrain can pass the cirrus test and the dynamic thresholds mix
 * elevations), the Global Surface Water Occurrence layer (auxiliary data), the spectral-contextual snow index and the
 * NDBI-based potential-false-positive layer with its 250 m buffer (replaced here by the erosion step below and, for
 * Sentinel-2 with B07/B08/B8A, by the stronger parallax test), the re-calibrated probability weights and the
 * view-geometry correction of the cloud position for shadow matching. Without B07/B08/B8A and without a thermal band
 * (a Sentinel-2 product that lacks them), bright ground that passes the HOT tests is still called cloud when its
 * objects survive the erosion: supply the three NIR bands.
 */
import { throwIfAborted } from '../../core/errors.ts';
import { dilateSquare, labelComponents } from './morphology.ts';
import { cdiRadius, cloudDisplacementIndex, parallaxClouds } from './parallax.ts';
import { MIN_OBJECT_PIXELS, matchShadows, potentialShadow } from './shadow.ts';
import { spectralTests } from './spectral.ts';
import { MASK, checkBands, resolveOptions } from './types.ts';
import type { CloudMaskBands, CloudMaskOptions, CloudMaskResult } from './types.ts';

/** Erosion that a cloud object without thermal confirmation must survive, metres (2 px at 20 m). */
const ERODE_M = 40;
/** TOA cirrus reflectance that confirms a cloud object (the cirrus test of Zhu et al. 2015). */
const CIRRUS_CONFIRM = 0.01;

/**
 * Elevation test (Sentinel-2 with B07, B08, B8A): keeps the cloud pixels that belong to a parallax cloud of Frantz
 * et al. (2018) computed over the potential cloud pixels, or whose TOA cirrus reflectance exceeds 0.01; clears the
 * others in place. Returns the number of pixels cleared.
 */
function elevationTest(
  bands: CloudMaskBands,
  cloud: Uint8Array,
  pcp: Uint8Array,
  valid: Uint8Array,
  width: number,
  height: number,
  pixelSize: number,
  signal: AbortSignal | undefined,
): number {
  const n = width * height;
  const select = new Uint8Array(n);
  for (let i = 0; i < n; i++) select[i] = pcp[i]! & valid[i]!;
  const cdi = cloudDisplacementIndex(bands.b07!, bands.b08!, bands.b8a!, select, width, height, cdiRadius(pixelSize), signal);
  const raised = parallaxClouds(cdi, width, height);
  const cir = bands.cirrus;
  let cleared = 0;
  for (let i = 0; i < n; i++) {
    if (!cloud[i] || raised[i] || (cir !== undefined && cir[i]! > CIRRUS_CONFIRM)) continue;
    cloud[i] = 0;
    cleared++;
  }
  return cleared;
}

/**
 * Classifies every pixel into MASK codes. Bands are reflectances on one grid (see CloudMaskBands); a pixel with
 * NaN in any supplied band is NODATA. Throws GEP_ERR_INVALID_INPUT naming the band or option at fault, and
 * GEP_ERR_ABORTED when opts.signal fires. Defaults are documented on CloudMaskOptions.
 */
export function fmaskLike(bands: CloudMaskBands, width: number, height: number, opts: CloudMaskOptions): CloudMaskResult {
  const n = checkBands(bands, width, height);
  const o = resolveOptions(opts, bands);
  throwIfAborted(o.signal);

  const sp = spectralTests(bands, n, o);
  const mask = new Uint8Array(n).fill(MASK.NODATA);
  const stats = { clear: 0, cloud: 0, shadow: 0, snow: 0, water: 0 };
  if (sp.validCount === 0) return { mask, cloudFraction: 0, stats };
  throwIfAborted(o.signal);
  if (o.parallaxTest) elevationTest(bands, sp.cloud, sp.pcp, sp.valid, width, height, o.pixelSize, o.signal);
  throwIfAborted(o.signal);

  // Cloud objects; tiny ones are noise.
  const objects = labelComponents(sp.cloud, width, height);
  const { labels, sizes } = objects;
  const cloud = sp.cloud;
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l > 0 && sizes[l]! < MIN_OBJECT_PIXELS) {
      cloud[i] = 0;
      labels[i] = 0;
    }
  }
  // Without a thermal band, bright land (rock, moraines, built-up) passes the HOT-based tests in scattered pixels
  // and thin strands. As Fmask 4.0 does for its potential false-positive layer (Qiu et al. 2019, §2.2.3: erosion,
  // then objects that vanish are dropped), an object is kept only when it has a core that survives a square
  // erosion of ERODE_M metres, or a pixel confirmed by the cirrus band. Objects are still dilated afterwards.
  if (!bands.thermal && objects.count > 0) {
    const r = Math.max(1, Math.round(ERODE_M / o.pixelSize));
    const notCloud = new Uint8Array(n);
    for (let i = 0; i < n; i++) notCloud[i] = cloud[i] ? 0 : 1;
    const grown = dilateSquare(notCloud, width, height, r);
    const core = new Uint8Array(objects.count + 1);
    const cir = bands.cirrus;
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      if (l > 0 && (!grown[i] || (cir !== undefined && cir[i]! > CIRRUS_CONFIRM))) core[l] = 1;
    }
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      if (l > 0 && !core[l]) {
        cloud[i] = 0;
        labels[i] = 0;
      }
    }
    for (let l = 1; l <= objects.count; l++) if (!core[l]) sizes[l] = 0;
  }
  let kept = 0;
  for (let l = 1; l <= objects.count; l++) {
    if (sizes[l]! < MIN_OBJECT_PIXELS) sizes[l] = 0;
    else kept++;
  }
  throwIfAborted(o.signal);

  let shadow: Uint8Array = new Uint8Array(n);
  if (kept > 0 && o.sunZenith !== undefined && o.sunAzimuth !== undefined) {
    const pot = potentialShadow(bands.nir, bands.swir1, sp.valid, sp.water, sp.clearLand, width, height);
    throwIfAborted(o.signal);
    shadow = matchShadows(objects, cloud, pot, sp.valid, width, height, o, bands.thermal, sp.tLow, sp.tHigh);
    throwIfAborted(o.signal);
  }

  const cloudD = dilateSquare(cloud, width, height, o.dilateCloud);
  const shadowD = dilateSquare(shadow, width, height, o.dilateShadow);
  const { valid, snow, water } = sp;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    if (cloudD[i]) {
      mask[i] = MASK.CLOUD;
      stats.cloud++;
    } else if (shadowD[i]) {
      mask[i] = MASK.SHADOW;
      stats.shadow++;
    } else if (snow[i]) {
      mask[i] = MASK.SNOW;
      stats.snow++;
    } else if (water[i]) {
      mask[i] = MASK.WATER;
      stats.water++;
    } else {
      mask[i] = MASK.CLEAR;
      stats.clear++;
    }
  }
  return { mask, cloudFraction: stats.cloud / sp.validCount, stats };
}
