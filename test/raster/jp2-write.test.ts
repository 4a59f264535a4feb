import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gdalinfoJson, gdalReadBand, skipUnlessGdal } from '../helpers/env.ts';
import { makeRaster } from '../../src/raster/types.ts';
import type { TypedArray } from '../../src/raster/types.ts';
import { encodeJp2, writeJp2 } from '../../src/raster/jp2/write.ts';
import { openJp2 } from '../../src/raster/jp2/read.ts';
import { parseGmlJp2, buildGmlJp2, epsgFromSrsName } from '../../src/raster/jp2/georef.ts';

/** Deterministic texture with the full value range of the type. */
function pattern(n: number, max: number, signed: boolean): number[] {
  const out: number[] = [];
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = i % 97 === 0 ? max : i % 89 === 0 ? 0 : (s >>> 8) % (max + 1);
    out.push(signed ? v - Math.floor((max + 1) / 2) : v);
  }
  return out;
}

const W = 301;
const H = 197;
const T: [number, number, number, number, number, number] = [500000, 10, 0, 5800000, 0, -10];

describe('encodeJp2 / openJp2 round trip', () => {
  const cases: [string, TypedArray][] = [
    ['uint8', Uint8Array.from(pattern(W * H, 255, false))],
    ['uint16', Uint16Array.from(pattern(W * H, 65535, false))],
    ['int16', Int16Array.from(pattern(W * H, 65535, true))],
  ];
  for (const [type, data] of cases) {
    test(`${type}: lossless, exact samples, transform and EPSG`, async () => {
      const bytes = await encodeJp2(makeRaster([data], W, H, { transform: T, crs: { epsg: 32633 } }));
      const r = await openJp2(bytes);
      assert.equal(r.info.dataType, type);
      assert.deepEqual(r.info.transform, T);
      assert.equal(r.info.crs?.epsg, 32633);
      assert.equal(r.info.metadata.COMPRESSION_REVERSIBILITY, 'LOSSLESS');
      assert.deepEqual(r.info.overviews, [
        { width: 151, height: 99 },
        { width: 76, height: 50 },
      ]);
      const back = (await r.read()).bands[0]!;
      assert.deepEqual(Array.from(back), Array.from(data));
      await r.close();
    });
  }

  test('lossy mode is smaller and close', async () => {
    const data = new Uint16Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = 1000 + Math.round(500 * Math.sin(x / 9) * Math.cos(y / 7));
    const ras = makeRaster([data], W, H);
    const lossless = await encodeJp2(ras);
    const lossy = await encodeJp2(ras, { lossless: false, compressionRatio: 20 });
    assert.ok(lossy.length < lossless.length / 2, `${lossy.length} vs ${lossless.length}`);
    const r = await openJp2(lossy);
    assert.equal(r.info.transform, null);
    const back = (await r.read()).bands[0]!;
    let maxErr = 0;
    for (let i = 0; i < data.length; i++) maxErr = Math.max(maxErr, Math.abs(back[i]! - data[i]!));
    assert.ok(maxErr < 50, `max error ${maxErr}`);
  });

  test('refuses what it cannot write', async () => {
    await assert.rejects(encodeJp2(makeRaster([new Float32Array(4)], 2, 2)), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(encodeJp2(makeRaster([new Uint8Array(4), new Uint8Array(4)], 2, 2)), { code: 'GEP_ERR_INVALID_INPUT' });
  });

  test('tiny image (no wavelet level) round-trips', async () => {
    const data = Uint16Array.from([1, 2, 3, 65535, 0, 7]);
    const r = await openJp2(await encodeJp2(makeRaster([data], 3, 2)));
    assert.deepEqual(r.info.overviews, []);
    assert.deepEqual(Array.from((await r.read()).bands[0]!), Array.from(data));
  });
});

describe('GMLJP2 georeferencing', () => {
  test('srsName spellings', () => {
    assert.equal(epsgFromSrsName('urn:ogc:def:crs:EPSG::32633'), 32633);
    assert.equal(epsgFromSrsName('urn:ogc:def:crs:EPSG:6.6:4326'), 4326);
    assert.equal(epsgFromSrsName('http://www.opengis.net/def/crs/EPSG/0/32701'), 32701);
    assert.equal(epsgFromSrsName('EPSG:2154'), 2154);
    assert.equal(epsgFromSrsName('http://www.opengis.net/gml/srs/epsg.xml#27700'), 27700);
    assert.equal(epsgFromSrsName('CRS84'), null);
  });
  test('origin is the centre of the first pixel; lat/lon axis order for geographic EPSG URNs', () => {
    const g = parseGmlJp2(buildGmlJp2(100, 50, [10, 0.001, 0, 50, 0, -0.001], 4326));
    assert.deepEqual(g?.transform, [10, 0.001, 0, 50, 0, -0.001]);
    assert.match(buildGmlJp2(100, 50, [10, 0.001, 0, 50, 0, -0.001], 4326), /<gml:pos>49.9995 10.0005<\/gml:pos>/);
    const r = parseGmlJp2(buildGmlJp2(10, 10, [300000, 9, 1, 5000000, 1, -9], 32631));
    assert.deepEqual(r?.transform, [300000, 9, 1, 5000000, 1, -9]);
    assert.equal(parseGmlJp2('<a><b>no grid</b></a>'), null);
    assert.equal(parseGmlJp2('<<<'), null);
  });
});

describe('JP2 files we write open in GDAL', skipUnlessGdal(), () => {
  test('GDAL reads the same pixels and the same georeferencing from GeoJP2 and from GMLJP2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-jp2-'));
    try {
      const data = Uint16Array.from(pattern(W * H, 65535, false));
      const path = join(dir, 'a.jp2');
      await writeJp2(path, makeRaster([data], W, H, { transform: T, crs: { epsg: 32633 } }));
      const g = gdalReadBand(path);
      assert.deepEqual(Array.from(g.data), Array.from(data));
      const info = gdalinfoJson(path);
      assert.deepEqual(info.geoTransform, T);
      assert.match(JSON.stringify(info.coordinateSystem), /32633/);
      for (const src of ['GEOJP2', 'GMLJP2']) {
        const out = execFileSync('gdalinfo', ['-json', '--config', 'GDAL_GEOREF_SOURCES', src, path], { encoding: 'utf8' });
        assert.deepEqual((JSON.parse(out) as { geoTransform: number[] }).geoTransform, T, src);
      }
      // A file GDAL writes opens in our reader with the same values.
      const tif = join(dir, 'g.tif');
      execFileSync('gdal_translate', ['-q', '-of', 'GTiff', path, tif]);
      const gj = join(dir, 'g.jp2');
      execFileSync('gdal_translate', ['-q', '-of', 'JP2OpenJPEG', '-co', 'QUALITY=100', '-co', 'REVERSIBLE=YES', tif, gj]);
      const r = await openJp2(gj);
      assert.deepEqual(r.info.transform, T);
      assert.equal(r.info.crs?.epsg, 32633);
      assert.deepEqual(Array.from((await r.read()).bands[0]!), Array.from(data));
      await r.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
