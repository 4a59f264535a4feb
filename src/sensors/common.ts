/**
 * Helpers shared by the product readers: CRS definitions for proj4, WGS84 footprints of a pixel grid (map
 * geometry) or of an image localised through its RPC (sensor geometry), the STAC item of a product, and an
 * acquisition time found in a file name.
 */
import proj4 from 'proj4';
import { GepError } from '../core/errors.ts';
import { STAC_EXT, STAC_VERSION } from '../core/stac.ts';
import type { Bbox, GeoJsonPolygon, StacAsset, StacItem } from '../core/stac.ts';
import { rpcLocalize } from '../algorithms/stereo/rpc.ts';
import type { Crs, GeoTransform, RpcModel } from '../raster/types.ts';
import type { ProductBand, ProductMask, ProductMetadata } from './types.ts';

export { WGS84, epsgFromWkt, crsToProj4, sameCrs } from '../raster/crs.ts';
import { WGS84, crsToProj4 } from '../raster/crs.ts';

/** Twice the signed area of a closed ring (positive = counter-clockwise in x-east/y-north axes). */
function signedArea2(ring: number[][]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return s;
}

/**
 * Footprint of a pixel grid in WGS84 lon/lat: the outline of the image (pixel corners, 0..width x 0..height),
 * `densify` points per edge (default 10) so that curved edges after reprojection stay close, as a closed
 * counter-clockwise GeoJSON Polygon (RFC 7946 §3.1.6). Longitudes are not split at the antimeridian.
 */
export function footprintWgs84(
  width: number,
  height: number,
  transform: GeoTransform,
  crs: Crs,
  densify = 10,
): GeoJsonPolygon {
  if (!(width > 0 && height > 0)) throw new GepError('GEP_ERR_INVALID_INPUT', `footprint: bad grid size ${width}x${height}`);
  const n = Math.max(1, Math.floor(densify));
  const pts: [number, number][] = [];
  const edge = (c0: number, r0: number, c1: number, r1: number): void => {
    for (let i = 0; i < n; i++) pts.push([c0 + ((c1 - c0) * i) / n, r0 + ((r1 - r0) * i) / n]);
  };
  edge(0, 0, 0, height);
  edge(0, height, width, height);
  edge(width, height, width, 0);
  edge(width, 0, 0, 0);
  const def = crsToProj4(crs);
  const conv = def === WGS84 ? null : proj4(def, WGS84);
  const ring: number[][] = pts.map(([c, r]) => {
    const x = transform[0] + c * transform[1] + r * transform[2];
    const y = transform[3] + c * transform[4] + r * transform[5];
    const p = conv ? conv.forward([x, y]) : [x, y];
    return [p[0]!, p[1]!];
  });
  for (const p of ring)
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1]))
      throw new GepError('GEP_ERR_INVALID_INPUT', 'footprint: the grid does not project to WGS84 (outside the CRS domain?)');
  ring.push([ring[0]![0]!, ring[0]![1]!]);
  if (signedArea2(ring) < 0) ring.reverse();
  return { type: 'Polygon', coordinates: [ring] };
}

/** footprintWgs84, or null when the grid does not project to WGS84 (a product without a footprint is still usable). */
export function footprintOrNull(width: number, height: number, transform: GeoTransform, crs: Crs): GeoJsonPolygon | null {
  try {
    return footprintWgs84(width, height, transform, crs);
  } catch {
    return null;
  }
}

/**
 * A lon/lat ring as a GeoJSON Polygon: closed (the first point repeated when the ring is open) and counter-clockwise
 * (RFC 7946 §3.1.6). Null for fewer than three points. The ring is modified in place.
 */
export function polygonOfRing(ring: number[][]): GeoJsonPolygon | null {
  if (ring.length < 3) return null;
  const first = ring[0]!;
  const last = ring[ring.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0]!, first[1]!]);
  if (signedArea2(ring) < 0) ring.reverse();
  return { type: 'Polygon', coordinates: [ring] };
}

/**
 * Footprint of a width x height image in sensor geometry: its outline (pixel corners, `perEdge` points per edge)
 * localised through the RPC at the model's mean height (heightOffset, m). Null when the localisation fails.
 */
export function rpcFootprint(rpc: RpcModel, width: number, height: number, perEdge = 8): GeoJsonPolygon | null {
  const n = perEdge;
  const w = width;
  const h = height;
  const pts: [number, number][] = [];
  for (let i = 0; i < n; i++) pts.push([0, (h * i) / n]);
  for (let i = 0; i < n; i++) pts.push([(w * i) / n, h]);
  for (let i = 0; i < n; i++) pts.push([w, h - (h * i) / n]);
  for (let i = 0; i < n; i++) pts.push([w - (w * i) / n, 0]);
  const ring: number[][] = [];
  try {
    for (const [c, r] of pts) ring.push(rpcLocalize(rpc, c, r, rpc.heightOffset));
  } catch {
    return null;
  }
  return polygonOfRing(ring);
}

/** [west, south, east, north] of a polygon's outer ring. */
export function bboxOfPolygon(poly: { coordinates: number[][][] }): Bbox {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const p of poly.coordinates[0] ?? []) {
    w = Math.min(w, p[0]!);
    e = Math.max(e, p[0]!);
    s = Math.min(s, p[1]!);
    n = Math.max(n, p[1]!);
  }
  return [w, s, e, n];
}

function isoOrNull(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): string | null {
  if (y < 1950 || y > 2200 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return null;
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59)));
  if (dt.getUTCDate() !== d) return null; // 2021-02-30 and the like
  return dt.toISOString().replace('.000Z', 'Z');
}

/**
 * Acquisition time from a file name: the first YYYYMMDDTHHMMSS, YYYYMMDDHHMMSS (Pléiades style), YYYY-MM-DD or
 * YYYYMMDD that is a valid date (1950..2200), as ISO 8601 UTC ('2023-06-15T10:15:59Z', '2020-01-01T00:00:00Z').
 * Digit runs are matched whole: '120038' (a WRS path/row) is not a date. Returns null when none is found.
 */
export function acquisitionTimeFromName(fileName: string): string | null {
  const base = fileName.replace(/^.*[\\/]/, '');
  const re = /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T_ ](\d{2}):?(\d{2}):?(\d{2}))?|(?<!\d)(\d{8})(?:T(\d{6}))?(\d*)/g;
  for (const m of base.matchAll(re)) {
    if (m[1] !== undefined) {
      const r = isoOrNull(+m[1], +m[2]!, +m[3]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0);
      if (r) return r;
      continue;
    }
    const ymd = m[7]!;
    const y = +ymd.slice(0, 4);
    const mo = +ymd.slice(4, 6);
    const d = +ymd.slice(6, 8);
    let time = m[8];
    const more = m[9] ?? '';
    if (time === undefined && more.length > 0) {
      // A longer digit run: accept YYYYMMDDHHMMSS[fraction] only.
      if (more.length < 6) continue;
      time = more.slice(0, 6);
    }
    const r = time
      ? isoOrNull(y, mo, d, +time.slice(0, 2), +time.slice(2, 4), +time.slice(4, 6))
      : isoOrNull(y, mo, d);
    if (r) return r;
  }
  return null;
}

/** Media type of a raster file from its name. */
export function mediaTypeOf(href: string): string {
  if (/\.tiff?$/i.test(href)) return 'image/tiff; application=geotiff';
  if (/\.jp2$/i.test(href)) return 'image/jp2';
  if (/\.xml$/i.test(href)) return 'application/xml';
  if (/\.json$/i.test(href)) return 'application/json';
  if (/\.png$/i.test(href)) return 'image/png';
  if (/\.jpe?g$/i.test(href)) return 'image/jpeg';
  return 'application/octet-stream';
}

const round = (v: number, k = 1e6): number => Math.round(v * k) / k;

/**
 * The STAC 1.1 item of a product: geometry = footprint, bbox, common metadata (datetime, platform, instruments,
 * gsd), eo:cloud_cover, view:* (sun elevation = 90 - sun zenith; incidence_angle = view zenith), sat:relative_orbit,
 * proj:code, processing:level; one asset per band (roles data, eo/raster band fields, proj:shape/transform) and
 * one per mask (role metadata). `extra.assets` are added last and may replace generated ones.
 */
export function buildStacItem(
  md: ProductMetadata,
  bands: ProductBand[],
  masks: ProductMask[],
  extra: { id?: string; collection?: string; assets?: Record<string, StacAsset> } = {},
): StacItem {
  const exts = new Set<string>();
  const props: StacItem['properties'] = { datetime: md.datetime };
  if (md.platform) props.platform = md.platform;
  if (md.instrument) props.instruments = [md.instrument];
  const gsds = bands.map((b) => b.gsd).filter((g) => Number.isFinite(g) && g > 0);
  if (gsds.length) props.gsd = Math.min(...gsds);
  if (md.processingLevel) {
    props['processing:level'] = md.processingLevel;
    exts.add(STAC_EXT.processing);
  }
  if (md.processingBaseline) props['s2:processing_baseline'] = md.processingBaseline;
  if (md.tileId) props['grid:code'] = md.tileId;
  if (md.cloudCover !== undefined) {
    props['eo:cloud_cover'] = md.cloudCover;
    exts.add(STAC_EXT.eo);
  }
  if (md.sun) {
    props['view:sun_azimuth'] = round(md.sun.azimuth);
    props['view:sun_elevation'] = round(90 - md.sun.zenith);
    exts.add(STAC_EXT.view);
  }
  if (md.view) {
    props['view:incidence_angle'] = round(md.view.zenith);
    props['view:azimuth'] = round(md.view.azimuth);
    exts.add(STAC_EXT.view);
  }
  if (md.relativeOrbit !== undefined) {
    props['sat:relative_orbit'] = md.relativeOrbit;
    exts.add(STAC_EXT.sat);
  }
  const epsg = md.epsg ?? bands.find((b) => b.crs?.epsg !== undefined)?.crs?.epsg;
  if (epsg !== undefined) {
    props['proj:code'] = `EPSG:${epsg}`;
    exts.add(STAC_EXT.proj);
  }
  const assets: Record<string, StacAsset> = {};
  for (const b of bands) {
    const band: Record<string, unknown> = { name: b.name };
    if (b.commonName) band['eo:common_name'] = b.commonName;
    if (b.centerWavelength !== undefined) band['eo:center_wavelength'] = b.centerWavelength;
    if (b.commonName || b.centerWavelength !== undefined) exts.add(STAC_EXT.eo);
    if (b.scale !== undefined) band['raster:scale'] = b.scale;
    if (b.offset !== undefined) band['raster:offset'] = b.offset;
    if (b.nodata !== undefined && b.nodata !== null) band.nodata = b.nodata;
    if (b.scale !== undefined || b.offset !== undefined) exts.add(STAC_EXT.raster);
    const a: StacAsset = { href: b.href, type: mediaTypeOf(b.href), title: b.name, roles: ['data'], bands: [band], gsd: b.gsd };
    a['proj:shape'] = [b.height, b.width];
    if (b.transform) {
      const t = b.transform;
      a['proj:transform'] = [t[1], t[2], t[0], t[4], t[5], t[3]];
      exts.add(STAC_EXT.proj);
    }
    if (b.crs?.epsg !== undefined && b.crs.epsg !== epsg) a['proj:code'] = `EPSG:${b.crs.epsg}`;
    // Several bands may share one file (multi-band TIFF): keep the first asset per href and list its bands.
    const dup = Object.values(assets).find((x) => x.href === b.href);
    if (dup) (dup.bands as unknown[]).push(band);
    else assets[b.name] = a;
  }
  for (const m of masks) assets[m.name] = { href: m.href, type: mediaTypeOf(m.href), title: m.name, roles: ['metadata', m.kind] };
  Object.assign(assets, extra.assets ?? {});
  const item: StacItem = {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [...exts].sort(),
    id: extra.id ?? md.productId,
    geometry: md.footprint,
    properties: props,
    links: [],
    assets,
  };
  if (md.footprint) item.bbox = bboxOfPolygon(md.footprint).map((v) => round(v, 1e9)) as Bbox;
  if (extra.collection) item.collection = extra.collection;
  return item;
}
