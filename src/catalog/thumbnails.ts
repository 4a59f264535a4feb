/**
 * Thumbnails of catalogue items: a small PNG (longer side <= 256 px by default) made from a reduced-resolution
 * read of the product (a COG overview or a JPEG 2000 resolution level), true colour when the product has red,
 * green and blue bands on one grid, else its first band in grey. Stored in the blob store under
 * `thumbnails/<collection>/<id>.png` and referenced by an asset with role `thumbnail`.
 */
import { createHash } from 'node:crypto';
import { isGepError, throwIfAborted } from '../core/errors.ts';
import type { StacAsset } from '../core/stac.ts';
import { quicklookPng } from '../raster/quicklook.ts';
import type { Raster } from '../raster/types.ts';
import type { Product, ProductBand } from '../sensors/types.ts';

/** Default longer side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256;
/** Products whose smallest readable level is larger than this (pixels per band) get no thumbnail. */
const MAX_READ_PIXELS = 64 * 1024 * 1024;

/** Blob key of an item's thumbnail; ids with characters outside [A-Za-z0-9._-] are cleaned and hashed. */
export function thumbnailKey(collection: string, id: string): string {
  const clean = (s: string): string => {
    const c = s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 200);
    return c === s ? c : `${c}-${createHash('sha256').update(s).digest('hex').slice(0, 12)}`;
  };
  return `thumbnails/${clean(collection)}/${clean(id)}.png`;
}

/** The thumbnail asset for a stored blob key. */
export function thumbnailAsset(key: string): StacAsset {
  return { href: key, type: 'image/png', title: 'Thumbnail', roles: ['thumbnail'] };
}

const NAMED_RGB: readonly (readonly [string, string, string])[] = [
  ['B04', 'B03', 'B02'], // Sentinel-2
  ['SR_B4', 'SR_B3', 'SR_B2'], // Landsat C2 L2
  ['B4', 'B3', 'B2'], // Landsat C2 L1
  ['B2', 'B1', 'B0'], // Pléiades / SPOT MS
];

/** The bands to show: [red, green, blue] on one grid, or one band. */
export function thumbnailBands(bands: readonly ProductBand[]): ProductBand[] {
  const sameGrid = (a: ProductBand[]): boolean => a.every((b) => b.width === a[0]!.width && b.height === a[0]!.height);
  const byCommon = ['red', 'green', 'blue'].map((c) => bands.find((b) => b.commonName === c));
  if (byCommon.every((b) => b) && sameGrid(byCommon as ProductBand[])) return byCommon as ProductBand[];
  for (const names of NAMED_RGB) {
    const found = names.map((n) => bands.find((b) => b.name.toUpperCase() === n));
    if (found.every((b) => b) && sameGrid(found as ProductBand[])) return found as ProductBand[];
  }
  // A single multi-band file (plain GeoTIFF, RGB JPEG): its first three bands when there are 3 or 4.
  if ((bands.length === 3 || bands.length === 4) && bands.every((b) => b.href === bands[0]!.href) && sameGrid([...bands])) return bands.slice(0, 3);
  const pan = bands.find((b) => b.commonName === 'pan');
  const finest = [...bands].sort((a, b) => b.width * b.height - a.width * a.height)[0];
  return pan ? [pan] : finest ? [finest] : [];
}

/** Reads `band` at the coarsest level that still has at least `size` pixels on its longer side (levels halve). */
async function readReduced(p: Product, band: ProductBand, size: number, signal: AbortSignal | undefined): Promise<Raster | null> {
  const longer = Math.max(band.width, band.height);
  let level = Math.max(0, Math.floor(Math.log2(longer / size)));
  for (; level >= 0; level--) {
    throwIfAborted(signal);
    const pixels = Math.ceil(band.width / 2 ** level) * Math.ceil(band.height / 2 ** level);
    if (pixels > MAX_READ_PIXELS) return null;
    try {
      return await p.readBand(band.name, { overview: level, ...(signal ? { signal } : {}) });
    } catch (e) {
      // Not that many overviews (or none readable): try the next finer level.
      if (level > 0 && isGepError(e) && (e.code === 'GEP_ERR_INVALID_INPUT' || e.code === 'GEP_ERR_UNSUPPORTED')) continue;
      throw e;
    }
  }
  return null;
}

/**
 * A PNG thumbnail of a product, or null when it has no band we can show at a bounded cost. Throws what the
 * reader throws for a corrupt band.
 */
export async function makeThumbnail(p: Product, opts: { size?: number; signal?: AbortSignal } = {}): Promise<Uint8Array | null> {
  const size = opts.size ?? THUMBNAIL_SIZE;
  const chosen = thumbnailBands(p.bands);
  if (chosen.length === 0) return null;
  const rasters: Raster[] = [];
  for (const b of chosen) {
    const r = await readReduced(p, b, size, opts.signal);
    if (!r) return null;
    rasters.push(r);
  }
  const first = rasters[0]!;
  // Readers may return different levels for bands of one grid (missing overview): fall back to the first band.
  const usable = rasters.filter((r) => r.width === first.width && r.height === first.height);
  const bands = usable.length === rasters.length ? usable.map((r) => r.bands[0]!) : [first.bands[0]!];
  const ras: Raster = { ...first, bands, bandNames: bands.map((_, i) => chosen[i]?.name ?? '') };
  return quicklookPng(ras, { maxSize: size, bands: bands.length >= 3 ? [0, 1, 2] : [0] });
}
