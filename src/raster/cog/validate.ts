/**
 * Input checks of the COG writer, run before anything touches the file system. Every failure is
 * GEP_ERR_INVALID_INPUT naming the field and what was expected.
 */
import { invalidInput } from '../../core/errors.ts';
import type { Raster } from '../types.ts';
import { dataTypeOf, isFloat, VALUE_RANGE } from '../types.ts';
import type { CogWriteOptions } from './write.ts';
import { rpcTagValues, tiffDateTime } from './gdal-metadata.ts';

/** Checks the raster's shape, band types and lengths, transform and nodata. */
export function checkRaster(r: Raster, what: string): void {
  if (typeof r !== 'object' || r === null) throw invalidInput(`${what}: expected a Raster object`);
  const { width, height } = r;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw invalidInput(`${what}: size must be positive integers, got ${width}x${height}`, { width, height });
  if (width > 2 ** 31 || height > 2 ** 31) throw invalidInput(`${what}: size ${width}x${height} is too large for TIFF`);
  if (!Array.isArray(r.bands) || r.bands.length === 0) throw invalidInput(`${what}: needs at least one band`);
  if (r.bands.length > 65535) throw invalidInput(`${what}: ${r.bands.length} bands, TIFF allows at most 65535`);
  if (!(r.dataType in { uint8: 1, int8: 1, uint16: 1, int16: 1, uint32: 1, int32: 1, float32: 1, float64: 1 }))
    throw invalidInput(`${what}: unknown dataType "${String(r.dataType)}"`);
  r.bands.forEach((b, i) => {
    if (!ArrayBuffer.isView(b)) throw invalidInput(`${what}: band ${i} is not a typed array`);
    if (dataTypeOf(b) !== r.dataType || b.constructor.name === 'Uint8ClampedArray')
      throw invalidInput(`${what}: band ${i} is ${b.constructor.name}, expected ${r.dataType} samples`);
    if (b.length !== width * height)
      throw invalidInput(`${what}: band ${i} has ${b.length} samples, expected ${width}x${height}=${width * height}`);
  });
  if (r.transform !== null && r.transform !== undefined) {
    const t = r.transform;
    if (!Array.isArray(t) || t.length !== 6 || t.some((v) => !Number.isFinite(v)))
      throw invalidInput(`${what}: transform must be 6 finite numbers (GDAL GeoTransform order)`);
    if (t[1] * t[5] - t[2] * t[4] === 0) throw invalidInput(`${what}: transform is degenerate (zero determinant)`);
  }
  if (r.crs && r.crs.epsg !== undefined && (!Number.isInteger(r.crs.epsg) || r.crs.epsg <= 0))
    throw invalidInput(`${what}: crs.epsg must be a positive integer, got ${r.crs.epsg}`);
  if (r.nodata !== null && r.nodata !== undefined) {
    if (typeof r.nodata !== 'number') throw invalidInput(`${what}: nodata must be a number or null`);
    const [lo, hi] = VALUE_RANGE[r.dataType];
    if (!isFloat(r.dataType) && (!Number.isInteger(r.nodata) || r.nodata < lo || r.nodata > hi))
      throw invalidInput(`${what}: nodata ${r.nodata} is not a ${r.dataType} value`, { nodata: r.nodata });
  }
  if (r.bandNames !== undefined && r.bandNames !== null) {
    if (!Array.isArray(r.bandNames) || r.bandNames.length > r.bands.length || r.bandNames.some((n) => typeof n !== 'string'))
      throw invalidInput(`${what}: bandNames must be strings, at most one per band`);
  }
  for (const [k, v] of Object.entries(r.metadata ?? {}))
    if (typeof v !== 'string' || !k) throw invalidInput(`${what}: metadata item "${k}" must be a non-empty key with a string value`);
}

/** Checks writer options (types and ranges). */
export function checkOptions(o: CogWriteOptions): void {
  const t = o.tileSize ?? 512;
  if (!Number.isInteger(t) || t < 16 || t > 4096 || t % 16 !== 0)
    throw invalidInput(`tileSize: expected a multiple of 16 in [16, 4096], got ${t}`);
  if (o.compression !== undefined && o.compression !== 'deflate' && o.compression !== 'none')
    throw invalidInput(`compression: expected 'deflate' or 'none', got ${String(o.compression)}`);
  const l = o.level ?? 6;
  if (!Number.isInteger(l) || l < 0 || l > 9) throw invalidInput(`level: expected an integer zlib level 0-9, got ${l}`);
  if (o.predictor !== undefined && o.predictor !== 'auto' && o.predictor !== 'none')
    throw invalidInput(`predictor: expected 'auto' or 'none', got ${String(o.predictor)}`);
  if (o.resampling !== undefined && o.resampling !== 'average' && o.resampling !== 'nearest')
    throw invalidInput(`resampling: expected 'average' or 'nearest', got ${String(o.resampling)}`);
  const ov = o.overviews;
  if (ov !== undefined && ov !== 'auto' && ov !== false) {
    let prev = 1;
    if (!Array.isArray(ov)) throw invalidInput(`overviews: expected 'auto', false or a list of factors`);
    for (const f of ov) {
      if (!Number.isInteger(f) || f <= prev)
        throw invalidInput(`overviews: expected increasing integer factors >= 2, got [${ov.join(', ')}]`);
      prev = f;
    }
  }
  if (o.bigTiff !== undefined && o.bigTiff !== 'auto' && typeof o.bigTiff !== 'boolean')
    throw invalidInput(`bigTiff: expected true, false or 'auto'`);
  if (o.datetime !== undefined) tiffDateTime(o.datetime);
  if (o.rpc) rpcTagValues(o.rpc, 'rpc');
  for (const [k, v] of Object.entries(o.metadata ?? {}))
    if (typeof v !== 'string' || !k) throw invalidInput(`metadata: item "${k}" must be a non-empty key with a string value`);
}
