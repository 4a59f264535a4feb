/**
 * Building blocks shared by the product readers: reading the one band of a single-band image file (Landsat
 * GeoTIFFs, Sentinel-2 JP2s and COGs), and a whole Product made of one multi-band file kept open (a plain
 * GeoTIFF / COG, a plain JPEG / JPEG2000).
 */
import { hrefFileName } from './remote.ts';
import { corruptFile, GepError } from '../core/errors.ts';
import type { Raster, RasterReader } from '../raster/types.ts';
import { buildStacItem } from './common.ts';
import type { Product, ProductBand, ProductMetadata, ReadOptions } from './types.ts';

/** The grid size the product's metadata declares for a file, to check the file against. */
export interface ExpectedGrid {
  width: number;
  height: number;
  /** The file, for the error. */
  file: string;
  /** What declares the size, for the error: 'the MTL', 'MTD_TL.xml'. */
  declaredBy: string;
}

/**
 * Reads band 0 of an opened single-band image (window, overview and signal from `o`) and closes the reader,
 * whatever happens. With `expect`, a full-resolution size other than the declared one is GEP_ERR_CORRUPT_FILE.
 */
export async function readFirstBand(reader: RasterReader, o: ReadOptions, expect?: ExpectedGrid): Promise<Raster> {
  try {
    const { width, height } = reader.info;
    if (expect && (width !== expect.width || height !== expect.height))
      throw corruptFile(expect.file, `image is ${width}x${height}, ${expect.declaredBy} says ${expect.width}x${expect.height}`);
    return await reader.read({ ...o, bands: [0] });
  } finally {
    await reader.close();
  }
}

/**
 * A Product made of one file whose samples are the bands `names` (in file order), read through `reader`, which
 * stays open until close(). Every band shares the file's grid, CRS and nodata and the ground sample distance
 * `gsd` (m, or 1 for pixel units). No masks. `kind` names the file type in errors ('a plain GeoTIFF').
 */
export function singleFileProduct(
  reader: RasterReader,
  path: string,
  metadata: ProductMetadata,
  names: string[],
  gsd: number,
  kind: string,
): Product {
  const info = reader.info;
  const name = hrefFileName(path);
  const bands: ProductBand[] = names.map((n) => ({
    name: n,
    gsd,
    width: info.width,
    height: info.height,
    transform: info.transform,
    crs: info.crs,
    href: path,
    nodata: info.nodata,
  }));
  const readBand = async (band: string, o: ReadOptions = {}): Promise<Raster> => {
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
    readMask: (m: string) => Promise.reject(new GepError('GEP_ERR_INVALID_INPUT', `${name}: no mask '${m}' (${kind} has none)`, { mask: m })),
    toStacItem: () => buildStacItem(metadata, bands, []),
    close: () => reader.close(),
  };
}
