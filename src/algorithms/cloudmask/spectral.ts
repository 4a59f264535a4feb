/**
 * Pixel-wise spectral tests of Fmask: potential cloud pixels (pass one), clear-sky probabilities and dynamic
 * thresholds (pass two), water and snow tests.
 *
 * References
 * - Z. Zhu, C. E. Woodcock (2012), "Object-based cloud and cloud shadow detection in Landsat imagery",
 *   Remote Sensing of Environment 118, 83-94, doi:10.1016/j.rse.2011.10.028 (tests, probabilities, thresholds).
 * - Z. Zhu, S. Wang, C. E. Woodcock (2015), "Improvement and expansion of the Fmask algorithm", Remote Sensing of
 *   Environment 159, 269-277, doi:10.1016/j.rse.2014.12.014 (cirrus band, snow BT 9.85 °C, Sentinel-2).
 * - S. Qiu, Z. Zhu, B. He (2019), "Fmask 4.0: Improved cloud and cloud shadow detection in Landsats 4-8 and
 *   Sentinel-2 imagery", Remote Sensing of Environment 231, 111205, doi:10.1016/j.rse.2019.05.024 (HOT-based
 *   brightness probability replacing temperature when there is no thermal band, thin-cloud weight 0.3 / 0.5).
 *
 * Departures, on purpose: no saturation handling (inputs are reflectances), no DEM normalisation of BT or cirrus;
 * the temperature probability is capped at 1 for pixels that pass the snow test (cold snow must not be pushed
 * over the threshold by its coldness alone; very cold clouds are still caught by the BT < T_low - 35 K rule);
 * without a thermal band, pixels that pass the snow test with NDSI >= 0.4 (SNOMAP, Hall et al. 1995) are not
 * potential cloud unless the cirrus test fires (Fmask 4.0 handles such snow/ice with its spectral-contextual snow
 * index and erosion of potential false positives, which need a DEM; this is the pixel-wise part of that idea).
 */
import type { CloudMaskBands, ResolvedOptions } from './types.ts';
import { percentileWhere, percentilesWhere } from './morphology.ts';

/** Kelvin at 0 °C. */
const K0 = 273.15;
/** Low and high percentiles of the clear-sky statistics (Zhu & Woodcock 2012). */
const P_LOW = 17.5;
const P_HIGH = 82.5;
/** NDSI above which a pixel passing the snow test is snow/ice, not potential cloud, when there is no thermal band:
 * the MODIS SNOMAP threshold, D. K. Hall, G. A. Riggs, V. V. Salomonson (1995), Remote Sens. Environ. 54(2),
 * 127-140, doi:10.1016/0034-4257(95)00137-P. Water clouds have NDSI of about -0.1..0.3. */
const SNOW_NDSI_NO_THERMAL = 0.4;

export interface SpectralResult {
  /** 1 where every supplied band is finite. */
  valid: Uint8Array;
  validCount: number;
  /** Final (pixel-level) cloud decision, 0/1. */
  cloud: Uint8Array;
  /** Potential cloud pixels of pass one (before the probability thresholds), 0/1. */
  pcp: Uint8Array;
  /** Water test, 0/1. */
  water: Uint8Array;
  /** Snow test, 0/1. */
  snow: Uint8Array;
  /** Clear-sky land pixels (not potential cloud, not water), 0/1. */
  clearLand: Uint8Array;
  /** 17.5 / 82.5 percentiles of clear-land brightness temperature, kelvin; NaN without thermal. */
  tLow: number;
  tHigh: number;
}

/**
 * Runs both passes of Fmask over the pixels and returns the pixel-level cloud decision with the side layers
 * (water, snow, clear land) that the object-level steps need.
 */
export function spectralTests(b: CloudMaskBands, n: number, o: ResolvedOptions): SpectralResult {
  const { blue, green, red, nir, swir1, swir2, cirrus, thermal, b07, b08, b8a } = b;
  const valid = new Uint8Array(n);
  const pcp = new Uint8Array(n);
  const water = new Uint8Array(n);
  const snow = new Uint8Array(n);
  const clearLand = new Uint8Array(n);
  const clearWater = new Uint8Array(n);
  const clear = new Uint8Array(n);
  /** Spectral variability probability 1 - max(|NDVI|, |NDSI|, whiteness), clipped to [0, 1]. */
  const vari = new Float32Array(n);
  /** HOT without its -0.08 offset: blue - 0.5 red. */
  const hot = new Float32Array(n);
  let validCount = 0;
  let clearCount = 0;
  let clearLandCount = 0;

  // ---- pass one: potential cloud pixels, water, snow
  for (let i = 0; i < n; i++) {
    const B = blue[i]!;
    const G = green[i]!;
    const R = red[i]!;
    const N = nir[i]!;
    const S1 = swir1[i]!;
    const S2 = swir2[i]!;
    const C = cirrus ? cirrus[i]! : 0;
    const T = thermal ? thermal[i]! : 0;
    // NaN in any band (x !== x) makes the pixel no data.
    if (B !== B || G !== G || R !== R || N !== N || S1 !== S1 || S2 !== S2 || C !== C || T !== T) continue;
    if (b07 && b08 && b8a && (b07[i]! !== b07[i]! || b08[i]! !== b08[i]! || b8a[i]! !== b8a[i]!)) continue;
    valid[i] = 1;
    validCount++;
    const ndvi = N + R !== 0 ? (N - R) / (N + R) : 0;
    const ndsi = G + S1 !== 0 ? (G - S1) / (G + S1) : 0;
    const mean = (B + G + R) / 3;
    const white = mean > 0 ? (Math.abs(B - mean) + Math.abs(G - mean) + Math.abs(R - mean)) / mean : Infinity;
    const h = B - 0.5 * R;
    hot[i] = h;
    const v = 1 - Math.max(Math.abs(ndvi), Math.abs(ndsi), white);
    vari[i] = v < 0 ? 0 : v > 1 ? 1 : v;

    // Basic test (SWIR2 > 0.03, NDSI < 0.8, NDVI < 0.8, BT < 27 °C), whiteness < 0.7, HOT > 0, NIR/SWIR1 > 0.75.
    let p =
      S2 > 0.03 &&
      ndsi < 0.8 &&
      ndvi < 0.8 &&
      (!thermal || T < K0 + 27) &&
      white < 0.7 &&
      h - 0.08 > 0 &&
      (S1 > 0 ? N / S1 > 0.75 : N > 0);
    // Snow test: NDSI > 0.15, NIR > 0.11, green > 0.1, BT < 9.85 °C.
    const isSnow = ndsi > 0.15 && N > 0.11 && G > 0.1 && (!thermal || T < K0 + 9.85);
    if (isSnow) snow[i] = 1;
    // Without a thermal band the BT term cannot tell snow/ice from cloud (both are bright, white and pass
    // NDSI > 0.15). Snow and glacier ice absorb at 1.6 µm, water-droplet clouds do not: SNOMAP's NDSI >= 0.4
    // (Hall et al. 1995) separates them; ice clouds, whose NDSI can be as high, are caught by the cirrus test
    // below (their tops are above the water vapour that darkens B10 over the ground).
    if (p && !thermal && isSnow && ndsi >= SNOW_NDSI_NO_THERMAL) p = false;
    // Cirrus test (Zhu et al. 2015): TOA cirrus reflectance > 0.01 may be cloud.
    if (cirrus && C > 0.01) p = true;
    if (p) pcp[i] = 1;

    const isWater = (ndvi < 0.01 && N < 0.11) || (ndvi < 0.1 && ndvi > 0 && N < 0.05);
    if (isWater) water[i] = 1;

    if (!p) {
      clear[i] = 1;
      clearCount++;
      if (!isWater) {
        clearLand[i] = 1;
        clearLandCount++;
      } else if (S2 < 0.03) clearWater[i] = 1;
    }
  }

  const cloud = new Uint8Array(n);
  let tLow = NaN;
  let tHigh = NaN;
  // Too few clear pixels (< 0.1 %) for statistics: every potential cloud pixel is cloud (Zhu & Woodcock 2012).
  if (validCount === 0 || clearCount < 0.001 * validCount) {
    for (let i = 0; i < n; i++) cloud[i] = pcp[i]!;
    return { valid, validCount, cloud, pcp, water, snow, clearLand, tLow, tHigh };
  }
  // Statistics over clear land, or over all clear pixels when clear land is scarce (Fmask 4.0).
  const landRef = clearLandCount >= 0.001 * validCount ? clearLand : clear;

  // ---- pass two: probabilities
  // Land: variability x (temperature | HOT brightness) + w * cirrus/0.04.
  const lprob = new Float32Array(n);
  const wprob = new Float32Array(n);
  let tWater = NaN;
  if (thermal) {
    [tLow = NaN, tHigh = NaN] = percentilesWhere(thermal, landRef, [P_LOW, P_HIGH]);
    tWater = percentileWhere(thermal, clearWater, P_HIGH);
  }
  const [hotLow = NaN, hotHigh = NaN] = thermal ? [0, 0] : percentilesWhere(hot, landRef, [P_LOW, P_HIGH]);
  const hLow = hotLow - 0.04;
  const hHigh = hotHigh + 0.04;
  const tHi = tHigh + 4;
  const tSpan = tHi - (tLow - 4);
  const w = o.cirrusWeight;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const thin = cirrus ? Math.max(0, cirrus[i]! / 0.04) * w : 0;
    let f: number;
    if (thermal) {
      f = (tHi - thermal[i]!) / tSpan;
      if (f < 0) f = 0;
      else if (f > 1 && snow[i]) f = 1;
    } else {
      f = (hot[i]! - hLow) / (hHigh - hLow);
      f = f < 0 ? 0 : f > 1 ? 1 : f;
    }
    lprob[i] = vari[i]! * f + thin;
    // Water: (temperature) x brightness min(SWIR1, 0.11)/0.11 + thin.
    let wt = 1;
    if (thermal && tWater === tWater) wt = Math.max(0, (tWater - thermal[i]!) / 4);
    const s1 = swir1[i]!;
    const bright = s1 <= 0 ? 0 : s1 >= 0.11 ? 1 : s1 / 0.11;
    wprob[i] = wt * bright + thin;
  }
  // Dynamic thresholds: 82.5th percentile of the clear-sky probability + the user threshold.
  const landPct = percentileWhere(lprob, clearLandCount > 0 ? clearLand : landRef, P_HIGH);
  const waterPct = percentileWhere(wprob, clearWater, P_HIGH);
  const landThr = (landPct === landPct ? landPct : 0) + o.cloudProbability;
  const waterThr = (waterPct === waterPct ? waterPct : 0) + o.cloudProbability;
  const cold = thermal ? tLow - 35 : -Infinity;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const byProb = pcp[i] && (water[i] ? wprob[i]! > waterThr : lprob[i]! > landThr);
    if (byProb || (thermal && thermal[i]! < cold)) cloud[i] = 1;
  }
  return { valid, validCount, cloud, pcp, water, snow, clearLand, tLow, tHigh };
}
