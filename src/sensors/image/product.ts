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
import { acquisitionTimeFromName, buildStacItem, footprintWgs84 } from '../common.ts';
import type { Product, ProductBand, ProductMetadata, ReadOptions } from '../types.ts';

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
    let footprint: ProductMetadata['footprint'] = null;
    if (t && info.crs) {
      try {
        footprint = footprintWgs84(info.width, info.height, t, info.crs);
      } catch {
        footprint = null;
      }
    }
    const metadata: ProductMetadata = { sensor: 'image', productId: name.replace(/\.(jpe?g|jp2|j2k)$/i, ''), datetime, footprint };
    if (info.crs?.epsg !== undefined) metadata.epsg = info.crs.epsg;
    const bands: ProductBand[] = names.map((n) => ({
      name: n,
      gsd,
      width: info.width,
      height: info.height,
      transform: t,
      crs: info.crs,
      href: path,
      nodata: info.nodata,
    }));
    const readBand = async (band: string, o: ReadOptions = {}) => {
      const idx = names.indexOf(band);
      if (idx < 0) throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: no band '${band}' (bands: ${names.join(', ')})`, { band, file: path });
      const r = await reader.read({ bands: [idx], overview: o.overview ?? 0, ...(o.window ? { window: o.window } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      return { ...r, bandNames: [band] };
    };
    return {
      metadata,
      bands,
      masks: [],
      readBand,
      readMask: (m: string) => Promise.reject(new GepError('GEP_ERR_INVALID_INPUT', `${name}: no mask '${m}' (a plain image has none)`, { mask: m })),
      toStacItem: () => buildStacItem(metadata, bands, []),
      close: () => reader.close(),
    };
  } catch (e) {
    await reader.close();
    throw e;
  }
}
