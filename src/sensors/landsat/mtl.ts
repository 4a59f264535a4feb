/**
 * Landsat 8/9 Collection 2 scene reader (Level-1 L1TP/L1GT/L1GS and Level-2 L2SP/L2SR) from its MTL file
 * (text or XML) and the GeoTIFF/COG band files beside it.
 *
 * Radiometry (USGS Landsat 8-9 C2 Level-1 / Level-2 Science Product Guides):
 * - L1 reflective bands: TOA reflectance = (M_rho * DN + A_rho) / sin(sun elevation); the 1/sin is folded into
 *   `scale` and `offset`. L1 thermal bands: radiance L = M_L * DN + A_L (W m-2 sr-1 um-1).
 * - L2 SR_B*: surface reflectance = DN * 2.75e-05 - 0.2 (REFLECTANCE_MULT/ADD of LEVEL2_SURFACE_REFLECTANCE_PARAMETERS);
 *   ST_B10: temperature (K) = DN * TEMPERATURE_MULT + TEMPERATURE_ADD.
 * - Brightness temperature T = K2 / ln(K1 / L + 1): K1/K2 (LEVEL1_THERMAL_CONSTANTS) are kept in `landsat.thermal`.
 * Grid: PROJECTION_ATTRIBUTES corners are pixel centres, so the transform origin is half a cell up-left of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { corruptFile, GepError, invalidInput, throwIfAborted } from '../../core/errors.ts';
import { openGeoTiff } from '../../raster/tiff/read.ts';
import type { GeoTransform } from '../../raster/types.ts';
import { windowTransform } from '../../raster/types.ts';
import { buildStacItem, footprintOrNull } from '../common.ts';
import { readFirstBand } from '../product-base.ts';
import type { Product, ProductBand, ProductMask, ProductMetadata } from '../types.ts';
import type { MtlGroup } from './mtl-parse.ts';
import { mtlValue, parseMtlText, parseMtlXml } from './mtl-parse.ts';

export interface LandsatThermalConstants {
  /** Band name in this product ('B10', 'ST_B10'). */
  band: string;
  k1: number; // W m-2 sr-1 um-1
  k2: number; // K
  radianceMult?: number;
  radianceAdd?: number;
}

export interface LandsatDetails {
  collection: number;
  category: string; // T1, T2, RT
  wrsPath: number;
  wrsRow: number;
  sunElevation: number;
  earthSunDistance?: number; // AU
  cloudCoverLand?: number;
  thermal: LandsatThermalConstants[];
}

export interface LandsatProduct extends Product {
  landsat: LandsatDetails;
}

/** OLI/TIRS band table: common name, centre wavelength (um), which grid. */
const OLI_TIRS: Record<number, { common: string; wl: number; grid: 'REFLECTIVE' | 'THERMAL' | 'PANCHROMATIC' }> = {
  1: { common: 'coastal', wl: 0.443, grid: 'REFLECTIVE' },
  2: { common: 'blue', wl: 0.482, grid: 'REFLECTIVE' },
  3: { common: 'green', wl: 0.561, grid: 'REFLECTIVE' },
  4: { common: 'red', wl: 0.655, grid: 'REFLECTIVE' },
  5: { common: 'nir08', wl: 0.865, grid: 'REFLECTIVE' },
  6: { common: 'swir16', wl: 1.609, grid: 'REFLECTIVE' },
  7: { common: 'swir22', wl: 2.201, grid: 'REFLECTIVE' },
  8: { common: 'pan', wl: 0.59, grid: 'PANCHROMATIC' },
  9: { common: 'cirrus', wl: 1.373, grid: 'REFLECTIVE' },
  10: { common: 'lwir11', wl: 10.895, grid: 'THERMAL' },
  11: { common: 'lwir12', wl: 12.005, grid: 'THERMAL' },
};

function locateMtl(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new GepError('GEP_ERR_NOT_FOUND', `${path}: no such file or folder`, { file: path });
  }
  if (!st.isDirectory()) return path;
  const names = readdirSync(path).filter((n) => /_MTL\.(txt|xml)$/i.test(n)).sort((a, b) => (a.endsWith('.txt') ? -1 : b.endsWith('.txt') ? 1 : 0));
  if (names.length === 0) throw new GepError('GEP_ERR_NOT_FOUND', `${path}: no *_MTL.txt or *_MTL.xml in the folder`, { file: path });
  return join(path, names[0]!);
}

/** Opens a Landsat 8/9 Collection 2 scene from its MTL file or folder. */
export async function openLandsatScene(path: string, opts: { signal?: AbortSignal } = {}): Promise<LandsatProduct> {
  throwIfAborted(opts.signal);
  const file = locateMtl(path);
  const raw = readFileSync(file);
  const root: MtlGroup = /\.xml$/i.test(file) || raw.subarray(0, 64).toString().trimStart().startsWith('<')
    ? parseMtlXml(raw, file)
    : parseMtlText(raw.toString('utf8'), file);
  const dir = dirname(file);
  const need = (group: string | null, key: string): string => {
    const v = mtlValue(root, group, key);
    if (v === undefined || v === '') throw corruptFile(file, `missing required field ${key}${group ? ` in GROUP ${group}` : ''}`, { element: key });
    return v;
  };
  const num = (group: string | null, key: string): number => {
    const v = Number(need(group, key));
    if (!Number.isFinite(v)) throw corruptFile(file, `field ${key} is not a number`, { element: key });
    return v;
  };
  const opt = (group: string | null, key: string): number | undefined => {
    const s = mtlValue(root, group, key);
    const v = s === undefined ? NaN : Number(s);
    return Number.isFinite(v) ? v : undefined;
  };
  const productId = need('PRODUCT_CONTENTS', 'LANDSAT_PRODUCT_ID');
  const level = need('PRODUCT_CONTENTS', 'PROCESSING_LEVEL');
  const spacecraft = need('IMAGE_ATTRIBUTES', 'SPACECRAFT_ID');
  const sm = /^LANDSAT_([89])$/.exec(spacecraft);
  if (!sm) throw corruptFile(file, `SPACECRAFT_ID '${spacecraft}' is not LANDSAT_8 or LANDSAT_9`);
  const date = need('IMAGE_ATTRIBUTES', 'DATE_ACQUIRED');
  const time = need('IMAGE_ATTRIBUTES', 'SCENE_CENTER_TIME').replace(/^(\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)\d*Z?$/, '$1Z');
  const dt = new Date(`${date}T${time}`);
  if (Number.isNaN(dt.getTime())) throw corruptFile(file, `DATE_ACQUIRED/SCENE_CENTER_TIME '${date} ${time}' is not a date`);
  const wrsPath = num('IMAGE_ATTRIBUTES', 'WRS_PATH');
  const wrsRow = num('IMAGE_ATTRIBUTES', 'WRS_ROW');
  const sunElevation = num('IMAGE_ATTRIBUTES', 'SUN_ELEVATION');
  const sunAzimuth = num('IMAGE_ATTRIBUTES', 'SUN_AZIMUTH');
  const proj = need('PROJECTION_ATTRIBUTES', 'MAP_PROJECTION');
  let epsg: number;
  if (proj === 'UTM') {
    const zone = num('PROJECTION_ATTRIBUTES', 'UTM_ZONE');
    if (!Number.isInteger(zone) || zone < 1 || zone > 60) throw corruptFile(file, `UTM_ZONE ${zone} is outside 1..60`);
    epsg = 32600 + zone; // Collection 2 uses northern-hemisphere UTM zones, negative northings in the south
  } else if (proj === 'PS') {
    epsg = 3031;
  } else throw corruptFile(file, `MAP_PROJECTION '${proj}' (expected UTM or PS)`);
  const crs = { epsg };
  const ulx = num('PROJECTION_ATTRIBUTES', 'CORNER_UL_PROJECTION_X_PRODUCT');
  const uly = num('PROJECTION_ATTRIBUTES', 'CORNER_UL_PROJECTION_Y_PRODUCT');
  const grid = (kind: 'REFLECTIVE' | 'THERMAL' | 'PANCHROMATIC'): { width: number; height: number; transform: GeoTransform } | null => {
    const cell = opt('PROJECTION_ATTRIBUTES', `GRID_CELL_SIZE_${kind}`);
    const w = opt('PROJECTION_ATTRIBUTES', `${kind}_SAMPLES`);
    const h = opt('PROJECTION_ATTRIBUTES', `${kind}_LINES`);
    if (cell === undefined || w === undefined || h === undefined) return null;
    if (!(cell > 0) || !Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || w * h > 2 ** 31)
      throw corruptFile(file, `${kind} grid ${w}x${h} at ${cell} m is invalid`);
    return { width: w, height: h, transform: [ulx - cell / 2, cell, 0, uly + cell / 2, 0, -cell] };
  };
  const l2 = /^L2/.test(level);
  const sinE = Math.sin((sunElevation * Math.PI) / 180);
  const bands: ProductBand[] = [];
  const thermal: LandsatThermalConstants[] = [];
  const files = new Map<string, string>();
  for (let n = 1; n <= 11; n++) {
    const info = OLI_TIRS[n]!;
    const isThermal = info.grid === 'THERMAL';
    const key = l2 ? (isThermal ? `FILE_NAME_BAND_ST_B${n}` : `FILE_NAME_BAND_${n}`) : `FILE_NAME_BAND_${n}`;
    const fname = mtlValue(root, 'PRODUCT_CONTENTS', key);
    if (!fname) continue;
    if (basename(fname) !== fname) throw corruptFile(file, `${key} '${fname}' is not a plain file name`);
    const g = grid(info.grid) ?? grid('REFLECTIVE');
    if (!g) throw corruptFile(file, 'missing REFLECTIVE_SAMPLES/LINES and GRID_CELL_SIZE_REFLECTIVE in PROJECTION_ATTRIBUTES');
    const name = l2 ? (isThermal ? `ST_B${n}` : `SR_B${n}`) : `B${n}`;
    let scale: number | undefined;
    let offset: number | undefined;
    if (l2 && !isThermal) {
      scale = num('LEVEL2_SURFACE_REFLECTANCE_PARAMETERS', `REFLECTANCE_MULT_BAND_${n}`);
      offset = num('LEVEL2_SURFACE_REFLECTANCE_PARAMETERS', `REFLECTANCE_ADD_BAND_${n}`);
    } else if (l2) {
      scale = num('LEVEL2_SURFACE_TEMPERATURE_PARAMETERS', `TEMPERATURE_MULT_BAND_ST_B${n}`);
      offset = num('LEVEL2_SURFACE_TEMPERATURE_PARAMETERS', `TEMPERATURE_ADD_BAND_ST_B${n}`);
    } else if (!isThermal) {
      scale = num('LEVEL1_RADIOMETRIC_RESCALING', `REFLECTANCE_MULT_BAND_${n}`) / sinE;
      offset = num('LEVEL1_RADIOMETRIC_RESCALING', `REFLECTANCE_ADD_BAND_${n}`) / sinE;
    } else {
      scale = num('LEVEL1_RADIOMETRIC_RESCALING', `RADIANCE_MULT_BAND_${n}`);
      offset = num('LEVEL1_RADIOMETRIC_RESCALING', `RADIANCE_ADD_BAND_${n}`);
    }
    if (isThermal) {
      const k1 = opt('LEVEL1_THERMAL_CONSTANTS', `K1_CONSTANT_BAND_${n}`);
      const k2 = opt('LEVEL1_THERMAL_CONSTANTS', `K2_CONSTANT_BAND_${n}`);
      if (k1 !== undefined && k2 !== undefined) {
        const t: LandsatThermalConstants = { band: name, k1, k2 };
        const rm = opt('LEVEL1_RADIOMETRIC_RESCALING', `RADIANCE_MULT_BAND_${n}`);
        const ra = opt('LEVEL1_RADIOMETRIC_RESCALING', `RADIANCE_ADD_BAND_${n}`);
        if (rm !== undefined) t.radianceMult = rm;
        if (ra !== undefined) t.radianceAdd = ra;
        thermal.push(t);
      }
    }
    files.set(name, join(dir, fname));
    bands.push({
      name,
      commonName: info.common,
      centerWavelength: info.wl,
      gsd: g.transform[1],
      width: g.width,
      height: g.height,
      transform: g.transform,
      crs,
      href: join(dir, fname),
      scale,
      offset,
      nodata: 0,
    });
  }
  if (bands.length === 0) throw corruptFile(file, 'no FILE_NAME_BAND_* entries in GROUP PRODUCT_CONTENTS');
  const masks: ProductMask[] = [];
  for (const [key, name] of [
    ['FILE_NAME_QUALITY_L1_PIXEL', 'qa_pixel'],
    ['FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION', 'qa_radsat'],
    ['FILE_NAME_QUALITY_L2_AEROSOL', 'qa_aerosol'],
  ] as const) {
    const f = mtlValue(root, 'PRODUCT_CONTENTS', key);
    if (f && basename(f) === f) {
      files.set(name, join(dir, f));
      masks.push({ name, href: join(dir, f), kind: name === 'qa_pixel' ? 'cloud' : 'qa' });
    }
  }
  const ref = grid('REFLECTIVE') ?? { width: bands[0]!.width, height: bands[0]!.height, transform: bands[0]!.transform! };
  const footprint = footprintOrNull(ref.width, ref.height, ref.transform, crs);
  const metadata: ProductMetadata = {
    sensor: sm[1] === '8' ? 'landsat-8' : 'landsat-9',
    productId,
    platform: `landsat-${sm[1]}`,
    instrument: 'oli+tirs',
    datetime: dt.toISOString(),
    processingLevel: level,
    tileId: `${String(wrsPath).padStart(3, '0')}${String(wrsRow).padStart(3, '0')}`,
    sun: { zenith: 90 - sunElevation, azimuth: sunAzimuth },
    epsg,
    footprint,
  };
  const cc = opt('IMAGE_ATTRIBUTES', 'CLOUD_COVER');
  if (cc !== undefined && cc >= 0) metadata.cloudCover = cc;
  const landsat: LandsatDetails = {
    collection: opt('PRODUCT_CONTENTS', 'COLLECTION_NUMBER') ?? 2,
    category: mtlValue(root, 'PRODUCT_CONTENTS', 'COLLECTION_CATEGORY') ?? '',
    wrsPath,
    wrsRow,
    sunElevation,
    thermal,
  };
  const esd = opt('IMAGE_ATTRIBUTES', 'EARTH_SUN_DISTANCE');
  if (esd !== undefined) landsat.earthSunDistance = esd;
  const ccl = opt('IMAGE_ATTRIBUTES', 'CLOUD_COVER_LAND');
  if (ccl !== undefined) landsat.cloudCoverLand = ccl;

  const read = async (name: string, kind: string, o: Parameters<Product['readBand']>[1] = {}) => {
    const href = files.get(name);
    if (!href)
      throw invalidInput(`${kind} '${name}' is not in ${productId} (have: ${[...files.keys()].join(', ')})`, { [kind]: name });
    const band = bands.find((b) => b.name === name);
    const expect = band && { width: band.width, height: band.height, file: href, declaredBy: 'the MTL' };
    const ras = await readFirstBand(await openGeoTiff(href, o.signal ? { signal: o.signal } : {}), o, expect);
    const full = { x0: 0, y0: 0, width: ras.width, height: ras.height };
    const fallback = band?.transform && !o.overview ? windowTransform(band.transform, o.window ?? full) : null;
    return {
      ...ras,
      transform: ras.transform ?? fallback,
      crs: ras.crs ?? crs,
      nodata: ras.nodata ?? 0,
      bandNames: [name],
    };
  };
  return {
    metadata,
    bands,
    masks,
    landsat,
    readBand: (name, o) => read(name, 'band', o),
    readMask: (name, o) => read(name, 'mask', o),
    toStacItem() {
      const item = buildStacItem(metadata, bands, masks, { collection: `landsat-c2-${l2 ? 'l2' : 'l1'}` });
      item.properties['instruments'] = ['oli', 'tirs'];
      item.properties['landsat:wrs_path'] = String(wrsPath).padStart(3, '0');
      item.properties['landsat:wrs_row'] = String(wrsRow).padStart(3, '0');
      item.properties['landsat:collection_category'] = landsat.category;
      return item;
    },
    async close() {},
  };
}
