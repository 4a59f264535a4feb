/**
 * DIMAP V2 (Pléiades, SPOT 6/7) product metadata: DIM_*.XML to a typed record.
 * Elements read (Airbus DS "Pléiades Imagery User Guide", DIMAP V2 appendix):
 * - Dataset_Identification/DATASET_NAME; Product_Information/.../PROCESSING_LEVEL;
 * - Dataset_Sources/Source_Identification/Strip_Source: MISSION, MISSION_INDEX, INSTRUMENT, INSTRUMENT_INDEX,
 *   IMAGING_DATE, IMAGING_TIME;
 * - Raster_Data: Raster_Dimensions (NCOLS, NROWS, NBANDS, Tile_Set), Raster_Encoding (NBITS, SIGN),
 *   Data_Access/Data_Files/Data_File (tile_R, tile_C, DATA_FILE_PATH href), Special_Value NODATA;
 * - Radiometric_Data/.../Band_Measurement_List: Band_Spectral_Range (BAND_ID, MIN, MAX in µm; file band order),
 *   Band_Radiance (GAIN, BIAS: radiance L = DN / GAIN + BIAS);
 * - Geometric_Data/Use_Area/Located_Geometric_Values (the 'Center' one): TIME, Acquisition_Angles
 *   (INCIDENCE_ANGLE, AZIMUTH_ANGLE), Solar_Incidences (SUN_AZIMUTH, SUN_ELEVATION), Ground_Sample_Distance;
 * - Geoposition/.../Rational_Function_Model/Component/COMPONENT_PATH href (the RPC file);
 * - Dataset_Content/Dataset_Extent/Vertex (LON, LAT): the footprint.
 */
import { corruptFile } from '../../core/errors.ts';
import { at, attr, child, children, findAll, findFirst, numberAt, optionalNumberAt, parseXml, requireTextAt, text, textAt } from '../xml.ts';
import type { XmlValue } from '../xml.ts';

export interface DimapFile {
  path: string;
  /** 1-based tile row / column (R1C1 for untiled products). */
  tileRow: number;
  tileCol: number;
}

export interface DimapInfo {
  datasetName: string;
  mission?: string;
  missionIndex?: string;
  instrument?: string;
  instrumentIndex?: string;
  /** ISO 8601 UTC acquisition time (centre of the scene when known). */
  datetime: string;
  processingLevel?: string;
  width: number;
  height: number;
  bandCount: number;
  nbits?: number;
  /** Tile size when the image is split into several files. */
  tileWidth?: number;
  tileHeight?: number;
  files: DimapFile[];
  /** Band ids in file order: 'P', 'B0'..'B3' ... */
  bandIds: string[];
  radiance: Record<string, { gain: number; bias: number }>;
  spectral: Record<string, { min: number; max: number }>;
  sun?: { azimuth: number; elevation: number };
  view?: { incidence: number; azimuth: number };
  gsd?: number;
  rpcPath?: string;
  footprint?: [number, number][];
  nodata?: number;
}

/** ISO 8601 with 'Z' from a DIMAP time ('2013-08-05T10:42:19.4Z', '2013-08-05T10:42:19.4', or date + time). */
function isoTime(s: string, file: string): string {
  const t = s.trim();
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);
  if (Number.isNaN(d.getTime()))
    throw corruptFile(file, `acquisition time '${t.slice(0, 40)}' is not an ISO 8601 time`);
  return d.toISOString();
}

function centreValues(root: XmlValue): XmlValue | undefined {
  const all = findAll(at(root, 'Geometric_Data'), 'Located_Geometric_Values');
  return all.find((n) => /center|centre/i.test(textAt(n, 'LOCATION_TYPE') ?? '')) ?? all[Math.floor(all.length / 2)];
}

/** Parses a DIM_*.XML document; GEP_ERR_CORRUPT_FILE naming `name` and the element when required parts are missing. */
export function parseDimapXml(xml: string, name: string): DimapInfo {
  const doc = parseXml(xml, name);
  const root = child(doc, 'Dimap_Document') ?? child(doc, 'PHR_Dimap_Document');
  if (!root) throw corruptFile(name, 'not a DIMAP document (no Dimap_Document root)');
  const datasetName = requireTextAt(root, 'Dataset_Identification/DATASET_NAME', name);
  const dims = findFirst(root, 'Raster_Dimensions');
  if (!dims) throw corruptFile(name, 'missing required element <Raster_Dimensions>', { element: 'Raster_Dimensions' });
  const width = numberAt(dims, 'NCOLS', name);
  const height = numberAt(dims, 'NROWS', name);
  const bandCount = numberAt(dims, 'NBANDS', name);
  for (const [k, v] of [
    ['NCOLS', width],
    ['NROWS', height],
    ['NBANDS', bandCount],
  ] as const)
    if (!Number.isInteger(v) || v <= 0 || v > 1e6)
      throw corruptFile(name, `Raster_Dimensions/${k} must be a positive integer, got ${v}`);

  const strip = findFirst(root, 'Strip_Source');
  const centre = centreValues(root);
  let datetime: string | undefined;
  const ct = textAt(centre, 'TIME');
  if (ct) datetime = isoTime(ct, name);
  else {
    const date = textAt(strip, 'IMAGING_DATE');
    if (date) datetime = isoTime(`${date}T${textAt(strip, 'IMAGING_TIME') ?? '00:00:00'}`, name);
  }
  if (!datetime)
    throw corruptFile(name, 'no acquisition time (Located_Geometric_Values/TIME or Strip_Source/IMAGING_DATE)');

  const files: DimapFile[] = [];
  for (const f of findAll(findFirst(root, 'Data_Access'), 'Data_File')) {
    const p = child(f, 'DATA_FILE_PATH');
    const href = attr(p, 'href') ?? text(p);
    if (!href) continue;
    if (/(^|[\\/])\.\.([\\/]|$)/.test(href) || /^([a-z]+:|[\\/])/i.test(href))
      throw corruptFile(name, `DATA_FILE_PATH '${href}' must be a relative path inside the product`);
    files.push({ path: href, tileRow: Number(attr(f, 'tile_R') ?? 1), tileCol: Number(attr(f, 'tile_C') ?? 1) });
  }
  if (files.length === 0) throw corruptFile(name, 'no Data_Access/Data_File/DATA_FILE_PATH');

  const radiance: DimapInfo['radiance'] = {};
  const spectral: DimapInfo['spectral'] = {};
  const order: string[] = [];
  const bml = findFirst(root, 'Band_Measurement_List');
  for (const s of children(bml, 'Band_Spectral_Range')) {
    const id = textAt(s, 'BAND_ID');
    if (!id) continue;
    if (!order.includes(id)) order.push(id);
    const min = optionalNumberAt(s, 'MIN');
    const max = optionalNumberAt(s, 'MAX');
    if (min !== undefined && max !== undefined) spectral[id] = { min, max };
  }
  for (const r of children(bml, 'Band_Radiance')) {
    const id = textAt(r, 'BAND_ID');
    const gain = optionalNumberAt(r, 'GAIN');
    if (!id || gain === undefined || gain === 0) continue;
    if (!order.includes(id)) order.push(id);
    radiance[id] = { gain, bias: optionalNumberAt(r, 'BIAS') ?? 0 };
  }
  const bandIds = order.length === bandCount ? order : Array.from({ length: bandCount }, (_, i) => (bandCount === 1 ? 'P' : `B${i}`));

  const info: DimapInfo = { datasetName, datetime, width, height, bandCount, files, bandIds, radiance, spectral };
  const set = <K extends keyof DimapInfo>(k: K, v: DimapInfo[K] | undefined): void => {
    if (v !== undefined) info[k] = v;
  };
  set('mission', textAt(strip, 'MISSION'));
  set('missionIndex', textAt(strip, 'MISSION_INDEX'));
  set('instrument', textAt(strip, 'INSTRUMENT'));
  set('instrumentIndex', textAt(strip, 'INSTRUMENT_INDEX'));
  set('processingLevel', text(findFirst(root, 'PROCESSING_LEVEL')) || undefined);
  set('nbits', optionalNumberAt(findFirst(root, 'Raster_Encoding'), 'NBITS') ?? optionalNumberAt(dims, 'NBITS'));
  const tiles = findFirst(dims, 'NTILES_SIZE');
  if (tiles && files.length > 1) {
    set('tileWidth', Number(attr(tiles, 'ncols')));
    set('tileHeight', Number(attr(tiles, 'nrows')));
  }
  const sunAz = optionalNumberAt(centre, 'Solar_Incidences/SUN_AZIMUTH');
  const sunEl = optionalNumberAt(centre, 'Solar_Incidences/SUN_ELEVATION');
  if (sunAz !== undefined && sunEl !== undefined) info.sun = { azimuth: sunAz, elevation: sunEl };
  const inc = optionalNumberAt(centre, 'Acquisition_Angles/INCIDENCE_ANGLE');
  const az = optionalNumberAt(centre, 'Acquisition_Angles/AZIMUTH_ANGLE');
  if (inc !== undefined && az !== undefined) info.view = { incidence: inc, azimuth: az };
  const gAcross = optionalNumberAt(centre, 'Ground_Sample_Distance/GSD_ACROSS_TRACK');
  const gAlong = optionalNumberAt(centre, 'Ground_Sample_Distance/GSD_ALONG_TRACK');
  if (gAcross !== undefined && gAlong !== undefined) info.gsd = (gAcross + gAlong) / 2;
  for (const comp of findAll(findFirst(root, 'Geoposition_Models'), 'COMPONENT_PATH')) {
    const href = attr(comp, 'href') ?? text(comp);
    if (/RPC_.*\.XML$/i.test(href)) info.rpcPath = href;
  }
  const verts = children(at(root, 'Dataset_Content/Dataset_Extent'), 'Vertex')
    .map((v) => [optionalNumberAt(v, 'LON'), optionalNumberAt(v, 'LAT')])
    .filter((p): p is [number, number] => p[0] !== undefined && p[1] !== undefined);
  if (verts.length >= 3) info.footprint = verts;
  for (const sv of findAll(findFirst(root, 'Raster_Display'), 'Special_Value'))
    if (/nodata/i.test(textAt(sv, 'SPECIAL_VALUE_TEXT') ?? '')) set('nodata', optionalNumberAt(sv, 'SPECIAL_VALUE_COUNT'));
  return info;
}
