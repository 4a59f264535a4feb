/**
 * Files written by GDAL (gdal_translate GTiff/COG, gdaladdo) read back identically: every pixel, transform,
 * EPSG, nodata, overview sizes and overview pixels (compared with GDAL's own read of the overview).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proj4 from 'proj4';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import type { DataType, TypedArray } from '../../src/raster/types.ts';
import { SYSTEM_PYTHON, skipUnlessGdal } from '../helpers/env.ts';
import { gdalReadOverview, gdalSnapshot, gdalView, makeBands, run, writeEnvi } from './fixtures-tiff.ts';

const W = 300;
const H = 200;
const NB = 3;
const DTYPES: DataType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
const isF = (t: DataType): boolean => t.startsWith('float');

function assertSame(got: TypedArray, want: TypedArray | Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (g !== w && !(Number.isNaN(g) && Number.isNaN(w)))
      assert.fail(`${what}: pixel ${i} (col ${i % W}, row ${Math.floor(i / W)}) is ${g}, expected ${w}`);
  }
}

interface Case {
  name: string;
  dt: DataType;
  co: string[];
  of?: 'GTiff' | 'COG';
  srs?: string;
  nodata?: string;
  point?: boolean;
  /** Compare with GDAL's read instead of the source array (libtiff 4.5 writes big-endian predictor-3 data that
   * it reads back byte-swapped; we match libtiff's reading). */
  gdalRef?: boolean;
}

const cases: Case[] = [];
for (const dt of DTYPES) {
  cases.push({ name: `${dt} deflate tiled pixel pred`, dt, co: ['COMPRESS=DEFLATE', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=64', 'INTERLEAVE=PIXEL', `PREDICTOR=${isF(dt) ? 3 : 2}`], srs: 'EPSG:32633', nodata: isF(dt) ? 'nan' : '7' });
  cases.push({ name: `${dt} lzw striped band pred2`, dt, co: ['COMPRESS=LZW', 'TILED=NO', 'BLOCKYSIZE=7', 'INTERLEAVE=BAND', `PREDICTOR=${isF(dt) ? 3 : 2}`] });
}
cases.push(
  { name: 'uint16 none striped pixel', dt: 'uint16', co: ['COMPRESS=NONE', 'INTERLEAVE=PIXEL'], srs: 'EPSG:4326' },
  { name: 'uint16 packbits tiled band', dt: 'uint16', co: ['COMPRESS=PACKBITS', 'TILED=YES', 'INTERLEAVE=BAND'] },
  { name: 'int16 bigtiff deflate tiled', dt: 'int16', co: ['BIGTIFF=YES', 'COMPRESS=DEFLATE', 'TILED=YES', 'PREDICTOR=2'], nodata: '-9999' },
  { name: 'uint16 big-endian lzw pred2', dt: 'uint16', co: ['ENDIANNESS=BIG', 'COMPRESS=LZW', 'PREDICTOR=2', 'TILED=YES'] },
  { name: 'float32 big-endian deflate pred3', dt: 'float32', co: ['ENDIANNESS=BIG', 'COMPRESS=DEFLATE', 'PREDICTOR=3', 'INTERLEAVE=PIXEL'], gdalRef: true },
  { name: 'float64 big-endian bigtiff none', dt: 'float64', co: ['ENDIANNESS=BIG', 'BIGTIFF=YES', 'TILED=YES', 'INTERLEAVE=BAND'] },
  { name: 'int32 deflate pred2 big-endian band', dt: 'int32', co: ['ENDIANNESS=BIG', 'COMPRESS=DEFLATE', 'PREDICTOR=2', 'INTERLEAVE=BAND'] },
  { name: 'uint8 pixel-is-point', dt: 'uint8', co: ['COMPRESS=DEFLATE'], srs: 'EPSG:32633', point: true },
  { name: 'uint16 COG deflate with overviews', dt: 'uint16', of: 'COG', co: ['COMPRESS=DEFLATE', 'BLOCKSIZE=128', 'PREDICTOR=YES', 'OVERVIEWS=IGNORE_EXISTING', 'OVERVIEW_RESAMPLING=AVERAGE'], srs: 'EPSG:32633', nodata: '0' },
  { name: 'float32 COG lzw with overviews', dt: 'float32', of: 'COG', co: ['COMPRESS=LZW', 'BLOCKSIZE=128', 'OVERVIEW_RESAMPLING=NEAREST'], srs: 'EPSG:4326' },
);

describe('GeoTIFF written by GDAL reads back identically', skipUnlessGdal(), () => {
  let dir = '';
  const src = new Map<DataType, { raw: string; bands: TypedArray[] }>();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gep-tiff-gdal-'));
    for (const dt of DTYPES) {
      const bands = makeBands(dt, W, H, NB);
      src.set(dt, { raw: writeEnvi(dir, dt, bands, W, H, dt), bands });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('COG with an internal mask: mask IFDs are not overviews', async () => {
    const s = src.get('uint8')!;
    const out = join(dir, 'mask.tif');
    run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKSIZE=128', '-mask', '1', s.raw, out]);
    const g = gdalView(out);
    assert.equal(g.overviews.length, 2);
    const r = await openGeoTiff(out);
    assert.deepEqual(r.info.overviews.map((o) => [o.width, o.height]), g.overviews);
    const ov = await r.read({ overview: 2, bands: [1] });
    assertSame(ov.bands[0]!, gdalReadOverview(out, 2, 1), 'mask COG overview 2 band 2');
    await r.close();
  });

  test('metadata, band descriptions, DateTime and user-defined CRSs written by GDAL', async () => {
    const s = src.get('int16')!;
    const crsList = [
      '+proj=tmerc +lat_0=0 +lon_0=10 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m',
      '+proj=lcc +lat_1=44 +lat_2=49 +lat_0=46.5 +lon_0=3 +x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m',
      '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +x_0=0 +y_0=0 +datum=WGS84 +units=m',
      '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m',
      '+proj=aea +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96 +x_0=0 +y_0=0 +datum=WGS84 +units=m',
    ];
    for (const [k, crs] of crsList.entries()) {
      const out = join(dir, `ud${k}.tif`);
      // A 3 km x 2 km grid near the projection's false origin.
      const x0 = Number(/\+x_0=(\S+)/.exec(crs)![1]) + 20_000;
      const y0 = Number(/\+y_0=(\S+)/.exec(crs)![1]) + 30_000;
      const ullr = [x0, y0, x0 + 3000, y0 - 2000].map(String);
      run('gdal_translate', ['-q', '-a_srs', crs, '-a_ullr', ...ullr, '-mo', 'TIFFTAG_DATETIME=2016:06:08 15:31:21', '-mo', 'CLOUDS=3', s.raw, out]);
      run(SYSTEM_PYTHON, ['-c', `from osgeo import gdal\nds = gdal.Open('${out}', 1)\nds.GetRasterBand(2).SetDescription('nir')\nds.GetRasterBand(1).SetMetadataItem('WAVELENGTH', '665')\nds = None`]);
      const r = await openGeoTiff(out);
      const { info } = r;
      assert.equal(info.crs?.epsg, undefined, crs);
      assert.ok(info.crs?.proj4, `no proj4 for ${crs}`);
      assert.deepEqual(info.bandNames, ['', 'nir', '']);
      assert.equal(info.metadata.CLOUDS, '3');
      assert.equal(info.metadata['band1.WAVELENGTH'], '665');
      assert.equal(info.acquisitionTime, '2016-06-08T15:31:21Z');
      // The corner pixel (10, 20) in lon/lat: GDAL (gdaltransform) vs proj4 with our string.
      const [x, y] = [info.transform![0] + 10 * info.transform![1], info.transform![3] + 20 * info.transform![5]];
      const [lon, lat] = proj4(info.crs!.proj4!, 'WGS84', [x, y]);
      const g = execFileSync('gdaltransform', ['-t_srs', 'EPSG:4326', out], { input: '10 20\n', encoding: 'utf8' }).trim().split(/\s+/).map(Number);
      assert.ok(Math.abs(lon! - g[0]!) < 1e-7 && Math.abs(lat! - g[1]!) < 1e-7, `${crs}: ${lon},${lat} vs GDAL ${g[0]},${g[1]}`);
      await r.close();
    }
  });

  cases.forEach((c, ci) => {
    test(c.name, async () => {
      const s = src.get(c.dt)!;
      const out = join(dir, `case${ci}.tif`);
      const args = ['-q', '-of', c.of ?? 'GTiff', ...c.co.flatMap((o) => ['-co', o])];
      if (c.dt === 'int8') args.push('-co', 'PIXELTYPE=SIGNEDBYTE');
      if (c.srs) args.push('-a_srs', c.srs);
      if (c.srs === 'EPSG:4326') args.push('-a_ullr', '10', '50', '13', '48');
      else if (c.srs) args.push('-a_ullr', '400000', '5800000', '403000', '5798000');
      if (c.nodata) args.push('-a_nodata', c.nodata);
      if (c.point) args.push('-mo', 'AREA_OR_POINT=Point');
      run('gdal_translate', [...args, s.raw, out]);
      if (c.name.includes('COG') === false && c.name.includes('band pred2') && c.dt === 'uint16')
        run('gdaladdo', ['-q', '-r', 'average', out, '2', '4']);
      const g = gdalSnapshot(out, !!c.gdalRef || c.of === 'COG' || c.name.includes('band pred2'));
      const r = await openGeoTiff(out);
      try {
        const info = r.info;
        assert.equal(info.width, W);
        assert.equal(info.height, H);
        assert.equal(info.bandCount, NB);
        assert.equal(info.dataType, c.dt);
        if (c.srs) {
          assert.ok(info.transform);
          info.transform.forEach((v, i) => assert.ok(Math.abs(v - g.transform[i]!) < 1e-9 * Math.max(1, Math.abs(v)), `transform[${i}] ${v} vs ${g.transform[i]}`));
          assert.equal(info.crs?.epsg, g.epsg);
        } else assert.equal(info.transform, null);
        if (c.nodata === 'nan') assert.ok(Number.isNaN(info.nodata));
        else assert.equal(info.nodata, g.nodata);
        assert.deepEqual(info.overviews.map((o) => [o.width, o.height]), g.overviews);
        const full = await r.read();
        const ref = c.gdalRef ? g.levels[0]!.map((b) => Float32Array.from(b)) : s.bands;
        for (let b = 0; b < NB; b++) assertSame(full.bands[b]!, ref[b]!, `${c.name} band ${b + 1}`);
        // A window with a band subset, crossing block borders.
        const win = { x0: 61, y0: 37, width: 150, height: 101 };
        const part = await r.read({ window: win, bands: [2, 0] });
        assert.equal(part.width, 150);
        for (let row = 0; row < win.height; row++)
          for (let col = 0; col < win.width; col++) {
            const i = (win.y0 + row) * W + win.x0 + col;
            assert.equal(part.bands[0]![row * win.width + col], ref[2]![i]);
            assert.equal(part.bands[1]![row * win.width + col], ref[0]![i]);
          }
        if (info.transform) {
          assert.ok(Math.abs(part.transform![0] - (info.transform[0] + 61 * info.transform[1])) < 1e-6);
          assert.ok(Math.abs(part.transform![3] - (info.transform[3] + 37 * info.transform[5])) < 1e-6);
        }
        for (let k = 0; k < g.overviews.length; k++) {
          const ov = await r.read({ overview: k + 1 });
          assert.equal(ov.width, g.overviews[k]![0]);
          for (let b = 0; b < NB; b++) assertSame(ov.bands[b]!, g.levels[k + 1]![b]!, `${c.name} overview ${k + 1} band ${b + 1}`);
          if (info.transform) assert.ok(Math.abs(ov.transform![1] - (info.transform[1] * W) / ov.width) < 1e-9);
        }
        if (c.point) assert.equal(info.metadata.AREA_OR_POINT, 'Point');
      } finally {
        await r.close();
      }
    });
  });
});
