import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDimap } from '../../src/sensors/pleiades/write-dimap.ts';
import { openPleiadesDimap } from '../../src/sensors/pleiades/dimap.ts';
import { parseDimapXml } from '../../src/sensors/pleiades/dimap-xml.ts';
import { rpcProject } from '../../src/algorithms/stereo/rpc.ts';
import { makeRaster } from '../../src/raster/types.ts';
import type { RpcModel } from '../../src/raster/types.ts';
import { isGepError } from '../../src/core/errors.ts';
import { gdalinfoJson, hasGdal, sharedData, skipUnlessShared } from '../helpers/env.ts';

/** A small, slightly non-linear RPC for a 64 x 48 image near Mont Ventoux (0.5 m pixels). */
const RPC: RpcModel = {
  lineOffset: 23.5,
  sampOffset: 31.5,
  latOffset: 44.2,
  longOffset: 5.2,
  heightOffset: 1000,
  lineScale: 24,
  sampScale: 32,
  latScale: 0.000216,
  longScale: 0.0002,
  heightScale: 500,
  lineNumCoeff: [0, 0.02, -1, 0.15, 0, 0, 0, 0, 0.001, ...new Array<number>(11).fill(0)],
  lineDenCoeff: [1, 0.0001, ...new Array<number>(18).fill(0)],
  sampNumCoeff: [0, 1, 0.02, 0.05, 0.001, ...new Array<number>(15).fill(0)],
  sampDenCoeff: [1, 0, 0.0001, ...new Array<number>(17).fill(0)],
};

function image(bands: number): ReturnType<typeof makeRaster> {
  const w = 64;
  const h = 48;
  const arr = Array.from({ length: bands }, (_, b) => {
    const a = new Uint16Array(w * h);
    for (let i = 0; i < a.length; i++) a[i] = 100 + ((i * 37 + b * 1000) % 4000);
    return a;
  });
  return makeRaster(arr, w, h);
}

describe('writeDimap -> openPleiadesDimap round trip', () => {
  for (const nb of [1, 4])
    test(`${nb}-band product reads back identically`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gep-dimap-'));
      try {
        const raster = image(nb);
        const dim = await writeDimap(dir, {
          datasetName: 'PHR1B_P_201308051042194_SEN_TEST-001',
          platform: 'PHR1B',
          datetime: '2013-08-05T10:42:19.400Z',
          raster,
          rpc: RPC,
          sun: { zenith: 30.2, azimuth: 149 },
          view: { incidence: 8.6, azimuth: 101.5 },
          gsd: 0.5,
        });
        assert.match(dim, /DIM_PHR1B_P_201308051042194_SEN_TEST-001\.XML$/);
        assert.deepEqual(readdirSync(dir).sort(), [
          'DIM_PHR1B_P_201308051042194_SEN_TEST-001.XML',
          'IMG_PHR1B_P_201308051042194_SEN_TEST-001.TIF',
          'RPC_PHR1B_P_201308051042194_SEN_TEST-001.XML',
        ]);
        for (const p of [dim, dir]) {
          const prod = await openPleiadesDimap(p);
          try {
            const md = prod.metadata;
            assert.equal(md.sensor, 'pleiades');
            assert.equal(md.productId, 'PHR1B_P_201308051042194_SEN_TEST-001');
            assert.equal(md.platform, 'phr1b');
            assert.equal(md.datetime, '2013-08-05T10:42:19.400Z');
            assert.equal(md.processingLevel, 'SENSOR');
            assert.ok(Math.abs(md.sun!.zenith - 30.2) < 1e-9 && md.sun!.azimuth === 149);
            assert.deepEqual(md.view, { zenith: 8.6, azimuth: 101.5 });
            assert.deepEqual(md.rpc, RPC);
            assert.deepEqual(prod.bands.map((b) => b.name), nb === 1 ? ['P'] : ['B0', 'B1', 'B2', 'B3']);
            assert.equal(prod.bands[0]!.gsd, 0.5);
            for (let b = 0; b < nb; b++) {
              const r = await prod.readBand(prod.bands[b]!.name);
              assert.equal(r.dataType, 'uint16');
              assert.deepEqual(r.bands[0], raster.bands[b]);
            }
            const win = await prod.readBand(prod.bands[0]!.name, { window: { x0: 10, y0: 5, width: 7, height: 3 } });
            assert.equal(win.bands[0]![0], raster.bands[0]![5 * 64 + 10]);
            // The footprint's first vertex is the image's top-left corner on the ground at the mean height.
            const v = md.footprint!.coordinates[0]!;
            const [c, r] = rpcProject(RPC, v[0]![0]!, v[0]![1]!, RPC.heightOffset);
            assert.ok(Math.hypot(c, r) < 1e-6 || Math.abs(c - 64) < 1e-6 || Math.abs(r - 48) < 1e-6);
            const item = prod.toStacItem();
            assert.equal(item.properties.datetime, '2013-08-05T10:42:19.400Z');
            assert.equal(item.properties.gsd, 0.5);
            assert.ok(item.assets.metadata && item.assets.rpc);
            await assert.rejects(prod.readBand('B9'), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT');
          } finally {
            await prod.close();
          }
        }
        if (hasGdal()) {
          // GDAL sees the image with its RPC tag and the DateTime.
          const info = gdalinfoJson(join(dir, 'IMG_PHR1B_P_201308051042194_SEN_TEST-001.TIF'));
          const md = info.metadata as Record<string, Record<string, string>>;
          assert.equal(Number(md.RPC!.SAMP_OFF), 31.5);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

  test('bad writer input and bad DIM files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-dimap-bad-'));
    try {
      const base = { datasetName: 'X', platform: 'PHR1A' as const, datetime: '2020-01-01T00:00:00Z', raster: image(1), rpc: RPC, sun: { zenith: 30, azimuth: 150 }, view: { incidence: 5, azimuth: 90 }, gsd: 0.7 };
      await assert.rejects(writeDimap(dir, { ...base, raster: image(2) }), /1 \(P\) or 4/);
      await assert.rejects(writeDimap(dir, { ...base, datasetName: '../evil' }), /datasetName/);
      await assert.rejects(writeDimap(dir, { ...base, rpc: { ...RPC, latScale: 0 } }), /latScale/);
      assert.equal(readdirSync(dir).length, 0, 'nothing written on bad input');
      await assert.rejects(openPleiadesDimap(dir), (e: unknown) => isGepError(e) && /no DIM_/.test(e.message));
      const dim = await writeDimap(dir, base);
      const xml = readFileSync(dim, 'utf8');
      writeFileSync(dim, xml.replace('<NCOLS>64</NCOLS>', ''));
      await assert.rejects(openPleiadesDimap(dim), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_CORRUPT_FILE' && /NCOLS/.test(e.message));
      writeFileSync(dim, xml.replace('IMG_X.TIF', '../../etc/passwd'));
      await assert.rejects(openPleiadesDimap(dim), /relative path inside the product/);
      writeFileSync(dim, xml.slice(0, 500));
      await assert.rejects(openPleiadesDimap(dim), /malformed XML/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an internal PHR_Dimap_Document is refused with a clear message', skipUnlessShared('pleiades-ventoux-gizeh-shareloc'), () => {
    const f = sharedData('pleiades-ventoux-gizeh-shareloc/rpc/PHRDIMAP_P1BP--2017030824934340CP.XML')!;
    assert.throws(() => parseDimapXml(readFileSync(f, 'utf8'), 'PHRDIMAP.XML'), /PHRDIMAP\.XML: no acquisition time/);
  });
});
