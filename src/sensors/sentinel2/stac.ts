/**
 * Sentinel-2 L1C/L2A products published as STAC items with one COG (or JP2) per band: Planetary Computer style
 * (asset keys B04, SCL; s2:* properties) and Earth Search style (asset keys red, nir08, scl; raster:bands scale and
 * offset; view:* and mgrs:* properties), and the items our own readers produce. A band is an asset of its own
 * (keyed B04 / red) or a sample of a multi-band asset that lists it by name in `bands` (STAC 1.1) or `eo:bands`.
 * An item without Sentinel-2 bands whose only `data` asset is a GeoTIFF/COG opens as that plain GeoTIFF product,
 * with the item's id and datetime.
 *
 * Grid per band from proj:shape + proj:transform + proj:code/proj:epsg when present, else from the file's header.
 * Reflectance scaling: the asset's raster scale/offset when given, else 1/10000 and, from processing baseline 04.00,
 * an offset of -1000 DN (ESA PSD 14.9). Relative hrefs are resolved against the item's own location.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { corruptFile, GepError, invalidInput, throwIfAborted } from '../../core/errors.ts';
import type { StacAsset, StacItem } from '../../core/stac.ts';
import { openRaster } from '../../raster/open.ts';
import { openJp2 } from '../../raster/jp2/read.ts';
import { openGeoTiff } from '../../raster/tiff/read.ts';
import type { Crs, GeoTransform, RasterReader } from '../../raster/types.ts';
import { openZip, parseZipHref } from '../archive.ts';
import { buildStacItem, footprintOrNull } from '../common.ts';
import type { Product, ProductBand, ProductMask, ProductMetadata } from '../types.ts';
import { S2_BANDS } from './bands.ts';
import { isRemoteHref, readRemoteBytes, resolveRemoteHref } from '../remote.ts';

const MAX_ITEM_BYTES = 16 << 20;

type Props = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

async function loadItem(src: string, signal: AbortSignal | undefined): Promise<StacItem> {
  let text: string;
  if (isRemoteHref(src)) {
    text = new TextDecoder().decode(await readRemoteBytes(src, MAX_ITEM_BYTES, signal));
  } else {
    try {
      text = await readFile(src, 'utf8');
    } catch {
      throw new GepError('GEP_ERR_NOT_FOUND', `${src}: no such file`, { file: src });
    }
  }
  if (text.length > MAX_ITEM_BYTES) throw new GepError('GEP_ERR_TOO_LARGE', `${src}: item larger than ${MAX_ITEM_BYTES} bytes`, { file: src });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corruptFile(src, 'not JSON (expected a STAC item)');
  }
  return json as StacItem;
}

function resolveHref(href: string, base: string | null): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href) || isAbsolute(href) || !base) return href;
  if (isRemoteHref(base)) return resolveRemoteHref(href, base);
  return resolve(dirname(base), href);
}

function epsgOf(p: Props | StacAsset | undefined): number | undefined {
  if (!p) return undefined;
  const e = num(p['proj:epsg']);
  if (e !== undefined) return e;
  const code = str(p['proj:code']);
  const m = code ? /^EPSG:(\d+)$/i.exec(code) : null;
  return m ? Number(m[1]) : undefined;
}

/** The band list of an asset: STAC 1.1 `bands`, else STAC 1.0 `eo:bands`. */
function assetBands(a: StacAsset): Props[] {
  const l = Array.isArray(a['bands']) ? a['bands'] : Array.isArray(a['eo:bands']) ? a['eo:bands'] : [];
  return (l as unknown[]).filter((x): x is Props => typeof x === 'object' && x !== null);
}

/**
 * Raster scale/offset of band `i` of an asset: STAC 1.1 bands[i].raster:scale or raster extension
 * raster:bands[i].scale.
 */
function rasterScaling(a: StacAsset, i: number): { scale?: number; offset?: number } {
  const b11 = Array.isArray(a['bands']) ? (a['bands'] as Props[])[i] : undefined;
  const rb = Array.isArray(a['raster:bands']) ? (a['raster:bands'] as Props[])[i] : undefined;
  const scale = num(b11?.['raster:scale']) ?? num(rb?.['scale']);
  const offset = num(b11?.['raster:offset']) ?? num(rb?.['offset']);
  return { ...(scale !== undefined ? { scale } : {}), ...(offset !== undefined ? { offset } : {}) };
}

/**
 * Where band `name` is: an asset keyed by one of `keys` or by the band name (the file's first sample), else an
 * asset that lists the band by name in its bands (a multi-band file, e.g. all 10 m bands in one COG; sample =
 * position in the list).
 */
function findAsset(assets: Record<string, StacAsset>, name: string, keys: readonly string[]): { a: StacAsset; index: number } | null {
  const key = keys.find((k) => assets[k]) ?? Object.keys(assets).find((k) => k.toUpperCase() === name);
  if (key) return { a: assets[key]!, index: 0 };
  for (const a of Object.values(assets)) {
    const index = assetBands(a).findIndex((b) => typeof b['name'] === 'string' && b['name'].toUpperCase() === name);
    if (index >= 0) return { a, index };
  }
  return null;
}

async function openAny(href: string, signal: AbortSignal | undefined): Promise<RasterReader> {
  const z = parseZipHref(href);
  if (z) {
    const zip = await openZip(z.archive);
    try {
      const bytes = zip.read(z.entry);
      return /\.jp2$/i.test(z.entry) ? openJp2(bytes, { name: href, signal }) : openGeoTiff(bytes, { signal });
    } finally {
      zip.close();
    }
  }
  return openRaster(href, signal ? { signal } : {});
}

/** Opens a Sentinel-2 product from a STAC item (object, JSON path or URL). */
export async function openSentinel2StacItem(item: StacItem | string, opts: { signal?: AbortSignal } = {}): Promise<Product> {
  throwIfAborted(opts.signal);
  const base = typeof item === 'string' ? item : null;
  const it = typeof item === 'string' ? await loadItem(item, opts.signal) : item;
  const where = base ?? `STAC item ${String((it as { id?: unknown }).id ?? '?')}`;
  if (!it || typeof it !== 'object' || it.type !== 'Feature' || !it.properties || typeof it.assets !== 'object' || !it.assets)
    throw corruptFile(where, 'not a STAC item (expected type Feature with properties and assets)');
  const p = it.properties as Props;
  const datetime = str(p['datetime']) ?? str(p['start_datetime']);
  if (!datetime || Number.isNaN(Date.parse(datetime))) throw corruptFile(where, 'item has no valid properties.datetime');
  const itemEpsg = epsgOf(p);
  const baseline = str(p['s2:processing_baseline']) ?? str(p['processing:version']);
  const harmonizedOffset = baseline && Number(baseline) >= 4 ? -0.1 : 0;
  const bands: ProductBand[] = [];
  /** Sample index of each band in its file (0 unless the asset is a multi-band file). */
  const sample = new Map<string, number>();
  const headers = new Map<string, Promise<RasterReader['info']>>();
  const header = (href: string): Promise<RasterReader['info']> => {
    let h = headers.get(href);
    if (!h) {
      h = openAny(href, opts.signal).then(async (r) => {
        await r.close();
        return r.info;
      });
      headers.set(href, h);
    }
    return h;
  };
  for (const info of S2_BANDS) {
    const found = findAsset(it.assets, info.name, info.stacKeys);
    if (!found) continue;
    const { a, index } = found;
    const href = resolveHref(a.href, base);
    const epsg = epsgOf(a) ?? itemEpsg;
    const shape = Array.isArray(a['proj:shape']) ? (a['proj:shape'] as number[]) : undefined;
    const pt = Array.isArray(a['proj:transform']) ? (a['proj:transform'] as number[]) : undefined;
    let width: number;
    let height: number;
    let transform: GeoTransform | null;
    let crs: Crs | null = epsg !== undefined ? { epsg } : null;
    if (shape?.length === 2 && pt && pt.length >= 6 && epsg !== undefined) {
      [height, width] = [shape[0]!, shape[1]!];
      transform = [pt[2]!, pt[0]!, pt[1]!, pt[5]!, pt[3]!, pt[4]!];
    } else {
      const h = await header(href);
      ({ width, height, transform } = h);
      crs = h.crs ?? crs;
      if (index >= h.bandCount) throw corruptFile(where, `asset ${href} lists band ${info.name} as sample ${index + 1}, the file has ${h.bandCount}`);
    }
    sample.set(info.name, index);
    const s = rasterScaling(a, index);
    bands.push({
      name: info.name,
      commonName: info.commonName,
      centerWavelength: info.wavelength,
      gsd: num(a['gsd']) ?? (transform ? Math.abs(transform[1]) : info.resolution),
      width,
      height,
      transform,
      crs,
      href,
      scale: s.scale ?? 1e-4,
      offset: s.offset ?? harmonizedOffset,
      nodata: 0,
    });
  }
  if (bands.length === 0) {
    // Not Sentinel-2: an item whose one data asset is a GeoTIFF/COG is that file, dated by the item.
    const data = Object.values(it.assets).filter((a) => a.roles?.includes('data') && (a.type === undefined || /tiff/i.test(a.type)));
    if (data.length === 1) {
      const { openGeoTiffProduct } = await import('../geotiff/product.ts');
      const product = await openGeoTiffProduct(resolveHref(data[0]!.href, base), { ...opts, datetime: new Date(datetime).toISOString() });
      product.metadata.productId = it.id;
      return product;
    }
    throw corruptFile(where, 'no Sentinel-2 band assets (B01..B12 / coastal..swir22) and not one GeoTIFF data asset');
  }
  const masks: ProductMask[] = [];
  for (const [k, a] of Object.entries(it.assets)) {
    const roles = a.roles ?? [];
    if (k.toLowerCase() === 'scl' || roles.includes('scene-classification'))
      masks.push({ name: 'scl', href: resolveHref(a.href, base), kind: 'scene-classification' });
    else if (roles.includes('detector-footprint') || /^detector-footprint-/.test(k))
      masks.push({ name: k, href: resolveHref(a.href, base), kind: 'detector-footprint' });
  }
  const tile =
    str(p['s2:mgrs_tile']) ??
    (str(p['grid:code'])?.replace(/^MGRS-/, '') || undefined) ??
    (num(p['mgrs:utm_zone']) !== undefined ? `${num(p['mgrs:utm_zone'])}${str(p['mgrs:latitude_band'])}${str(p['mgrs:grid_square'])}` : undefined);
  const sunZen = num(p['s2:mean_solar_zenith']) ?? (num(p['view:sun_elevation']) !== undefined ? 90 - num(p['view:sun_elevation'])! : undefined);
  const sunAz = num(p['s2:mean_solar_azimuth']) ?? num(p['view:sun_azimuth']);
  const type = `${str(p['s2:product_type']) ?? ''} ${it.collection ?? ''} ${str(p['processing:level']) ?? ''}`;
  const level = /2A/i.test(type) ? 'L2A' : /1C/i.test(type) ? 'L1C' : undefined;
  const fine = [...bands].sort((a, b) => a.gsd - b.gsd)[0]!;
  let footprint: ProductMetadata['footprint'] = it.geometry && it.geometry.type === 'Polygon' ? it.geometry : null;
  if (!footprint && fine.transform && fine.crs) footprint = footprintOrNull(fine.width, fine.height, fine.transform, fine.crs);
  const platform = str(p['platform']);
  const metadata: ProductMetadata = {
    sensor: 'sentinel-2',
    productId: str(p['s2:product_uri'])?.replace(/\.SAFE$/, '') ?? it.id,
    instrument: 'msi',
    datetime: new Date(datetime).toISOString(),
    footprint,
    ...(platform ? { platform: platform.toLowerCase() } : {}),
    ...(level ? { processingLevel: level } : {}),
    ...(baseline ? { processingBaseline: baseline } : {}),
    ...(tile ? { tileId: tile } : {}),
    ...(num(p['sat:relative_orbit']) !== undefined ? { relativeOrbit: num(p['sat:relative_orbit'])! } : {}),
    ...(num(p['eo:cloud_cover']) !== undefined ? { cloudCover: num(p['eo:cloud_cover'])! } : {}),
    ...(sunZen !== undefined && sunAz !== undefined ? { sun: { zenith: sunZen, azimuth: sunAz } } : {}),
    ...((fine.crs?.epsg ?? itemEpsg) !== undefined ? { epsg: fine.crs?.epsg ?? itemEpsg! } : {}),
  };
  const vz = num(p['view:incidence_angle']) ?? num(p['s2:mean_view_zenith']);
  const va = num(p['view:azimuth']) ?? num(p['s2:mean_view_azimuth']);
  if (vz !== undefined && va !== undefined) metadata.view = { zenith: vz, azimuth: va };

  const read = async (href: string, name: string, band: ProductBand | undefined, o: Parameters<Product['readBand']>[1] = {}) => {
    const reader = await openAny(href, o.signal);
    let ras;
    try {
      ras = await reader.read({ ...o, bands: [sample.get(band?.name ?? '') ?? 0] });
    } finally {
      await reader.close();
    }
    return { ...ras, crs: ras.crs ?? band?.crs ?? null, nodata: ras.nodata ?? 0, bandNames: [name] };
  };
  return {
    metadata,
    bands,
    masks,
    async readBand(name, o) {
      const b = bands.find((x) => x.name === name || S2_BANDS.find((i) => i.name === x.name)?.stacKeys.includes(name));
      if (!b) throw invalidInput(`band '${name}' is not in ${it.id} (bands: ${bands.map((x) => x.name).join(', ')})`, { band: name });
      return read(b.href, b.name, b, o);
    },
    async readMask(name, o) {
      const m = masks.find((x) => x.name === name);
      if (!m) throw invalidInput(`mask '${name}' is not in ${it.id} (masks: ${masks.map((x) => x.name).join(', ')})`, { mask: name });
      return read(m.href, name, undefined, o);
    },
    toStacItem: () =>
      buildStacItem(metadata, bands, masks, { id: it.id, ...(it.collection ? { collection: it.collection } : {}) }),
    async close() {},
  };
}
