/**
 * Pléiades / SPOT 6-7 DIMAP V2 product reader: DIM_*.XML (or its folder) -> Product in sensor geometry.
 * Bands are read from the image file(s) listed in Data_Access (GeoTIFF or JPEG2000, one or several tiles R<i>C<j>);
 * the RPC comes from the RPC_*.XML the DIM file points to (or the one beside it). Radiometric scaling:
 * radiance = DN * (1 / GAIN) + BIAS (ProductBand.scale / offset). Metadata parsing is in ./dimap-xml.ts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { GepError } from '../../core/errors.ts';
import { rpcLocalize } from '../../algorithms/stereo/rpc.ts';
import { openRaster } from '../../raster/open.ts';
import { allocBand } from '../../raster/types.ts';
import type { PixelWindow, Raster, RasterReader, RpcModel } from '../../raster/types.ts';
import { buildStacItem, polygonOfRing, rpcFootprint } from '../common.ts';
import type { Product, ProductBand, ProductMetadata, ReadOptions } from '../types.ts';
import { parseDimapXml } from './dimap-xml.ts';
import type { DimapInfo } from './dimap-xml.ts';
import { parseDimapRpcXml } from './rpc-xml.ts';

const MAX_XML_BYTES = 64 << 20;

/** STAC eo common names and nominal centre wavelengths (µm) of the Pléiades bands. */
const PHR_BANDS: Record<string, { commonName: string; wl: number }> = {
  P: { commonName: 'pan', wl: 0.65 },
  PA: { commonName: 'pan', wl: 0.65 },
  B0: { commonName: 'blue', wl: 0.49 },
  B1: { commonName: 'green', wl: 0.56 },
  B2: { commonName: 'red', wl: 0.655 },
  B3: { commonName: 'nir', wl: 0.84 },
};

async function readText(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new GepError('GEP_ERR_NOT_FOUND', `${file}: no such file`, { file });
  }
  if (size > MAX_XML_BYTES) throw new GepError('GEP_ERR_TOO_LARGE', `${file}: ${size} bytes is too large for a DIMAP XML`, { file });
  return readFile(file, 'utf8');
}

/** Finds DIM_*.XML given the file itself or its folder. */
async function resolveDim(p: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(p)).isDirectory();
  } catch {
    throw new GepError('GEP_ERR_NOT_FOUND', `${p}: no such file or folder`, { file: p });
  }
  if (!isDir) return p;
  const dim = (await readdir(p)).filter((n) => /^DIM_.*\.XML$/i.test(n)).sort();
  if (dim.length === 0) throw new GepError('GEP_ERR_INVALID_INPUT', `${p}: no DIM_*.XML in this folder (expected a DIMAP V2 product)`, { file: p });
  return join(p, dim[0]!);
}

/** Ground footprint: the DIM vertices, else the image outline localised through the RPC at its mean height. */
function footprintOf(info: DimapInfo, rpc: RpcModel | null): ProductMetadata['footprint'] {
  if (info.footprint) return polygonOfRing(info.footprint.map(([x, y]) => [x, y]));
  return rpc ? rpcFootprint(rpc, info.width, info.height) : null;
}

/** Ground sample distance (m) at the image centre from the RPC, when the DIM file does not state it. */
function gsdFromRpc(info: DimapInfo, rpc: RpcModel): number | undefined {
  try {
    const c = info.width / 2;
    const r = info.height / 2;
    const [lon0, lat0] = rpcLocalize(rpc, c, r, rpc.heightOffset);
    const [lon1, lat1] = rpcLocalize(rpc, c + 1, r, rpc.heightOffset);
    const [lon2, lat2] = rpcLocalize(rpc, c, r + 1, rpc.heightOffset);
    const m = 111319.49; // metres per degree of latitude (WGS84 equatorial radius)
    const k = Math.cos((lat0 * Math.PI) / 180);
    const d1 = Math.hypot((lon1 - lon0) * k, lat1 - lat0) * m;
    const d2 = Math.hypot((lon2 - lon0) * k, lat2 - lat0) * m;
    return (d1 + d2) / 2;
  } catch {
    return undefined;
  }
}

export interface OpenDimapOptions {
  signal?: AbortSignal;
}

/** Opens a Pléiades / SPOT DIMAP V2 product from its DIM_*.XML or its folder. */
export async function openPleiadesDimap(p: string, _opts: OpenDimapOptions = {}): Promise<Product> {
  const dimPath = resolve(await resolveDim(p));
  const dir = dirname(dimPath);
  const info = parseDimapXml(await readText(dimPath), basename(dimPath));

  let rpcFile: string | undefined;
  if (info.rpcPath) rpcFile = join(dir, info.rpcPath.replace(/^\.\//, ''));
  else {
    const cands = (await readdir(dir)).filter((n) => /^RPC_.*\.XML$/i.test(n)).sort();
    if (cands[0]) rpcFile = join(dir, cands[0]);
  }
  const rpc = rpcFile ? parseDimapRpcXml(await readText(rpcFile), basename(rpcFile)) : null;

  const mission = (info.mission ?? '').toUpperCase();
  const metadata: ProductMetadata = {
    sensor: mission.startsWith('SPOT') ? 'spot' : 'pleiades',
    productId: info.datasetName,
    datetime: info.datetime,
    footprint: footprintOf(info, rpc),
    rpc,
  };
  if (info.mission) metadata.platform = `${info.mission}${info.missionIndex ?? ''}`.toLowerCase().replace(/\s+/g, '');
  if (info.instrument) metadata.instrument = `${info.instrument}${info.instrumentIndex ?? ''}`.toLowerCase();
  if (info.processingLevel) metadata.processingLevel = info.processingLevel;
  if (info.sun) metadata.sun = { zenith: 90 - info.sun.elevation, azimuth: info.sun.azimuth };
  if (info.view) metadata.view = { zenith: info.view.incidence, azimuth: info.view.azimuth };

  const files = info.files.map((f) => ({ ...f, abs: join(dir, f.path) }));
  const gsd = info.gsd ?? (rpc ? gsdFromRpc(info, rpc) : undefined) ?? 1;
  const bands: ProductBand[] = info.bandIds.map((id) => {
    const known = PHR_BANDS[id];
    const spec = info.spectral[id];
    const rad = info.radiance[id];
    const b: ProductBand = { name: id, gsd, width: info.width, height: info.height, transform: null, crs: null, href: files[0]!.abs };
    if (known) b.commonName = known.commonName;
    if (spec) b.centerWavelength = (spec.min + spec.max) / 2;
    else if (known) b.centerWavelength = known.wl;
    if (rad) {
      b.scale = 1 / rad.gain;
      b.offset = rad.bias;
    }
    b.nodata = info.nodata ?? null;
    return b;
  });

  const readers = new Map<string, RasterReader>();
  const readerOf = async (file: string): Promise<RasterReader> => {
    let r = readers.get(file);
    if (!r) {
      r = await openRaster(file);
      readers.set(file, r);
    }
    return r;
  };

  async function readBand(name: string, o: ReadOptions = {}): Promise<Raster> {
    const idx = info.bandIds.indexOf(name);
    if (idx < 0)
      throw new GepError('GEP_ERR_INVALID_INPUT', `${basename(dimPath)}: no band '${name}' (bands: ${info.bandIds.join(', ')})`, { band: name });
    if (files.length === 1) {
      const r = await readerOf(files[0]!.abs);
      const ras = await r.read({ bands: [idx], ...(o.window ? { window: o.window } : {}), overview: o.overview ?? 0, ...(o.signal ? { signal: o.signal } : {}) });
      return { ...ras, bandNames: [name], nodata: ras.nodata ?? info.nodata ?? null };
    }
    if (o.overview)
      throw new GepError('GEP_ERR_UNSUPPORTED', `${basename(dimPath)}: overviews of a tiled DIMAP product are not read`, { file: dimPath });
    // Tiled product: assemble the window from the tiles it crosses.
    const first = await readerOf(files.find((f) => f.tileRow === 1 && f.tileCol === 1)?.abs ?? files[0]!.abs);
    const tw = info.tileWidth ?? first.info.width;
    const th = info.tileHeight ?? first.info.height;
    const win: PixelWindow = o.window ?? { x0: 0, y0: 0, width: info.width, height: info.height };
    const out = allocBand(first.info.dataType, win.width * win.height);
    for (const f of files) {
      const tx0 = (f.tileCol - 1) * tw;
      const ty0 = (f.tileRow - 1) * th;
      const x0 = Math.max(win.x0, tx0);
      const y0 = Math.max(win.y0, ty0);
      const x1 = Math.min(win.x0 + win.width, tx0 + tw, info.width);
      const y1 = Math.min(win.y0 + win.height, ty0 + th, info.height);
      if (x1 <= x0 || y1 <= y0) continue;
      const r = await readerOf(f.abs);
      const part = await r.read({ bands: [idx], window: { x0: x0 - tx0, y0: y0 - ty0, width: x1 - x0, height: y1 - y0 }, ...(o.signal ? { signal: o.signal } : {}) });
      const src = part.bands[0]!;
      for (let y = y0; y < y1; y++)
        out.set(src.subarray((y - y0) * (x1 - x0), (y - y0 + 1) * (x1 - x0)), (y - win.y0) * win.width + (x0 - win.x0));
    }
    return { width: win.width, height: win.height, dataType: first.info.dataType, bands: [out], transform: null, crs: null, nodata: info.nodata ?? null, bandNames: [name] };
  }

  return {
    metadata,
    bands,
    masks: [],
    readBand,
    readMask: (name: string) =>
      Promise.reject(new GepError('GEP_ERR_INVALID_INPUT', `${basename(dimPath)}: no mask '${name}' (this DIMAP reader exposes no masks)`, { mask: name })),
    toStacItem: () =>
      buildStacItem(metadata, bands, [], {
        assets: {
          metadata: { href: dimPath, type: 'application/xml', title: 'DIMAP V2 metadata', roles: ['metadata'] },
          ...(rpcFile ? { rpc: { href: rpcFile, type: 'application/xml', title: 'RPC model (DIMAP V2)', roles: ['metadata'] } } : {}),
        },
      }),
    close: async () => {
      const all = [...readers.values()];
      readers.clear();
      await Promise.all(all.map((r) => r.close()));
    },
  };
}
