/**
 * Web-Mercator XYZ tile math (pure functions, no I/O).
 *
 * Tile scheme (the "XYZ" / OGC WebMercatorQuad scheme of OSM and every web map): EPSG:3857 on a sphere of
 * radius 6378137 m; zoom z has 2^z x 2^z tiles of 256 x 256 pixels; tile (x, y) counts from the top-left corner
 * at (-20037508.34 m, +20037508.34 m), x eastwards, y southwards. Latitudes are limited to +-85.0511 degrees.
 * Reference: OGC Two Dimensional Tile Matrix Set 17-083r4, annex D.1 (WebMercatorQuad).
 */
import { invalidInput } from '../core/errors.ts';
import type { Crs, GeoTransform } from './types.ts';

export const TILE_SIZE = 256;
/** Sphere radius of EPSG:3857, metres. */
export const MERCATOR_RADIUS = 6378137;
/** Half the extent of the EPSG:3857 square, metres (pi * radius). */
export const ORIGIN_SHIFT = Math.PI * MERCATOR_RADIUS;
/** Latitude of the square's top edge, degrees: atan(sinh(pi)). */
export const MAX_LATITUDE = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI;
export const MAX_ZOOM = 30;
export const WEB_MERCATOR: Crs = { epsg: 3857 };

/** [minX, minY, maxX, maxY] */
export type Bounds = [number, number, number, number];

/** Fractional tile coordinates of a longitude/latitude (degrees) at zoom z; latitude clamped to +-MAX_LATITUDE. */
export function lonLatToTile(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const phi = (Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180;
  const x = ((lon + 180) / 360) * n;
  const y = ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n;
  return [x, y];
}

/** The tile (integer x, y) containing a longitude/latitude at zoom z, clamped to the tile range. */
export function tileForLonLat(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const [x, y] = lonLatToTile(lon, lat, z);
  return [Math.min(n - 1, Math.max(0, Math.floor(x))), Math.min(n - 1, Math.max(0, Math.floor(y)))];
}

/** Longitude/latitude (degrees) of fractional tile coordinates (x, y) at zoom z (integers: the top-left corner). */
export function tileToLonLat(x: number, y: number, z: number): [number, number] {
  const n = 2 ** z;
  const lon = (x / n) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  return [lon, lat];
}

/** Spherical-Mercator metres of a longitude/latitude in degrees. */
export function lonLatToMercator(lon: number, lat: number): [number, number] {
  const phi = (Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180;
  return [(lon * Math.PI * MERCATOR_RADIUS) / 180, MERCATOR_RADIUS * Math.log(Math.tan(Math.PI / 4 + phi / 2))];
}

/** Longitude/latitude in degrees of spherical-Mercator metres. */
export function mercatorToLonLat(x: number, y: number): [number, number] {
  return [(x / MERCATOR_RADIUS) * (180 / Math.PI), (2 * Math.atan(Math.exp(y / MERCATOR_RADIUS)) - Math.PI / 2) * (180 / Math.PI)];
}

/** Size of one tile pixel in EPSG:3857 metres at zoom z (156543.03 m at z = 0 for 256-pixel tiles). */
export function mercatorResolution(z: number, tileSize = TILE_SIZE): number {
  return (2 * ORIGIN_SHIFT) / (tileSize * 2 ** z);
}

/** Bounds of tile (z, x, y) in EPSG:3857 metres. */
export function tileBounds(z: number, x: number, y: number): Bounds {
  const size = (2 * ORIGIN_SHIFT) / 2 ** z;
  const minX = -ORIGIN_SHIFT + x * size;
  const maxY = ORIGIN_SHIFT - y * size;
  return [minX, maxY - size, minX + size, maxY];
}

/** Bounds of tile (z, x, y) in degrees: [west, south, east, north]. */
export function tileBoundsLonLat(z: number, x: number, y: number): Bounds {
  const [w, n] = tileToLonLat(x, y, z);
  const [e, s] = tileToLonLat(x + 1, y + 1, z);
  return [w, s, e, n];
}

/** GDAL-order geotransform of a tile's pixel grid in EPSG:3857. */
export function tileTransform(z: number, x: number, y: number, tileSize = TILE_SIZE): GeoTransform {
  const [minX, , , maxY] = tileBounds(z, x, y);
  const res = mercatorResolution(z, tileSize);
  return [minX, res, 0, maxY, 0, -res];
}

/** Throws GEP_ERR_INVALID_INPUT naming z, x or y unless 0 <= z <= maxZoom and 0 <= x, y < 2^z (integers). */
export function checkTileIndex(z: number, x: number, y: number, maxZoom = MAX_ZOOM): void {
  if (!Number.isInteger(z) || z < 0 || z > maxZoom)
    throw invalidInput(`z: expected an integer zoom level in [0, ${maxZoom}], got ${z}`, { parameter: 'z' });
  const n = 2 ** z;
  if (!Number.isInteger(x) || x < 0 || x >= n)
    throw invalidInput(`x: expected an integer in [0, ${n - 1}] at zoom ${z}, got ${x}`, { parameter: 'x' });
  if (!Number.isInteger(y) || y < 0 || y >= n)
    throw invalidInput(`y: expected an integer in [0, ${n - 1}] at zoom ${z}, got ${y}`, { parameter: 'y' });
}
