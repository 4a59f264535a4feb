/**
 * Web-Mercator XYZ map tiles: rendering a tile (or a whole-raster preview) from a RasterReader, and the bounds and
 * zoom range of a raster for TileJSON. The tile math itself is ./tile-math.ts (re-exported here).
 *
 * Rendering: the part of the tile covered by the raster's footprint is mapped back to source pixels, the
 * overview level whose resolution is just finer than the tile's is read (window only), converted to float32 with
 * nodata as NaN, warped onto the tile grid (src/raster/warp.ts) and coloured (src/raster/colormap.ts).
 * Nodata, NaN and everything outside the raster are transparent.
 */
import proj4 from 'proj4';
import { GepError, invalidInput } from '../core/errors.ts';
import { colorize, getColormap, percentileRange } from './colormap.ts';
import { crsToProj4, sameCrs, WGS84 } from './crs.ts';
import type { PixelWindow, Raster, RasterInfo, RasterReader, TypedArray } from './types.ts';
import { worldToPixel } from './types.ts';
import { warpRaster, type Resampling } from './warp.ts';
import { checkTileIndex, mercatorResolution, ORIGIN_SHIFT, TILE_SIZE, tileBounds, tileTransform, WEB_MERCATOR, type Bounds } from './tile-math.ts';

export * from './tile-math.ts';

/**
 * Bounding box [minX, minY, maxX, maxY] of the raster outline (21 points per edge, pixel-corner coordinates) mapped
 * by `project`; points it maps to non-finite values are skipped ([Inf, Inf, -Inf, -Inf] when all are).
 */
function outlineBounds(info: RasterInfo, project: (col: number, row: number) => readonly number[]): Bounds {
  const b: Bounds = [Infinity, Infinity, -Infinity, -Infinity];
  const N = 20;
  for (let k = 0; k <= N; k++) {
    const f = k / N;
    for (const [c, r] of [
      [f * info.width, 0],
      [f * info.width, info.height],
      [0, f * info.height],
      [info.width, f * info.height],
    ] as const) {
      const p = project(c, r);
      const x = p[0]!;
      const y = p[1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      b[0] = Math.min(b[0], x);
      b[1] = Math.min(b[1], y);
      b[2] = Math.max(b[2], x);
      b[3] = Math.max(b[3], y);
    }
  }
  return b;
}

/** How a raster lies on the Web-Mercator plane (computed once per RasterInfo). */
interface MercatorGeo {
  /** Bounding box of the raster outline in EPSG:3857. */
  bbox: Bounds;
  /** EPSG:3857 point -> full-resolution source pixel position; [NaN, NaN] when the transform fails. */
  toPixel(x: number, y: number): [number, number];
  /** Source pixel position -> EPSG:3857. */
  toMercator(col: number, row: number): [number, number];
}

const geoCache = new WeakMap<RasterInfo, MercatorGeo>();

function mercatorGeo(info: RasterInfo, what: string): MercatorGeo {
  const hit = geoCache.get(info);
  if (hit) return hit;
  const t = info.transform;
  if (!t || !info.crs) throw new GepError('GEP_ERR_UNSUPPORTED', `${what}: the raster is not georeferenced (no transform or CRS)`);
  const same = sameCrs(info.crs, WEB_MERCATOR);
  const conv = same ? null : proj4(crsToProj4(info.crs), crsToProj4(WEB_MERCATOR));
  const toMercator = (col: number, row: number): [number, number] => {
    const wx = t[0] + col * t[1] + row * t[2];
    const wy = t[3] + col * t[4] + row * t[5];
    if (!conv) return [wx, wy];
    try {
      const p = conv.forward([wx, wy]);
      return [p[0]!, p[1]!];
    } catch {
      return [NaN, NaN];
    }
  };
  const toPixel = (x: number, y: number): [number, number] => {
    let wx = x;
    let wy = y;
    if (conv) {
      try {
        const p = conv.inverse([x, y]);
        wx = p[0]!;
        wy = p[1]!;
      } catch {
        return [NaN, NaN];
      }
    }
    return Number.isFinite(wx) && Number.isFinite(wy) ? worldToPixel(t, wx, wy) : [NaN, NaN];
  };
  const bbox = outlineBounds(info, toMercator);
  if (!(bbox[2] > bbox[0] && bbox[3] > bbox[1]))
    throw new GepError('GEP_ERR_UNSUPPORTED', `${what}: the raster outline does not project into Web Mercator`);
  const geo: MercatorGeo = { bbox, toPixel, toMercator };
  geoCache.set(info, geo);
  return geo;
}

/** Downsampling factor (x, y) of overview level k (0 = full resolution). */
function levelFactor(info: RasterInfo, level: number): [number, number] {
  if (level === 0) return [1, 1];
  const o = info.overviews[level - 1]!;
  return [info.width / o.width, info.height / o.height];
}

/** Width and height (pixels) of overview level k (0 = full resolution). */
function levelSize(info: RasterInfo, level: number): [number, number] {
  if (level === 0) return [info.width, info.height];
  const o = info.overviews[level - 1]!;
  return [o.width, o.height];
}

/**
 * The overview level whose resolution is just finer than (or equal to) `factor` full-resolution pixels per
 * output pixel: the coarsest level k with downsampling <= factor (GDAL's choice for reads at a given scale).
 */
export function chooseOverview(info: RasterInfo, factor: number): number {
  let best = 0;
  for (let k = 1; k <= info.overviews.length; k++) {
    const [fx, fy] = levelFactor(info, k);
    if (Math.min(fx, fy) <= factor * (1 + 1e-9)) best = k;
  }
  return best;
}

export interface RenderOptions {
  /** Zero-based band indices: 1 (colour-mapped) or 3 (RGB). Default [0], or [0, 1, 2] for 3+ band uint8. */
  bands?: number[];
  /** One [min, max] for all bands or one per band; default 0..255 for uint8, else autoRescale(). */
  rescale?: [number, number][];
  /** Colour map name for one band (src/raster/colormap.ts); default gray. */
  colormap?: string;
  /** Overrides the file's nodata value (null: none). */
  nodata?: number | null;
  /** Default nearest. */
  resampling?: Resampling;
  /** Tile width and height in pixels, default 256. */
  tileSize?: number;
  /** Largest source window read for one image (pixels, default 2^24); beyond: GEP_ERR_TOO_LARGE. */
  maxReadPixels?: number;
  signal?: AbortSignal;
}

export interface RenderedImage {
  width: number;
  height: number;
  /** width*height*4 bytes, row-major RGBA. */
  rgba: Uint8Array;
  /** True when every pixel is transparent. */
  empty: boolean;
  /** Overview level read (0 = full resolution); -1 when nothing was read. */
  overview: number;
}

/** Default and checked band list. */
export function resolveBands(info: RasterInfo, bands: number[] | undefined): number[] {
  const b = bands ?? (info.bandCount >= 3 && info.dataType === 'uint8' ? [0, 1, 2] : [0]);
  if (b.length !== 1 && b.length !== 3) throw invalidInput(`bands: expected 1 or 3 band indices, got ${b.length}`, { parameter: 'bands' });
  for (const i of b)
    if (!Number.isInteger(i) || i < 0 || i >= info.bandCount)
      throw invalidInput(`bands: band ${i + 1} does not exist (the raster has ${info.bandCount} band(s), numbered from 1)`, {
        parameter: 'bands',
      });
  return b;
}

/**
 * A [low, high] display range per band from the 2nd and 98th percentiles of the coarsest overview (a window of
 * at most 2048 x 2048 pixels of it); [lo - 0.5, lo + 0.5] for a constant band and [0, 1] for an empty one.
 */
export async function autoRescale(reader: RasterReader, bands: number[], opts: { nodata?: number | null; signal?: AbortSignal } = {}): Promise<[number, number][]> {
  const info = reader.info;
  const level = info.overviews.length;
  const [lw, lh] = levelSize(info, level);
  const w = Math.min(lw, 2048);
  const h = Math.min(lh, 2048);
  const window: PixelWindow = { x0: Math.floor((lw - w) / 2), y0: Math.floor((lh - h) / 2), width: w, height: h };
  const r = await reader.read({ window, overview: level, bands, signal: opts.signal });
  const nodata = opts.nodata === undefined ? info.nodata : opts.nodata;
  return r.bands.map((a) => {
    const p = percentileRange(a, nodata);
    if (!p) return [0, 1];
    return p[0] < p[1] ? p : [p[0] - 0.5, p[0] + 0.5];
  });
}

/** Band arrays as float32 with `nodata` replaced by NaN (no copy when already float32 without a nodata value). */
function toFloat32(r: Raster, nodata: number | null): Float32Array[] {
  return r.bands.map((a) => {
    if (a instanceof Float32Array && (nodata === null || Number.isNaN(nodata))) return a;
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      out[i] = v === nodata ? NaN : v;
    }
    return out;
  });
}

async function resolveStyle(reader: RasterReader, bands: number[], opts: RenderOptions): Promise<{ rescale: [number, number][]; nodata: number | null }> {
  const nodata = opts.nodata === undefined ? reader.info.nodata : opts.nodata;
  let rescale = opts.rescale;
  if (!rescale) rescale = reader.info.dataType === 'uint8' ? bands.map(() => [0, 255]) : await autoRescale(reader, bands, opts);
  if (rescale.length === 1 && bands.length > 1) rescale = bands.map(() => rescale![0]!);
  if (rescale.length !== bands.length)
    throw invalidInput(`rescale: expected 1 or ${bands.length} min,max pairs, got ${rescale.length}`, { parameter: 'rescale' });
  if (opts.colormap !== undefined && bands.length !== 1) throw invalidInput('colormap: applies to a single band only', { parameter: 'colormap' });
  return { rescale, nodata };
}

/** Colours w x h float bands (NaN transparent) with the display ranges and the optional colour map. */
function paint(bands: readonly TypedArray[], w: number, h: number, level: number, rescale: [number, number][], colormap: string | undefined): RenderedImage {
  const rgba = colorize(bands, w * h, { rescale, ...(colormap !== undefined ? { colormap: getColormap(colormap) } : {}), nodata: null });
  let empty = true;
  for (let i = 3; i < rgba.length; i += 4)
    if (rgba[i] !== 0) {
      empty = false;
      break;
    }
  return { width: w, height: h, rgba, empty, overview: level };
}

const emptyImage = (w: number, h: number): RenderedImage => ({ width: w, height: h, rgba: new Uint8Array(w * h * 4), empty: true, overview: -1 });

/** Renders tile (z, x, y) of the raster as RGBA (see the module comment). */
export async function renderTile(reader: RasterReader, z: number, x: number, y: number, opts: RenderOptions = {}): Promise<RenderedImage> {
  checkTileIndex(z, x, y);
  const size = opts.tileSize ?? TILE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw invalidInput(`tile size must be an integer in [1, 4096], got ${size}`);
  const info = reader.info;
  const bands = resolveBands(info, opts.bands);
  if (opts.colormap !== undefined) getColormap(opts.colormap);
  const geo = mercatorGeo(info, 'tile');
  const tb = tileBounds(z, x, y);
  const ix: Bounds = [Math.max(tb[0], geo.bbox[0]), Math.max(tb[1], geo.bbox[1]), Math.min(tb[2], geo.bbox[2]), Math.min(tb[3], geo.bbox[3])];
  if (!(ix[2] > ix[0] && ix[3] > ix[1])) return emptyImage(size, size);

  // Full-resolution pixel extent of the covered part, from a 9 x 9 grid of points over it.
  let minC = Infinity;
  let minR = Infinity;
  let maxC = -Infinity;
  let maxR = -Infinity;
  const G = 8;
  for (let j = 0; j <= G; j++)
    for (let i = 0; i <= G; i++) {
      const [c, r] = geo.toPixel(ix[0] + ((ix[2] - ix[0]) * i) / G, ix[1] + ((ix[3] - ix[1]) * j) / G);
      if (!Number.isFinite(c) || !Number.isFinite(r)) continue;
      minC = Math.min(minC, c);
      maxC = Math.max(maxC, c);
      minR = Math.min(minR, r);
      maxR = Math.max(maxR, r);
    }
  if (!(maxC >= minC && maxR >= minR)) return emptyImage(size, size);

  // Full-resolution source pixels per tile pixel, from the local Jacobian at the centre of the covered part.
  const res = mercatorResolution(z, size);
  const cx = (ix[0] + ix[2]) / 2;
  const cy = (ix[1] + ix[3]) / 2;
  const p0 = geo.toPixel(cx, cy);
  const p1 = geo.toPixel(cx + res, cy);
  const p2 = geo.toPixel(cx, cy + res);
  const det = Math.abs((p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0]));
  const factor = Number.isFinite(det) && det > 0 ? Math.sqrt(det) : 1;
  const level = chooseOverview(info, factor);
  const [fx, fy] = levelFactor(info, level);
  const [lw, lh] = levelSize(info, level);
  const margin = opts.resampling === 'cubic' ? 3 : 2;
  const x0 = Math.max(0, Math.floor(minC / fx) - margin);
  const y0 = Math.max(0, Math.floor(minR / fy) - margin);
  const x1 = Math.min(lw, Math.ceil(maxC / fx) + margin);
  const y1 = Math.min(lh, Math.ceil(maxR / fy) + margin);
  if (x1 <= x0 || y1 <= y0) return emptyImage(size, size);
  const maxRead = opts.maxReadPixels ?? 1 << 24;
  if ((x1 - x0) * (y1 - y0) > maxRead)
    throw new GepError(
      'GEP_ERR_TOO_LARGE',
      `tile ${z}/${x}/${y} needs ${x1 - x0}x${y1 - y0} source pixels (more than ${maxRead}); the raster lacks overviews for this zoom`,
    );

  const style = await resolveStyle(reader, bands, opts);
  const src = await reader.read({ window: { x0, y0, width: x1 - x0, height: y1 - y0 }, overview: level, bands, signal: opts.signal });
  const floatSrc: Raster = { ...src, dataType: 'float32', bands: toFloat32(src, style.nodata), nodata: NaN };
  const warped = warpRaster(
    floatSrc,
    { width: size, height: size, transform: tileTransform(z, x, y, size), crs: WEB_MERCATOR },
    { resampling: opts.resampling ?? 'nearest', nodata: null, signal: opts.signal },
  );
  // Tile pixels whose centre lies outside the raster's Mercator bounding box are transparent (guards against
  // projections that fold far-away points back onto the source).
  const c0 = Math.max(0, Math.floor((ix[0] - tb[0]) / res));
  const c1 = Math.min(size, Math.ceil((ix[2] - tb[0]) / res));
  const r0 = Math.max(0, Math.floor((tb[3] - ix[3]) / res));
  const r1 = Math.min(size, Math.ceil((tb[3] - ix[1]) / res));
  for (const band of warped.bands)
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) if (r < r0 || r >= r1 || c < c0 || c >= c1) band[r * size + c] = NaN;

  return paint(warped.bands, size, size, level, style.rescale, opts.colormap);
}

/**
 * Renders the whole raster in its own grid (no reprojection), the longer side at most `maxSize` pixels: reads the
 * smallest overview level at least that large (or the full resolution) and subsamples it (nearest).
 */
export async function renderPreview(reader: RasterReader, opts: RenderOptions & { maxSize?: number } = {}): Promise<RenderedImage> {
  const maxSize = opts.maxSize ?? 1024;
  if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > 4096)
    throw invalidInput(`max_size: expected an integer in [1, 4096], got ${maxSize}`, { parameter: 'max_size' });
  const info = reader.info;
  const bands = resolveBands(info, opts.bands);
  if (opts.colormap !== undefined) getColormap(opts.colormap);
  let level = 0;
  for (let k = info.overviews.length; k >= 1; k--) {
    const o = info.overviews[k - 1]!;
    if (Math.max(o.width, o.height) >= maxSize) {
      level = k;
      break;
    }
  }
  const [lw, lh] = levelSize(info, level);
  const maxRead = opts.maxReadPixels ?? 1 << 24;
  if (lw * lh > maxRead)
    throw new GepError('GEP_ERR_TOO_LARGE', `preview needs ${lw}x${lh} source pixels (more than ${maxRead}); the raster lacks overviews`);
  const style = await resolveStyle(reader, bands, opts);
  const src = await reader.read({ overview: level, bands, signal: opts.signal });
  const fb = toFloat32(src, style.nodata);
  const scale = Math.max(1, Math.max(lw, lh) / maxSize);
  const w = Math.max(1, Math.min(maxSize, Math.round(lw / scale)));
  const h = Math.max(1, Math.min(maxSize, Math.round(lh / scale)));
  const cols = new Int32Array(w);
  for (let c = 0; c < w; c++) cols[c] = Math.min(lw - 1, Math.floor(((c + 0.5) * lw) / w));
  const out = fb.map((a) => {
    const o = new Float32Array(w * h);
    for (let r = 0; r < h; r++) {
      const sr = Math.min(lh - 1, Math.floor(((r + 0.5) * lh) / h)) * lw;
      for (let c = 0; c < w; c++) o[r * w + c] = a[sr + cols[c]!]!;
    }
    return o;
  });
  return paint(out, w, h, level, style.rescale, opts.colormap);
}

export interface TileRange {
  /** [west, south, east, north] in degrees (WGS84). */
  bounds: Bounds;
  /** Zoom at which a tile pixel is as coarse as the coarsest overview's pixel (floor). */
  minzoom: number;
  /** First zoom at which a tile pixel is at least as fine as a full-resolution pixel (ceil). */
  maxzoom: number;
  /** [lon, lat, zoom] */
  center: [number, number, number];
}

/** Geographic bounds and useful zoom range of a raster for TileJSON (https://github.com/mapbox/tilejson-spec 3.0.0). */
export function tileRange(info: RasterInfo, maxZoom = 24): TileRange {
  const geo = mercatorGeo(info, 'tilejson');
  const t = info.transform!;
  const conv = proj4(crsToProj4(info.crs!), WGS84);
  const b = outlineBounds(info, (c, r) => {
    try {
      return conv.forward([t[0] + c * t[1] + r * t[2], t[3] + c * t[4] + r * t[5]]);
    } catch {
      return [NaN, NaN];
    }
  });
  const cc = info.width / 2;
  const cr = info.height / 2;
  const m0 = geo.toMercator(cc, cr);
  const m1 = geo.toMercator(cc + 1, cr);
  const m2 = geo.toMercator(cc, cr + 1);
  const res = Math.sqrt(Math.abs((m1[0] - m0[0]) * (m2[1] - m0[1]) - (m1[1] - m0[1]) * (m2[0] - m0[0])));
  const zoomFor = (r: number): number => Math.log2((2 * ORIGIN_SHIFT) / (TILE_SIZE * r));
  const clampZ = (z: number): number => Math.max(0, Math.min(maxZoom, z));
  const maxzoom = clampZ(Math.ceil(zoomFor(res) - 1e-9));
  const [ofx, ofy] = levelFactor(info, info.overviews.length);
  const minzoom = Math.min(maxzoom, clampZ(Math.floor(zoomFor(res * Math.max(ofx, ofy)) + 1e-9)));
  return { bounds: b, minzoom, maxzoom, center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, minzoom] };
}
