/**
 * Land-cover classes and their reflectance in the bands of Sentinel-2 MSI, Landsat-8 OLI/TIRS and Pléiades,
 * plus the simple atmosphere, sensor noise and quantisation used by the simulator.
 *
 * Surface reflectances (unitless, 0..1) are typical values read off library spectra averaged over each band:
 * USGS Spectral Library v7 (R. Kokaly et al., USGS Data Series 1035, 2017, doi:10.3133/ds1035: "Lawn_Grass",
 * "Aspen_Leaf", "Concrete", "Asphalt", "Snow", "Water") and the ASTER/ECOSTRESS library (A. Baldridge et al.,
 * Remote Sens. Environ. 113(4), 2009, doi:10.1016/j.rse.2008.11.007: "brown sandy loam", "granite",
 * "medium granular snow"). Cloud values are top-of-atmosphere reflectances of thick water clouds as seen by
 * MSI (bright and flat in VNIR, lower in SWIR, bright at 1375 nm where the ground is hidden by water vapour).
 * Band centres: ESA Sentinel-2 User Handbook (2015); USGS Landsat 8 Data Users Handbook v5 (2019);
 * Airbus Pléiades User Guide v2 (2012).
 */

/** Class index of each land-cover class (index into every reflectance table). */
export const LandCover = {
  vegetation: 0,
  soil: 1,
  rock: 2,
  water: 3,
  snow: 4,
  urban: 5,
  cloud: 6,
  shadow: 7,
} as const;
export type LandCoverName = keyof typeof LandCover;
export const LAND_COVER_NAMES = Object.keys(LandCover) as LandCoverName[];
export const N_CLASSES = LAND_COVER_NAMES.length;

/** Sentinel-2 MSI bands: name, centre wavelength (micrometres), native resolution (metres). */
export const S2_BANDS = [
  { name: 'B01', center: 0.443, gsd: 60, common: 'coastal' },
  { name: 'B02', center: 0.49, gsd: 10, common: 'blue' },
  { name: 'B03', center: 0.56, gsd: 10, common: 'green' },
  { name: 'B04', center: 0.665, gsd: 10, common: 'red' },
  { name: 'B05', center: 0.705, gsd: 20, common: 'rededge' },
  { name: 'B06', center: 0.74, gsd: 20, common: 'rededge' },
  { name: 'B07', center: 0.783, gsd: 20, common: 'rededge' },
  { name: 'B08', center: 0.842, gsd: 10, common: 'nir' },
  { name: 'B8A', center: 0.865, gsd: 20, common: 'nir08' },
  { name: 'B09', center: 0.945, gsd: 60, common: 'nir09' },
  { name: 'B10', center: 1.375, gsd: 60, common: 'cirrus' },
  { name: 'B11', center: 1.61, gsd: 20, common: 'swir16' },
  { name: 'B12', center: 2.19, gsd: 20, common: 'swir22' },
] as const;
export type S2BandName = (typeof S2_BANDS)[number]['name'];
const S2_INDEX: Record<string, number> = Object.fromEntries(S2_BANDS.map((b, i) => [b.name, i]));

/**
 * Reflectance per class in S2 band order (B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B10 B11 B12).
 * Ground classes: surface reflectance. Cloud: TOA reflectance. Shadow: vegetated ground lit only by diffuse
 * skylight (about 20 % of direct illumination).
 */
const S2_TABLE: Record<LandCoverName, readonly number[]> = {
  //          B01    B02    B03    B04    B05    B06    B07    B08    B8A    B09    B10    B11    B12
  vegetation: [0.03, 0.035, 0.075, 0.04, 0.11, 0.28, 0.34, 0.36, 0.37, 0.35, 0.15, 0.2, 0.09],
  soil: [0.09, 0.11, 0.15, 0.2, 0.23, 0.25, 0.27, 0.28, 0.29, 0.29, 0.3, 0.36, 0.3],
  rock: [0.15, 0.17, 0.2, 0.23, 0.245, 0.255, 0.265, 0.275, 0.28, 0.28, 0.29, 0.32, 0.27],
  water: [0.06, 0.055, 0.045, 0.025, 0.018, 0.014, 0.012, 0.01, 0.008, 0.005, 0.003, 0.004, 0.002],
  snow: [0.93, 0.93, 0.91, 0.88, 0.86, 0.84, 0.82, 0.8, 0.78, 0.6, 0.25, 0.08, 0.05],
  urban: [0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.185, 0.185, 0.19, 0.22, 0.2],
  cloud: [0.72, 0.7, 0.69, 0.68, 0.68, 0.67, 0.67, 0.66, 0.66, 0.58, 0.38, 0.42, 0.3],
  shadow: [0.02, 0.02, 0.025, 0.012, 0.03, 0.06, 0.07, 0.075, 0.075, 0.07, 0.03, 0.04, 0.018],
};

/**
 * Simple plane-parallel atmosphere for L1C (top-of-atmosphere) products: toa = T·surface + P, with two-way
 * transmittance T and path reflectance P per S2 band, typical of a mid-latitude summer atmosphere with 23 km
 * visibility (6S-like values; E. Vermote et al., IEEE TGRS 35(3), 1997, doi:10.1109/36.581987). B09 and B10
 * sit in water-vapour absorption bands, so ground signal there is strongly attenuated.
 */
export const S2_TRANSMITTANCE = [0.75, 0.8, 0.86, 0.9, 0.91, 0.92, 0.93, 0.94, 0.94, 0.35, 0.02, 0.93, 0.9] as const;
export const S2_PATH_REFLECTANCE = [0.09, 0.065, 0.04, 0.025, 0.02, 0.016, 0.013, 0.01, 0.009, 0.004, 0, 0.002, 0.001] as const;

/**
 * Sensor noise as a standard deviation in reflectance at a reference reflectance of 0.12: 0.12 / SNR, with
 * the SNR at reference radiance of the S2 mission requirements (S2 User Handbook table 3; in-flight SNR is
 * higher, so these are conservative).
 */
export const S2_SNR = [129, 154, 168, 142, 117, 89, 105, 174, 72, 114, 50, 100, 100] as const;
export const NOISE_REFERENCE_REFLECTANCE = 0.12;

/** Relative texture amplitude per class: reflectance = base·(1 + amp·texture), texture mostly in [-1, 1]. */
export const TEXTURE_AMPLITUDE: Record<LandCoverName, number> = {
  vegetation: 0.3,
  soil: 0.22,
  rock: 0.28,
  water: 0.02,
  snow: 0.06,
  urban: 0.4,
  cloud: 0.12,
  shadow: 0.25,
};

/** Brightness temperature (kelvin) per class for thermal bands (Landsat-8 TIRS B10/B11), summer mid-morning. */
export const BRIGHTNESS_TEMPERATURE_K: Record<LandCoverName, number> = {
  vegetation: 297,
  soil: 310,
  rock: 305,
  water: 292,
  snow: 268,
  urban: 308,
  cloud: 245,
  shadow: 290,
};

/** A band of another sensor as a weighted mix of S2 bands with similar response. */
interface DerivedBand {
  name: string;
  center: number;
  /** [S2 band name, weight] pairs; weights sum to 1. */
  mix: readonly (readonly [S2BandName, number])[];
}

/** Landsat-8 OLI reflective bands (B1..B9) from the nearest S2 bands (spectral band adjustment is small). */
export const L8_OLI_BANDS: readonly DerivedBand[] = [
  { name: 'B1', center: 0.443, mix: [['B01', 1]] },
  { name: 'B2', center: 0.482, mix: [['B02', 1]] },
  { name: 'B3', center: 0.561, mix: [['B03', 1]] },
  { name: 'B4', center: 0.655, mix: [['B04', 1]] },
  { name: 'B5', center: 0.865, mix: [['B8A', 1]] },
  { name: 'B6', center: 1.609, mix: [['B11', 1]] },
  { name: 'B7', center: 2.201, mix: [['B12', 1]] },
  { name: 'B8', center: 0.59, mix: [['B02', 0.3], ['B03', 0.4], ['B04', 0.3]] },
  { name: 'B9', center: 1.373, mix: [['B10', 1]] },
];

/** Pléiades 1A/1B bands: B0 blue, B1 green, B2 red, B3 NIR (2 m), P panchromatic 0.47-0.83 µm (0.5 m). */
export const PLEIADES_BANDS: readonly DerivedBand[] = [
  { name: 'B0', center: 0.49, mix: [['B02', 1]] },
  { name: 'B1', center: 0.56, mix: [['B03', 1]] },
  { name: 'B2', center: 0.655, mix: [['B04', 1]] },
  { name: 'B3', center: 0.84, mix: [['B07', 0.5], ['B08', 0.5]] },
  { name: 'P', center: 0.65, mix: [['B02', 0.15], ['B03', 0.25], ['B04', 0.25], ['B05', 0.1], ['B06', 0.1], ['B07', 0.15]] },
];

export type SpectralSensor = 'sentinel-2' | 'landsat-8' | 'pleiades';

/** Reflectance of one class in one S2 band (surface for ground classes, TOA for cloud). */
export function s2Reflectance(cls: LandCoverName, band: string): number {
  const i = S2_INDEX[band];
  if (i === undefined) throw new RangeError(`unknown Sentinel-2 band '${band}'`);
  return S2_TABLE[cls][i]!;
}

function derivedReflectance(cls: LandCoverName, band: DerivedBand): number {
  let r = 0;
  for (const [s2, w] of band.mix) r += w * s2Reflectance(cls, s2);
  return r;
}

/** Reflectance of a class in a band of a sensor (band names as the sensor names them). */
export function reflectance(sensor: SpectralSensor, cls: LandCoverName, band: string): number {
  if (sensor === 'sentinel-2') return s2Reflectance(cls, band);
  const list = sensor === 'landsat-8' ? L8_OLI_BANDS : PLEIADES_BANDS;
  const b = list.find((x) => x.name === band);
  if (!b) throw new RangeError(`unknown ${sensor} band '${band}'`);
  return derivedReflectance(cls, b);
}

/**
 * Class-major reflectance table for a list of bands: table[cls * bands.length + b]. With `toa`, ground
 * classes (all but cloud) get the S2 atmosphere above (T·ρ + P); only defined for Sentinel-2 bands.
 */
export function reflectanceTable(sensor: SpectralSensor, bands: readonly string[], toa = false): Float64Array {
  const nb = bands.length;
  const t = new Float64Array(N_CLASSES * nb);
  for (const cls of LAND_COVER_NAMES) {
    const c = LandCover[cls];
    bands.forEach((band, b) => {
      let r = reflectance(sensor, cls, band);
      if (toa && cls !== 'cloud') {
        const i = S2_INDEX[band];
        if (sensor !== 'sentinel-2' || i === undefined) throw new RangeError('TOA tables are defined for Sentinel-2 bands only');
        r = S2_TRANSMITTANCE[i]! * r + S2_PATH_REFLECTANCE[i]!;
      }
      t[c * nb + b] = r;
    });
  }
  return t;
}

/** Texture amplitudes in class order. */
export function textureAmplitudes(): Float64Array {
  return Float64Array.from(LAND_COVER_NAMES.map((c) => TEXTURE_AMPLITUDE[c]));
}

/** Noise standard deviation (reflectance units) of an S2 band at reflectance ρ: shot + read noise model. */
export function s2NoiseSd(band: string, rho: number): number {
  const i = S2_INDEX[band];
  if (i === undefined) throw new RangeError(`unknown Sentinel-2 band '${band}'`);
  const sd0 = NOISE_REFERENCE_REFLECTANCE / S2_SNR[i]!;
  // Half the variance at the reference level is signal-dependent (photon noise), half is constant.
  return sd0 * Math.sqrt(0.5 + (0.5 * Math.max(0, rho)) / NOISE_REFERENCE_REFLECTANCE);
}

/** NDVI = (NIR - red) / (NIR + red); NaN where both are zero. */
export function ndvi(red: number, nir: number): number {
  const s = nir + red;
  return s === 0 ? NaN : (nir - red) / s;
}

/** Sentinel-2 processing baseline >= 04.00 quantisation: DN = round(ρ·10000 + 1000), clamped to [1, 65535]
 * (0 is nodata). ESA, "Sentinel-2 products specification document", S2-PDGS-TAS-DI-PSD v14.9. */
export function s2ToDn(rho: number): number {
  const v = Math.round(rho * 10000 + 1000);
  return v < 1 ? 1 : v > 65535 ? 65535 : v;
}

/** Inverse of s2ToDn. */
export function s2FromDn(dn: number): number {
  return (dn - 1000) / 10000;
}
