/**
 * MPIC-OPT step 1: opening the acquisitions and bringing every image onto the working grid = the FIRST image's
 * grid of the chosen band (cropped to the region of interest).
 *
 * - Georeferenced images on the same CRS, pixel size and an integer pixel offset are read as a window (no
 *   resampling); otherwise the window of the source that covers the working grid is read and resampled onto it
 *   with Keys cubic convolution (warpRaster; a different CRS is reprojected and logged as a warning).
 * - Images without georeferencing (plain JPEGs) must all have the first image's size.
 * - Pixels outside an image, or equal to its nodata value, are NaN.
 * Images may be local paths or http(s):// / s3:// URLs (see sensors/remote.ts); messages name them by file name.
 * Errors (GEP_ERR_INVALID_INPUT) name the image: a missing band, an image that does not overlap the first one,
 * mixed georeferenced / ungeoreferenced inputs, no acquisition time.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import proj4 from 'proj4';
import { GepError, invalidInput, isGepError } from '../../core/errors.ts';
import { crsToProj4, sameCrs, WGS84 } from '../../raster/crs.ts';
import { warpRaster } from '../../raster/warp.ts';
import type { Crs, GeoTransform, PixelWindow, Raster, TypedArray } from '../../raster/types.ts';
import { allocBand, windowTransform, worldToPixel } from '../../raster/types.ts';
import { openRaster } from '../../raster/open.ts';
import { openProduct } from '../../sensors/index.ts';
import { hrefFileName } from '../../sensors/remote.ts';
import type { AngleStats, Product, ProductBand, SensorId } from '../../sensors/types.ts';

/** The grid every image is resampled onto. gsdX/gsdY in metres (positive). */
export interface WorkGrid {
  width: number;
  height: number;
  transform: GeoTransform | null;
  crs: Crs | null;
  gsdX: number;
  gsdY: number;
  /** Images without georeferencing: the working grid is this window of every image (all of sourceWidth x sourceHeight). */
  window?: PixelWindow;
  sourceWidth?: number;
  sourceHeight?: number;
}

/** What the service keeps of an opened acquisition (the product itself is closed between uses). */
export interface Acquisition {
  index: number;
  path: string;
  /** Product id, unique within the run. */
  id: string;
  datetime: string;
  sensor: SensorId;
  /** Sentinel-2 data (SAFE/STAC reader, or an S2-like file name): destriping applies. */
  isS2: boolean;
  level?: string;
  /** The band read, as the product names it. */
  band: string;
  sun?: AngleStats;
}

/** A layer of a product and its grid. */
export interface LayerSource {
  width: number;
  height: number;
  transform: GeoTransform | null;
  crs: Crs | null;
  nodata: number | null;
  read: (window: PixelWindow, signal?: AbortSignal) => Promise<Raster>;
}

const S2_NAME = /(^|[/\\_])(S2[ABCD]?_|T\d{2}[A-Z]{3}_)/i;

/** Opens a product, turning unexpected failures into GEP_ERR_CORRUPT_FILE naming the file. */
export async function openInput(path: string, signal?: AbortSignal): Promise<Product> {
  try {
    return await openProduct(path, signal ? { signal } : {});
  } catch (e) {
    if (isGepError(e)) {
      if (!e.message.includes(hrefFileName(path))) e.message = `${path}: ${e.message}`;
      throw e;
    }
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${path}: cannot be read as an image (${e instanceof Error ? e.message : String(e)})`, { file: path });
  }
}

/**
 * The product's band for the `band` input: exact name (case-insensitive), then a 1-based index ('2'), then the only
 * band of a single-band file; null when none fits.
 */
export function resolveBand(product: Product, requested: string): ProductBand | null {
  const want = requested.trim().toLowerCase();
  const exact = product.bands.find((b) => b.name.toLowerCase() === want);
  if (exact) return exact;
  const m = /^(?:b)?0*(\d+)$/.exec(want);
  if (m && /^\d+$/.test(want)) return product.bands[Number(m[1]) - 1] ?? null;
  if (product.bands.length === 1) return product.bands[0]!;
  return null;
}

export const gsdOfTransform = (t: GeoTransform): [number, number] => [Math.hypot(t[1], t[4]), Math.hypot(t[2], t[5])];

/** Corners (and edge points) of a pixel rectangle as world coordinates in `dst` CRS. */
function outline(t: GeoTransform, crs: Crs, x0: number, y0: number, x1: number, y1: number, dst: Crs): [number, number][] {
  const conv = sameCrs(crs, dst) ? null : proj4(crsToProj4(crs), crsToProj4(dst));
  const pts: [number, number][] = [];
  const N = 8;
  for (let k = 0; k <= N; k++) {
    const f = k / N;
    for (const [c, r] of [[x0 + f * (x1 - x0), y0], [x0 + f * (x1 - x0), y1], [x0, y0 + f * (y1 - y0)], [x1, y0 + f * (y1 - y0)]] as const) {
      const x = t[0] + c * t[1] + r * t[2];
      const y = t[3] + c * t[4] + r * t[5];
      const p = conv ? conv.forward([x, y]) : [x, y];
      if (Number.isFinite(p[0]) && Number.isFinite(p[1])) pts.push([p[0]!, p[1]!]);
    }
  }
  return pts;
}

/** Window of `src` (clipped, with `margin` pixels) that covers the grid; null when they do not overlap. */
export function coveringWindow(src: { width: number; height: number; transform: GeoTransform; crs: Crs }, grid: WorkGrid, margin: number): PixelWindow | null {
  const pts = outline(grid.transform!, grid.crs!, 0, 0, grid.width, grid.height, src.crs);
  let minC = Infinity;
  let minR = Infinity;
  let maxC = -Infinity;
  let maxR = -Infinity;
  for (const [x, y] of pts) {
    const [c, r] = worldToPixel(src.transform, x, y);
    minC = Math.min(minC, c);
    maxC = Math.max(maxC, c);
    minR = Math.min(minR, r);
    maxR = Math.max(maxR, r);
  }
  const x0 = Math.max(0, Math.floor(minC) - margin);
  const y0 = Math.max(0, Math.floor(minR) - margin);
  const x1 = Math.min(src.width, Math.ceil(maxC) + margin);
  const y1 = Math.min(src.height, Math.ceil(maxR) + margin);
  if (!(x1 > x0 && y1 > y0) || !Number.isFinite(minC)) return null;
  return { x0, y0, width: x1 - x0, height: y1 - y0 };
}

/** Pixel window of the first image selected by the roi input (see the description for the CRS rules). */
export function roiWindow(roi: { bbox: number[]; crs?: string } | undefined, band: ProductBand): PixelWindow {
  const full = { x0: 0, y0: 0, width: band.width, height: band.height };
  if (!roi) return full;
  const b = roi.bbox;
  const [minx, miny, maxx, maxy] = b.length === 6 ? [b[0]!, b[1]!, b[3]!, b[4]!] : [b[0]!, b[1]!, b[2]!, b[3]!];
  if (!(maxx > minx && maxy > miny)) throw invalidInput(`input 'roi': expected minx < maxx and miny < maxy, got [${b.join(', ')}]`, { input: 'roi' });
  let c0: number;
  let r0: number;
  let c1: number;
  let r1: number;
  if (!band.transform || !band.crs) {
    [c0, r0, c1, r1] = [minx, miny, maxx, maxy];
  } else {
    const crsUri = roi.crs ?? '';
    const epsgM = /EPSG\/\d+\/(\d+)$|EPSG:+(\d+)$/i.exec(crsUri);
    const lonLatLike = Math.abs(minx) <= 180 && Math.abs(maxx) <= 180 && Math.abs(miny) <= 90 && Math.abs(maxy) <= 90;
    let from: Crs;
    if (/CRS84$/i.test(crsUri) || (epsgM && Number(epsgM[1] ?? epsgM[2]) === 4326)) from = { proj4: WGS84 };
    else if (epsgM) from = { epsg: Number(epsgM[1] ?? epsgM[2]) };
    else if (crsUri === '' && lonLatLike) from = { proj4: WGS84 };
    else from = band.crs;
    const tr: GeoTransform = [minx, maxx - minx, 0, maxy, 0, miny - maxy];
    const pts = outline(tr, from, 0, 0, 1, 1, band.crs);
    c0 = Infinity;
    r0 = Infinity;
    c1 = -Infinity;
    r1 = -Infinity;
    for (const [x, y] of pts) {
      const [c, r] = worldToPixel(band.transform, x, y);
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
    }
  }
  const x0 = Math.max(0, Math.floor(c0));
  const y0 = Math.max(0, Math.floor(r0));
  const x1 = Math.min(band.width, Math.ceil(c1));
  const y1 = Math.min(band.height, Math.ceil(r1));
  if (!(x1 - x0 >= 16 && y1 - y0 >= 16))
    throw invalidInput(`input 'roi': [${b.join(', ')}] covers ${Math.max(0, x1 - x0)}x${Math.max(0, y1 - y0)} pixels of the first image (at least 16x16 needed)`, { input: 'roi' });
  return { x0, y0, width: x1 - x0, height: y1 - y0 };
}

/** A band of a product as a LayerSource. */
export function bandSource(product: Product, band: ProductBand): LayerSource {
  return {
    width: band.width,
    height: band.height,
    transform: band.transform,
    crs: band.crs,
    nodata: band.nodata ?? null,
    read: (window, signal) => product.readBand(band.name, { window, ...(signal ? { signal } : {}) }),
  };
}

/** Typed array with `fill` everywhere. */
function filled(type: Raster['dataType'], n: number, fill: number): TypedArray {
  const a = allocBand(type, n);
  if (fill !== 0) a.fill(fill);
  return a;
}

/**
 * Reads a layer onto the working grid. Float output (Float32Array, NaN = nodata) for 'cubic'/'bilinear'; 'nearest'
 * keeps the layer's type with 0 where nothing is known (for masks). See the module comment for the fast path.
 */
export async function readOnGrid(src: LayerSource, grid: WorkGrid, resampling: 'cubic' | 'bilinear' | 'nearest', name: string, signal?: AbortSignal): Promise<TypedArray> {
  const n = grid.width * grid.height;
  const toFloat = resampling !== 'nearest';
  if (!grid.transform || !src.transform || !src.crs || !grid.crs) {
    if (src.width !== grid.width && (grid.transform || src.transform))
      throw invalidInput(`${name}: cannot combine georeferenced and non-georeferenced images`, { file: name });
    // ungeoreferenced: the window of the first image (its origin is kept in grid.transform = null; see openImages)
    const ras = await src.read(gridWindowOf(grid, src), signal);
    return toFloat ? asFloat(ras.bands[0]!, src.nodata) : ras.bands[0]!;
  }
  const st = src.transform;
  const gt = grid.transform;
  const [ox, oy] = worldToPixel(st, gt[0], gt[3]);
  const aligned =
    sameCrs(src.crs, grid.crs) && st[2] === 0 && st[4] === 0 && gt[2] === 0 && gt[4] === 0 &&
    Math.abs(st[1] - gt[1]) < 1e-9 * Math.abs(gt[1]) && Math.abs(st[5] - gt[5]) < 1e-9 * Math.abs(gt[5]) &&
    Math.abs(ox - Math.round(ox)) < 1e-3 && Math.abs(oy - Math.round(oy)) < 1e-3;
  if (aligned) {
    const cx = Math.round(ox);
    const cy = Math.round(oy);
    const x0 = Math.max(0, cx);
    const y0 = Math.max(0, cy);
    const x1 = Math.min(src.width, cx + grid.width);
    const y1 = Math.min(src.height, cy + grid.height);
    if (x1 <= x0 || y1 <= y0) return toFloat ? new Float32Array(n).fill(NaN) : new Uint8Array(n);
    const ras = await src.read({ x0, y0, width: x1 - x0, height: y1 - y0 }, signal);
    const part = toFloat ? asFloat(ras.bands[0]!, src.nodata) : ras.bands[0]!;
    if (x0 === cx && y0 === cy && x1 - x0 === grid.width && y1 - y0 === grid.height) return part;
    const out = toFloat ? new Float32Array(n).fill(NaN) : filled(ras.dataType, n, 0);
    const w = x1 - x0;
    for (let j = 0; j < y1 - y0; j++) out.set(part.subarray(j * w, (j + 1) * w), (y0 - cy + j) * grid.width + (x0 - cx));
    return out;
  }
  const win = coveringWindow({ width: src.width, height: src.height, transform: st, crs: src.crs }, grid, 4);
  if (!win) return toFloat ? new Float32Array(n).fill(NaN) : new Uint8Array(n);
  const ras = await src.read(win, signal);
  const band = toFloat ? asFloat(ras.bands[0]!, src.nodata) : ras.bands[0]!;
  const srcRaster: Raster = {
    width: win.width,
    height: win.height,
    dataType: toFloat ? 'float32' : ras.dataType,
    bands: [band],
    transform: windowTransform(st, win),
    crs: src.crs,
    nodata: toFloat ? NaN : src.nodata,
    bandNames: [''],
  };
  const out = warpRaster(srcRaster, { width: grid.width, height: grid.height, transform: gt, crs: grid.crs }, { resampling, ...(signal ? { signal } : {}) });
  return out.bands[0]!;
}

/** For ungeoreferenced images the working grid is a window of every image. */
function gridWindowOf(grid: WorkGrid, src: LayerSource): PixelWindow {
  const o = grid.window ?? { x0: 0, y0: 0 };
  if (o.x0 + grid.width > src.width || o.y0 + grid.height > src.height)
    throw invalidInput(`image of ${src.width}x${src.height} pixels does not cover the working grid (images without georeferencing must all have the first image's size)`);
  return { x0: o.x0, y0: o.y0, width: grid.width, height: grid.height };
}

/** Float32 copy with NaN where the value equals `nodata` or is not finite. */
export function asFloat(a: TypedArray, nodata: number | null): Float32Array {
  const out = a instanceof Float32Array ? a : new Float32Array(a.length);
  const nd = nodata ?? NaN;
  const hasNd = nodata !== null && !Number.isNaN(nodata);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    out[i] = (hasNd && v === nd) || !Number.isFinite(v) ? NaN : v;
  }
  return out;
}

export interface OpenedImages {
  grid: WorkGrid;
  acquisitions: Acquisition[];
}

/**
 * Opens every image (metadata only; products are closed again), resolves the band, builds the working grid from
 * the first image and checks that every other image overlaps it. Throws before any pixel is read.
 */
export async function openImages(
  paths: string[],
  opts: { band: string; roi?: { bbox: number[]; crs?: string }; pixelSize?: number },
  log: (level: 'info' | 'warn', m: string) => void,
  signal?: AbortSignal,
): Promise<OpenedImages> {
  if (paths.length < 2) throw invalidInput(`input 'images': at least 2 images are needed, got ${paths.length}`, { input: 'images' });
  const acquisitions: Acquisition[] = [];
  let grid: WorkGrid | null = null;
  const outside: string[] = [];
  const ids = new Set<string>();
  for (const [index, path] of paths.entries()) {
    const product = await openInput(path, signal);
    try {
      const band = resolveBand(product, opts.band);
      if (!band)
        throw invalidInput(`input 'band': image '${hrefFileName(path)}' has no band '${opts.band}' (bands: ${product.bands.map((b) => b.name).join(', ')})`, {
          input: 'band',
          file: path,
        });
      const md = product.metadata;
      let id = md.productId || hrefFileName(path);
      while (ids.has(id)) id = `${id}_${index}`;
      ids.add(id);
      const acq: Acquisition = {
        index,
        path,
        id,
        datetime: md.datetime,
        sensor: md.sensor,
        isS2: md.sensor === 'sentinel-2' || S2_NAME.test(path),
        band: band.name,
      };
      if (md.processingLevel) acq.level = md.processingLevel;
      if (md.sun) acq.sun = md.sun;
      if (!grid) {
        const win = roiWindow(opts.roi, band);
        if (band.transform && band.crs) {
          const [gx, gy] = gsdOfTransform(band.transform);
          grid = { width: win.width, height: win.height, transform: windowTransform(band.transform, win), crs: band.crs, gsdX: gx, gsdY: gy };
          if (opts.pixelSize !== undefined) log('info', `pixelSize ${opts.pixelSize} m ignored: ${hrefFileName(path)} is georeferenced (${gx} m pixels)`);
        } else {
          const ps = opts.pixelSize ?? 1;
          if (opts.pixelSize === undefined)
            log('warn', `${hrefFileName(path)} has no georeferencing and no pixelSize was given: metres and m/day assume 1 m pixels`);
          grid = { width: win.width, height: win.height, transform: null, crs: null, gsdX: ps, gsdY: ps, window: win, sourceWidth: band.width, sourceHeight: band.height };
        }
      } else if (grid.transform && grid.crs) {
        if (!band.transform || !band.crs)
          throw invalidInput(`input 'images': '${hrefFileName(path)}' has no georeferencing but the first image has; cannot put it on the same grid`, { input: 'images', file: path });
        if (!sameCrs(band.crs, grid.crs))
          log('warn', `${hrefFileName(path)} is in another CRS (${band.crs.epsg ? `EPSG:${band.crs.epsg}` : 'custom'}) than the first image: it is reprojected`);
        if (!coveringWindow({ width: band.width, height: band.height, transform: band.transform, crs: band.crs }, grid, 0)) outside.push(hrefFileName(path));
      } else {
        const g = grid;
        if (band.transform)
          throw invalidInput(`input 'images': '${hrefFileName(path)}' is georeferenced but the first image is not; cannot put it on the same grid`, { input: 'images', file: path });
        if (band.width !== g.sourceWidth || band.height !== g.sourceHeight)
          throw invalidInput(
            `input 'images': '${hrefFileName(path)}' is ${band.width}x${band.height} pixels, the first image ${g.sourceWidth}x${g.sourceHeight}; images without georeferencing must have the same size`,
            { input: 'images', file: path },
          );
      }
      acquisitions.push(acq);
    } finally {
      await product.close();
    }
  }
  if (outside.length)
    throw invalidInput(`input 'images': ${outside.join(', ')} ${outside.length === 1 ? 'does' : 'do'} not overlap the first image (${hrefFileName(paths[0]!)}) in the working area`, {
      input: 'images',
      files: outside,
    });
  return { grid: grid!, acquisitions };
}

/**
 * The stable-ground mask (input `stableMask`) on the working grid: 1 where the file's first band rounds to 1, 0
 * elsewhere (0, other values, nodata, outside the file). Nearest neighbour, like every mask. Throws
 * GEP_ERR_INVALID_INPUT naming the input when the file cannot be read or cannot be put on the grid, or when it
 * holds no stable pixel on the grid.
 */
export async function readStableMask(path: string, grid: WorkGrid, signal?: AbortSignal): Promise<{ mask: Uint8Array; stable: number }> {
  let reader: Awaited<ReturnType<typeof openRaster>>;
  try {
    reader = await openRaster(path);
  } catch (e) {
    throw invalidInput(`input 'stableMask': ${hrefFileName(path)} cannot be read as a raster (${e instanceof Error ? e.message : String(e)})`, { input: 'stableMask', file: path });
  }
  try {
    const info = reader.info;
    if (!grid.transform && info.transform && info.crs)
      throw invalidInput(`input 'stableMask': ${hrefFileName(path)} is georeferenced but the images are not`, { input: 'stableMask', file: path });
    if (!grid.transform && (info.width !== grid.sourceWidth || info.height !== grid.sourceHeight))
      throw invalidInput(
        `input 'stableMask': ${hrefFileName(path)} is ${info.width}x${info.height} pixels, the first image ${grid.sourceWidth}x${grid.sourceHeight}; a mask without georeferencing must have the images' size`,
        { input: 'stableMask', file: path },
      );
    const src: LayerSource = {
      width: info.width,
      height: info.height,
      transform: grid.transform ? info.transform : null,
      crs: grid.transform ? info.crs : null,
      nodata: info.nodata,
      read: (window) => reader.read({ window, bands: [0] }),
    };
    if (grid.transform && (!info.transform || !info.crs))
      throw invalidInput(`input 'stableMask': ${hrefFileName(path)} has no georeferencing but the images have`, { input: 'stableMask', file: path });
    const a = await readOnGrid(src, grid, 'nearest', `stableMask ${hrefFileName(path)}`, signal);
    const mask = new Uint8Array(a.length);
    const nd = info.nodata;
    let stable = 0;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v !== nd && Math.round(v) === 1) {
        mask[i] = 1;
        stable++;
      }
    }
    if (stable === 0) throw invalidInput(`input 'stableMask': ${hrefFileName(path)} has no pixel equal to 1 (stable) on the working grid`, { input: 'stableMask', file: path });
    return { mask, stable };
  } finally {
    await reader.close();
  }
}

/**
 * Scratch storage of the co-registered images and masks between the preparation and the pairs (raw little-endian
 * typed arrays under the workspace's `.mpic-scratch/`), so that the main thread holds at most one pair at a time.
 */
export class Scratch {
  constructor(readonly dir: string) {}
  path(name: string): string {
    return join(this.dir, `${name}.raw`);
  }
  async save(name: string, a: Float32Array | Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  async has(name: string): Promise<boolean> {
    return stat(this.path(name)).then(() => true, () => false);
  }
  async loadF32(name: string): Promise<Float32Array> {
    const b = await readFile(this.path(name));
    return b.byteOffset % 4 === 0 ? new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) : new Float32Array(new Uint8Array(b).buffer);
  }
  async loadU8(name: string): Promise<Uint8Array> {
    const b = await readFile(this.path(name));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
