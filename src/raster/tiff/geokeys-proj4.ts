/**
 * User-defined GeoTIFF CRSs (ProjectedCSType / GeographicType = 32767) -> a proj4 string, from the GeoKeys
 * that describe the datum, ellipsoid and coordinate transformation (OGC GeoTIFF 1.1 §7.5 Annex C; the
 * CT_* codes of ProjCoordTransGeoKey). Covers the projections common in Earth observation; returns
 * undefined for anything it cannot describe exactly.
 */
import { GEOKEY, MODEL_TYPE, USER_DEFINED } from './tags.ts';
import type { GeoKeyValue } from './geokeys.ts';

/** GeoKey ids used here that tags.ts does not name (GeoTIFF 1.1 Table C.x). */
const K = {
  GeogGeodeticDatum: 2050,
  GeogPrimeMeridianLong: 2061,
  GeogAngularUnits: 2054,
  GeogEllipsoid: 2056,
  GeogSemiMajorAxis: 2057,
  GeogSemiMinorAxis: 2058,
  GeogInvFlattening: 2059,
  Projection: 3074,
  ProjCoordTrans: 3075,
  ProjStdParallel1: 3078,
  ProjStdParallel2: 3079,
  ProjNatOriginLong: 3080,
  ProjNatOriginLat: 3081,
  ProjFalseEasting: 3082,
  ProjFalseNorthing: 3083,
  ProjFalseOriginLong: 3084,
  ProjFalseOriginLat: 3085,
  ProjFalseOriginEasting: 3086,
  ProjFalseOriginNorthing: 3087,
  ProjCenterLong: 3088,
  ProjCenterLat: 3089,
  ProjScaleAtNatOrigin: 3092,
  ProjScaleAtCenter: 3093,
  ProjAzimuthAngle: 3094,
  ProjStraightVertPoleLong: 3095,
} as const;

const GCS_DATUM: Record<number, string> = {
  4326: '+datum=WGS84',
  4269: '+datum=NAD83',
  4267: '+datum=NAD27',
  4258: '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0',
  4322: '+ellps=WGS72',
  4019: '+ellps=GRS80',
  4030: '+ellps=WGS84',
};
const DATUM: Record<number, string> = { 6326: '+datum=WGS84', 6269: '+datum=NAD83', 6267: '+datum=NAD27', 6258: '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0' };
const ELLIPSOID: Record<number, string> = { 7030: 'WGS84', 7019: 'GRS80', 7022: 'intl', 7004: 'bessel', 7008: 'clrk66', 7043: 'WGS72', 7012: 'clrk80' };
const UNITS: Record<number, string> = { 9001: 'm', 9002: 'ft', 9003: 'us-ft', 9036: 'km' };

const n = (keys: Map<number, GeoKeyValue>, k: number): number | undefined => {
  const v = keys.get(k);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

function datumPart(keys: Map<number, GeoKeyValue>): string | undefined {
  const gcs = n(keys, GEOKEY.GeographicType);
  if (gcs !== undefined && GCS_DATUM[gcs]) return GCS_DATUM[gcs];
  const datum = n(keys, K.GeogGeodeticDatum);
  if (datum !== undefined && DATUM[datum]) return DATUM[datum];
  const ell = n(keys, K.GeogEllipsoid);
  if (ell !== undefined && ELLIPSOID[ell]) return `+ellps=${ELLIPSOID[ell]}`;
  const a = n(keys, K.GeogSemiMajorAxis);
  const rf = n(keys, K.GeogInvFlattening);
  const b = n(keys, K.GeogSemiMinorAxis);
  if (a !== undefined && rf !== undefined) return rf === 0 ? `+a=${a} +b=${a}` : `+a=${a} +rf=${rf}`;
  if (a !== undefined && b !== undefined) return `+a=${a} +b=${b}`;
  return undefined;
}

/** proj4 text for a user-defined geographic or projected CRS; undefined when the keys do not say enough. */
export function proj4FromGeoKeys(keys: Map<number, GeoKeyValue>): string | undefined {
  const model = n(keys, GEOKEY.GTModelType);
  const datum = datumPart(keys);
  if (!datum) return undefined;
  const pm = n(keys, K.GeogPrimeMeridianLong);
  const pmPart = pm ? ` +pm=${pm}` : '';
  if (model === MODEL_TYPE.GEOGRAPHIC) return `+proj=longlat ${datum}${pmPart} +no_defs`;
  if (model !== MODEL_TYPE.PROJECTED) return undefined;
  const angUnits = n(keys, K.GeogAngularUnits);
  const ang = (v: number | undefined): number | undefined => (v === undefined ? undefined : angUnits === 9101 ? (v * 180) / Math.PI : v);
  const g = (k: number): number | undefined => n(keys, k);
  const units = UNITS[n(keys, GEOKEY.ProjLinearUnits) ?? 9001];
  if (!units) return undefined;
  const tail = ` ${datum}${pmPart} +units=${units} +no_defs`;
  const proj = n(keys, K.Projection);
  if (proj !== undefined && proj >= 16001 && proj <= 16060) return `+proj=utm +zone=${proj - 16000}${tail}`;
  if (proj !== undefined && proj >= 16101 && proj <= 16160) return `+proj=utm +zone=${proj - 16100} +south${tail}`;
  const ct = n(keys, K.ProjCoordTrans);
  if (ct === undefined || ct === USER_DEFINED) return undefined;
  const fe = g(K.ProjFalseEasting) ?? g(K.ProjFalseOriginEasting) ?? 0;
  const fn = g(K.ProjFalseNorthing) ?? g(K.ProjFalseOriginNorthing) ?? 0;
  const lon0 = ang(g(K.ProjNatOriginLong) ?? g(K.ProjFalseOriginLong) ?? g(K.ProjCenterLong) ?? g(K.ProjStraightVertPoleLong)) ?? 0;
  const lat0 = ang(g(K.ProjNatOriginLat) ?? g(K.ProjFalseOriginLat) ?? g(K.ProjCenterLat)) ?? 0;
  const k0 = g(K.ProjScaleAtNatOrigin) ?? g(K.ProjScaleAtCenter) ?? 1;
  const sp1 = ang(g(K.ProjStdParallel1));
  const sp2 = ang(g(K.ProjStdParallel2));
  const xy = `+x_0=${fe} +y_0=${fn}`;
  switch (ct) {
    case 1: // Transverse Mercator
      return `+proj=tmerc +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
    case 27: // Transverse Mercator (South Orientated)
      return `+proj=tmerc +axis=wsu +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
    case 7: // Mercator (1SP, or 2SP with a standard parallel)
      return sp1 !== undefined ? `+proj=merc +lat_ts=${sp1} +lon_0=${lon0} ${xy}${tail}` : `+proj=merc +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
    case 8: // Lambert Conformal Conic 2SP
      return `+proj=lcc +lat_1=${sp1 ?? lat0} +lat_2=${sp2 ?? sp1 ?? lat0} +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 9: // Lambert Conformal Conic 1SP
      return `+proj=lcc +lat_1=${lat0} +lat_0=${lat0} +lon_0=${lon0} +k_0=${k0} ${xy}${tail}`;
    case 10: // Lambert Azimuthal Equal Area
      return `+proj=laea +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 11: // Albers Equal Area
      return `+proj=aea +lat_1=${sp1 ?? lat0} +lat_2=${sp2 ?? sp1 ?? lat0} +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 12: // Azimuthal Equidistant
      return `+proj=aeqd +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 15: // Polar Stereographic: variant A (origin at the pole, scale k) or B (latitude of true scale)
      if (sp1 === undefined && Math.abs(lat0) === 90) return `+proj=stere +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
      return `+proj=stere +lat_0=${(sp1 ?? lat0) < 0 ? -90 : 90} +lat_ts=${sp1 ?? lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 16: // Oblique Stereographic
      return `+proj=sterea +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
    case 14: // Stereographic
      return `+proj=stere +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${xy}${tail}`;
    case 17: // Equirectangular
      return `+proj=eqc +lat_ts=${sp1 ?? lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 18: // Cassini-Soldner
      return `+proj=cass +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 24: // Sinusoidal
      return `+proj=sinu +lon_0=${lon0} ${xy}${tail}`;
    case 21: // Orthographic
      return `+proj=ortho +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    case 22: // Polyconic
      return `+proj=poly +lat_0=${lat0} +lon_0=${lon0} ${xy}${tail}`;
    default:
      return undefined;
  }
}
