/**
 * A plain image file as a product: JPEG (no georeferencing) and plain JPEG2000 (GeoJP2/GML georeferencing when
 * present), e.g. a time series of exported Sentinel-2 quicklooks named by date, or a JP2 crop of one band.
 * Bands are B1..Bn in file order (for an RGB JPEG: B1 = red, B2 = green, B3 = blue channel of the file).
 * Acquisition time: the file's own (when its format has one), else a YYYYMMDD / YYYY-MM-DD in the file name
 * (acquisitionTimeFromName), else GEP_ERR_INVALID_INPUT naming the file. Without a transform the gsd is 1 (pixel
 * units): the caller must supply the pixel size in metres. No masks.
 */
import { basename } from 'node:path';
import { GepError } from '../../core/errors.ts';
import { openRaster } from '../../raster/open.ts';
import type { RasterReader } from '../../raster/types.ts';
import { acquisitionTimeFromName, footprintOrNull } from '../common.ts';
import { singleFileProduct } from '../product-base.ts';
import type { Product, ProductMetadata } from '../types.ts';

/** Opens a plain JPEG / JPEG2000 image as a Product (see the module comment). */
export async function openImageProduct(path: string, opts: { signal?: AbortSignal } = {}): Promise<Product> {
  const reader: RasterReader = await openRaster(path, opts.signal ? { signal: opts.signal } : {});
  try {
    const info = reader.info;
    const name = basename(path);
    const datetime = info.acquisitionTime ?? acquisitionTimeFromName(name);
    if (!datetime)
      throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: no acquisition time: put a YYYYMMDD date in the file name`, { file: path });
    const names = Array.from({ length: info.bandCount }, (_, i) => `B${i + 1}`);
    const t = info.transform;
    const gsd = t ? Math.sqrt(Math.hypot(t[1], t[4]) * Math.hypot(t[2], t[5])) : 1;
    const footprint = t && info.crs ? footprintOrNull(info.width, info.height, t, info.crs) : null;
    const metadata: ProductMetadata = { sensor: 'image', productId: name.replace(/\.(jpe?g|jp2|j2k)$/i, ''), datetime, footprint };
    if (info.crs?.epsg !== undefined) metadata.epsg = info.crs.epsg;
    return singleFileProduct(reader, path, metadata, names, gsd, 'a plain image');
  } catch (e) {
    await reader.close();
    throw e;
  }
}
