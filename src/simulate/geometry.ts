/**
 * Polygon helpers for simulated truth: area (shoelace), point-in-polygon (even-odd), scanline rasterisation
 * at pixel centres, a bucket index for fast per-sample lookups, projected CRS <-> WGS84 through proj4, and GeoJSON.
 * Rings are arrays of [x, y] pairs, closed implicitly (the last vertex is not repeated).
 */
import proj4 from 'proj4';
import { WGS84, crsToProj4 } from '../raster/crs.ts';
import type { GeoTransform } from '../raster/types.ts';

export type Ring = [number, number][];

/** Signed area (shoelace); positive for counter-clockwise rings in a y-up frame. */
export function signedArea(ring: Ring): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  return a / 2;
}

/** Even-odd point-in-polygon test. */
export function pointInRing(x: number, y: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Bounding box [minX, minY, maxX, maxY]. */
export function ringBbox(ring: Ring): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of ring) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/**
 * Burns `value` into a width×height raster for every pixel whose centre (col + 0.5, row + 0.5) is inside the
 * ring (even-odd), the ring being in pixel coordinates. Scanline fill: exact and O(rows·edges).
 */
export function rasterizeRing(ring: Ring, width: number, height: number, out: Uint8Array, value: number): void {
  const [, y0, , y1] = ringBbox(ring);
  const rStart = Math.max(0, Math.floor(y0 - 0.5));
  const rEnd = Math.min(height - 1, Math.ceil(y1 - 0.5));
  const xs: number[] = [];
  for (let r = rStart; r <= rEnd; r++) {
    const y = r + 0.5;
    xs.length = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Pixels whose centre c + 0.5 lies in [xs[k], xs[k+1]).
      const c0 = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const c1 = Math.min(width - 1, Math.ceil(xs[k + 1]! - 0.5) - 1);
      for (let c = c0; c <= c1; c++) out[r * width + c] = value;
    }
  }
}

/** Buckets of ring indices on a regular grid, for fast "which polygons may contain this point" queries. */
export class RingIndex {
  readonly rings: Ring[];
  private readonly boxes: [number, number, number, number][];
  private readonly cell: number;
  private readonly buckets = new Map<number, number[]>();

  constructor(rings: Ring[], cell: number) {
    this.rings = rings;
    this.cell = cell;
    this.boxes = rings.map(ringBbox);
    this.boxes.forEach(([x0, y0, x1, y1], idx) => {
      for (let cy = Math.floor(y0 / cell); cy <= Math.floor(y1 / cell); cy++)
        for (let cx = Math.floor(x0 / cell); cx <= Math.floor(x1 / cell); cx++) {
          const key = cy * 100003 + cx;
          const list = this.buckets.get(key);
          if (list) list.push(idx);
          else this.buckets.set(key, [idx]);
        }
    });
  }

  /** Index of the first ring containing (x, y), or -1. */
  find(x: number, y: number): number {
    const list = this.buckets.get(Math.floor(y / this.cell) * 100003 + Math.floor(x / this.cell));
    if (!list) return -1;
    for (const idx of list) {
      const b = this.boxes[idx]!;
      if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue;
      if (pointInRing(x, y, this.rings[idx]!)) return idx;
    }
    return -1;
  }
}

/** A converter between a projected CRS given by EPSG code (e.g. a UTM zone, metres) and WGS84 lon/lat (degrees). */
export function utmConverter(epsg: number): { toLonLat(x: number, y: number): [number, number]; fromLonLat(lon: number, lat: number): [number, number] } {
  const conv = proj4(crsToProj4({ epsg }), WGS84);
  return {
    toLonLat: (x, y) => conv.forward([x, y]) as [number, number],
    fromLonLat: (lon, lat) => conv.inverse([lon, lat]) as [number, number],
  };
}

/** Map coordinates of a ring given in scene units (x east, y south from the grid origin, units of `step`·pixel). */
export function sceneRingToMap(ring: Ring, t: GeoTransform, unitsPerPixel: number): Ring {
  return ring.map(([x, y]) => [t[0] + (x / unitsPerPixel) * t[1] + (y / unitsPerPixel) * t[2], t[3] + (x / unitsPerPixel) * t[4] + (y / unitsPerPixel) * t[5]]);
}

export interface GeoJsonFeature {
  type: 'Feature';
  properties: Record<string, string | number | boolean | null>;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
}

/** A GeoJSON FeatureCollection; with an EPSG code other than 4326 it carries the (pre-RFC 7946) `crs` member
 * that GDAL/QGIS read. Rings are closed and written counter-clockwise (RFC 7946 §3.1.6). */
export function featureCollection(
  features: { properties: GeoJsonFeature['properties']; ring: Ring }[],
  epsg: number,
  name: string,
): Record<string, unknown> {
  const feats: GeoJsonFeature[] = features.map(({ properties, ring }) => {
    const r = signedArea(ring) < 0 ? [...ring].reverse() : ring;
    const coords = r.map(([x, y]) => [round(x, epsg === 4326 ? 9 : 3), round(y, epsg === 4326 ? 9 : 3)]);
    coords.push([...coords[0]!]);
    return { type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [coords] } };
  });
  return {
    type: 'FeatureCollection',
    name,
    ...(epsg !== 4326 ? { crs: { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${epsg}` } } } : {}),
    features: feats,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
