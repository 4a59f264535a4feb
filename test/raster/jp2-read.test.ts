import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gdalinfoJson, gdalReadBand, hasGdal, SHARED_DATA, skipUnlessShared } from '../helpers/env.ts';
import { openJp2 } from '../../src/raster/jp2/read.ts';

const DIR = 's2-t33uuu-pair-arosics';
const CASES = [
  { stem: 'ref_S2A_20160608T153121_T33UUU_sub', w: 2400, h: 3200, origin: [330000, 5862000] },
  { stem: 'tgt_S2A_20160529T153631_T33UUU_sub', w: 2074, h: 3152, origin: [335440, 5866490] },
];

describe('openJp2 on real Sentinel-2 crops (arosics)', skipUnlessShared(DIR), () => {
  for (const c of CASES) {
    test(`${c.stem}: pixels equal the lossless TIFF, georeferencing equals GDAL's`, async () => {
      const jp2 = join(SHARED_DATA, DIR, `${c.stem}.jp2`);
      const r = await openJp2(jp2);
      try {
        assert.equal(r.info.width, c.w);
        assert.equal(r.info.height, c.h);
        assert.equal(r.info.dataType, 'uint16');
        assert.equal(r.info.bandCount, 1);
        assert.deepEqual(r.info.transform, [c.origin[0], 10, 0, c.origin[1], 0, -10]);
        assert.equal(r.info.crs?.epsg, 32633);
        assert.equal(r.info.metadata.COMPRESSION_REVERSIBILITY, 'LOSSY');
        assert.equal(r.info.metadata.GEOREFERENCING_SOURCE, 'GeoJP2'); // GDAL wrote both GeoJP2 and GMLJP2
        const full = await r.read();
        const px = full.bands[0] as Uint16Array;
        assert.equal(px.length, c.w * c.h);
        if (hasGdal()) {
          const info = gdalinfoJson(jp2);
          assert.deepEqual(info.geoTransform, r.info.transform);
          const ref = gdalReadBand(join(SHARED_DATA, DIR, `${c.stem}.tif`));
          const rd = ref.data;
          assert.equal(ref.width, c.w);
          let diff = 0;
          for (let i = 0; i < px.length; i++) if (px[i] !== rd[i]) diff++;
          assert.equal(diff, 0, `${diff} pixels differ from the TIFF`);
        }
        let nz = 0;
        for (let i = 0; i < px.length; i++) if (px[i] !== 0) nz++;
        assert.ok(nz > px.length / 2, 'image is mostly valid data');
        // A window read is the crop of the full image (served from the decoded-level cache).
        const win = await r.read({ window: { x0: 1000, y0: 1500, width: 37, height: 21 } });
        assert.deepEqual(win.transform, [c.origin[0]! + 10000, 10, 0, c.origin[1]! - 15000, 0, -10]);
        const wb = win.bands[0]!;
        for (let y = 0; y < 21; y++)
          for (let x = 0; x < 37; x++) assert.equal(wb[y * 37 + x], px[(1500 + y) * c.w + 1000 + x]);
      } finally {
        await r.close();
      }
    });
  }

  test('resolution level 1 is the half-size overview and resembles 2x2 means of full resolution', async () => {
    const r = await openJp2(join(SHARED_DATA, DIR, `${CASES[0]!.stem}.jp2`));
    try {
      assert.deepEqual(r.info.overviews[0], { width: 1200, height: 1600 });
      const full = (await r.read()).bands[0] as Uint16Array;
      const ov = await r.read({ overview: 1 });
      assert.equal(ov.width, 1200);
      assert.equal(ov.height, 1600);
      assert.deepEqual(ov.transform, [330000, 20, 0, 5862000, 0, -20]);
      const o = ov.bands[0] as Uint16Array;
      let sumAbs = 0;
      let n = 0;
      for (let y = 0; y < 1600; y++)
        for (let x = 0; x < 1200; x++) {
          const i0 = 2 * y * 2400 + 2 * x;
          const m = (full[i0]! + full[i0 + 1]! + full[i0 + 2400]! + full[i0 + 2401]!) / 4;
          if (m < 500) continue; // skip nodata borders
          sumAbs += Math.abs(o[y * 1200 + x]! - m);
          n++;
        }
      assert.ok(n > 1e6);
      assert.ok(sumAbs / n < 40, `mean |overview - 2x2 mean| = ${sumAbs / n} DN`);
      await assert.rejects(r.read({ overview: 9 }), { code: 'GEP_ERR_INVALID_INPUT' });
      await assert.rejects(r.read({ window: { x0: 2390, y0: 0, width: 20, height: 5 } }), { code: 'GEP_ERR_INVALID_INPUT' });
    } finally {
      await r.close();
    }
  });
});
