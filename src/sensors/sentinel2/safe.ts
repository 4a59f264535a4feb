/**
 * Sentinel-2 L1C / L2A SAFE reader (ESA PSD 14.x): a .SAFE folder or a .zip of one, read in place.
 *
 * Metadata: manifest.safe (must exist and be XML), MTD_MSIL1C.xml / MTD_MSIL2A.xml (time, spacecraft, baseline,
 * cloud cover, quantification, offsets), GRANULE/<g>/MTD_TL.xml (tile, EPSG, grids, sun and viewing angles).
 * Pixels: band JP2s at their native resolution (L1C IMG_DATA/T*_B04.jp2; L2A IMG_DATA/R10m/T*_B04_10m.jp2), DN as
 * uint16 with scale/offset to reflectance; the grid (transform, CRS) comes from MTD_TL.xml. Masks: detector
 * footprints (QI_DATA/MSK_DETFOO_Bxx.jp2 from baseline 04.00, GML polygons before) and the L2A SCL.
 */
import { corruptFile, invalidInput, throwIfAborted, unsupported } from '../../core/errors.ts';
import { openJp2 } from '../../raster/jp2/read.ts';
import type { GeoTransform, Raster, RasterReader } from '../../raster/types.ts';
import { makeRaster, windowTransform } from '../../raster/types.ts';
import { buildStacItem, footprintOrNull } from '../common.ts';
import { readFirstBand } from '../product-base.ts';
import type { AngleStats, Product, ProductBand, ProductMask, ProductMetadata, ReadOptions } from '../types.ts';
import { S2_BANDS, s2Band } from './bands.ts';
import { parseDetectorGml, rasterizeDetectors } from './detfoo.ts';
import type { AngleGrid, S2Grid, S2ProductMtd, S2TileMtd } from './mtd.ts';
import { parseProductMtd, parseTileMtd } from './mtd.ts';
import type { SafeSource } from './safe-source.ts';
import { openSafeSource } from './safe-source.ts';
import { parseXml } from '../xml.ts';

/** Sentinel-2 specifics beyond ProductMetadata, typed. */
export interface Sentinel2Details {
  level: 'L1C' | 'L2A';
  spacecraft: string;
  quantification: number;
  /** Additive DN offset per band name (RADIO_ADD_OFFSET / BOA_ADD_OFFSET; 0 before baseline 04.00). */
  offsets: Record<string, number>;
  grids: S2Grid[];
  sunGrid: AngleGrid | null;
  viewPerBand: Record<string, AngleStats>;
  safeName: string;
}

export interface Sentinel2Product extends Product {
  sentinel2: Sentinel2Details;
}

interface FileRef {
  rel: string;
  grid: S2Grid;
}

const PRODUCT_MTD = /^(MTD_MSIL(1C|2A)|S2[ABCD]_[A-Z]{4}_MTD_SAFL(1C|2A)_.*)\.xml$/;
const TILE_MTD = /^GRANULE\/([^/]+)\/(MTD_TL|S2[ABCD]_[A-Z]{4}_MTD_L(1C|2A)_TL_.*)\.xml$/;

function gridFor(tile: S2TileMtd, res: number, file: string): S2Grid {
  const g = tile.grids.find((x) => x.resolution === res);
  if (!g) throw corruptFile(file, `MTD_TL.xml has no <Size resolution="${res}"> grid`, { element: 'Size' });
  return g;
}

/** Band files of the granule at each resolution, by band name. */
function findBands(files: string[], granule: string, level: 'L1C' | 'L2A'): Map<string, { rel: string; res: number | null }[]> {
  const out = new Map<string, { rel: string; res: number | null }[]>();
  const prefix = `GRANULE/${granule}/IMG_DATA/`;
  for (const f of files) {
    if (!f.startsWith(prefix)) continue;
    const m =
      level === 'L2A'
        ? /^R(10|20|60)m\/[^/]*_(B\d\d|B8A|SCL)_(?:10|20|60)m\.jp2$/.exec(f.slice(prefix.length))
        : /^(?:[^/]*_)?(B\d\d|B8A)\.jp2$/.exec(f.slice(prefix.length));
    if (!m) continue;
    const name = level === 'L2A' ? m[2]! : m[1]!;
    const res = level === 'L2A' ? Number(m[1]) : null;
    const list = out.get(name) ?? [];
    list.push({ rel: f, res });
    out.set(name, list);
  }
  return out;
}

/** Opens a Sentinel-2 L1C/L2A product (.SAFE folder or .zip). */
export async function openSentinel2Safe(path: string, opts: { signal?: AbortSignal } = {}): Promise<Sentinel2Product> {
  throwIfAborted(opts.signal);
  const src = await openSafeSource(path);
  try {
    return buildProduct(path, src, opts.signal);
  } catch (e) {
    src.close();
    throw e;
  }
}

function buildProduct(path: string, src: SafeSource, signal: AbortSignal | undefined): Sentinel2Product {
  const files = src.list();
  if (!files.includes('manifest.safe')) throw corruptFile(path, 'missing manifest.safe at the root of the SAFE');
  parseXml(src.read('manifest.safe'), src.href('manifest.safe'));
  const mtdRel = files.find((f) => PRODUCT_MTD.test(f));
  if (!mtdRel) throw corruptFile(path, 'missing product metadata MTD_MSIL1C.xml / MTD_MSIL2A.xml');
  const mtd: S2ProductMtd = parseProductMtd(src.read(mtdRel), src.href(mtdRel));
  const tiles = files.filter((f) => TILE_MTD.test(f));
  if (tiles.length === 0) throw corruptFile(path, 'missing tile metadata GRANULE/*/MTD_TL.xml');
  if (tiles.length > 1) throw unsupported(path, `multi-tile product with ${tiles.length} granules (one tile per product expected)`);
  const tileRel = tiles[0]!;
  const granule = TILE_MTD.exec(tileRel)![1]!;
  const tile = parseTileMtd(src.read(tileRel), src.href(tileRel));
  throwIfAborted(signal);
  const crs = { epsg: tile.epsg };
  const byName = findBands(files, granule, mtd.level);
  const refs = new Map<string, FileRef>();
  const bands: ProductBand[] = [];
  const offsetsByName: Record<string, number> = {};
  const viewPerBand: Record<string, AngleStats> = {};
  for (const info of S2_BANDS) {
    const cands = byName.get(info.name);
    if (!cands) continue;
    const pick = cands.find((c) => c.res === info.resolution) ?? [...cands].sort((a, b) => (a.res ?? 0) - (b.res ?? 0))[0]!;
    const grid = gridFor(tile, pick.res ?? info.resolution, src.href(tileRel));
    refs.set(info.name, { rel: pick.rel, grid });
    const off = mtd.offsets.get(info.bandId) ?? 0;
    offsetsByName[info.name] = off;
    const v = tile.viewPerBand.get(info.bandId);
    if (v) viewPerBand[info.name] = v;
    bands.push({
      name: info.name,
      commonName: info.commonName,
      centerWavelength: info.wavelength,
      gsd: grid.resolution,
      width: grid.width,
      height: grid.height,
      transform: grid.transform,
      crs,
      href: src.href(pick.rel),
      scale: 1 / mtd.quantification,
      offset: off / mtd.quantification,
      nodata: 0,
    });
  }
  if (bands.length === 0) throw corruptFile(path, `no band files (${mtd.level === 'L2A' ? 'IMG_DATA/R10m/*_B04_10m.jp2' : 'IMG_DATA/*_B04.jp2'}) in GRANULE/${granule}`);

  const masks: ProductMask[] = [];
  const maskRefs = new Map<string, FileRef & { gml: boolean }>();
  for (const f of files) {
    const m = /^GRANULE\/[^/]+\/QI_DATA\/(?:.*_)?MSK_DETFOO_(?:.*_)?(B\d\d|B8A)(?:_MSIL\w+)?\.(jp2|gml)$/.exec(f);
    if (!m || (maskRefs.has(`detector-footprint-${m[1]}`) && m[2] === 'gml')) continue;
    const info = s2Band(m[1]!);
    if (!info) continue;
    const grid = refs.get(info.name)?.grid ?? gridFor(tile, info.resolution, src.href(tileRel));
    maskRefs.set(`detector-footprint-${info.name}`, { rel: f, grid, gml: m[2] === 'gml' });
  }
  const scl = byName.get('SCL');
  if (scl) {
    const pick = scl.find((c) => c.res === 20) ?? scl[0]!;
    maskRefs.set('scl', { rel: pick.rel, grid: gridFor(tile, pick.res ?? 20, src.href(tileRel)), gml: false });
  }
  for (const [name, r] of [...maskRefs].sort((a, b) => a[0].localeCompare(b[0])))
    masks.push({ name, href: src.href(r.rel), kind: name === 'scl' ? 'scene-classification' : 'detector-footprint' });

  const fine = tile.grids[0]!;
  const footprint = footprintOrNull(fine.width, fine.height, fine.transform, crs);
  const metadata: ProductMetadata = {
    sensor: 'sentinel-2',
    productId: src.name.replace(/\.SAFE$/i, ''),
    platform: mtd.spacecraft.toLowerCase(),
    instrument: 'msi',
    datetime: mtd.startTime,
    processingLevel: mtd.level,
    processingBaseline: mtd.baseline,
    tileId: tile.tileId,
    sun: tile.sun,
    epsg: tile.epsg,
    footprint,
  };
  if (mtd.relativeOrbit !== undefined) metadata.relativeOrbit = mtd.relativeOrbit;
  const cloud = mtd.cloudCover ?? tile.cloudyPixelPercentage;
  if (cloud !== undefined) metadata.cloudCover = cloud;
  if (tile.view) metadata.view = tile.view;

  const open = async (rel: string, sig: AbortSignal | undefined): Promise<RasterReader> => {
    const local = src.localPath(rel);
    return local ? openJp2(local, { signal: sig }) : openJp2(src.read(rel), { name: src.href(rel), signal: sig });
  };
  const readJp2 = async (rel: string, grid: S2Grid, name: string, o: ReadOptions): Promise<Raster> => {
    const expect = { width: grid.width, height: grid.height, file: src.href(rel), declaredBy: 'MTD_TL.xml' };
    const ras = await readFirstBand(await open(rel, o.signal), o, expect);
    const lvl = o.overview ?? 0;
    const t = grid.transform;
    const f = 2 ** lvl;
    const lt: GeoTransform = [t[0], t[1] * f, t[2] * f, t[3], t[4] * f, t[5] * f];
    return {
      ...ras,
      transform: windowTransform(lt, o.window ?? { x0: 0, y0: 0, width: ras.width, height: ras.height }),
      crs,
      nodata: 0,
      bandNames: [name],
    };
  };
  const readGmlMask = (ref: FileRef, name: string, o: ReadOptions): Raster => {
    const polys = parseDetectorGml(src.read(ref.rel), src.href(ref.rel));
    const lvl = o.overview ?? 0;
    if (!Number.isInteger(lvl) || lvl < 0 || lvl > 8) throw invalidInput(`${name}: overview ${lvl} does not exist`);
    const f = 2 ** lvl;
    const w = Math.ceil(ref.grid.width / f);
    const h = Math.ceil(ref.grid.height / f);
    const t = ref.grid.transform;
    const lt: GeoTransform = [t[0], t[1] * f, 0, t[3], 0, t[5] * f];
    const win = o.window ?? { x0: 0, y0: 0, width: w, height: h };
    if (win.x0 < 0 || win.y0 < 0 || win.width <= 0 || win.height <= 0 || win.x0 + win.width > w || win.y0 + win.height > h)
      throw invalidInput(`${name}: window outside the ${w}x${h} grid`);
    const wt = windowTransform(lt, win);
    const data = rasterizeDetectors(polys, win.width, win.height, wt);
    return makeRaster([data], win.width, win.height, { transform: wt, crs, nodata: 0, bandNames: [name] });
  };

  const product: Sentinel2Product = {
    metadata,
    bands,
    masks,
    sentinel2: {
      level: mtd.level,
      spacecraft: mtd.spacecraft,
      quantification: mtd.quantification,
      offsets: offsetsByName,
      grids: tile.grids,
      sunGrid: tile.sunGrid,
      viewPerBand,
      safeName: src.name,
    },
    async readBand(name, o = {}) {
      const info = s2Band(name);
      const ref = info ? refs.get(info.name) : undefined;
      if (!info || !ref)
        throw invalidInput(`band '${name}' is not in ${src.name} (bands: ${bands.map((b) => b.name).join(', ')})`, { band: name });
      return readJp2(ref.rel, ref.grid, info.name, o);
    },
    async readMask(name, o = {}) {
      const ref = maskRefs.get(name);
      if (!ref) throw invalidInput(`mask '${name}' is not in ${src.name} (masks: ${[...maskRefs.keys()].join(', ')})`, { mask: name });
      throwIfAborted(o.signal);
      return ref.gml ? readGmlMask(ref, name, o) : readJp2(ref.rel, ref.grid, name, o);
    },
    toStacItem() {
      return buildStacItem(metadata, bands, masks, { collection: mtd.level === 'L1C' ? 'sentinel-2-l1c' : 'sentinel-2-l2a' });
    },
    async close() {
      src.close();
    },
  };
  return product;
}

