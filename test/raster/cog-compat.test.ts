/**
 * What we write must open outside GDAL too: geotiff.js (an independent TIFF reader, used by OpenLayers) reads
 * our COGs, overviews included, with the same pixels, georeferencing, nodata and predictors (2 and 3).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArrayBuffer } from 'geotiff';
import { encodeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';

describe('our COGs in geotiff.js', () => {
  test('uint16 3-band (predictor 2) and float32 with NaN (predictor 3), classic and BigTIFF', async () => {
    const w = 700;
    const h = 530;
    const u = [0, 1, 2].map((b) => Uint16Array.from({ length: w * h }, (_, i) => (i * 13 + b * 977) % 65536));
    const f = Float32Array.from({ length: w * h }, (_, i) => (i % 97 === 0 ? NaN : Math.sin(i / 300) * 1e3));
    const t: [number, number, number, number, number, number] = [399960, 10, 0, 5000040, 0, -10];
    for (const bigTiff of [false, true]) {
      for (const r of [
        makeRaster(u, w, h, { transform: t, crs: { epsg: 32633 }, nodata: 0 }),
        makeRaster([f], w, h, { transform: t, crs: { epsg: 32633 }, nodata: NaN }),
      ]) {
        const bytes = await encodeCog(r, { bigTiff });
        const tiff = await fromArrayBuffer(bytes.slice().buffer as ArrayBuffer);
        assert.equal(await tiff.getImageCount(), 2, 'full resolution + one overview (350x265)');
        const img = await tiff.getImage(0);
        assert.equal(img.getWidth(), w);
        assert.equal(img.getHeight(), h);
        assert.deepEqual(img.getOrigin().slice(0, 2), [399960, 5000040]);
        assert.deepEqual(img.getResolution().slice(0, 2), [10, -10]);
        assert.equal(img.getGeoKeys()?.ProjectedCSTypeGeoKey, 32633);
        const nd = img.getGDALNoData();
        assert.ok(r.dataType === 'float32' ? Number.isNaN(nd) : nd === 0);
        const data = (await img.readRasters()) as unknown as ArrayLike<number>[];
        r.bands.forEach((band, b) => {
          const got = data[b]!;
          for (let i = 0; i < band.length; i++)
            if (!Object.is(got[i], band[i]) && !(Number.isNaN(got[i]) && Number.isNaN(band[i])))
              assert.fail(`${r.dataType} band ${b} pixel ${i}: ${got[i]} != ${band[i]} (bigTiff ${bigTiff})`);
        });
        const ovr = await tiff.getImage(1);
        assert.deepEqual([ovr.getWidth(), ovr.getHeight()], [350, 265]);
      }
    }
  });
});
