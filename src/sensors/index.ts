/**
 * Product reader registry: one line per sensor format. `openProduct` picks the first reader whose `detect`
 * accepts the path. Readers load on first use (dynamic import), so `gep info image.tif` does not pull in the
 * JPEG2000 decoder.
 */
import { stat } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { GepError } from '../core/errors.ts';
import { isRemoteHref, openRemoteProduct } from './remote.ts';
import type { Product } from './types.ts';

export interface ProductReader {
  id: string;
  title: string;
  /** Cheap test on the path (name, folder content): no pixel reading. */
  detect(path: string, isDir: boolean): boolean;
  open(path: string, opts?: { signal?: AbortSignal }): Promise<Product>;
}

const readers = new Map<string, ProductReader>();

/** Adds a reader; refuses to overwrite an existing id silently. */
export function registerProductReader(r: ProductReader): void {
  if (readers.has(r.id)) throw new Error(`product reader '${r.id}' is already registered`);
  readers.set(r.id, r);
}

export function productReaders(): ProductReader[] {
  return [...readers.values()];
}

const dirHas = (dir: string, re: RegExp): boolean => {
  try {
    return readdirSync(dir).some((n) => re.test(n));
  } catch {
    return false;
  }
};

registerProductReader({
  id: 'sentinel-2-safe',
  title: 'Sentinel-2 L1C/L2A SAFE (folder or zip)',
  detect: (p, isDir) =>
    isDir ? /\.SAFE\/?$/i.test(p) || dirHas(p, /^manifest\.safe$/i) : /\.zip$/i.test(p) && /S2[ABC]_MSI/i.test(basename(p)),
  open: async (p, o) => (await import('./sentinel2/safe.ts')).openSentinel2Safe(p, o),
});
registerProductReader({
  id: 'sentinel-2-stac',
  title: 'Sentinel-2 COG product described by a STAC item (JSON file or URL)',
  detect: (p, isDir) => !isDir && /\.json$/i.test(p),
  open: async (p, o) => (await import('./sentinel2/stac.ts')).openSentinel2StacItem(p, o),
});
registerProductReader({
  id: 'landsat-c2',
  title: 'Landsat 8/9 Collection 2 scene (MTL file or folder)',
  detect: (p, isDir) => (isDir ? dirHas(p, /_MTL\.(txt|xml)$/i) : /_MTL\.(txt|xml)$/i.test(p)),
  open: async (p, o) => (await import('./landsat/mtl.ts')).openLandsatScene(p, o),
});
registerProductReader({
  id: 'pleiades-dimap',
  title: 'Pléiades / SPOT DIMAP V2 (DIM_*.XML or its folder)',
  detect: (p, isDir) => (isDir ? dirHas(p, /^DIM_.*\.XML$/i) : /^DIM_.*\.XML$/i.test(basename(p))),
  open: async (p, o) => (await import('./pleiades/dimap.ts')).openPleiadesDimap(p, o),
});
registerProductReader({
  id: 'geotiff',
  title: 'Plain GeoTIFF / COG (acquisition time from the DateTime tag or a YYYYMMDD in the name)',
  detect: (p, isDir) => !isDir && /\.tiff?$/i.test(p),
  open: async (p, o) => (await import('./geotiff/product.ts')).openGeoTiffProduct(p, o),
});
registerProductReader({ id: 'image', title: 'Plain JPEG / JPEG2000 image with a YYYYMMDD date in its name', detect: (p, isDir) => !isDir && /\.(jpe?g|jp2)$/i.test(p), open: async (p, o) => (await import('./image/product.ts')).openImageProduct(p, o) });

/**
 * Opens a product with the first reader that recognises the path. `http(s)://` and `s3://` URLs go to
 * remote.ts, which tells a GeoTIFF/COG from a STAC item JSON by the first bytes and refuses remote SAFE, Landsat
 * and DIMAP products (GEP_ERR_UNSUPPORTED); a missing object is GEP_ERR_NOT_FOUND naming the URL.
 */
export async function openProduct(path: string, opts: { signal?: AbortSignal } = {}): Promise<Product> {
  if (isRemoteHref(path)) return openRemoteProduct(path, opts);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new GepError('GEP_ERR_NOT_FOUND', `${path}: no such file or folder`, { file: path });
  }
  const reader = productReaders().find((r) => r.detect(path, isDir));
  if (!reader)
    throw new GepError(
      'GEP_ERR_UNSUPPORTED',
      `${path}: not a product we recognise (expected one of: ${productReaders().map((r) => r.title).join('; ')})`,
      { file: path },
    );
  return reader.open(path, opts);
}
