import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import { openSentinel2Safe } from '../../src/sensors/sentinel2/safe.ts';
import { openPleiadesDimap } from '../../src/sensors/pleiades/dimap.ts';
import { rpcProject } from '../../src/algorithms/stereo/rpc.ts';
import { simulateScenario } from '../../src/simulate/write.ts';
import { displacementScenario, renderDisplacementDate, truthDisplacement } from '../../src/simulate/scenario.ts';
import { landslideScenario } from '../../src/simulate/landslide.ts';
import { fitCameraRpc, stereoScenario } from '../../src/simulate/stereo.ts';
import { GepError } from '../../src/core/errors.ts';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gep-sim-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}

describe('simulateScenario writes real files', () => {
  test('displacement: COGs, SAFE and truth round-trip; same seed gives byte-identical files', async () => {
    const out = await tmp();
    const res = await simulateScenario('displacement', { outDir: out, seed: 5, size: 64, dates: 3 });
    const sc = displacementScenario({ seed: 5, size: 64, dates: 3 });
    assert.ok(res.truth.endsWith('truth.json'));
    const truth = JSON.parse(await readFile(res.truth, 'utf8')) as { seed: number; files: Record<string, string> };
    assert.equal(truth.seed, 5);
    const d1 = sc.dates[1]!;
    const day = d1.datetime.slice(0, 10).replace(/-/g, '');
    // Plain COG: pixels, georeferencing, time.
    const r = await openGeoTiff(join(out, `cog/S2_${day}_10m.tif`));
    assert.equal(r.info.crs?.epsg, 32633);
    assert.deepEqual(r.info.transform, sc.transform);
    assert.equal(r.info.bandCount, 4);
    assert.equal(r.info.acquisitionTime?.slice(0, 19), d1.datetime.slice(0, 19));
    const ras = await r.read();
    await r.close();
    const b04 = renderDisplacementDate(sc, 1, ['B04'], 1)[0]!;
    assert.deepEqual(Array.from(ras.bands[2]!), Array.from(b04));
    // Truth displacement COG.
    const t = await openGeoTiff(join(out, 'truth/truth-displacement-01.tif'));
    const tr = await t.read();
    await t.close();
    const { dx, dy } = truthDisplacement(sc, 1);
    assert.deepEqual(tr.bands[0], dx);
    assert.deepEqual(tr.bands[1], dy);
    // SAFE: same pixels, georeferencing, detector footprint.
    const safes = res.files.filter((f) => f.endsWith('.SAFE'));
    assert.equal(safes.length, 3);
    const p = await openSentinel2Safe(safes[1]!);
    try {
      assert.equal(p.metadata.processingLevel, 'L1C');
      assert.equal(p.metadata.datetime.slice(0, 19), d1.datetime.slice(0, 19));
      const band = await p.readBand('B04');
      assert.deepEqual(band.transform, sc.transform);
      assert.deepEqual(Array.from(band.bands[0]!), Array.from(b04));
      assert.ok(p.bands.some((b) => b.name === 'B10' && b.gsd === 60));
      const det = await p.readMask('detector-footprint-B04');
      assert.ok(new Set(det.bands[0]).size >= 3);
    } finally {
      await p.close();
    }
    // Determinism: a second run writes the same bytes.
    const out2 = await tmp();
    await simulateScenario('displacement', { outDir: out2, seed: 5, size: 64, dates: 3, format: 'cog' });
    for (const f of (await listFiles(out2)).filter((x) => x.endsWith('.tif'))) {
      const a = await readFile(f);
      const b = await readFile(join(out, relative(out2, f)));
      assert.ok(a.equals(b), `${relative(out2, f)} differs`);
    }
  });

  test('landslide: VHR COGs, L2A SAFE with SCL, GeoJSON truth and training', async () => {
    const out = await tmp();
    const res = await simulateScenario('landslide', { outDir: out, seed: 2, size: 64 });
    const sc = landslideScenario({ seed: 2, size: 64 });
    const vhr = res.files.find((f) => /VHR_post_.*\.tif$/.test(f))!;
    const r = await openGeoTiff(vhr);
    assert.equal(r.info.bandCount, 4);
    assert.equal(r.info.crs?.epsg, 32645);
    assert.deepEqual(r.info.transform, [sc.origin[0], 2, 0, sc.origin[1], 0, -2]);
    await r.close();
    const gj = JSON.parse(await readFile(join(out, 'truth/truth-landslides.geojson'), 'utf8')) as { features: unknown[] };
    assert.equal(gj.features.length, sc.scars.length);
    const wgs = JSON.parse(await readFile(join(out, 'truth/truth-landslides-wgs84.geojson'), 'utf8')) as {
      features: { geometry: { coordinates: number[][][] } }[];
    };
    const [lon, lat] = wgs.features[0]!.geometry.coordinates[0]![0]!;
    assert.ok(lon! > 84 && lon! < 86 && lat! > 27 && lat! < 29, `${lon}, ${lat}`);
    const train = JSON.parse(await readFile(join(out, 'training-polygons.geojson'), 'utf8')) as { features: unknown[] };
    assert.ok(train.features.length >= 1 && train.features.length <= sc.scars.length);
    const safe = res.files.find((f) => f.includes('MSIL2A') && f.includes('20231018'))!;
    const p = await openSentinel2Safe(safe);
    try {
      assert.equal(p.metadata.processingLevel, 'L2A');
      const b = await p.readBand('B08');
      assert.equal(b.width, Math.ceil(sc.extentM / 10));
      assert.equal(b.transform?.[0], sc.origin[0]);
      const scl = await p.readMask('scl');
      assert.ok(scl.bands[0]!.some((v) => v === 4), 'vegetation in SCL');
    } finally {
      await p.close();
    }
  });

  test('stereo: DIMAP and RPC COGs hold the views and their RPC', async () => {
    const out = await tmp();
    const res = await simulateScenario('stereo', { outDir: out, seed: 1, size: 64 });
    const sc = stereoScenario({ seed: 1, size: 64 });
    const dims = res.files.filter((f) => f.endsWith('.XML'));
    assert.equal(dims.length, 3);
    const p = await openPleiadesDimap(dims[0]!);
    try {
      const pan = await p.readBand('P');
      assert.equal(pan.width, 64);
      const rpc = p.metadata.rpc!;
      const fit = fitCameraRpc(sc, sc.cameras[0]!);
      const [c0, r0] = rpcProject(fit.rpc, 6.95, 45.96, 420);
      const [c1, r1] = rpcProject(rpc, 6.95, 45.96, 420);
      assert.ok(Math.hypot(c0 - c1, r0 - r1) < 1e-3, 'RPC survives the DIMAP round trip');
      const cog = await openGeoTiff(res.files.find((f) => f.endsWith('BACKWARD.tif'))!);
      const ras = await cog.read();
      assert.ok(cog.info.rpc);
      await cog.close();
      assert.deepEqual(Array.from(ras.bands[0]!), Array.from(pan.bands[0]!));
    } finally {
      await p.close();
    }
    const truth = JSON.parse(await readFile(res.truth, 'utf8')) as { parameters: { rpcFit: Record<string, { fitRmsPx: number }> } };
    for (const v of Object.values(truth.parameters.rpcFit)) assert.ok(v.fitRmsPx < 0.01);
  });

  test('bad options are refused with GEP_ERR_INVALID_INPUT', async () => {
    await assert.rejects(simulateScenario('displacement', { outDir: await tmp(), size: 10 }), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT');
    await assert.rejects(simulateScenario('stereo', { outDir: '' }), (e: unknown) => e instanceof GepError && /outDir/.test(e.message));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(simulateScenario('landslide', { outDir: await tmp(), signal: ac.signal }), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_ABORTED');
  });
});
