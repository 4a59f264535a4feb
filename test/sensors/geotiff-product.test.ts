import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoTiffProduct } from '../../src/sensors/geotiff/product.ts';
import { footprintWgs84 } from '../../src/sensors/common.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import type { GeoTransform } from '../../src/raster/types.ts';
import { isGepError } from '../../src/core/errors.ts';
import { sharedData, skipUnlessShared } from '../helpers/env.ts';

const T: GeoTransform = [600000, 10, 0, 5000000, 0, -10];

function bands(n: number, w: number, h: number): Uint16Array[] {
  return Array.from({ length: n }, (_, b) => Uint16Array.from({ length: w * h }, (_, i) => (i * 7 + b * 100) % 65535));
}

describe('openGeoTiffProduct', () => {
  test('DateTime tag, band descriptions, footprint, proj:code, gsd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-gtprod-'));
    try {
      const p = join(dir, 'ortho.tif');
      const data = bands(3, 40, 30);
      await writeCog(p, makeRaster(data, 40, 30, { transform: T, crs: { epsg: 32633 }, bandNames: ['red', 'green', ''] }), { datetime: '2021-07-04T10:20:30Z' });
      const prod = await openGeoTiffProduct(p);
      try {
        assert.equal(prod.metadata.datetime, '2021-07-04T10:20:30Z');
        assert.deepEqual(prod.bands.map((b) => b.name), ['red', 'green', 'B3']);
        assert.equal(prod.metadata.epsg, 32633);
        assert.equal(prod.bands[0]!.gsd, 10);
        assert.deepEqual(prod.metadata.footprint, footprintWgs84(40, 30, T, { epsg: 32633 }));
        const g = await prod.readBand('green');
        assert.deepEqual(g.bands[0], data[1]);
        assert.deepEqual(g.bandNames, ['green']);
        const item = prod.toStacItem();
        assert.equal(item.id, 'ortho');
        assert.equal(item.properties['proj:code'], 'EPSG:32633');
        assert.equal(item.properties.gsd, 10);
        assert.ok(item.bbox && item.geometry);
        await assert.rejects(prod.readBand('nir'), (e: unknown) => isGepError(e) && /no band 'nir'/.test(e.message));
      } finally {
        await prod.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('time from the file name; none gives a clear error; geographic gsd in metres', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-gtprod-'));
    try {
      const r = makeRaster(bands(1, 20, 20), 20, 20, { transform: [10, 0.0001, 0, 45, 0, -0.0001], crs: { epsg: 4326 } });
      const named = join(dir, 'dem_20200315.tif');
      await writeCog(named, r);
      const prod = await openGeoTiffProduct(named);
      assert.equal(prod.metadata.datetime, '2020-03-15T00:00:00Z');
      assert.deepEqual(prod.bands.map((b) => b.name), ['B1']);
      const gsd = prod.bands[0]!.gsd;
      assert.ok(gsd > 9 && gsd < 10, `gsd ${gsd} m for 0.0001° at 45°N`);
      await prod.close();
      const anon = join(dir, 'dem.tif');
      await writeCog(anon, r);
      await assert.rejects(
        openGeoTiffProduct(anon),
        (e: unknown) =>
          isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && e.message.includes('dem.tif') && e.message.includes('add a TIFF DateTime tag or a YYYYMMDD in the name'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sensor-geometry image with an RPC tag: footprint from the RPC', skipUnlessShared('pleiades-s2p/input_pair/img_01.tif'), async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-gtprod-'));
    try {
      const p = join(dir, 'img_20130629.tif');
      copyFileSync(sharedData('pleiades-s2p/input_pair/img_01.tif')!, p);
      const prod = await openGeoTiffProduct(p);
      assert.ok(prod.metadata.rpc);
      const ring = prod.metadata.footprint!.coordinates[0]!;
      const lon = ring.reduce((s, q) => s + q[0]!, 0) / ring.length;
      const lat = ring.reduce((s, q) => s + q[1]!, 0) / ring.length;
      assert.ok(Math.abs(lon - 55.65) < 0.01 && Math.abs(lat + 21.23) < 0.01, `${lon} ${lat}`);
      await prod.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
