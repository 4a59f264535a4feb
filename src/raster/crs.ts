/**
 * Coordinate reference systems for proj4js: EPSG codes, WKT and PROJ strings. Shared by reprojection, footprints
 * and the product readers.
 */
import proj4 from 'proj4';
import { GepError } from '../core/errors.ts';
import type { Crs } from './types.ts';

export const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';

/** EPSG code declared by a WKT's outermost AUTHORITY / ID clause (WKT1 or WKT2), or undefined. */
export function epsgFromWkt(wkt: string): number | undefined {
  const all = [...wkt.matchAll(/(?:AUTHORITY|ID)\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]/gi)];
  const last = all[all.length - 1];
  // The outermost authority is the last one, right before the final closing bracket(s).
  if (!last || last.index === undefined) return undefined;
  const rest = wkt.slice(last.index + last[0].length).replace(/[\s\]]/g, '');
  return rest === '' ? Number(last[1]) : undefined;
}

/**
 * A definition proj4js accepts for a CRS: a PROJ string for EPSG codes (WGS84 UTM 326zz/327zz by arithmetic,
 * 4326, 3857, ETRS89 UTM 258zz, and whatever proj4js knows), the CRS's proj4 string, or its WKT (EPSG code
 * taken from its AUTHORITY when present). Throws GEP_ERR_UNSUPPORTED when nothing usable is known.
 */
export function crsToProj4(crs: Crs): string {
  if (crs.proj4 && crs.proj4.trim()) return crs.proj4.trim();
  const epsg = crs.epsg ?? (crs.wkt ? epsgFromWkt(crs.wkt) : undefined);
  if (epsg !== undefined) {
    if (epsg === 4326) return WGS84;
    if (epsg === 3857 || epsg === 900913)
      return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs';
    if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
    if (epsg >= 32701 && epsg <= 32760) return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
    if (epsg >= 25828 && epsg <= 25838) return `+proj=utm +zone=${epsg - 25800} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
    const known = proj4.defs(`EPSG:${epsg}`) as (proj4.ProjectionDefinition & { projStr?: string }) | undefined;
    if (known?.projStr) return known.projStr;
  }
  if (crs.wkt && crs.wkt.trim()) {
    try {
      proj4(crs.wkt, WGS84);
      return crs.wkt;
    } catch {
      // fall through to the error below
    }
  }
  throw new GepError(
    'GEP_ERR_UNSUPPORTED',
    `unknown coordinate reference system ${epsg !== undefined ? `EPSG:${epsg}` : JSON.stringify(crs).slice(0, 200)}: give a proj4 string`,
    { crs },
  );
}

/** True when both CRS describe the same definition (same EPSG, or same proj4/WKT text). */
export function sameCrs(a: Crs, b: Crs): boolean {
  if (a.epsg !== undefined && b.epsg !== undefined) return a.epsg === b.epsg;
  try {
    return crsToProj4(a) === crsToProj4(b);
  } catch {
    return false;
  }
}

