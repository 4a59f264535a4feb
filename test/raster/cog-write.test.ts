/**
 * COG writer against GDAL: every data type, 1 and 3 bands, with and without nodata, on a size that is not a
 * multiple of the tile size and on tiny rasters. GDAL's validator must find no error; GDAL must report the same
 * size, type, CRS, geotransform, nodata and band descriptions, and read exactly the same bytes (NaN included),
 * at full resolution and in every overview.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCog } from '../../src/raster/cog/write.ts';
import { buildOverviews, overviewFactors } from '../../src/raster/cog/overviews.ts';
import { allocBand, isFloat, makeRaster, VALUE_RANGE, type DataType, type Raster } from '../../src/raster/types.ts';
import { gdalReadBand, skipUnlessGdal } from '../helpers/env.ts';
import { gdalReports, sha256, type GdalReport } from './cog-gdal-helper.ts';

const TYPES: DataType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
const GDAL_TYPE: Record<DataType, string[]> = {
  uint8: ['Byte'],
  int8: ['Byte', 'Int8'], // GDAL < 3.7 reads signed bytes as Byte (PIXELTYPE=SIGNEDBYTE)
  uint16: ['UInt16'],
  int16: ['Int16'],
  uint32: ['UInt32'],
  int32: ['Int32'],
  float32: ['Float32'],
  float64: ['Float64'],
};
/** Extremes written into each type: the type's range, finite large values for the float types. */
const RANGE: Record<DataType, readonly [number, number]> = { ...VALUE_RANGE, float32: [-3.4e38, 3.4e38], float64: [-1e300, 1e300] };
/** Per band count: a size that is not a multiple of 512 (with overviews), and tiny ones. */
const SIZES: Record<number, [number, number][]> = {
  1: [
    [1100, 700],
    [1, 1],
    [5, 3],
  ],
  3: [
    [770, 600],
    [1, 1],
    [5, 3],
  ],
};
const TRANSFORM: [number, number, number, number, number, number] = [399960, 10, 0, 5000040, 0, -10];

/** Smooth texture plus extremes of the type, and some nodata pixels when `nodata` is set. */
function makeCase(dt: DataType, nb: number, w: number, h: number, nodata: number | null): Raster {
  const [lo, hi] = RANGE[dt];
  const cosY = Float64Array.from({ length: h }, (_, y) => Math.cos(y / 23));
  const bands = Array.from({ length: nb }, (_, b) => {
    const a = allocBand(dt, w * h);
    const sinX = Float64Array.from({ length: w }, (_, x) => Math.sin(x / 37 + b));
    const span = Math.min(hi, lo + 60000) - lo;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const s = sinX[x]! * cosY[y]! * 0.5 + 0.5; // 0..1
        a[y * w + x] = isFloat(dt) ? s * 1000 - 300 + b : Math.round(lo + s * span);
      }
    a[0] = lo;
    if (a.length > 1) a[a.length - 1] = hi;
    if (nodata !== null) for (let i = 7; i < a.length; i += 101) a[i] = nodata;
    return a;
  });
  const nodataFor = nodata;
  return makeRaster(bands, w, h, {
    transform: TRANSFORM,
    crs: { epsg: 32633 },
    nodata: nodataFor,
    bandNames: bands.map((_, i) => `band-${dt}-${i + 1}`),
  });
}

const nodataOf = (dt: DataType): number => (dt === 'float32' ? NaN : dt === 'float64' ? -9999.5 : RANGE[dt][0] + 1);

interface Case {
  name: string;
  path: string;
  raster: Raster;
}

describe('writeCog vs GDAL, all data types', skipUnlessGdal(), () => {
  let dir = '';
  const cases: Case[] = [];
  let reports: GdalReport[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-cog-'));
    for (const dt of TYPES)
      for (const nb of [1, 3])
        for (const withNodata of [false, true])
          for (const [w, h] of SIZES[nb]!) {
            const name = `${dt}-${nb}b-${withNodata ? 'nd' : 'nond'}-${w}x${h}`;
            const raster = makeCase(dt, nb, w, h, withNodata ? nodataOf(dt) : null);
            const path = join(dir, `${name}.tif`);
            await writeCog(path, raster, { level: 1 }); // zlib effort only: same format path, 5x faster
            cases.push({ name, path, raster });
          }
    reports = gdalReports(cases.map((c) => c.path));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('GDAL validator finds no errors', () => {
    for (const [i, c] of cases.entries()) assert.deepEqual(reports[i]!.errors, [], c.name);
    const big = reports[cases.findIndex((c) => c.raster.width === 1100)]!;
    assert.equal(big.imageStructure.LAYOUT, 'COG');
    assert.equal(big.imageStructure.COMPRESSION, 'DEFLATE');
  });

  test('size, type, CRS, geotransform, nodata, descriptions match', () => {
    for (const [i, c] of cases.entries()) {
      const r = reports[i]!;
      const ras = c.raster;
      assert.equal(r.width, ras.width, c.name);
      assert.equal(r.height, ras.height, c.name);
      assert.equal(r.bands, ras.bands.length, c.name);
      for (const t of r.types) assert.ok(GDAL_TYPE[ras.dataType].includes(t), `${c.name}: GDAL type ${t}`);
      assert.equal(r.epsg, '32633', c.name);
      assert.deepEqual(r.geotransform, TRANSFORM, c.name);
      const expectNodata = ras.nodata === null ? null : Number.isNaN(ras.nodata) ? 'nan' : ras.nodata;
      for (const nd of r.nodata) assert.equal(nd, expectNodata, c.name);
      assert.deepEqual(r.descriptions, ras.bandNames, c.name);
      assert.equal(r.imageStructure.PREDICTOR, isFloat(ras.dataType) ? '3' : '2', c.name);
      assert.equal(r.imageStructure.INTERLEAVE, ras.bands.length > 1 ? 'PIXEL' : 'BAND', c.name);
    }
  });

  test('GDAL reads exactly the bytes we wrote (full resolution and overviews)', () => {
    for (const [i, c] of cases.entries()) {
      const r = reports[i]!;
      const ras = c.raster;
      assert.deepEqual(r.sha, ras.bands.map(sha256), `${c.name}: full resolution`);
      const factors = overviewFactors(ras.width, ras.height, 512, 'auto');
      const full = { width: ras.width, height: ras.height, bands: ras.bands };
      const ovr = buildOverviews(full, factors, ras.dataType, 'average', ras.nodata);
      assert.deepEqual(r.overviews, ovr.map((l) => [l.width, l.height]), `${c.name}: overview sizes`);
      ras.bands.forEach((_, b) => {
        assert.deepEqual(r.ovrSha[b], ovr.map((l) => sha256(l.bands[b]!)), `${c.name}: band ${b + 1} overviews`);
      });
    }
  });

  test('float32 NaN and values come back through gdalReadBand', () => {
    const c = cases.find((k) => k.name === 'float32-1b-nd-1100x700')!;
    const g = gdalReadBand(c.path, 1);
    const src = c.raster.bands[0]!;
    assert.equal(g.data.length, src.length);
    let nan = 0;
    for (let i = 0; i < src.length; i++) {
      if (Number.isNaN(src[i]!)) {
        assert.ok(Number.isNaN(g.data[i]!), `pixel ${i} should be NaN`);
        nan++;
      } else assert.equal(g.data[i], src[i]);
    }
    assert.ok(nan > 1000);
  });

  test('overviews for 1100x700 at 512 px tiles are 550x350 and 275x175', () => {
    const r = reports[cases.findIndex((c) => c.name === 'uint16-1b-nond-1100x700')]!;
    assert.deepEqual(r.overviews, [
      [550, 350],
      [275, 175],
    ]);
  });
});
