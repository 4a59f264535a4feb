/**
 * Real files from ../shared/data: Sentinel-2 crops (EPSG:32633, DEFLATE tiles), SRTM DEM crops (EPSG:4326,
 * strips, nodata) and Pléiades crops with an RPC tag. Expected values were read with GDAL 3.6 (python osgeo:
 * GetGeoTransform, ReadAsArray().mean(), gdalinfo's RPC metadata domain); with GDAL installed the RPC values
 * are also compared live with gdalinfo -json.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import type { RpcModel } from '../../src/raster/types.ts';
import { gdalinfoJson, hasGdal, sharedData, skipUnlessShared } from '../helpers/env.ts';

interface Expect {
  rel: string;
  size: [number, number];
  transform: number[] | null;
  epsg: number | null;
  nodata: number | null;
  dataType: string;
  mean: number;
  /** [col, row, value] */
  pixels: [number, number, number][];
}

const FILES: Expect[] = [
  { rel: 's2-t33uuu-pair-arosics/ref_S2A_20160608T153121_T33UUU_sub.tif', size: [2400, 3200], transform: [330000, 10, 0, 5862000, 0, -10], epsg: 32633, nodata: null, dataType: 'uint16', mean: 736.1020532552084, pixels: [[0, 0, 0], [200, 100, 0], [2399, 3199, 925]] },
  { rel: 's2-t33uuu-pair-arosics/tgt_S2A_20160529T153631_T33UUU_sub.tif', size: [2074, 3152], transform: [335440, 10, 0, 5866490, 0, -10], epsg: 32633, nodata: null, dataType: 'uint16', mean: 1867.487711954633, pixels: [[0, 0, 0], [2073, 3151, 1143]] },
  { rel: 'dem-coreg-demcompare/srtm/srtm_ref.tif', size: [1000, 1000], transform: [40, 0.0008333333333333334, 0, 40, 0, -0.0008333333333333334], epsg: 4326, nodata: -32768, dataType: 'int16', mean: 1893.422174, pixels: [[0, 0, 1982], [200, 100, 1560], [999, 999, 1734]] },
  { rel: 'dem-coreg-demcompare/srtm/srtm_blurred_and_shifted.tif', size: [997, 995], transform: [40, 0.0008333333333333334, 0, 40, 0, -0.0008333333333333334], epsg: 4326, nodata: null, dataType: 'int16', mean: 1892.4913393446673, pixels: [[0, 0, 1913], [200, 100, 1519], [996, 994, 1736]] },
  { rel: 'pleiades-s2p/input_pair/img_01.tif', size: [1024, 1024], transform: null, epsg: null, nodata: null, dataType: 'uint16', mean: 266.43818855285645, pixels: [[0, 0, 212], [200, 100, 385], [1023, 1023, 244]] },
  { rel: 'pleiades-s2p/input_pair/img_02.tif', size: [1031, 1102], transform: null, epsg: null, nodata: null, dataType: 'uint16', mean: 222.05657907939184, pixels: [[0, 0, 195], [200, 100, 309], [1030, 1101, 225]] },
];

describe('real GeoTIFFs from shared data', () => {
  for (const e of FILES) {
    test(e.rel, skipUnlessShared(e.rel), async () => {
      const r = await openGeoTiff(sharedData(e.rel)!);
      try {
        const { info } = r;
        assert.deepEqual([info.width, info.height], e.size);
        assert.equal(info.dataType, e.dataType);
        assert.deepEqual(info.transform, e.transform);
        assert.equal(info.crs?.epsg ?? null, e.epsg);
        assert.equal(info.nodata, e.nodata);
        const ras = await r.read();
        const b = ras.bands[0]!;
        let s = 0;
        for (let i = 0; i < b.length; i++) s += b[i]!;
        assert.ok(Math.abs(s / b.length - e.mean) < 1e-9, `mean ${s / b.length} vs ${e.mean}`);
        for (const [c, row, v] of e.pixels) assert.equal(b[row * info.width + c], v, `pixel (${c}, ${row})`);
        // A window read matches the full read.
        const win = await r.read({ window: { x0: 150, y0: 90, width: 300, height: 200 } });
        for (let row = 0; row < 200; row += 37)
          for (let c = 0; c < 300; c += 29) assert.equal(win.bands[0]![row * 300 + c], b[(row + 90) * info.width + c + 150]);
      } finally {
        await r.close();
      }
    });
  }

  const PLEIADES = 'pleiades-s2p/input_pair/img_01.tif';
  test('Pléiades RPC tag matches GDAL', skipUnlessShared(PLEIADES), async () => {
    const path = sharedData(PLEIADES)!;
    const r = await openGeoTiff(path);
    const rpc = r.info.rpc as RpcModel;
    await r.close();
    assert.ok(rpc);
    // Values printed by gdalinfo (RPC metadata domain).
    assert.equal(rpc.lineOffset, 19403.5);
    assert.equal(rpc.sampOffset, 19999.5);
    assert.equal(rpc.lineScale, 512);
    assert.equal(rpc.heightOffset, 1295);
    assert.equal(rpc.heightScale, 1315);
    assert.ok(Math.abs(rpc.latOffset - -21.2316081288) < 1e-10);
    assert.ok(Math.abs(rpc.longScale - 0.0985353286675) < 1e-12);
    assert.equal(rpc.lineDenCoeff[0], 1);
    assert.ok(Math.abs(rpc.lineNumCoeff[0]! - -37.284870906) < 1e-9);
    assert.equal(rpc.errBias, -1);
    if (!hasGdal()) return;
    const md = (gdalinfoJson(path).metadata as Record<string, Record<string, string>>).RPC!;
    const close = (a: number, b: string): boolean => Math.abs(a - Number(b)) <= 1e-9 * Math.max(1, Math.abs(a));
    const scalar: [keyof RpcModel, string][] = [
      ['lineOffset', 'LINE_OFF'], ['sampOffset', 'SAMP_OFF'], ['latOffset', 'LAT_OFF'], ['longOffset', 'LONG_OFF'],
      ['heightOffset', 'HEIGHT_OFF'], ['lineScale', 'LINE_SCALE'], ['sampScale', 'SAMP_SCALE'], ['latScale', 'LAT_SCALE'],
      ['longScale', 'LONG_SCALE'], ['heightScale', 'HEIGHT_SCALE'],
    ];
    for (const [k, g] of scalar) assert.ok(close(rpc[k] as number, md[g]!), `${k}: ${rpc[k]} vs ${md[g]}`);
    const arrays: [keyof RpcModel, string][] = [['lineNumCoeff', 'LINE_NUM_COEFF'], ['lineDenCoeff', 'LINE_DEN_COEFF'], ['sampNumCoeff', 'SAMP_NUM_COEFF'], ['sampDenCoeff', 'SAMP_DEN_COEFF']];
    for (const [k, g] of arrays) {
      const want = md[g]!.trim().split(/\s+/);
      const got = rpc[k] as number[];
      assert.equal(got.length, 20);
      got.forEach((v, i) => assert.ok(close(v, want[i]!), `${k}[${i}]: ${v} vs ${want[i]}`));
    }
  });
});
