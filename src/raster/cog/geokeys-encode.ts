/**
 * GeoTIFF georeferencing tags from a GeoTransform and a Crs.
 *
 * References: OGC GeoTIFF 1.1 (OGC 19-008r4): §7.1 GeoKeyDirectoryTag layout (header 1,1,0,N then
 * [keyId, tiffTagLocation, count, valueOffset] per key, sorted by keyId; ASCII values '|'-terminated in
 * GeoAsciiParamsTag), §7.4.5 ModelPixelScale + ModelTiepoint for axis-aligned rasters, ModelTransformation for
 * the general affine case. Raster space is PixelIsArea, matching the Raster convention (the transform maps the
 * top-left corner of a pixel).
 *
 * CRS decision: an EPSG code is projected or geographic according to (1) the root keyword of the WKT when one is
 * given, (2) proj4's definition of `EPSG:<code>` (`projName === 'longlat'` is geographic), (3) UTM/WGS 84 codes
 * by arithmetic, (4) the EPSG numbering convention (4000-4999 geographic 2D, everything else projected).
 * A Crs without an EPSG code (only WKT or proj4) is written as user-defined: a WKT of at most 2380 characters
 * goes, as ArcGIS does, into PCSCitationGeoKey as "ESRI PE String = <wkt>" with GTModelType user-defined (32767),
 * which GDAL parses back into the full CRS (its reader looks there for that model type, up to 2400 bytes);
 * a longer WKT or a bare proj4 string is kept only as GTCitation with user-defined keys, so GDAL reports an
 * engineering CRS named by that text without parameters (documented limitation).
 */
import proj4 from 'proj4';
import type { Crs, GeoTransform } from '../types.ts';
import { GEOKEY, MODEL_TYPE, RASTER_TYPE, TAG, USER_DEFINED } from '../tiff/tags.ts';
import { asciiTag, doubleTag, shortTag, type TagEntry } from './layout.ts';

/** EPSG unit codes (GeoTIFF 1.1 Annex C). */
const UNIT = { METRE: 9001, FOOT: 9002, US_FOOT: 9003, DEGREE: 9102 } as const;
const PROJ_LINEAR_UNITS = 3076;
/** Longest WKT that GDAL reads back from an "ESRI PE String" citation (2400-byte buffer, minus the prefix). */
const MAX_PE_STRING = 2380;

export interface ResolvedCrs {
  /** 'user': GTModelType 32767 with the WKT in PCSCitation ("ESRI PE String"). */
  kind: 'projected' | 'geographic' | 'user';
  /** EPSG code, or null when user-defined. */
  epsg: number | null;
  citation: string;
  /** EPSG linear (projected) unit code when known. */
  linearUnit: number | null;
}

/** Top-level EPSG authority of a WKT1 (`AUTHORITY["EPSG","32633"]` last) or WKT2 (`ID["EPSG",32633]`). */
export function epsgFromWkt(wkt: string): number | null {
  const re = /(?:AUTHORITY|ID)\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$/i;
  const m = re.exec(wkt.trim());
  return m ? Number(m[1]) : null;
}

function wktIsGeographic(wkt: string): boolean | null {
  const root = /^\s*([A-Z_0-9]+)\s*\[/i.exec(wkt)?.[1]?.toUpperCase();
  if (!root) return null;
  if (root.startsWith('GEOG') || root === 'GEODCRS' || root === 'GEODETICCRS') return true;
  if (root.startsWith('PROJ')) return false;
  return null;
}

/** EPSG code of a simple proj4 string: WGS 84 UTM zones and WGS 84 long/lat; null otherwise. */
export function epsgFromProj4(p: string): number | null {
  const get = (k: string): string | undefined => new RegExp(`\\+${k}=(\\S+)`).exec(p)?.[1];
  const wgs84 = get('datum') === 'WGS84' || get('ellps') === 'WGS84';
  if (!wgs84) return null;
  if (get('proj') === 'utm') {
    const zone = Number(get('zone'));
    if (!Number.isInteger(zone) || zone < 1 || zone > 60) return null;
    return (/\+south\b/.test(p) ? 32700 : 32600) + zone;
  }
  if (get('proj') === 'longlat' || get('proj') === 'latlong') return 4326;
  return null;
}

const isUtmWgs84 = (c: number): boolean => (c > 32600 && c <= 32660) || (c > 32700 && c <= 32760);

function proj4Def(code: number): { projName?: string; units?: string; title?: string } | undefined {
  try {
    return proj4.defs(`EPSG:${code}`) as { projName?: string; units?: string; title?: string } | undefined;
  } catch {
    return undefined;
  }
}

/** Decides how to encode `crs` (see the module comment for the rules). */
export function resolveCrs(crs: Crs): ResolvedCrs {
  const epsg = crs.epsg ?? (crs.wkt ? epsgFromWkt(crs.wkt) : null) ?? (crs.proj4 ? epsgFromProj4(crs.proj4) : null);
  const fromWkt = crs.wkt ? wktIsGeographic(crs.wkt) : null;
  if (epsg === null || epsg > 32766) {
    if (crs.wkt && crs.wkt.length <= MAX_PE_STRING)
      return { kind: 'user', epsg: null, citation: `ESRI PE String = ${crs.wkt}`, linearUnit: null };
    const geographic = fromWkt ?? (crs.proj4 ? /\+proj=(longlat|latlong)\b/.test(crs.proj4) : false);
    const citation = crs.wkt ?? crs.proj4 ?? (epsg !== null ? `EPSG:${epsg}` : 'unknown');
    return { kind: geographic ? 'geographic' : 'projected', epsg: null, citation, linearUnit: null };
  }
  const def = proj4Def(epsg);
  let geographic: boolean;
  if (fromWkt !== null) geographic = fromWkt;
  else if (def?.projName) geographic = def.projName === 'longlat';
  else if (isUtmWgs84(epsg)) geographic = false;
  else geographic = epsg >= 4000 && epsg < 5000;
  let citation = def?.title ?? `EPSG:${epsg}`;
  if (isUtmWgs84(epsg)) citation = `WGS 84 / UTM zone ${epsg % 100}${epsg < 32700 ? 'N' : 'S'}`;
  if (epsg === 4326) citation = 'WGS 84';
  let linearUnit: number | null = null;
  if (!geographic) {
    const units = def?.units ?? (isUtmWgs84(epsg) ? 'm' : undefined);
    if (units === 'm') linearUnit = UNIT.METRE;
    else if (units === 'us-ft') linearUnit = UNIT.US_FOOT;
    else if (units === 'ft') linearUnit = UNIT.FOOT;
  }
  return { kind: geographic ? 'geographic' : 'projected', epsg, citation, linearUnit };
}

interface GeoKey {
  id: number;
  short?: number;
  ascii?: string;
}

/** GeoKeyDirectory (+ GeoAsciiParams) tags for the keys given; no double-valued keys are written. */
function geoKeyTags(keys: GeoKey[]): TagEntry[] {
  const sorted = [...keys].sort((a, b) => a.id - b.id);
  const dir: number[] = [1, 1, 0, sorted.length];
  let ascii = '';
  for (const k of sorted) {
    if (k.ascii !== undefined) {
      const text = k.ascii.replace(/\|/g, '/') + '|';
      dir.push(k.id, TAG.GeoAsciiParams, text.length, ascii.length);
      ascii += text;
    } else dir.push(k.id, 0, 1, k.short ?? 0);
  }
  const out = [shortTag(TAG.GeoKeyDirectory, dir)];
  if (ascii) out.push(asciiTag(TAG.GeoAsciiParams, ascii));
  return out;
}

/** ModelPixelScale + ModelTiepoint for north-up transforms (no rotation, negative pixel height), else ModelTransformation. */
export function transformTags(t: GeoTransform): TagEntry[] {
  if (t[2] === 0 && t[4] === 0 && t[5] < 0) {
    return [doubleTag(TAG.ModelPixelScale, [t[1], -t[5], 0]), doubleTag(TAG.ModelTiepoint, [0, 0, 0, t[0], t[3], 0])];
  }
  // Row-major 4x4: X = t1*col + t2*row + t0, Y = t4*col + t5*row + t3, Z = 0.
  return [doubleTag(TAG.ModelTransformation, [t[1], t[2], 0, t[0], t[4], t[5], 0, t[3], 0, 0, 0, 0, 0, 0, 0, 1])];
}

/** All georeferencing tags of the full-resolution IFD (empty when neither transform nor CRS is known). */
export function geoTiffTags(transform: GeoTransform | null, crs: Crs | null): TagEntry[] {
  const out: TagEntry[] = transform ? transformTags(transform) : [];
  if (!crs && !transform) return out;
  const keys: GeoKey[] = [{ id: GEOKEY.GTRasterType, short: RASTER_TYPE.PIXEL_IS_AREA }];
  if (crs && (crs.epsg !== undefined || crs.wkt || crs.proj4)) {
    const r = resolveCrs(crs);
    if (r.kind === 'user') {
      keys.push({ id: GEOKEY.GTModelType, short: USER_DEFINED });
      keys.push({ id: GEOKEY.PCSCitation, ascii: r.citation });
    } else if (r.kind === 'projected') {
      keys.push({ id: GEOKEY.GTModelType, short: MODEL_TYPE.PROJECTED });
      keys.push({ id: GEOKEY.ProjectedCSType, short: r.epsg ?? USER_DEFINED });
      if (r.epsg !== null) keys.push({ id: GEOKEY.PCSCitation, ascii: r.citation });
      else keys.push({ id: GEOKEY.GTCitation, ascii: r.citation });
      if (r.linearUnit !== null) keys.push({ id: PROJ_LINEAR_UNITS, short: r.linearUnit });
    } else {
      keys.push({ id: GEOKEY.GTModelType, short: MODEL_TYPE.GEOGRAPHIC });
      keys.push({ id: GEOKEY.GeographicType, short: r.epsg ?? USER_DEFINED });
      if (r.epsg !== null) keys.push({ id: GEOKEY.GeogCitation, ascii: r.citation });
      else keys.push({ id: GEOKEY.GTCitation, ascii: r.citation });
      keys.push({ id: GEOKEY.GeogAngularUnits, short: UNIT.DEGREE });
    }
  }
  out.push(...geoKeyTags(keys));
  return out;
}
