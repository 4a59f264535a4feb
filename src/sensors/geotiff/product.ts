/**
 * A plain GeoTIFF / COG as a product: one band per TIFF sample, named from GDAL band descriptions (else B1..Bn);
 * acquisition time from the TIFF DateTime tag (or GDAL acquisition metadata), else from a date in the file name
 * (YYYYMMDD, YYYYMMDDTHHMMSS, YYYY-MM-DD), else an error; footprint from the geotransform and CRS, or from the
 * RPC tag for images in sensor geometry. For a URL the file name is the last segment of its path (query removed).
 */
import { GepError } from '../../core/errors.ts';
import { openGeoTiff } from '../../raster/tiff/read.ts';
import type { Crs, GeoTransform, RasterInfo } from '../../raster/types.ts';
import { acquisitionTimeFromName, crsToProj4, footprintWgs84, rpcFootprint } from '../common.ts';
import { singleFileProduct } from '../product-base.ts';
import { hrefFileName } from '../remote.ts';
import type { Product, ProductMetadata } from '../types.ts';

const isGeographic = (crs: Crs): boolean => {
  if (crs.epsg === 4326 || crs.epsg === 4258 || crs.epsg === 4269) return true;
  try {
    return /\+proj=longlat|^GEOGCS|^GEOGCRS/i.test(crsToProj4(crs));
  } catch {
    return false;
  }
};

/** Ground sample distance: the pixel's square-root area, in metres for geographic CRS (at the image centre). */
function gsdOf(info: RasterInfo): number {
  const t = info.transform;
  if (!t) return 1;
  let dx = Math.hypot(t[1], t[4]);
  let dy = Math.hypot(t[2], t[5]);
  if (info.crs && isGeographic(info.crs)) {
    const lat = t[3] + (info.width / 2) * t[4] + (info.height / 2) * t[5];
    dx *= 111319.49 * Math.cos((lat * Math.PI) / 180);
    dy *= 110574.3;
  }
  return Math.sqrt(dx * dy);
}

/**
 * Opens a GeoTIFF / COG file, or an http(s):// or s3:// URL of one (ranged reads), as a Product. `datetime` (ISO
 * 8601) replaces the file's own acquisition time, e.g. the datetime of the STAC item that describes the file.
 */
export async function openGeoTiffProduct(path: string, opts: { signal?: AbortSignal; datetime?: string } = {}): Promise<Product> {
  const reader = await openGeoTiff(path, opts.signal ? { signal: opts.signal } : {});
  try {
    const info = reader.info;
    const name = hrefFileName(path);
    const datetime = opts.datetime ?? info.acquisitionTime ?? acquisitionTimeFromName(name);
    if (!datetime)
      throw new GepError(
        'GEP_ERR_INVALID_INPUT',
        `${name}: no acquisition time: add a TIFF DateTime tag or a YYYYMMDD in the name`,
        { file: path },
      );
    const names: string[] = [];
    for (let i = 0; i < info.bandCount; i++) {
      let n = (info.bandNames[i] ?? '').trim() || `B${i + 1}`;
      if (names.includes(n)) n = `${n}_${i + 1}`;
      names.push(n);
    }
    const transform: GeoTransform | null = info.transform;
    const crs = info.crs;
    let footprint: ProductMetadata['footprint'] = null;
    if (transform && crs) footprint = footprintWgs84(info.width, info.height, transform, crs);
    else if (info.rpc) footprint = rpcFootprint(info.rpc, info.width, info.height);
    const gsd = gsdOf(info);
    const metadata: ProductMetadata = {
      sensor: 'geotiff',
      productId: name.replace(/\.tiff?$/i, ''),
      datetime,
      footprint,
      rpc: info.rpc,
    };
    if (crs?.epsg !== undefined) metadata.epsg = crs.epsg;
    // Sun angles from GDAL metadata (SUN_ZENITH / SUN_AZIMUTH, degrees; the keys `gep simulate` writes and many
    // producers use): the cloud mask needs them to project cloud shadows.
    const zen = Number(info.metadata.SUN_ZENITH ?? NaN);
    const az = Number(info.metadata.SUN_AZIMUTH ?? NaN);
    if (Number.isFinite(zen) && zen >= 0 && zen < 90 && Number.isFinite(az)) metadata.sun = { zenith: zen, azimuth: ((az % 360) + 360) % 360 };
    return singleFileProduct(reader, path, metadata, names, gsd, 'a plain GeoTIFF');
  } catch (e) {
    await reader.close();
    throw e;
  }
}
