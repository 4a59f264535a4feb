/**
 * Writes the displacement scenario: per date, COGs (10 m B02 B03 B04 B08, 20 m B11 B12, 60 m B01 B09 B10, DN =
 * ρ·10000 + 1000) and/or a Sentinel-2 L1C SAFE with detector footprints; truth rasters (displacement of each
 * date relative to date 0 in pixels, steady velocity in m/day, stable mask, cloud masks, detector index) and
 * truth.json.
 */
import { join } from 'node:path';
import { throwIfAborted } from '../core/errors.ts';
import { subProgress } from '../core/progress.ts';
import type { GeoTransform } from '../raster/types.ts';
import { makeRaster } from '../raster/types.ts';
import { writeSafe } from '../sensors/sentinel2/write-safe.ts';
import {
  displacementScenario,
  renderDisplacementDate,
  truthCloudMask,
  truthDetectors,
  truthDisplacement,
  truthStable,
  truthVelocity,
} from './scenario.ts';
import type { DisplacementScenario } from './scenario.ts';
import { writeCogFile, writeTruthJson, ymd } from './write-common.ts';
import type { WriteContext } from './write-common.ts';

const GROUPS = [
  { step: 1, gsd: 10, bands: ['B02', 'B03', 'B04', 'B08'] },
  { step: 2, gsd: 20, bands: ['B07', 'B8A', 'B11', 'B12'] },
  { step: 6, gsd: 60, bands: ['B01', 'B09', 'B10'] },
] as const;

function gridTransform(sc: DisplacementScenario, gsd: number): GeoTransform {
  return [sc.transform[0], gsd, 0, sc.transform[3], 0, -gsd];
}

/** Writes everything; returns the truth.json path. */
export async function writeDisplacement(ctx: WriteContext): Promise<string> {
  const sc = displacementScenario({ seed: ctx.seed, size: ctx.size, dates: ctx.dates });
  const n = sc.dates.length;
  const S = sc.size;
  const t10 = gridTransform(sc, 10);
  const detectors = truthDetectors(sc);
  const share = 0.85 / n;
  for (let k = 0; k < n; k++) {
    throwIfAborted(ctx.signal);
    const date = sc.dates[k]!;
    const p = subProgress(ctx.progress, k * share, (k + 1) * share);
    const day = ymd(date.datetime);
    const rendered: { name: string; data: Uint16Array; width: number; gsd: number }[] = [];
    for (const [gi, g] of GROUPS.entries()) {
      const width = Math.ceil(S / g.step);
      const data = renderDisplacementDate(sc, k, g.bands, g.step, {
        signal: ctx.signal,
        progress: subProgress(p, gi / 4, (gi + 1) / 4),
      });
      g.bands.forEach((name, b) => rendered.push({ name, data: data[b]!, width, gsd: g.gsd }));
      if (ctx.cog)
        await writeCogFile(
          ctx,
          `cog/S2_${day}_${g.gsd}m.tif`,
          {
            bands: data,
            width,
            height: width,
            transform: gridTransform(sc, g.gsd),
            epsg: sc.epsg,
            bandNames: [...g.bands],
            nodata: 0,
            datetime: date.datetime,
            metadata: {
              SENSOR: 'simulated Sentinel-2 MSI L1C',
              SPACECRAFT: date.spacecraft,
              TILE_ID: sc.tileId,
              REFLECTANCE: 'TOA reflectance = (DN - 1000) / 10000',
              SUN_ZENITH: String(date.sun.zenith),
              SUN_AZIMUTH: String(date.sun.azimuth),
            },
          },
          `date ${k} (${date.datetime}) bands ${g.bands.join(' ')} at ${g.gsd} m, uint16 DN = TOA reflectance*10000 + 1000`,
        );
    }
    const cloud = truthCloudMask(sc, k);
    let cloudy = 0;
    for (const v of cloud) if (v === 1) cloudy++;
    await writeCogFile(ctx, `truth/truth-cloud-${pad(k)}.tif`, { bands: [cloud], width: S, height: S, transform: t10, epsg: sc.epsg, bandNames: ['cloud'], datetime: date.datetime }, `cloud mask of date ${k}: 0 clear, 1 cloud, 2 cloud shadow`);
    if (ctx.sensor) {
      p(0.8, `date ${k}: SAFE`);
      const safe = await writeSafe(join(ctx.outDir, 'safe'), {
        level: 'L1C',
        spacecraft: date.spacecraft,
        datetime: date.datetime,
        tileId: sc.tileId,
        relativeOrbit: sc.relativeOrbit,
        processingBaseline: '05.10',
        sun: date.sun,
        view: { zenith: 5.2, azimuth: 104 },
        cloudCover: Math.round((1000 * cloudy) / (S * S)) / 10,
        bands: rendered.map((r) =>
          ({ name: r.name, raster: makeRaster([r.data], r.width, r.width, { transform: gridTransform(sc, r.gsd), crs: { epsg: sc.epsg }, nodata: 0, bandNames: [r.name] }) }),
        ),
        detectorFootprint: makeRaster([detectors], S, S, { transform: t10, crs: { epsg: sc.epsg }, bandNames: ['detector'] }),
      });
      ctx.files.push(safe);
      ctx.described[`safe/${safe.split(/[\\/]/).pop()}`] = `Sentinel-2 L1C SAFE of date ${k} (${date.datetime}), baseline 05.10`;
    }
    if (k > 0) {
      const { dx, dy } = truthDisplacement(sc, k);
      await writeCogFile(ctx, `truth/truth-displacement-${pad(k)}.tif`, { bands: [dx, dy], width: S, height: S, transform: t10, epsg: sc.epsg, bandNames: ['dx', 'dy'], datetime: date.datetime }, `apparent displacement of date ${k} relative to date 0 (pixels of 10 m, east and north positive): ground motion + ramp + stripes`);
    }
  }
  ctx.progress(0.88, 'truth');
  const { ve, vn } = truthVelocity(sc);
  await writeCogFile(ctx, 'truth/truth-velocity.tif', { bands: [ve, vn], width: S, height: S, transform: t10, epsg: sc.epsg, bandNames: ['ve', 'vn'] }, 'steady ground velocity (m/day, east and north positive): landslide lobe and glacier; excludes the co-seismic fault step');
  await writeCogFile(ctx, 'truth/truth-stable.tif', { bands: [truthStable(sc)], width: S, height: S, transform: t10, epsg: sc.epsg, bandNames: ['stable'] }, 'stable ground: 1 where neither landslide, glacier nor fault moves the ground at any date');
  await writeCogFile(ctx, 'truth/truth-detector.tif', { bands: [detectors], width: S, height: S, transform: t10, epsg: sc.epsg, bandNames: ['detector'] }, 'Sentinel-2 detector index (1..12) of each 10 m pixel');
  return writeTruthJson(
    ctx,
    'displacement',
    {
      epsg: sc.epsg,
      tileId: sc.tileId,
      relativeOrbit: sc.relativeOrbit,
      gsd: sc.gsd,
      transform10m: sc.transform,
      model: sc.model,
      dates: sc.dates.map((d) => ({ ...d, clouds: d.clouds ? { ...d.clouds } : null })),
    },
    {
      positions: 'scene pixels of the 10 m grid: x = column (east), y = row (south), origin at the top-left corner; pixel centres at +0.5',
      displacement: 'pixels, east and north positive; Eulerian: image k at p shows what date 0 shows at (x - dx, y + dy) in (column, row)',
      velocity: 'm/day, east and north positive',
      azimuth: 'degrees clockwise from north',
      fault: 'right-lateral step of slipPx across the trace, tapering as (1 - |s|/taperPx)^2, present in dates with index > afterDate',
      ramp: 'per date: dx = a + b*x + c*y, dy likewise (pixels; x, y = column, row of the 10 m grid); date 0 has none',
      stripes: 'per date constant offsets per detector index (stripeDx/stripeDy[detector]); detector = first + floor(across-track distance / widthPx)',
      dn: 'uint16, TOA reflectance = (DN - 1000) / 10000; 0 = nodata',
    },
  );
}

function pad(k: number): string {
  return String(k).padStart(2, '0');
}
