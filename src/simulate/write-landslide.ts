/**
 * Writes the landslide scenario: VHR 4-band pre/post COGs (2 m, DN = ρ·10000), Sentinel-2 pre/post as COGs
 * and/or L2A SAFE with SCL, the DEM, the truth (landslide polygons in the image CRS and WGS84, masks on both
 * grids, distractors), training polygons and training areas, and truth.json.
 */
import { join } from 'node:path';
import { throwIfAborted } from '../core/errors.ts';
import { subProgress } from '../core/progress.ts';
import { makeRaster } from '../raster/types.ts';
import { writeSafe } from '../sensors/sentinel2/write-safe.ts';
import { featureCollection, sceneRingToMap, utmConverter } from './geometry.ts';
import type { Ring } from './geometry.ts';
import {
  landslideDem,
  landslideGridSize,
  landslideMask,
  landslideScenario,
  landslideScl,
  landslideTransform,
  renderLandslideImage,
} from './landslide.ts';
import type { LandslideScenario } from './landslide.ts';
import { writeCogFile, writeTextFile, writeTruthJson, ymd } from './write-common.ts';
import type { WriteContext } from './write-common.ts';

const VHR_BANDS = ['B0', 'B1', 'B2', 'B3'];
const S2_GROUPS = [
  { gsd: 10, bands: ['B02', 'B03', 'B04', 'B08'] },
  { gsd: 20, bands: ['B05', 'B06', 'B07', 'B8A', 'B11', 'B12'] },
  { gsd: 60, bands: ['B01', 'B09'] },
] as const;

/** Writes everything; returns the truth.json path. */
export async function writeLandslide(ctx: WriteContext): Promise<string> {
  const sc = landslideScenario({ seed: ctx.seed, size: ctx.size });
  const steps = ['pre', 'post'] as const;
  for (const [i, when] of steps.entries()) {
    throwIfAborted(ctx.signal);
    const p = subProgress(ctx.progress, i * 0.4, (i + 1) * 0.4);
    const meta = when === 'pre' ? sc.pre : sc.post;
    const day = ymd(meta.datetime);
    const vhr = renderLandslideImage(sc, when, 'vhr', VHR_BANDS, sc.gsdVhr, { signal: ctx.signal, progress: subProgress(p, 0, 0.6) });
    await writeCogFile(ctx, `cog/VHR_${when}_${day}.tif`, {
      bands: vhr, width: sc.size, height: sc.size, transform: landslideTransform(sc, sc.gsdVhr), epsg: sc.epsg,
      bandNames: VHR_BANDS, nodata: 0, datetime: meta.datetime,
      metadata: { SENSOR: 'simulated Pleiades-like VHR, 4 bands (blue, green, red, NIR)', REFLECTANCE: 'surface reflectance = DN / 10000', SUN_ZENITH: String(meta.sun.zenith), SUN_AZIMUTH: String(meta.sun.azimuth) },
    }, `${when}-event VHR image, 2 m, bands B0 blue, B1 green, B2 red, B3 NIR; uint16 DN = reflectance*10000`);
    const s2: { name: string; data: Uint16Array; gsd: number }[] = [];
    for (const [gi, g] of S2_GROUPS.entries()) {
      const data = renderLandslideImage(sc, when, 's2', g.bands, g.gsd, { signal: ctx.signal, progress: subProgress(p, 0.6 + gi * 0.1, 0.7 + gi * 0.1) });
      g.bands.forEach((name, b) => s2.push({ name, data: data[b]!, gsd: g.gsd }));
      if (ctx.cog && g.gsd !== 60) {
        const w = landslideGridSize(sc, g.gsd);
        await writeCogFile(ctx, `cog/S2_${when}_${day}_${g.gsd}m.tif`, {
          bands: data, width: w, height: w, transform: landslideTransform(sc, g.gsd), epsg: sc.epsg, bandNames: [...g.bands], nodata: 0,
          datetime: meta.datetime, metadata: { SENSOR: 'simulated Sentinel-2 MSI L2A', REFLECTANCE: 'surface reflectance = (DN - 1000) / 10000' },
        }, `${when}-event Sentinel-2 L2A bands ${g.bands.join(' ')} at ${g.gsd} m; uint16 DN = reflectance*10000 + 1000`);
      }
    }
    if (ctx.sensor) {
      p(0.95, `${when}: SAFE`);
      const w20 = landslideGridSize(sc, 20);
      const scl = landslideScl(sc, when, 20);
      let cloudy = 0;
      for (const v of scl) if (v === 8 || v === 9) cloudy++;
      const safe = await writeSafe(join(ctx.outDir, 'safe'), {
        level: 'L2A', spacecraft: when === 'pre' ? 'Sentinel-2A' : 'Sentinel-2B', datetime: meta.datetime, tileId: sc.tileId,
        relativeOrbit: 19, processingBaseline: '05.10', sun: meta.sun, view: { zenith: 4.1, azimuth: 285 },
        cloudCover: Math.round((1000 * cloudy) / (w20 * w20)) / 10,
        bands: s2.map((b) => {
          const w = landslideGridSize(sc, b.gsd);
          return { name: b.name, raster: makeRaster([b.data], w, w, { transform: landslideTransform(sc, b.gsd), crs: { epsg: sc.epsg }, nodata: 0, bandNames: [b.name] }) };
        }),
        scl: makeRaster([scl], w20, w20, { transform: landslideTransform(sc, 20), crs: { epsg: sc.epsg }, bandNames: ['SCL'] }),
      });
      ctx.files.push(safe);
      ctx.described[`safe/${safe.split(/[\\/]/).pop()}`] = `${when}-event Sentinel-2 L2A SAFE (${meta.datetime}), baseline 05.10, with SCL`;
    }
  }
  ctx.progress(0.85, 'truth');
  const dem = landslideDem(sc);
  await writeCogFile(ctx, 'truth/truth-dem.tif', { bands: [dem.data], width: dem.width, height: dem.height, transform: dem.transform, epsg: sc.epsg, bandNames: ['height'] }, 'DEM (metres) the images were rendered from (heights at pixel centres, bilinear in between)');
  for (const gsd of [sc.gsdVhr, sc.gsdS2]) {
    const w = landslideGridSize(sc, gsd);
    await writeCogFile(ctx, `truth/truth-mask-${gsd === sc.gsdVhr ? 'vhr' : 's2'}.tif`, { bands: [landslideMask(sc, gsd)], width: w, height: w, transform: landslideTransform(sc, gsd), epsg: sc.epsg, bandNames: ['landslide'] }, `landslide mask on the ${gsd} m grid: 1 where the pixel centre is inside a scar`);
  }
  await writeVectors(ctx, sc);
  return writeTruthJson(
    ctx,
    'landslide',
    {
      epsg: sc.epsg, tileId: sc.tileId, extentM: sc.extentM, gsdVhr: sc.gsdVhr, gsdS2: sc.gsdS2, origin: sc.origin,
      pre: sc.pre, post: sc.post, river: sc.river, village: sc.village, cloud: sc.cloud,
      scars: sc.scars.map(({ ring: _r, ...s }) => s),
      totalScarAreaM2: sc.scars.reduce((a, s) => a + s.areaM2, 0),
    },
    {
      scene: 'metres from the north-west corner, x east, y south; map x = origin[0] + x, map y = origin[1] - y',
      azimuth: 'degrees clockwise from north (scar azimuth = downslope direction)',
      distractors: 'post-event cloud and shadow, harvested field, eroded river bank; old bare patches in both images; sun position changes between dates',
      training: 'training-polygons.geojson: scars digitised for training (a subset); training-areas.geojson: rectangles where everything outside those scars is negative',
    },
  );
}

async function writeVectors(ctx: WriteContext, sc: LandslideScenario): Promise<void> {
  const conv = utmConverter(sc.epsg);
  const t = landslideTransform(sc, 1);
  const toMap = (r: Ring): Ring => sceneRingToMap(r, t, 1);
  const toWgs = (r: Ring): Ring => toMap(r).map(([x, y]) => conv.toLonLat(x, y));
  const scarProps = (s: LandslideScenario['scars'][number]) => ({
    id: s.id, area_m2: Math.round(s.areaM2 * 100) / 100, length_m: Math.round(s.lengthM * 100) / 100,
    width_m: Math.round(s.widthM * 100) / 100, azimuth_deg: Math.round(s.azimuthDeg * 100) / 100, training: s.training,
  });
  const layers: { rel: string; name: string; feats: { properties: Record<string, string | number | boolean>; ring: Ring }[]; what: string }[] = [
    { rel: 'truth/truth-landslides', name: 'landslides', feats: sc.scars.map((s) => ({ properties: scarProps(s), ring: s.ring })), what: 'all landslide scars (truth)' },
    { rel: 'training-polygons', name: 'training_polygons', feats: sc.scars.filter((s) => s.training).map((s) => ({ properties: scarProps(s), ring: s.ring })), what: 'training landslide polygons (a subset of the scars)' },
    { rel: 'training-areas', name: 'training_areas', feats: sc.trainingAreas.map((ring, i) => ({ properties: { id: i + 1 }, ring })), what: 'training areas: everything inside outside the training polygons is negative' },
    {
      rel: 'truth/truth-distractors', name: 'distractors', what: 'post-event changes that are not landslides',
      feats: [
        ...(sc.field.length ? [{ properties: { kind: 'harvested field' }, ring: sc.field }] : []),
        { properties: { kind: 'eroded river bank' }, ring: sc.bank },
      ],
    },
  ];
  for (const l of layers) {
    const map = featureCollection(l.feats.map((f) => ({ properties: f.properties, ring: toMap(f.ring) })), sc.epsg, l.name);
    await writeTextFile(ctx, `${l.rel}.geojson`, `${JSON.stringify(map)}\n`, `${l.what}, EPSG:${sc.epsg}`);
    const wgs = featureCollection(l.feats.map((f) => ({ properties: f.properties, ring: toWgs(f.ring) })), 4326, l.name);
    await writeTextFile(ctx, `${l.rel}-wgs84.geojson`, `${JSON.stringify(wgs)}\n`, `${l.what}, WGS84 lon/lat`);
  }
}
