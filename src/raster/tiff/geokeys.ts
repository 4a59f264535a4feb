/**
 * GeoTIFF georeferencing (OGC GeoTIFF 1.1, OGC 19-008r4): GeoKeyDirectory -> Crs, and the model tags
 * (ModelPixelScale + ModelTiepoint, or ModelTransformation) -> GDAL-order GeoTransform.
 * Raster space is pixel-is-area with (0,0) at the top-left corner of the first pixel; for PixelIsPoint files
 * the origin is moved up-left by half a pixel, as GDAL does by default (GTIFF_POINT_GEO_IGNORE=NO).
 */
import type { Crs, GeoTransform } from '../types.ts';
import { GEOKEY, MODEL_TYPE, RASTER_TYPE, TAG, USER_DEFINED } from './tags.ts';
import { tagNumbers, tagString, type Ifd } from './ifd.ts';
import { proj4FromGeoKeys } from './geokeys-proj4.ts';

export type GeoKeyValue = number | number[] | string;

/** Decodes the GeoKeyDirectory into key id -> value (SHORT inline, DOUBLEs or ASCII from the param tags). */
export function readGeoKeys(ifd: Ifd): Map<number, GeoKeyValue> {
  const keys = new Map<number, GeoKeyValue>();
  const dir = tagNumbers(ifd, TAG.GeoKeyDirectory);
  if (!dir || dir.length < 4) return keys;
  const doubles = tagNumbers(ifd, TAG.GeoDoubleParams) ?? [];
  const ascii = tagString(ifd, TAG.GeoAsciiParams) ?? '';
  const n = Math.min(dir[3]!, Math.floor((dir.length - 4) / 4));
  for (let i = 0; i < n; i++) {
    const [id, loc, count, val] = dir.slice(4 + 4 * i, 8 + 4 * i) as [number, number, number, number];
    if (loc === 0) keys.set(id, val);
    else if (loc === TAG.GeoDoubleParams) {
      const v = doubles.slice(val, val + count);
      if (v.length === count) keys.set(id, count === 1 ? v[0]! : v);
    } else if (loc === TAG.GeoAsciiParams) {
      // ASCII params use '|' as the terminator of each string (GeoTIFF 1.1 §7.1.4); our tag reader turned NULs into '\n'.
      let s = ascii.slice(val, val + count);
      s = s.replace(/[|\n]+$/, '').replace(/\|/g, '\n');
      keys.set(id, s);
    } else if (loc === TAG.GeoKeyDirectory) {
      const v = dir.slice(val, val + count);
      if (v.length === count) keys.set(id, count === 1 ? v[0]! : v);
    }
  }
  return keys;
}

const num = (v: GeoKeyValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: GeoKeyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Geographic CRSs commonly written as user-defined GeographicType with a datum code, mapped to EPSG. */
const DATUM_TO_GEOGCS: Record<number, number> = { 6326: 4326, 6269: 4269, 6267: 4267, 6258: 4258, 6322: 4322 };
const GEOG_TYPE_KEY_DATUM = 2050; // GeogGeodeticDatumGeoKey

/**
 * Crs from GeoKeys: EPSG from ProjectedCSType / GeographicType when it is a registered code (1..32766);
 * a user-defined CRS gets a proj4 string built from its GeoKeys when possible (geokeys-proj4.ts), `wkt` when a
 * citation is WKT, and otherwise the citation text in `wkt` so that nothing is lost. null without GeoKeys.
 */
export function crsFromGeoKeys(keys: Map<number, GeoKeyValue>): Crs | null {
  if (keys.size === 0) return null;
  const model = num(keys.get(GEOKEY.GTModelType));
  const pcs = num(keys.get(GEOKEY.ProjectedCSType));
  const gcs = num(keys.get(GEOKEY.GeographicType));
  const citations = [GEOKEY.PCSCitation, GEOKEY.GTCitation, GEOKEY.GeogCitation]
    .map((k) => str(keys.get(k)))
    .filter((s): s is string => !!s);
  const crs: Crs = {};
  if (pcs !== undefined && pcs > 0 && pcs < USER_DEFINED && model !== MODEL_TYPE.GEOGRAPHIC) crs.epsg = pcs;
  else if (gcs !== undefined && gcs > 0 && gcs < USER_DEFINED && model !== MODEL_TYPE.PROJECTED) crs.epsg = gcs;
  else if (model === MODEL_TYPE.GEOGRAPHIC && gcs === USER_DEFINED) {
    const datum = num(keys.get(GEOG_TYPE_KEY_DATUM));
    if (datum !== undefined && DATUM_TO_GEOGCS[datum] !== undefined) crs.epsg = DATUM_TO_GEOGCS[datum];
  }
  if (crs.epsg === undefined) {
    const p4 = proj4FromGeoKeys(keys);
    if (p4) crs.proj4 = p4;
    // ESRI software writes its WKT ("PE string") as a citation.
    const wktLike = citations
      .map((c) => c.replace(/^\s*ESRI PE String\s*=\s*/i, ''))
      .find((c) => /^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|COMPD_CS|COMPOUNDCRS)\[/i.test(c));
    if (wktLike) crs.wkt = wktLike;
    else if (!p4 && citations.length) crs.wkt = citations.join('\n'); // not WKT: kept so that nothing is lost
    if (!crs.wkt && !crs.proj4) return null;
  }
  return crs;
}

/** Whether the file says its raster space is PixelIsPoint. */
export function isPixelIsPoint(keys: Map<number, GeoKeyValue>): boolean {
  return num(keys.get(GEOKEY.GTRasterType)) === RASTER_TYPE.PIXEL_IS_POINT;
}

/**
 * GeoTransform from the model tags; null when the image is not georeferenced (or only has GCPs).
 * PixelIsPoint shifts the origin by half a pixel up-left (GDAL convention).
 */
export function transformFromTags(ifd: Ifd, pixelIsPoint: boolean): GeoTransform | null {
  const scale = tagNumbers(ifd, TAG.ModelPixelScale);
  const tie = tagNumbers(ifd, TAG.ModelTiepoint);
  const mat = tagNumbers(ifd, TAG.ModelTransformation);
  let t: GeoTransform | null = null;
  if (mat && mat.length >= 16) {
    t = [mat[3]!, mat[0]!, mat[1]!, mat[7]!, mat[4]!, mat[5]!];
  } else if (scale && scale.length >= 2 && tie && tie.length >= 6) {
    const [i, j, , x, y] = tie as [number, number, number, number, number];
    const sx = scale[0]!;
    const sy = scale[1]!;
    t = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  }
  if (!t || !t.every(Number.isFinite)) return null;
  if (t[1] * t[5] - t[2] * t[4] === 0) return null;
  if (pixelIsPoint) {
    t[0] -= 0.5 * t[1] + 0.5 * t[2];
    t[3] -= 0.5 * t[4] + 0.5 * t[5];
  }
  return t;
}
