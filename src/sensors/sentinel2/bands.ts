/**
 * Sentinel-2 MSI bands: ESA band index (band_id in the metadata), STAC eo common name, centre wavelength
 * (micrometres, S2A, Sentinel-2 User Handbook / MSI spectral response 2022) and native resolution (m).
 * `stacKeys` are the asset keys STAC APIs publish the band under (Planetary Computer: B04; Earth Search: red).
 */
export interface S2BandInfo {
  name: string;
  bandId: number;
  commonName: string;
  wavelength: number;
  resolution: 10 | 20 | 60;
  stacKeys: string[];
}

export const S2_BANDS: readonly S2BandInfo[] = [
  { name: 'B01', bandId: 0, commonName: 'coastal', wavelength: 0.443, resolution: 60, stacKeys: ['B01', 'coastal'] },
  { name: 'B02', bandId: 1, commonName: 'blue', wavelength: 0.49, resolution: 10, stacKeys: ['B02', 'blue'] },
  { name: 'B03', bandId: 2, commonName: 'green', wavelength: 0.56, resolution: 10, stacKeys: ['B03', 'green'] },
  { name: 'B04', bandId: 3, commonName: 'red', wavelength: 0.665, resolution: 10, stacKeys: ['B04', 'red'] },
  { name: 'B05', bandId: 4, commonName: 'rededge071', wavelength: 0.704, resolution: 20, stacKeys: ['B05', 'rededge1'] },
  { name: 'B06', bandId: 5, commonName: 'rededge075', wavelength: 0.74, resolution: 20, stacKeys: ['B06', 'rededge2'] },
  { name: 'B07', bandId: 6, commonName: 'rededge078', wavelength: 0.783, resolution: 20, stacKeys: ['B07', 'rededge3'] },
  { name: 'B08', bandId: 7, commonName: 'nir', wavelength: 0.842, resolution: 10, stacKeys: ['B08', 'nir'] },
  { name: 'B8A', bandId: 8, commonName: 'nir08', wavelength: 0.865, resolution: 20, stacKeys: ['B8A', 'nir08'] },
  { name: 'B09', bandId: 9, commonName: 'nir09', wavelength: 0.945, resolution: 60, stacKeys: ['B09', 'nir09'] },
  { name: 'B10', bandId: 10, commonName: 'cirrus', wavelength: 1.375, resolution: 60, stacKeys: ['B10', 'cirrus'] },
  { name: 'B11', bandId: 11, commonName: 'swir16', wavelength: 1.61, resolution: 20, stacKeys: ['B11', 'swir16'] },
  { name: 'B12', bandId: 12, commonName: 'swir22', wavelength: 2.19, resolution: 20, stacKeys: ['B12', 'swir22'] },
];

/** Band info by name; accepts 'B4', 'B04', 'b8a'. */
export function s2Band(name: string): S2BandInfo | undefined {
  const m = /^B0?(\d{1,2}|8A)$/i.exec(name.trim());
  if (!m) return undefined;
  const n = m[1]!.toUpperCase();
  const norm = n === '8A' ? 'B8A' : `B${n.padStart(2, '0')}`;
  return S2_BANDS.find((b) => b.name === norm);
}

export const s2BandById = (id: number): S2BandInfo | undefined => S2_BANDS.find((b) => b.bandId === id);

/** Scene classification (L2A SCL) codes, ESA L2A ATBD. */
export const SCL_CLASSES: Readonly<Record<number, string>> = {
  0: 'no_data',
  1: 'saturated_or_defective',
  2: 'cast_shadows',
  3: 'cloud_shadows',
  4: 'vegetation',
  5: 'not_vegetated',
  6: 'water',
  7: 'unclassified',
  8: 'cloud_medium_probability',
  9: 'cloud_high_probability',
  10: 'thin_cirrus',
  11: 'snow',
};
