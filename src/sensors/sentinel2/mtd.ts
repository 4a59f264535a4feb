/**
 * Sentinel-2 metadata files (ESA PSD S2-PDGS-TAS-DI-PSD v14.x): the product file MTD_MSIL1C.xml / MTD_MSIL2A.xml
 * and the tile file GRANULE/<granule>/MTD_TL.xml, turned into typed records.
 *
 * Radiometry (PSD 14.9 §): L1C TOA reflectance = (DN + RADIO_ADD_OFFSET) / QUANTIFICATION_VALUE; L2A BOA reflectance
 * = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE. Offsets exist from processing baseline 04.00 (-1000); before,
 * they are 0. Angles in degrees; zenith from vertical, azimuth clockwise from north.
 */
import { corruptFile } from '../../core/errors.ts';
import type { GeoTransform } from '../../raster/types.ts';
import type { AngleStats } from '../types.ts';
import type { XmlNode, XmlValue } from '../xml.ts';
import { attr, findAll, findFirst, optionalNumber, parseXml, requireNumber, requireText, text } from '../xml.ts';

export interface S2ProductMtd {
  level: 'L1C' | 'L2A';
  /** ISO 8601 UTC (PRODUCT_START_TIME). */
  startTime: string;
  spacecraft: string;
  baseline: string;
  relativeOrbit?: number;
  cloudCover?: number;
  quantification: number;
  /** Additive DN offset per ESA band_id (0 = B01 ... 12 = B12). */
  offsets: Map<number, number>;
  productUri?: string;
}

export interface S2Grid {
  resolution: number;
  width: number;
  height: number;
  transform: GeoTransform;
}

/** An angle grid on the tile: point (i, j) at (ULX + j*colStep, ULY - i*rowStep); NaN where ESA writes NaN. */
export interface AngleGrid {
  rows: number;
  cols: number;
  colStep: number;
  rowStep: number;
  zenith: Float32Array;
  azimuth: Float32Array;
}

export interface S2TileMtd {
  tileId: string;
  epsg: number;
  grids: S2Grid[];
  sensingTime?: string;
  sun: AngleStats;
  sunGrid: AngleGrid | null;
  /** Mean viewing incidence angles over all bands (azimuth as a circular mean). */
  view?: AngleStats;
  viewPerBand: Map<number, AngleStats>;
  cloudyPixelPercentage?: number;
}

export function isoTime(s: string, file: string, element: string): string {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw corruptFile(file, `element <${element}> is not a date: '${s.slice(0, 40)}'`);
  return d.toISOString();
}

const MAX_ANGLE_GRID = 1000;

export function parseProductMtd(xml: Uint8Array | string, file: string): S2ProductMtd {
  const doc = parseXml(xml, file);
  const root = Object.keys(doc).find((k) => !k.startsWith('?')) ?? '';
  const type = text(findFirst(doc, 'PRODUCT_TYPE'));
  const levelText = text(findFirst(doc, 'PROCESSING_LEVEL'));
  const level: 'L1C' | 'L2A' | null =
    /1C/.test(root) || /1C/.test(type) || /1C/.test(levelText)
      ? 'L1C'
      : /2A/.test(root) || /2A/.test(type) || /2A/.test(levelText)
        ? 'L2A'
        : null;
  if (!level) throw corruptFile(file, 'not a Level-1C or Level-2A product metadata file (PRODUCT_TYPE)', { element: 'PRODUCT_TYPE' });
  const startTime = isoTime(requireText(doc, 'PRODUCT_START_TIME', file), file, 'PRODUCT_START_TIME');
  const spacecraft = requireText(doc, 'SPACECRAFT_NAME', file);
  const baseline = requireText(doc, 'PROCESSING_BASELINE', file);
  const quantification =
    level === 'L1C'
      ? requireNumber(doc, 'QUANTIFICATION_VALUE', file)
      : (optionalNumber(doc, 'BOA_QUANTIFICATION_VALUE') ?? requireNumber(doc, 'QUANTIFICATION_VALUE', file));
  if (!(quantification > 0)) throw corruptFile(file, `quantification value ${quantification} must be positive`);
  const offsets = new Map<number, number>();
  for (const el of findAll(doc, level === 'L1C' ? 'RADIO_ADD_OFFSET' : 'BOA_ADD_OFFSET')) {
    const id = Number(attr(el, 'band_id'));
    const v = Number(text(el));
    if (Number.isInteger(id) && Number.isFinite(v)) offsets.set(id, v);
  }
  const out: S2ProductMtd = { level, startTime, spacecraft, baseline, quantification, offsets };
  const orbit = optionalNumber(doc, 'SENSING_ORBIT_NUMBER');
  if (orbit !== undefined) out.relativeOrbit = orbit;
  const cc = optionalNumber(doc, 'Cloud_Coverage_Assessment');
  if (cc !== undefined) out.cloudCover = cc;
  const uri = text(findFirst(doc, 'PRODUCT_URI')).trim();
  if (uri) out.productUri = uri;
  return out;
}

function angleStats(node: XmlValue | undefined, file: string, what: string): AngleStats {
  const where = `${file} (${what})`;
  return { zenith: requireNumber(node, 'ZENITH_ANGLE', where), azimuth: requireNumber(node, 'AZIMUTH_ANGLE', where) };
}

function parseValues(list: XmlValue | undefined, file: string): { rows: number; cols: number; values: Float32Array } | null {
  const rows = findAll(list, 'VALUES').map((v) => text(v).trim().split(/\s+/));
  if (rows.length === 0) return null;
  const cols = rows[0]!.length;
  if (rows.length > MAX_ANGLE_GRID || cols > MAX_ANGLE_GRID) throw corruptFile(file, `angle grid of ${rows.length}x${cols} is too large`);
  const values = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw corruptFile(file, `angle grid row ${i} has ${r.length} values, expected ${cols}`);
    for (let j = 0; j < cols; j++) values[i * cols + j] = Number(r[j]);
  });
  return { rows: rows.length, cols, values };
}

export function parseTileMtd(xml: Uint8Array | string, file: string): S2TileMtd {
  const doc = parseXml(xml, file);
  const tileIdText = requireText(doc, 'TILE_ID', file);
  const tm = /_T(\d{2}[A-Z]{3})_/.exec(tileIdText) ?? /^T?(\d{2}[A-Z]{3})$/.exec(tileIdText);
  if (!tm) throw corruptFile(file, `TILE_ID '${tileIdText.slice(0, 80)}' names no MGRS tile`, { element: 'TILE_ID' });
  const csCode = requireText(doc, 'HORIZONTAL_CS_CODE', file);
  const em = /EPSG:(\d+)/i.exec(csCode);
  if (!em) throw corruptFile(file, `HORIZONTAL_CS_CODE '${csCode}' is not an EPSG code`, { element: 'HORIZONTAL_CS_CODE' });
  const geocoding = findFirst(doc, 'Tile_Geocoding');
  if (!geocoding) throw corruptFile(file, 'missing required element <Tile_Geocoding>', { element: 'Tile_Geocoding' });
  const sizes = findAll(geocoding, 'Size');
  const positions = findAll(geocoding, 'Geoposition');
  const grids: S2Grid[] = [];
  for (const s of sizes) {
    const res = Number(attr(s, 'resolution'));
    const pos = positions.find((p) => Number(attr(p, 'resolution')) === res);
    if (!pos) throw corruptFile(file, `no <Geoposition resolution="${res}"> for <Size resolution="${res}">`, { element: 'Geoposition' });
    const width = requireNumber(s, 'NCOLS', file);
    const height = requireNumber(s, 'NROWS', file);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > 2 ** 31)
      throw corruptFile(file, `grid size ${width}x${height} at ${res} m is invalid`);
    const ulx = requireNumber(pos, 'ULX', file);
    const uly = requireNumber(pos, 'ULY', file);
    const xdim = requireNumber(pos, 'XDIM', file);
    const ydim = requireNumber(pos, 'YDIM', file);
    grids.push({ resolution: res, width, height, transform: [ulx, xdim, 0, uly, 0, ydim] });
  }
  if (grids.length === 0) throw corruptFile(file, 'missing required element <Size>', { element: 'Size' });
  const sunMean = findFirst(doc, 'Mean_Sun_Angle');
  if (!sunMean) throw corruptFile(file, 'missing required element <Mean_Sun_Angle>', { element: 'Mean_Sun_Angle' });
  const out: S2TileMtd = {
    tileId: tm[1]!,
    epsg: Number(em[1]),
    grids: grids.sort((a, b) => a.resolution - b.resolution),
    sun: angleStats(sunMean, file, 'Mean_Sun_Angle'),
    sunGrid: null,
    viewPerBand: new Map(),
  };
  const st = text(findFirst(doc, 'SENSING_TIME')).trim();
  if (st) out.sensingTime = isoTime(st, file, 'SENSING_TIME');
  const sg = findFirst(doc, 'Sun_Angles_Grid') as XmlNode | undefined;
  if (sg && typeof sg === 'object') {
    const z = findFirst(sg, 'Zenith');
    const a = findFirst(sg, 'Azimuth');
    const zv = parseValues(findFirst(z, 'Values_List'), file);
    const av = parseValues(findFirst(a, 'Values_List'), file);
    if (zv && av && zv.rows === av.rows && zv.cols === av.cols)
      out.sunGrid = {
        rows: zv.rows,
        cols: zv.cols,
        colStep: optionalNumber(z, 'COL_STEP') ?? 5000,
        rowStep: optionalNumber(z, 'ROW_STEP') ?? 5000,
        zenith: zv.values,
        azimuth: av.values,
      };
  }
  let zs = 0;
  let sx = 0;
  let sy = 0;
  for (const v of findAll(doc, 'Mean_Viewing_Incidence_Angle')) {
    const id = Number(attr(v, 'bandId'));
    const z = optionalNumber(v, 'ZENITH_ANGLE');
    const az = optionalNumber(v, 'AZIMUTH_ANGLE');
    if (!Number.isInteger(id) || z === undefined || az === undefined) continue;
    out.viewPerBand.set(id, { zenith: z, azimuth: az });
    zs += z;
    sx += Math.sin((az * Math.PI) / 180);
    sy += Math.cos((az * Math.PI) / 180);
  }
  const n = out.viewPerBand.size;
  if (n > 0) {
    const az = (Math.atan2(sx, sy) * 180) / Math.PI;
    out.view = { zenith: zs / n, azimuth: az < 0 ? az + 360 : az };
  }
  const cloudy = optionalNumber(doc, 'CLOUDY_PIXEL_PERCENTAGE');
  if (cloudy !== undefined) out.cloudyPixelPercentage = cloudy;
  return out;
}
