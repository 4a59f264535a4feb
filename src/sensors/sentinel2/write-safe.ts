/**
 * Writes a real, minimal Sentinel-2 L1C/L2A SAFE product (used by the scene simulator and tests): ESA folder naming
 * `S2A_MSIL1C_YYYYMMDDTHHMMSS_Nxxyy_Rooo_Txxxxx_<discriminator>.SAFE`, lossless JP2 bands at 10/20/60 m,
 * detector footprints (MSK_DETFOO_Bxx.jp2 from baseline 04.00, GML polygons before), L2A SCL at 20 m, the product,
 * tile and datastrip metadata and an XFDU manifest with SHA3-256 checksums. Output goes to a temporary name and is
 * renamed when complete; `zip: true` produces only the .zip (the .SAFE folder at its root).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { invalidInput } from '../../core/errors.ts';
import { encodeJp2 } from '../../raster/jp2/write.ts';
import type { GeoTransform, Raster } from '../../raster/types.ts';
import { makeRaster } from '../../raster/types.ts';
import { s2Band } from './bands.ts';
import { detectorGml, detectorPolygons } from './detfoo.ts';
import type { SafeNames, WrittenGrid } from './write-safe-xml.ts';
import { datastripMtdXml, manifestXml, productMtdXml, tileMtdXml } from './write-safe-xml.ts';

export interface WriteSafeOptions {
  level: 'L1C' | 'L2A';
  spacecraft: 'Sentinel-2A' | 'Sentinel-2B' | 'Sentinel-2C';
  /** ISO 8601 sensing time. */
  datetime: string;
  /** MGRS tile, e.g. '33UUU'. */
  tileId: string;
  relativeOrbit: number;
  /** e.g. '05.10'; >= 04.00 means DN = reflectance*10000 + 1000 (RADIO_ADD_OFFSET -1000). */
  processingBaseline: string;
  sun: { zenith: number; azimuth: number };
  view?: { zenith: number; azimuth: number };
  cloudCover?: number;
  /** uint16 DN rasters, each on its own grid (10, 20 or 60 m) with transform + crs (UTM EPSG). Names B01..B12, B8A. */
  bands: { name: string; raster: Raster }[];
  /** uint8 detector index (1..12, 0 = outside) on the 10 m grid. */
  detectorFootprint?: Raster;
  /** L2A scene classification (uint8 SCL codes) on the 20 m grid. */
  scl?: Raster;
  zip?: boolean;
}

/** '2023-06-15T10:15:59.024Z' -> '20230615T101559'. */
const compact = (iso: string): string => iso.replace(/[-:]/g, '').slice(0, 15);

/** Approximate absolute orbit (14 + 3/10 revolutions a day) from launch dates; only used in identifiers. */
function absoluteOrbit(spacecraft: string, t: Date): number {
  const launch = { 'Sentinel-2A': '2015-06-23', 'Sentinel-2B': '2017-03-07', 'Sentinel-2C': '2024-09-05' }[spacecraft];
  const days = (t.getTime() - Date.parse(`${launch ?? '2015-06-23'}T00:00:00Z`)) / 86_400_000;
  return Math.max(1, Math.round(days * 14.3));
}

function resolutionOf(r: Raster, what: string): number {
  const t = r.transform;
  if (!t || t[2] !== 0 || t[4] !== 0 || t[5] >= 0) throw invalidInput(`${what}: needs a north-up transform`);
  const res = Math.abs(t[1]);
  if (![10, 20, 60].includes(res) || Math.abs(t[5]) !== res) throw invalidInput(`${what}: pixel size ${t[1]}x${t[5]}, expected 10, 20 or 60 m`);
  return res;
}

/** Nearest-neighbour resampling of the 10 m detector raster onto a coarser band grid (pixel-centre sampling). */
function detectorOnGrid(det: Raster, grid: WrittenGrid): Uint8Array {
  const dt = det.transform!;
  const f = grid.resolution / Math.abs(dt[1]);
  const ox = (grid.transform[0] - dt[0]) / dt[1];
  const oy = (grid.transform[3] - dt[3]) / dt[5];
  const src = det.bands[0]!;
  const out = new Uint8Array(grid.width * grid.height);
  for (let r = 0; r < grid.height; r++) {
    const sr = Math.floor(oy + (r + 0.5) * f);
    if (sr < 0 || sr >= det.height) continue;
    for (let c = 0; c < grid.width; c++) {
      const sc = Math.floor(ox + (c + 0.5) * f);
      if (sc >= 0 && sc < det.width) out[r * grid.width + c] = src[sr * det.width + sc]!;
    }
  }
  return out;
}

function validate(o: WriteSafeOptions): { epsg: number; t: Date } {
  if (o.level !== 'L1C' && o.level !== 'L2A') throw invalidInput(`level must be L1C or L2A, got ${String(o.level)}`);
  if (!/^Sentinel-2[ABC]$/.test(o.spacecraft)) throw invalidInput(`spacecraft must be Sentinel-2A/B/C, got ${o.spacecraft}`);
  const t = new Date(o.datetime);
  if (Number.isNaN(t.getTime())) throw invalidInput(`datetime '${o.datetime}' is not ISO 8601`);
  if (!/^\d{2}[C-X][A-Z]{2}$/.test(o.tileId)) throw invalidInput(`tileId '${o.tileId}' is not an MGRS tile like 33UUU`);
  if (!Number.isInteger(o.relativeOrbit) || o.relativeOrbit < 1 || o.relativeOrbit > 143)
    throw invalidInput(`relativeOrbit ${o.relativeOrbit} is outside 1..143`);
  if (!/^\d{2}\.\d{2}$/.test(o.processingBaseline)) throw invalidInput(`processingBaseline '${o.processingBaseline}' is not like 05.10`);
  if (o.bands.length === 0) throw invalidInput('writeSafe needs at least one band');
  const epsg = o.bands[0]!.raster.crs?.epsg;
  if (epsg === undefined || !((epsg > 32600 && epsg <= 32660) || (epsg > 32700 && epsg <= 32760)))
    throw invalidInput(`band ${o.bands[0]!.name}: CRS must be a WGS84 UTM EPSG code (326zz/327zz)`);
  for (const b of o.bands) {
    const info = s2Band(b.name);
    if (!info) throw invalidInput(`band name '${b.name}' is not a Sentinel-2 band (B01..B12, B8A)`);
    if (o.level === 'L2A' && info.name === 'B10') throw invalidInput('L2A products have no B10');
    if (b.raster.dataType !== 'uint16' || b.raster.bands.length !== 1) throw invalidInput(`band ${b.name}: expected one uint16 band`);
    if (b.raster.crs?.epsg !== epsg) throw invalidInput(`band ${b.name}: CRS differs from band ${o.bands[0]!.name}`);
  }
  if (o.scl && o.level !== 'L2A') throw invalidInput('scl is only written for L2A');
  return { epsg, t };
}

/** Writes the SAFE; returns the .SAFE folder path, or the .zip path when `zip` is set. */
export async function writeSafe(outDir: string, o: WriteSafeOptions): Promise<string> {
  const { epsg, t } = validate(o);
  const mission = `S2${o.spacecraft.slice(-1)}`;
  const sensing = compact(t.toISOString());
  const gen = new Date(t.getTime() + 3_600_000).toISOString();
  const abs = absoluteOrbit(o.spacecraft, t);
  const baselineN = o.processingBaseline.replace('.', '');
  const lvl = o.level === 'L1C' ? '1C' : '2A';
  const safeName = `${mission}_MSIL${lvl}_${sensing}_N${baselineN}_R${String(o.relativeOrbit).padStart(3, '0')}_T${o.tileId}_${compact(gen)}.SAFE`;
  const names: SafeNames = {
    level: o.level,
    mission,
    spacecraft: o.spacecraft,
    safeName,
    granule: `${o.level}_T${o.tileId}_A${String(abs).padStart(6, '0')}_${sensing}`,
    datastrip: `DS_2BPS_${compact(gen)}_S${sensing}`,
    tileId: o.tileId,
    startTime: t.toISOString(),
    generationTime: gen,
    baseline: o.processingBaseline,
    relativeOrbit: o.relativeOrbit,
    absoluteOrbit: abs,
  };
  const files = new Map<string, Uint8Array>();
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const gdir = `GRANULE/${names.granule}`;
  const grids = new Map<number, WrittenGrid>();
  const gridOf = (r: Raster, what: string): WrittenGrid => {
    const res = resolutionOf(r, what);
    const g = { resolution: res, width: r.width, height: r.height, transform: r.transform as GeoTransform };
    const prev = grids.get(res);
    if (prev && (prev.width !== g.width || prev.height !== g.height || prev.transform.some((v, i) => v !== g.transform[i])))
      throw invalidInput(`${what}: its ${res} m grid differs from another ${res} m band's`);
    grids.set(res, g);
    return g;
  };
  const imageFiles: string[] = [];
  const bandGrids = new Map<string, WrittenGrid>();
  for (const b of o.bands) {
    const info = s2Band(b.name)!;
    const g = gridOf(b.raster, `band ${b.name}`);
    bandGrids.set(info.name, g);
    const rel =
      o.level === 'L1C'
        ? `${gdir}/IMG_DATA/T${o.tileId}_${sensing}_${info.name}.jp2`
        : `${gdir}/IMG_DATA/R${g.resolution}m/T${o.tileId}_${sensing}_${info.name}_${g.resolution}m.jp2`;
    files.set(rel, await encodeJp2(b.raster, { lossless: true }));
    imageFiles.push(rel);
  }
  if (o.scl) {
    if (o.scl.dataType !== 'uint8' || resolutionOf(o.scl, 'scl') !== 20) throw invalidInput('scl: expected uint8 on the 20 m grid');
    gridOf(o.scl, 'scl');
    const rel = `${gdir}/IMG_DATA/R20m/T${o.tileId}_${sensing}_SCL_20m.jp2`;
    files.set(rel, await encodeJp2(o.scl, { lossless: true }));
    imageFiles.push(rel);
  }
  const newFormat = Number(o.processingBaseline) >= 4;
  const masks: { band: string; file: string }[] = [];
  if (o.detectorFootprint) {
    const det = o.detectorFootprint;
    if (det.dataType !== 'uint8' || resolutionOf(det, 'detectorFootprint') !== 10)
      throw invalidInput('detectorFootprint: expected uint8 on the 10 m grid');
    for (const [band, g] of bandGrids) {
      const data = detectorOnGrid(det, g);
      const rel = `${gdir}/QI_DATA/MSK_DETFOO_${band}.${newFormat ? 'jp2' : 'gml'}`;
      if (newFormat) {
        const r = makeRaster([data], g.width, g.height, { transform: g.transform, crs: { epsg } });
        files.set(rel, await encodeJp2(r, { lossless: true }));
      } else {
        files.set(rel, text(detectorGml(band, detectorPolygons(data, g.width, g.height, g.transform), epsg)));
      }
      masks.push({ band, file: rel });
    }
  }
  const sortedGrids = [...grids.values()].sort((a, b) => a.resolution - b.resolution);
  const cloud = o.cloudCover ?? 0;
  const bandNames = o.bands.map((b) => s2Band(b.name)!.name);
  files.set(`${gdir}/MTD_TL.xml`, text(tileMtdXml(names, sortedGrids, epsg, o.sun, o.view, bandNames, masks, cloud)));
  files.set(`DATASTRIP/${names.datastrip}/MTD_DS.xml`, text(datastripMtdXml(names)));
  const offset = newFormat ? -1000 : null;
  files.set(`MTD_MSIL${lvl}.xml`, text(productMtdXml(names, imageFiles, { cloudCover: cloud, offset, bandNames })));
  const objects = [...files].map(([rel, bytes], i) => ({
    id: `${rel.endsWith('.jp2') ? 'IMG' : 'MTD'}_${String(i).padStart(3, '0')}_${rel.replace(/^.*\//, '').replace(/\.\w+$/, '')}`,
    rel,
    size: bytes.length,
    sha3: createHash('sha3-256').update(bytes).digest('hex'),
    mime: rel.endsWith('.jp2') ? 'application/octet-stream' : 'text/xml',
  }));
  files.set('manifest.safe', text(manifestXml(names, objects)));

  await mkdir(outDir, { recursive: true });
  const tmpSuffix = `.tmp-${process.pid}-${Date.now()}`;
  if (o.zip) {
    const tree: Zippable = {};
    for (const [rel, bytes] of files) tree[`${safeName}/${rel}`] = [bytes, { level: rel.endsWith('.jp2') ? 0 : 6 }];
    const target = join(outDir, safeName.replace(/\.SAFE$/, '.zip'));
    await writeFile(target + tmpSuffix, zipSync(tree));
    await rename(target + tmpSuffix, target);
    return target;
  }
  const target = join(outDir, safeName);
  const tmp = target + tmpSuffix;
  try {
    for (const [rel, bytes] of files) {
      const p = join(tmp, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, bytes);
    }
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}
