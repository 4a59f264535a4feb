/**
 * Writes the stereo scenario: three panchromatic views (tri-stereo) as Pléiades DIMAP folders and/or COGs
 * carrying their RPC (sensor geometry, no geotransform), the DEM and the true orthoimage, and truth.json with
 * the true camera parameters, base-to-height ratios and the RPC fit residuals.
 */
import { join } from 'node:path';
import { throwIfAborted } from '../core/errors.ts';
import { subProgress } from '../core/progress.ts';
import { makeRaster } from '../raster/types.ts';
import { writeDimap } from '../sensors/pleiades/write-dimap.ts';
import { baseToHeight, fitCameraRpc, renderStereoOrtho, renderStereoView, stereoDem, stereoScenario, viewingAngles } from './stereo.ts';
import { writeCogFile, writeTruthJson, ymd } from './write-common.ts';
import type { WriteContext } from './write-common.ts';

/** Writes everything; returns the truth.json path. */
export async function writeStereo(ctx: WriteContext): Promise<string> {
  const sc = stereoScenario({ seed: ctx.seed, size: ctx.size });
  const fits: Record<string, { fitRmsPx: number; checkMaxPx: number }> = {};
  const n = sc.cameras.length;
  for (const [i, cam] of sc.cameras.entries()) {
    throwIfAborted(ctx.signal);
    const p = subProgress(ctx.progress, (i * 0.8) / n, ((i + 1) * 0.8) / n);
    // Tri-stereo acquisitions of one pass are about 15 s apart.
    const datetime = new Date(Date.parse(sc.datetime) + (i - 1) * 15_000).toISOString();
    const pan = renderStereoView(sc, cam, { signal: ctx.signal, progress: subProgress(p, 0, 0.8) });
    const fit = fitCameraRpc(sc, cam);
    fits[cam.name] = { fitRmsPx: fit.fitRmsPx, checkMaxPx: fit.checkMaxPx };
    const name = `PHR1A_${ymd(datetime)}_SEN_P_${cam.name.toUpperCase()}`;
    const view = viewingAngles(cam);
    if (ctx.cog)
      await writeCogFile(ctx, `cog/${name}.tif`, {
        bands: [pan], width: cam.width, height: cam.height, transform: null, epsg: null, bandNames: ['P'], nodata: 0, datetime, rpc: fit.rpc,
        metadata: { SENSOR: 'simulated Pleiades-like panchromatic, sensor geometry with RPC', REFLECTANCE: `reflectance = DN / ${sc.dnScale}`, VIEW_INCIDENCE: String(view.incidence), VIEW_AZIMUTH: String(view.azimuth) },
      }, `${cam.name} view (pitch ${cam.pitchDeg} deg), panchromatic ${cam.gsd} m, sensor geometry with RPC; uint16 DN = reflectance*${sc.dnScale}`);
    if (ctx.sensor) {
      p(0.9, `${cam.name}: DIMAP`);
      const dim = await writeDimap(join(ctx.outDir, 'dimap', cam.name), {
        datasetName: name, platform: 'PHR1A', datetime,
        raster: makeRaster([pan], cam.width, cam.height, { bandNames: ['P'], nodata: 0 }),
        rpc: fit.rpc, sun: sc.sun, view, gsd: cam.gsd,
      });
      ctx.files.push(dim);
      ctx.described[`dimap/${cam.name}/DIM_${name}.XML`] = `${cam.name} view as a Pléiades DIMAP V2 product (panchromatic, RPC)`;
    }
  }
  ctx.progress(0.85, 'truth');
  const dem = stereoDem(sc);
  await writeCogFile(ctx, 'truth/truth-dem.tif', { bands: [dem.data], width: dem.width, height: dem.height, transform: dem.transform, epsg: sc.epsg, bandNames: ['height'] }, 'DEM (metres above the ellipsoid) the views were rendered from: heights at pixel centres, bilinear in between; extends beyond the scene by the parallax margin');
  const ortho = renderStereoOrtho(sc, sc.gsd, { signal: ctx.signal });
  await writeCogFile(ctx, 'truth/truth-ortho.tif', { bands: [ortho.data], width: ortho.width, height: ortho.width, transform: ortho.transform, epsg: sc.epsg, bandNames: ['P'], nodata: 0, datetime: sc.datetime }, `true orthoimage (panchromatic, ${sc.gsd} m; DN = reflectance*${sc.dnScale})`);
  const [a, b, c] = sc.cameras;
  return writeTruthJson(
    ctx,
    'stereo',
    {
      epsg: sc.epsg, gsd: sc.gsd, extentM: sc.extentM, origin: sc.origin, sun: sc.sun, datetime: sc.datetime, dnScale: sc.dnScale,
      cameras: sc.cameras.map((cam) => ({ ...cam, view: viewingAngles(cam) })),
      baseToHeight: { 'backward-nadir': baseToHeight(a!, b!), 'nadir-forward': baseToHeight(b!, c!), 'backward-forward': baseToHeight(a!, c!) },
      rpcFit: fits,
      dem: { width: dem.width, height: dem.height, transform: dem.transform },
    },
    {
      camera: 'flat-Earth pushbroom in the UTM frame: Y = yc - (row - height/2)*gsd + (h - hRef)*tan(pitch); X = Xs + (altitude - h)*tan(roll + atan((col - width/2)*gsd/(altitude - hRef))), Xs = xc - (altitude - hRef)*tan(roll)',
      pixels: 'col/row in Raster pixel coordinates: the top-left pixel covers [0,1)x[0,1), its centre is (0.5, 0.5) (as rpcProject returns)',
      angles: 'pitch > 0 looks forward (south, the satellite moves south); roll > 0 looks east; azimuths clockwise from north',
      rpcFit: 'fitRmsPx: RMS over the 21x21x7 fitting grid; checkMaxPx: max error on an offset 13x13x5 grid, both in pixels',
    },
  );
}
