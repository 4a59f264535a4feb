/**
 * Overviews: known answers on ramps (2x2 block means), nodata/NaN awareness, nearest, level sizes and counts
 * against GDAL's own COG driver, and the values GDAL reads from the overviews we write.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCog } from '../../src/raster/cog/write.ts';
import { buildOverviews, downsampleAverage, downsampleNearest, overviewFactors } from '../../src/raster/cog/overviews.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { skipUnlessGdal } from '../helpers/env.ts';
import { gdalReadOverview, gdalReports } from './cog-gdal-helper.ts';

describe('overview arithmetic (no GDAL)', () => {
  test('average of 2x2 blocks on a ramp (uint16 and float32)', () => {
    const w = 6;
    const h = 4;
    const u = new Uint16Array(w * h);
    const f = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        u[y * w + x] = 2 * x + 20 * y;
        f[y * w + x] = x + 10 * y;
      }
    // Block (i, j) mean: 2*(2i+0.5) + 20*(2j+0.5) = 4i + 40j + 11; float: 2i + 20j + 5.5.
    assert.deepEqual(Array.from(downsampleAverage(u, w, h, 2, 'uint16', null)), [11, 15, 19, 51, 55, 59]);
    assert.deepEqual(Array.from(downsampleAverage(f, w, h, 2, 'float32', null)), [5.5, 7.5, 9.5, 25.5, 27.5, 29.5]);
  });

  test('nodata and NaN are ignored; all-invalid blocks stay nodata', () => {
    const a = Uint8Array.from([10, 0, 0, 0, 20, 30, 0, 0]); // 4x2, nodata 0
    assert.deepEqual(Array.from(downsampleAverage(a, 4, 2, 2, 'uint8', 0)), [20, 0]);
    const f = Float32Array.from([1, NaN, NaN, NaN, 2, 3, NaN, NaN]);
    const o = downsampleAverage(f, 4, 2, 2, 'float32', NaN);
    assert.equal(o[0], 2);
    assert.ok(Number.isNaN(o[1]!));
    const d = Float64Array.from([1, -9999, -9999, -9999, 4, 4, -9999, -9999]);
    assert.deepEqual(Array.from(downsampleAverage(d, 4, 2, 2, 'float64', -9999)), [3, -9999]);
  });

  test('integer means round half up; odd edges fold into the last block', () => {
    assert.deepEqual(Array.from(downsampleAverage(Int16Array.from([1, 2, -3, -2]), 4, 1, 2, 'int16', null)), [2, -2]);
    // 5 columns -> 2 pixels: [0,1] and [2,3,4].
    assert.deepEqual(Array.from(downsampleAverage(Uint8Array.from([0, 2, 3, 6, 9]), 5, 1, 2, 'uint8', null)), [1, 6]);
  });

  test('nearest takes the block centre', () => {
    const a = Uint8Array.from({ length: 16 }, (_, i) => i); // 4x4
    assert.deepEqual(Array.from(downsampleNearest(a, 4, 4, 2, 'uint8')), [5, 7, 13, 15]);
  });

  test('auto factors follow GDAL COG sizes', () => {
    assert.deepEqual(overviewFactors(1100, 700, 512, 'auto'), [2, 4]);
    assert.deepEqual(overviewFactors(1025, 1025, 512, 'auto'), [2]);
    assert.deepEqual(overviewFactors(512, 512, 512, 'auto'), []);
    assert.deepEqual(overviewFactors(10980, 10980, 512, 'auto'), [2, 4, 8, 16, 32]);
    assert.deepEqual(overviewFactors(100, 100, 512, false), []);
    assert.throws(() => overviewFactors(100, 100, 512, [4, 2]), /increasing/);
  });

  test('cascade equals direct computation for power-of-two factors on a ramp', () => {
    const w = 64;
    const a = Float32Array.from({ length: w * w }, (_, i) => (i % w) + 100 * Math.floor(i / w));
    const lv = buildOverviews({ width: w, height: w, bands: [a] }, [2, 4, 8], 'float32', 'average', null);
    const direct = downsampleAverage(a, w, w, 8, 'float32', null);
    assert.deepEqual(Array.from(lv[2]!.bands[0]!), Array.from(direct));
    assert.deepEqual(lv.map((l) => [l.width, l.height]), [
      [32, 32],
      [16, 16],
      [8, 8],
    ]);
  });
});

describe('overviews through GDAL', skipUnlessGdal(), () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-cog-ovr-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('GDAL reads 2x2 block means of a ramp from overview 1 and 4x4 from overview 2', async () => {
    const w = 1100;
    const h = 700;
    const a = new Uint16Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[y * w + x] = 2 * x + 20 * y;
    const path = join(dir, 'ramp.tif');
    await writeCog(path, makeRaster([a], w, h, { transform: [0, 1, 0, 0, 0, -1], crs: { epsg: 32633 } }));
    const o1 = gdalReadOverview(path, 1, 0);
    assert.deepEqual([o1.width, o1.height], [550, 350]);
    for (let j = 0; j < 350; j++)
      for (let i = 0; i < 550; i++) {
        const want = 4 * i + 40 * j + 11; // mean of 2x + 20y over the 2x2 block
        if (o1.data[j * 550 + i] !== want) assert.fail(`overview 1 (${i},${j}) = ${o1.data[j * 550 + i]}, expected ${want}`);
      }
    const o2 = gdalReadOverview(path, 1, 1);
    assert.deepEqual([o2.width, o2.height], [275, 175]);
    // Mean of the 4x4 block: 2*(4i+1.5) + 20*(4j+1.5) = 8i + 80j + 33.
    for (let j = 0; j < 175; j++)
      for (let i = 0; i < 275; i++)
        if (o2.data[j * 275 + i] !== 8 * i + 80 * j + 33) assert.fail(`overview 2 (${i},${j}) = ${o2.data[j * 275 + i]}`);
  });

  test('overview counts and sizes equal those of gdal_translate -of COG', async () => {
    const sizes: [number, number][] = [
      [1100, 700],
      [1025, 1025],
      [2049, 600],
      [600, 1],
      [512, 512],
    ];
    const ours: string[] = [];
    const theirs: string[] = [];
    for (const [w, h] of sizes) {
      const p = join(dir, `o-${w}x${h}.tif`);
      await writeCog(p, makeRaster([new Uint8Array(w * h)], w, h), { level: 1 });
      ours.push(p);
      const g = join(dir, `g-${w}x${h}.tif`);
      execFileSync('gdal_create', ['-q', '-of', 'GTiff', '-outsize', String(w), String(h), '-ot', 'Byte', g + '.src.tif']);
      execFileSync('gdal_translate', ['-q', '-of', 'COG', g + '.src.tif', g]);
      theirs.push(g);
    }
    const a = gdalReports(ours);
    const b = gdalReports(theirs);
    sizes.forEach((s, i) => {
      assert.deepEqual(a[i]!.errors, [], `${s}`);
      assert.deepEqual(a[i]!.overviews, b[i]!.overviews, `overviews of ${s[0]}x${s[1]}`);
    });
  });

  test('explicit factors and nearest resampling', async () => {
    const w = 700;
    const a = Uint8Array.from({ length: w * w }, (_, i) => (i % w) % 256);
    const p = join(dir, 'nearest.tif');
    await writeCog(p, makeRaster([a], w, w), { overviews: [2, 8], resampling: 'nearest' });
    const [r] = gdalReports([p]);
    assert.deepEqual(r!.errors, []);
    assert.deepEqual(r!.overviews, [
      [350, 350],
      [87, 87],
    ]);
    const o = gdalReadOverview(p, 1, 0);
    for (let i = 0; i < 350; i++) assert.equal(o.data[i], (2 * i + 1) % 256);
  });
});
