/**
 * MPIC-OPT step 1b: per-acquisition cloud masks and detector stripes on the working grid.
 *
 * Cloud mask (MASK codes of algorithms/cloudmask):
 * - L2A (the product has an `scl` mask): Sen2Cor's scene classification, nearest-neighbour onto the working grid;
 * - otherwise, when B02, B03, B04, B08, B11 and B12 can be found (in the product, or for a plain GeoTIFF named
 *   `<prefix>_10m.tif` in its siblings `<prefix>_20m.tif` / `<prefix>_60m.tif`, the layout of `gep simulate`; next to
 *   a remote file they are probed by name, a missing one skipped), B10
 *   optional: fmaskLike on a grid of ~20 m pixels (the working grid coarsened by round(20 m / gsd), Fmask's own
 *   working resolution for Sentinel-2), then nearest-neighbour back onto the working grid. Reflectance = DN·scale +
 *   offset from the band's metadata; a plain GeoTIFF without scaling is read as L1C DN = reflectance·10000 (+1000
 *   from processing baseline 04.00, i.e. acquisitions from 2022-01-25 on). When B07 and B8A are found too, B8A is
 *   the NIR band (as in Fmask for Sentinel-2) and B07, B08, B8A feed the Cloud Displacement Index, which keeps bright
 *   ground (rock, debris, towns) out of the cloud class (algorithms/cloudmask/parallax.ts);
 * - else no mask (null, the caller logs it).
 * Detector stripes: the product's `detector-footprint-<band>` mask (values = detector index 1..12, 0 = none),
 * nearest-neighbour onto the working grid; null when the product has none.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fmaskLike } from '../../algorithms/cloudmask/index.ts';
import { maskFromScl } from '../../algorithms/cloudmask/index.ts';
import type { CloudMaskBands } from '../../algorithms/cloudmask/index.ts';
import type { PixelWindow, Raster } from '../../raster/types.ts';
import { allocBand, windowTransform } from '../../raster/types.ts';
import type { Product, ProductBand } from '../../sensors/types.ts';
import { isGepError } from '../../core/errors.ts';
import { hrefFileName, isRemoteHref, remoteSibling } from '../../sensors/remote.ts';
import type { Acquisition, LayerSource, WorkGrid } from './inputs.ts';
import { bandSource, openInput, readOnGrid } from './inputs.ts';

const FMASK_BANDS = { blue: 'B02', green: 'B03', red: 'B04', nir: 'B08', swir1: 'B11', swir2: 'B12' } as const;
/** Optional bands: cirrus, and the NIR trio of the Cloud Displacement Index (all three or none). */
const CIRRUS_BAND = 'B10';
const PARALLAX_BANDS = { b07: 'B07', b8a: 'B8A' } as const;
const BASELINE4 = Date.parse('2022-01-25T00:00:00Z');

const RES_NAME = /^(.*)_(10|20|60)m\.(tiff?)$/i;

/**
 * Plain GeoTIFF siblings holding the other resolutions of one acquisition (`X_10m.tif` -> `X_20m.tif`, `X_60m.tif`).
 * Local files: the folder is listed. Remote files (http(s)://, s3://) cannot be listed everywhere, so the expected
 * names are returned (same folder, extension and query) for the caller to probe.
 */
function siblingPaths(path: string): string[] {
  if (isRemoteHref(path)) {
    const m = RES_NAME.exec(hrefFileName(path));
    if (!m) return [];
    return ['10', '20', '60'].filter((r) => r !== m[2]).map((r) => remoteSibling(path, `${m[1]}_${r}m.${m[3]}`));
  }
  const m = RES_NAME.exec(basename(path));
  if (!m) return [];
  const dir = dirname(path);
  try {
    return readdirSync(dir)
      .filter((f) => f !== basename(path) && f.startsWith(`${m[1]}_`) && RES_NAME.exec(f)?.[1] === m[1])
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Opens the sibling products of `path`; a remote sibling that does not exist (GEP_ERR_NOT_FOUND) is skipped. */
async function openSiblings(path: string, signal?: AbortSignal): Promise<Product[]> {
  const out: Product[] = [];
  const remote = isRemoteHref(path);
  try {
    for (const s of siblingPaths(path)) {
      try {
        out.push(await openInput(s, signal));
      } catch (e) {
        if (!(remote && isGepError(e) && e.code === 'GEP_ERR_NOT_FOUND')) throw e;
      }
    }
  } catch (e) {
    for (const p of out) await p.close();
    throw e;
  }
  return out;
}

/** Source of a reflectance band: scaled DN, NaN nodata. */
function reflectanceSource(product: Product, band: ProductBand, acq: Acquisition): { src: LayerSource; scale: number; offset: number } {
  let scale = band.scale;
  let offset = band.offset;
  if (scale === undefined) {
    scale = 1e-4;
    offset = Date.parse(acq.datetime) >= BASELINE4 ? -0.1 : 0;
  }
  return { src: bandSource(product, band), scale, offset: offset ?? 0 };
}

/** The ~20 m grid the Fmask-like tests run on, and the coarsening factor. */
function maskGrid(grid: WorkGrid): { g: WorkGrid; f: number } {
  const gsd = Math.max(grid.gsdX, grid.gsdY);
  const f = grid.transform ? Math.max(1, Math.round(20 / gsd)) : 1;
  if (f === 1) return { g: grid, f };
  const t = grid.transform!;
  return {
    g: { width: Math.ceil(grid.width / f), height: Math.ceil(grid.height / f), transform: [t[0], t[1] * f, t[2] * f, t[3], t[4] * f, t[5] * f], crs: grid.crs, gsdX: grid.gsdX * f, gsdY: grid.gsdY * f },
    f,
  };
}

/**
 * Cloud mask of one acquisition on the working grid (MASK codes), or null with the reason when the product lacks
 * what is needed.
 */
export async function cloudMaskOnGrid(
  product: Product,
  acq: Acquisition,
  grid: WorkGrid,
  signal?: AbortSignal,
): Promise<{ mask: Uint8Array; source: string } | { mask: null; reason: string }> {
  if (!grid.transform) return { mask: null, reason: 'image without georeferencing and spectral bands' };
  if (product.masks.some((m) => m.name === 'scl')) {
    const scl = await product.readMask('scl', signal ? { signal } : {});
    const src: LayerSource = { width: scl.width, height: scl.height, transform: scl.transform, crs: scl.crs, nodata: 0, read: async (w) => cropRaster(scl, w) };
    const onGrid = await readOnGrid(src, grid, 'nearest', `${acq.id} SCL`, signal);
    const u8 = onGrid instanceof Uint8Array ? onGrid : Uint8Array.from(onGrid);
    return { mask: maskFromScl(u8), source: 'scl' };
  }
  const extra: Product[] = [];
  let siblingsOpened = false;
  try {
    const find = async (name: string): Promise<{ p: Product; b: ProductBand } | null> => {
      const own = product.bands.find((b) => b.name === name);
      if (own) return { p: product, b: own };
      if (product.metadata.sensor !== 'geotiff') return null;
      if (!siblingsOpened) {
        siblingsOpened = true;
        extra.push(...(await openSiblings(product.bands[0]?.href ?? acq.path, signal)));
      }
      for (const p of extra) {
        const b = p.bands.find((x) => x.name === name);
        if (b) return { p, b };
      }
      return null;
    };
    const found: Partial<Record<keyof CloudMaskBands, { p: Product; b: ProductBand }>> = {};
    const missing: string[] = [];
    for (const [k, name] of Object.entries(FMASK_BANDS) as [keyof typeof FMASK_BANDS, string][]) {
      const f = await find(name);
      if (f) found[k] = f;
      else missing.push(name);
    }
    if (missing.length) return { mask: null, reason: `bands ${missing.join(', ')} not found` };
    const cirrus = await find(CIRRUS_BAND);
    if (cirrus) found.cirrus = cirrus;
    const b07 = await find(PARALLAX_BANDS.b07);
    const b8a = b07 ? await find(PARALLAX_BANDS.b8a) : null;
    if (b07 && b8a) {
      found.b07 = b07;
      found.b08 = found.nir!;
      found.b8a = b8a;
      found.nir = b8a;
    }
    const { g, f } = maskGrid(grid);
    const bands: Partial<CloudMaskBands> = {};
    const byName = new Map<string, Float32Array>();
    for (const [k, v] of Object.entries(found) as [keyof CloudMaskBands, { p: Product; b: ProductBand }][]) {
      let a = byName.get(v.b.name);
      if (!a) {
        const { src, scale, offset } = reflectanceSource(v.p, v.b, acq);
        a = (await readOnGrid(src, g, 'bilinear', `${acq.id} ${v.b.name}`, signal)) as Float32Array;
        for (let i = 0; i < a.length; i++) a[i] = a[i]! * scale + offset;
        byName.set(v.b.name, a);
      }
      bands[k] = a;
    }
    const res = fmaskLike(bands as CloudMaskBands, g.width, g.height, {
      sensor: 'sentinel-2',
      pixelSize: Math.max(g.gsdX, g.gsdY),
      ...(acq.sun ? { sunZenith: acq.sun.zenith, sunAzimuth: acq.sun.azimuth } : {}),
      ...(signal ? { signal } : {}),
    });
    const source = bands.b07 ? 'fmask with cloud displacement index (B07, B08, B8A)' : 'fmask';
    if (f === 1) return { mask: res.mask, source };
    const out = new Uint8Array(grid.width * grid.height);
    for (let j = 0; j < grid.height; j++) {
      const src = Math.floor(j / f) * g.width;
      const o = j * grid.width;
      for (let i = 0; i < grid.width; i++) out[o + i] = res.mask[src + Math.floor(i / f)]!;
    }
    return { mask: out, source };
  } finally {
    for (const p of extra) await p.close();
  }
}

/** A window of a raster held in memory. */
function cropRaster(r: Raster, w: PixelWindow): Raster {
  const bands = r.bands.map((b) => {
    const out = allocBand(r.dataType, w.width * w.height);
    for (let j = 0; j < w.height; j++) out.set(b.subarray((w.y0 + j) * r.width + w.x0, (w.y0 + j) * r.width + w.x0 + w.width), j * w.width);
    return out;
  });
  return { ...r, width: w.width, height: w.height, bands, transform: r.transform ? windowTransform(r.transform, w) : null };
}

/** Detector index (1..12, 0 = none) of the band's footprint mask on the working grid, or null. */
export async function detectorsOnGrid(product: Product, acq: Acquisition, grid: WorkGrid, signal?: AbortSignal): Promise<Uint8Array | null> {
  const name = `detector-footprint-${acq.band}`;
  if (!grid.transform || !product.masks.some((m) => m.name === name)) return null;
  const band = product.bands.find((b) => b.name === acq.band)!;
  const src: LayerSource = {
    width: band.width,
    height: band.height,
    transform: band.transform,
    crs: band.crs,
    nodata: 0,
    read: (w) => product.readMask(name, { window: w, ...(signal ? { signal } : {}) }),
  };
  const a = await readOnGrid(src, grid, 'nearest', `${acq.id} ${name}`, signal);
  return a instanceof Uint8Array ? a : Uint8Array.from(a);
}
